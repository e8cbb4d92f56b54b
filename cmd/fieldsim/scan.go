package main

// A QR code reader for the server's own SVG renderings, standing in for
// the phone's camera: no endpoint hands out an enterprise code's text (a
// licence code exists to be printed and scanned), so the simulated
// inspector scans the printed code, as a real one does. The SVG draws
// every module exactly, so there is no image processing and no error
// correction to do: read the modules, read the format, unmask, undo the
// block interleaving and parse the segments (ISO/IEC 18004).

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// scanSVG returns the text of the QR code drawn by an SVG of the server's
// (one square module per unit of the viewBox, one path of horizontal runs
// "M x y h w v1H x z").
func scanSVG(svg []byte) (string, error) {
	n, err := svgSize(svg)
	if err != nil {
		return "", err
	}
	i := bytes.Index(svg, []byte(` d="`))
	if i < 0 {
		return "", errors.New("scan: the SVG has no path")
	}
	path := svg[i+4:]
	if j := bytes.IndexByte(path, '"'); j >= 0 {
		path = path[:j]
	}
	grid := make([][]bool, n)
	for y := range grid {
		grid[y] = make([]bool, n)
	}
	// Each run: M x y h w v1H x z
	p := pathReader{s: path}
	for p.more() {
		var x, y, w int
		ok := p.lit('M') && p.num(&x) && p.lit(' ') && p.num(&y) && p.lit('h') && p.num(&w) && p.lit('v') && p.skipNum() && p.lit('H') && p.skipNum() && p.lit('z')
		if !ok || y < 0 || y >= n || x < 0 || w < 0 || x+w > n {
			return "", fmt.Errorf("scan: unexpected path data near byte %d", p.i)
		}
		for k := x; k < x+w; k++ {
			grid[y][k] = true
		}
	}
	return decodeGrid(grid)
}

func svgSize(svg []byte) (int, error) {
	const key = `viewBox="0 0 `
	i := bytes.Index(svg, []byte(key))
	if i < 0 {
		return 0, errors.New("scan: the SVG has no viewBox")
	}
	rest := svg[i+len(key):]
	j := bytes.IndexByte(rest, ' ')
	if j < 0 {
		return 0, errors.New("scan: malformed viewBox")
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil || n < 21 || n > 400 {
		return 0, errors.New("scan: malformed viewBox")
	}
	return n, nil
}

type pathReader struct {
	s []byte
	i int
}

func (p *pathReader) more() bool { return p.i < len(p.s) }

func (p *pathReader) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pathReader) num(v *int) bool {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.Atoi(string(p.s[start:p.i]))
	*v = n
	return err == nil
}

func (p *pathReader) skipNum() bool { var v int; return p.num(&v) }

// decodeGrid decodes a symbol given as dark modules, with or without a
// quiet zone around it.
func decodeGrid(grid [][]bool) (string, error) {
	// Trim the quiet zone: the finder patterns reach the symbol's corners.
	minX, minY, maxX, maxY := len(grid), len(grid), -1, -1
	for y, row := range grid {
		for x, dark := range row {
			if dark {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	size := maxX - minX + 1
	if maxX < 0 || maxY-minY+1 != size || size < 21 || (size-17)%4 != 0 {
		return "", errors.New("scan: no QR symbol found")
	}
	ver := (size - 17) / 4
	if ver > 40 {
		return "", errors.New("scan: no QR symbol found")
	}
	dark := func(x, y int) bool { return grid[minY+y][minX+x] }

	// Format: two copies of 15 bits, error correction level and mask.
	var f1, f2 int
	for i := 0; i <= 5; i++ {
		f1 |= bit(dark(8, i)) << i
	}
	f1 |= bit(dark(8, 7))<<6 | bit(dark(8, 8))<<7 | bit(dark(7, 8))<<8
	for i := 9; i < 15; i++ {
		f1 |= bit(dark(14-i, 8)) << i
	}
	for i := 0; i < 8; i++ {
		f2 |= bit(dark(size-1-i, 8)) << i
	}
	for i := 8; i < 15; i++ {
		f2 |= bit(dark(8, size-15+i)) << i
	}
	level, mask, ok := readFormat(f1, f2)
	if !ok {
		return "", errors.New("scan: unreadable format information")
	}

	fn := functionModules(ver, size)
	raw := rawDataModules(ver) / 8
	codewords := make([]byte, raw)
	k := 0
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := 0; vert < size; vert++ {
			for j := 0; j < 2; j++ {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = size - 1 - vert
				}
				if fn[y][x] || k >= raw*8 {
					continue
				}
				if dark(x, y) != masked(mask, x, y) {
					codewords[k>>3] |= 0x80 >> (k & 7)
				}
				k++
			}
		}
	}

	// Undo the interleaving of the data codewords.
	blocks, ecc := numBlocks[level][ver-1], eccPerBlock[level][ver-1]
	short := blocks - raw%blocks
	shortData := raw/blocks - ecc
	parts := make([][]byte, blocks)
	k = 0
	for i := 0; i <= shortData; i++ {
		for j := 0; j < blocks; j++ {
			if i < shortData || j >= short {
				parts[j] = append(parts[j], codewords[k])
				k++
			}
		}
	}
	return parseSegments(bytes.Join(parts, nil), ver)
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readFormat finds the format word nearest to either copy. Levels are
// indexed L, M, Q, H; their format bits are 1, 0, 3, 2.
func readFormat(f1, f2 int) (level, mask int, ok bool) {
	best := 16
	for lv, fb := range []int{1, 0, 3, 2} {
		for m := 0; m < 8; m++ {
			data := fb<<3 | m
			rem := data
			for range 10 {
				rem = rem<<1 ^ (rem>>9)*0x537
			}
			word := (data<<10 | rem) ^ 0x5412
			for _, f := range []int{f1, f2} {
				if d := popcount(word ^ f); d < best {
					best, level, mask = d, lv, m
				}
			}
		}
	}
	return level, mask, best <= 3
}

func popcount(v int) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

func masked(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// functionModules marks the modules that carry no data: finder patterns
// with separators and format information, timing patterns, alignment
// patterns and version information.
func functionModules(ver, size int) [][]bool {
	fn := make([][]bool, size)
	for y := range fn {
		fn[y] = make([]bool, size)
	}
	fill := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				if x >= 0 && y >= 0 && x < size && y < size {
					fn[y][x] = true
				}
			}
		}
	}
	fill(0, 0, 9, 9)
	fill(size-8, 0, 8, 9)
	fill(0, size-8, 9, 8)
	fill(6, 0, 1, size)
	fill(0, 6, size, 1)
	pos := alignmentPositions(ver, size)
	for i, cy := range pos {
		for j, cx := range pos {
			last := len(pos) - 1
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue
			}
			fill(cx-2, cy-2, 5, 5)
		}
	}
	if ver >= 7 {
		fill(size-11, 0, 3, 6)
		fill(0, size-11, 6, 3)
	}
	return fn
}

func alignmentPositions(ver, size int) []int {
	if ver == 1 {
		return nil
	}
	n := ver/7 + 2
	step := 26
	if ver != 32 {
		step = (ver*4 + n*2 + 1) / (n*2 - 2) * 2
	}
	pos := make([]int, n)
	pos[0] = 6
	for i, p := n-1, size-7; i >= 1; i, p = i-1, p-step {
		pos[i] = p
	}
	return pos
}

func rawDataModules(ver int) int {
	n := (16*ver+128)*ver + 64
	if ver >= 2 {
		a := ver/7 + 2
		n -= (25*a-10)*a - 55
		if ver >= 7 {
			n -= 36
		}
	}
	return n
}

// Error correction codewords per block and blocks, by level (L, M, Q, H)
// and version 1-40 (ISO/IEC 18004 table 9).
var (
	eccPerBlock = [4][40]int{
		{7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		{10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
		{13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		{17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	}
	numBlocks = [4][40]int{
		{1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
		{1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
		{1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
		{1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
	}
)

const alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// parseSegments reads the data segments: numeric, alphanumeric and byte
// modes (and skips an ECI designator).
func parseSegments(data []byte, ver int) (string, error) {
	r := bitReader{b: data}
	group := 0
	switch {
	case ver >= 27:
		group = 2
	case ver >= 10:
		group = 1
	}
	var out []byte
	for r.left() >= 4 {
		mode := r.read(4)
		switch mode {
		case 0:
			return string(out), nil
		case 1: // numeric
			n := r.read([]int{10, 12, 14}[group])
			for ; n >= 3; n -= 3 {
				out = fmt.Appendf(out, "%03d", r.read(10))
			}
			switch n {
			case 2:
				out = fmt.Appendf(out, "%02d", r.read(7))
			case 1:
				out = fmt.Appendf(out, "%d", r.read(4))
			}
		case 2: // alphanumeric
			n := r.read([]int{9, 11, 13}[group])
			for ; n >= 2; n -= 2 {
				v := r.read(11)
				if v >= 45*45 {
					return "", errors.New("scan: bad alphanumeric data")
				}
				out = append(out, alphanumeric[v/45], alphanumeric[v%45])
			}
			if n == 1 {
				v := r.read(6)
				if v >= 45 {
					return "", errors.New("scan: bad alphanumeric data")
				}
				out = append(out, alphanumeric[v])
			}
		case 4: // byte
			n := r.read([]int{8, 16, 16}[group])
			for range n {
				out = append(out, byte(r.read(8)))
			}
		case 7: // ECI: 8, 16 or 24 bits; the text is taken as it is
			switch {
			case r.read(1) == 0:
				r.read(7)
			case r.read(1) == 0:
				r.read(14)
			default:
				r.read(22)
			}
		default:
			return "", fmt.Errorf("scan: unsupported segment mode %d", mode)
		}
		if r.over {
			return "", errors.New("scan: the data ends inside a segment")
		}
	}
	return string(out), nil
}

type bitReader struct {
	b    []byte
	i    int // bit position
	over bool
}

func (r *bitReader) left() int { return len(r.b)*8 - r.i }

func (r *bitReader) read(n int) int {
	v := 0
	for range n {
		if r.i >= len(r.b)*8 {
			r.over = true
			return v
		}
		v = v<<1 | int(r.b[r.i>>3]>>(7-r.i&7)&1)
		r.i++
	}
	return v
}
