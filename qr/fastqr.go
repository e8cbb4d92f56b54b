package qr

// An allocation-light QR Code encoder, bit-identical to go-qrcode.
//
// github.com/skip2/go-qrcode (version v0.0.0-20200617195104-da1b6568686e)
// is the reference: encodeFast(content, level) returns exactly the modules
// that qrcode.New(content, level) followed by Bitmap() returns, and fails
// exactly when qrcode.New fails. That covers go-qrcode's choices and quirks
// as well as the standard (ISO/IEC 18004): its data segmentation, version
// choice, padding, block split and interleaving, function patterns, mask
// patterns, penalty rules and tie-breaking. The differential tests in
// fastqr_test.go (TestEncodeFast*, TestPenaltyLines, TestRSEncode) and the
// fuzz target FuzzEncodeFast compare the two on many thousands of inputs and
// keep them identical; a change to either side (or an upgrade of
// go-qrcode) must pass them.
// The quirks replicated on purpose are marked "go-qrcode:" below.
//
// go-qrcode builds each of the 8 masked candidate symbols as [][]bool with
// separate "used" flags, runs a polynomial-allocating Reed–Solomon and reads
// the symbol module by module for the penalties: some 370 KB and 12,000
// allocations for a version 10 code. Here:
//
//   - Everything that depends only on the version is built once and cached
//     (qrTemplate): the function patterns and the order in which data
//     modules are filled.
//   - Reed–Solomon uses log/antilog tables and generator polynomials
//     computed once per error-correction length.
//   - A symbol is a set of bit rows (and, for the column rules, bit columns):
//     masking is a few word operations per row, and the penalty rules are
//     computed 64 modules at a time.
//   - Scratch buffers are pooled; the bitmap returned is the only
//     allocation (two slices) on success.
//
// A QR symbol, briefly: finder patterns in three corners, timing patterns
// between them, alignment patterns (version 2 and up), format information
// (error-correction level and mask, twice) and version information (version
// 7 and up) are the function modules. Every other module carries the data
// codewords followed by their Reed–Solomon error-correction codewords,
// placed in two-module-wide columns zigzagging up and down from the bottom
// right corner, then XORed with one of 8 mask patterns: the one whose
// symbol scores the lowest penalty (long runs, 2×2 blocks, finder-like
// patterns, dark/light imbalance).

import (
	"errors"
	"math/bits"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

var (
	// errQRNoData is go-qrcode's refusal of empty content.
	errQRNoData = errors.New("qr: no data to encode")
	// errQRTooLong is returned when no version holds the content.
	errQRTooLong = errors.New("qr: content too long to encode")
)

// quietZone is the light border, in modules, around the symbol.
const quietZone = 4

// encodeFast encodes content as go-qrcode does with qrcode.New(content,
// level) and returns what its Bitmap method returns: bitmap[y][x] is true
// for a dark module, the quiet zone included. The rows share one backing
// array. It is safe for concurrent use.
func encodeFast(content string, level qrcode.RecoveryLevel) ([][]bool, error) {
	if content == "" {
		return nil, errQRNoData
	}
	if level < qrcode.Low || level > qrcode.Highest {
		// go-qrcode finds no version for an unknown level.
		return nil, errQRTooLong
	}
	s := qrScratchPool.Get().(*qrScratch)
	defer qrScratchPool.Put(s)

	version, ok := s.segment(content, level)
	if !ok {
		return nil, errQRTooLong
	}
	t := qrTemplates[version]()
	s.encodeData(content, version, level)
	s.place(t)
	mask := s.chooseMask(t, level)
	s.applyMask(t, level, mask)
	return s.bitmap(t), nil
}

// Data segmentation and version choice.
//
// The data is a sequence of segments, each a mode indicator (4 bits), a
// character count and the characters: numeric (3 digits in 10 bits),
// alphanumeric (2 characters in 11 bits) or byte (8 bits each). The width
// of the character count depends on the mode and on the version range
// (1–9, 10–26, 27–40). go-qrcode has no Kanji mode and no ECI.

// qrMode is a segment's mode; each mode can encode every character of the
// modes below it.
type qrMode uint8

const (
	qrNumeric qrMode = iota
	qrAlphanumeric
	qrByte
)

// qrModeIndicator holds each mode's 4-bit indicator.
var qrModeIndicator = [3]uint32{qrNumeric: 0b0001, qrAlphanumeric: 0b0010, qrByte: 0b0100}

// qrRange is one of go-qrcode's dataEncoderTypes: a version range and the
// character count widths used in it.
type qrRange struct {
	minVersion, maxVersion int
	countBits              [3]int // by qrMode
}

var qrRanges = [3]qrRange{
	{1, 9, [3]int{10, 9, 8}},
	{10, 26, [3]int{12, 11, 16}},
	{27, 40, [3]int{14, 13, 16}},
}

// qrAlphanumericValue maps each alphanumeric character to its value (0–44)
// and every other byte to -1.
var qrAlphanumericValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i, c := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" {
		v[c] = int8(i)
	}
	return v
}()

// qrClassify returns the lowest mode that can encode c.
func qrClassify(c byte) qrMode {
	switch {
	case c >= '0' && c <= '9':
		return qrNumeric
	case qrAlphanumericValue[c] >= 0:
		return qrAlphanumeric
	default:
		return qrByte
	}
}

// encodedLength returns the length in bits of a segment of n characters in
// mode m, or false if n does not fit the character count (go-qrcode then
// abandons the whole version range, see segment).
func (r *qrRange) encodedLength(m qrMode, n int) (int, bool) {
	countBits := r.countBits[m]
	if n > 1<<countBits-1 {
		return 0, false
	}
	length := 4 + countBits
	switch m {
	case qrNumeric:
		length += 10 * (n / 3)
		if n%3 != 0 {
			length += 1 + 3*(n%3)
		}
	case qrAlphanumeric:
		length += 11*(n/2) + 6*(n%2)
	case qrByte:
		length += 8 * n
	}
	return length, true
}

// qrSegment is content[start:end] in one mode.
type qrSegment struct {
	mode       qrMode
	start, end int
}

func (g qrSegment) len() int { return g.end - g.start }

// segment splits content into segments the way go-qrcode's dataEncoder
// does, chooses the version, and leaves the segments in s.segs and the
// version range in s.rng. It reports false if no version holds the content.
//
// For each version range in turn, as go-qrcode does: split the content into
// runs of characters of the same lowest mode; merge each run with the
// following runs of the same or a lower mode while merging is shorter than
// keeping them apart; use a single segment of the highest mode instead if
// that is no longer; then take the smallest version of the range that
// holds the result, or go on to the next range.
//
// go-qrcode: a character count too wide for its field, for any length
// computed along the way (including the single-segment alternative), fails
// the whole range, even when the chosen segments would have fitted.
func (s *qrScratch) segment(content string, level qrcode.RecoveryLevel) (version int, ok bool) {
	// Runs of the same lowest mode; they do not depend on the range.
	s.runs = s.runs[:0]
	highest := qrNumeric
	for i := 0; i < len(content); {
		m := qrClassify(content[i])
		j := i + 1
		for j < len(content) && qrClassify(content[j]) == m {
			j++
		}
		s.runs = append(s.runs, qrSegment{m, i, j})
		highest = max(highest, m)
		i = j
	}

	for ri := range qrRanges {
		r := &qrRanges[ri]
		length, ok := s.optimise(r, content, highest)
		if !ok {
			continue
		}
		for v := r.minVersion; v <= r.maxVersion; v++ {
			if qrBlocksOf(v, level).dataBytes()*8 >= length {
				s.rng = r
				return v, true
			}
		}
	}
	return 0, false
}

// optimise merges s.runs into s.segs for version range r and returns the
// encoded length, or false if go-qrcode's encoder fails for r.
func (s *qrScratch) optimise(r *qrRange, content string, highest qrMode) (int, bool) {
	s.segs = s.segs[:0]
	runs := s.runs
	for i := 0; i < len(runs); {
		mode := runs[i].mode
		numChars := runs[i].len()
		j := i + 1
		for ; j < len(runs); j++ {
			next := runs[j]
			if next.mode > mode {
				break
			}
			merged, ok1 := r.encodedLength(mode, numChars+next.len())
			apart1, ok2 := r.encodedLength(mode, numChars)
			apart2, ok3 := r.encodedLength(next.mode, next.len())
			if !ok1 || !ok2 || !ok3 {
				return 0, false
			}
			if merged >= apart1+apart2 {
				break
			}
			numChars += next.len()
		}
		s.segs = append(s.segs, qrSegment{mode, runs[i].start, runs[j-1].end})
		i = j
	}

	total := 0
	for _, g := range s.segs {
		n, ok := r.encodedLength(g.mode, g.len())
		if !ok {
			return 0, false
		}
		total += n
	}
	single, ok := r.encodedLength(highest, len(content))
	if !ok {
		return 0, false
	}
	if single <= total {
		s.segs = append(s.segs[:0], qrSegment{highest, 0, len(content)})
		total = single
	}
	return total, true
}

// Versions and error correction.

// qrBlocks is the block structure of one version at one level: n1 blocks of
// data1 data codewords, then n2 blocks of data2, each followed by ec
// error-correction codewords.
type qrBlocks struct {
	n1, data1, n2, data2, ec int
}

func (b qrBlocks) dataBytes() int { return b.n1*b.data1 + b.n2*b.data2 }
func (b qrBlocks) numBlocks() int { return b.n1 + b.n2 }

// qrBlockTable is go-qrcode's version table (version.go), by version and
// then by RecoveryLevel (Low, Medium, High, Highest); every block of an
// entry has the same number of error-correction codewords.
var qrBlockTable = [41][4]qrBlocks{
	1:  {{1, 19, 0, 0, 7}, {1, 16, 0, 0, 10}, {1, 13, 0, 0, 13}, {1, 9, 0, 0, 17}},
	2:  {{1, 34, 0, 0, 10}, {1, 28, 0, 0, 16}, {1, 22, 0, 0, 22}, {1, 16, 0, 0, 28}},
	3:  {{1, 55, 0, 0, 15}, {1, 44, 0, 0, 26}, {2, 17, 0, 0, 18}, {2, 13, 0, 0, 22}},
	4:  {{1, 80, 0, 0, 20}, {2, 32, 0, 0, 18}, {2, 24, 0, 0, 26}, {4, 9, 0, 0, 16}},
	5:  {{1, 108, 0, 0, 26}, {2, 43, 0, 0, 24}, {2, 15, 2, 16, 18}, {2, 11, 2, 12, 22}},
	6:  {{2, 68, 0, 0, 18}, {4, 27, 0, 0, 16}, {4, 19, 0, 0, 24}, {4, 15, 0, 0, 28}},
	7:  {{2, 78, 0, 0, 20}, {4, 31, 0, 0, 18}, {2, 14, 4, 15, 18}, {4, 13, 1, 14, 26}},
	8:  {{2, 97, 0, 0, 24}, {2, 38, 2, 39, 22}, {4, 18, 2, 19, 22}, {4, 14, 2, 15, 26}},
	9:  {{2, 116, 0, 0, 30}, {3, 36, 2, 37, 22}, {4, 16, 4, 17, 20}, {4, 12, 4, 13, 24}},
	10: {{2, 68, 2, 69, 18}, {4, 43, 1, 44, 26}, {6, 19, 2, 20, 24}, {6, 15, 2, 16, 28}},
	11: {{4, 81, 0, 0, 20}, {1, 50, 4, 51, 30}, {4, 22, 4, 23, 28}, {3, 12, 8, 13, 24}},
	12: {{2, 92, 2, 93, 24}, {6, 36, 2, 37, 22}, {4, 20, 6, 21, 26}, {7, 14, 4, 15, 28}},
	13: {{4, 107, 0, 0, 26}, {8, 37, 1, 38, 22}, {8, 20, 4, 21, 24}, {12, 11, 4, 12, 22}},
	14: {{3, 115, 1, 116, 30}, {4, 40, 5, 41, 24}, {11, 16, 5, 17, 20}, {11, 12, 5, 13, 24}},
	15: {{5, 87, 1, 88, 22}, {5, 41, 5, 42, 24}, {5, 24, 7, 25, 30}, {11, 12, 7, 13, 24}},
	16: {{5, 98, 1, 99, 24}, {7, 45, 3, 46, 28}, {15, 19, 2, 20, 24}, {3, 15, 13, 16, 30}},
	17: {{1, 107, 5, 108, 28}, {10, 46, 1, 47, 28}, {1, 22, 15, 23, 28}, {2, 14, 17, 15, 28}},
	18: {{5, 120, 1, 121, 30}, {9, 43, 4, 44, 26}, {17, 22, 1, 23, 28}, {2, 14, 19, 15, 28}},
	19: {{3, 113, 4, 114, 28}, {3, 44, 11, 45, 26}, {17, 21, 4, 22, 26}, {9, 13, 16, 14, 26}},
	20: {{3, 107, 5, 108, 28}, {3, 41, 13, 42, 26}, {15, 24, 5, 25, 30}, {15, 15, 10, 16, 28}},
	21: {{4, 116, 4, 117, 28}, {17, 42, 0, 0, 26}, {17, 22, 6, 23, 28}, {19, 16, 6, 17, 30}},
	22: {{2, 111, 7, 112, 28}, {17, 46, 0, 0, 28}, {7, 24, 16, 25, 30}, {34, 13, 0, 0, 24}},
	23: {{4, 121, 5, 122, 30}, {4, 47, 14, 48, 28}, {11, 24, 14, 25, 30}, {16, 15, 14, 16, 30}},
	24: {{6, 117, 4, 118, 30}, {6, 45, 14, 46, 28}, {11, 24, 16, 25, 30}, {30, 16, 2, 17, 30}},
	25: {{8, 106, 4, 107, 26}, {8, 47, 13, 48, 28}, {7, 24, 22, 25, 30}, {22, 15, 13, 16, 30}},
	26: {{10, 114, 2, 115, 28}, {19, 46, 4, 47, 28}, {28, 22, 6, 23, 28}, {33, 16, 4, 17, 30}},
	27: {{8, 122, 4, 123, 30}, {22, 45, 3, 46, 28}, {8, 23, 26, 24, 30}, {12, 15, 28, 16, 30}},
	28: {{3, 117, 10, 118, 30}, {3, 45, 23, 46, 28}, {4, 24, 31, 25, 30}, {11, 15, 31, 16, 30}},
	29: {{7, 116, 7, 117, 30}, {21, 45, 7, 46, 28}, {1, 23, 37, 24, 30}, {19, 15, 26, 16, 30}},
	30: {{5, 115, 10, 116, 30}, {19, 47, 10, 48, 28}, {15, 24, 25, 25, 30}, {23, 15, 25, 16, 30}},
	31: {{13, 115, 3, 116, 30}, {2, 46, 29, 47, 28}, {42, 24, 1, 25, 30}, {23, 15, 28, 16, 30}},
	32: {{17, 115, 0, 0, 30}, {10, 46, 23, 47, 28}, {10, 24, 35, 25, 30}, {19, 15, 35, 16, 30}},
	33: {{17, 115, 1, 116, 30}, {14, 46, 21, 47, 28}, {29, 24, 19, 25, 30}, {11, 15, 46, 16, 30}},
	34: {{13, 115, 6, 116, 30}, {14, 46, 23, 47, 28}, {44, 24, 7, 25, 30}, {59, 16, 1, 17, 30}},
	35: {{12, 121, 7, 122, 30}, {12, 47, 26, 48, 28}, {39, 24, 14, 25, 30}, {22, 15, 41, 16, 30}},
	36: {{6, 121, 14, 122, 30}, {6, 47, 34, 48, 28}, {46, 24, 10, 25, 30}, {2, 15, 64, 16, 30}},
	37: {{17, 122, 4, 123, 30}, {29, 46, 14, 47, 28}, {49, 24, 10, 25, 30}, {24, 15, 46, 16, 30}},
	38: {{4, 122, 18, 123, 30}, {13, 46, 32, 47, 28}, {48, 24, 14, 25, 30}, {42, 15, 32, 16, 30}},
	39: {{20, 117, 4, 118, 30}, {40, 47, 7, 48, 28}, {43, 24, 22, 25, 30}, {10, 15, 67, 16, 30}},
	40: {{19, 118, 6, 119, 30}, {18, 47, 31, 48, 28}, {34, 24, 34, 25, 30}, {20, 15, 61, 16, 30}},
}

func qrBlocksOf(version int, level qrcode.RecoveryLevel) qrBlocks {
	return qrBlockTable[version][level]
}

// maxECBytes is the most error-correction codewords a block has.
const maxECBytes = 30

// GF(2^8) arithmetic modulo x^8 + x^4 + x^3 + x^2 + 1, the field of QR
// Reed–Solomon codes: gfExp[i] = α^i (doubled, so that gfExp[a+b] needs no
// reduction) and gfLog its inverse.
var gfExp, gfLog = func() (exp [510]byte, log [256]uint8) {
	x := 1
	for i := range 255 {
		exp[i], exp[i+255] = byte(x), byte(x)
		log[x] = uint8(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	return exp, log
}()

// rsGenerators[d] holds the generator polynomial of degree d, (x - α^0)(x -
// α^1)…(x - α^(d-1)), as the logs of its coefficients from x^(d-1) down to
// x^0 (the x^d coefficient is 1). These coefficients are never 0
// (TestRSGenerators checks), so logs can represent them.
var rsGenerators = func() (g [maxECBytes + 1][]uint8) {
	for d := 1; d <= maxECBytes; d++ {
		// poly[i] is the coefficient of x^i.
		poly := make([]byte, d+1)
		poly[0] = 1
		for i := range d {
			// Multiply by (x + α^i).
			for j := i + 1; j > 0; j-- {
				poly[j] = poly[j-1] ^ gfMul(poly[j], gfExp[i])
			}
			poly[0] = gfMul(poly[0], gfExp[i])
		}
		logs := make([]uint8, d)
		for j := range d {
			logs[j] = gfLog[poly[d-1-j]]
		}
		g[d] = logs
	}
	return g
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// rsEncode writes into ec (len(ec) error-correction codewords) the
// remainder of data(x)·x^len(ec) divided by the generator, as go-qrcode's
// reedsolomon.Encode does with polynomials.
func rsEncode(data, ec []byte) {
	gen := rsGenerators[len(ec)]
	clear(ec)
	for _, b := range data {
		factor := b ^ ec[0]
		copy(ec, ec[1:])
		ec[len(ec)-1] = 0
		if factor != 0 {
			lf := int(gfLog[factor])
			for j, lg := range gen {
				ec[j] ^= gfExp[lf+int(lg)]
			}
		}
	}
}

// encodeData writes the data codewords of s.segs (terminated and padded as
// go-qrcode does) and their error-correction codewords, interleaved as in
// the symbol, into s.codewords.
func (s *qrScratch) encodeData(content string, version int, level qrcode.RecoveryLevel) {
	b := qrBlocksOf(version, level)
	numData := b.dataBytes()
	w := qrBitWriter{buf: growClear(&s.data, numData)}
	for _, g := range s.segs {
		w.put(qrModeIndicator[g.mode], 4)
		w.put(uint32(g.len()), s.rng.countBits[g.mode])
		data := content[g.start:g.end]
		switch g.mode {
		case qrNumeric:
			for i := 0; i < len(data); i += 3 {
				var v uint32
				n := min(3, len(data)-i)
				for j := i; j < i+n; j++ {
					v = v*10 + uint32(data[j]-'0')
				}
				w.put(v, 1+3*n)
			}
		case qrAlphanumeric:
			for i := 0; i < len(data); i += 2 {
				if i+1 < len(data) {
					w.put(uint32(qrAlphanumericValue[data[i]])*45+uint32(qrAlphanumericValue[data[i+1]]), 11)
				} else {
					w.put(uint32(qrAlphanumericValue[data[i]]), 6)
				}
			}
		case qrByte:
			for i := 0; i < len(data); i++ {
				w.put(uint32(data[i]), 8)
			}
		}
	}
	// Terminator (up to 4 zero bits), zeros to the codeword boundary, then
	// the pad codewords 11101100 and 00010001 alternately.
	w.n += min(4, numData*8-w.n)
	w.n = (w.n + 7) &^ 7
	for i, pad := w.n/8, byte(0xec); i < numData; i, pad = i+1, pad^0xec^0x11 {
		w.buf[i] = pad
	}

	// Split into blocks, compute each block's error correction and
	// interleave: the first codeword of every block, then the second, …,
	// then the same for the error-correction codewords.
	nb := b.numBlocks()
	ecc := growClear(&s.ecc, nb*b.ec)
	out := growClear(&s.codewords, numData+nb*b.ec)
	blocks := s.blocks[:0]
	for i, start := 0, 0; i < nb; i++ {
		n := b.data1
		if i >= b.n1 {
			n = b.data2
		}
		blocks = append(blocks, w.buf[start:start+n])
		rsEncode(blocks[i], ecc[i*b.ec:(i+1)*b.ec])
		start += n
	}
	s.blocks = blocks
	k := 0
	for j := range max(b.data1, b.data2) {
		for _, block := range blocks {
			if j < len(block) {
				out[k] = block[j]
				k++
			}
		}
	}
	for j := range b.ec {
		for i := range nb {
			out[k] = ecc[i*b.ec+j]
			k++
		}
	}
}

// qrBitWriter appends bits, most significant first, to a zeroed buffer.
type qrBitWriter struct {
	buf []byte
	n   int // bits written
}

// put appends the low nbits bits of v.
func (w *qrBitWriter) put(v uint32, nbits int) {
	for nbits > 0 {
		free := 8 - w.n&7
		take := min(free, nbits)
		chunk := byte(v >> (nbits - take) & (1<<take - 1))
		w.buf[w.n>>3] |= chunk << (free - take)
		w.n += take
		nbits -= take
	}
}

// growClear sets *b to n zero bytes, reusing its array when large enough.
func growClear(b *[]byte, n int) []byte {
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	clear(*b)
	return *b
}

// Symbols as bit rows.

// maxSize is the width of the largest symbol (version 40), quiet zone
// excluded.
const maxSize = 17 + 4*40

// qrLine is one row (or column) of a symbol: module i is bit i%64 of word
// i/64, set when dark. Bits past the symbol's width are always 0.
type qrLine [3]uint64

func (a qrLine) and(b qrLine) qrLine    { return qrLine{a[0] & b[0], a[1] & b[1], a[2] & b[2]} }
func (a qrLine) andNot(b qrLine) qrLine { return qrLine{a[0] &^ b[0], a[1] &^ b[1], a[2] &^ b[2]} }
func (a qrLine) or(b qrLine) qrLine     { return qrLine{a[0] | b[0], a[1] | b[1], a[2] | b[2]} }
func (a qrLine) xor(b qrLine) qrLine    { return qrLine{a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2]} }
func (a qrLine) not() qrLine            { return qrLine{^a[0], ^a[1], ^a[2]} }
func (a qrLine) isZero() bool           { return a[0]|a[1]|a[2] == 0 }

func (a qrLine) count() int {
	return bits.OnesCount64(a[0]) + bits.OnesCount64(a[1]) + bits.OnesCount64(a[2])
}

// shl moves every module k places along (0 < k < 64): module i of the
// result is module i-k of a, 0 (light) for i < k.
func (a qrLine) shl(k uint) qrLine {
	return qrLine{a[0] << k, a[1]<<k | a[0]>>(64-k), a[2]<<k | a[1]>>(64-k)}
}

// shr1 moves every module one place back: module i of the result is module
// i+1 of a.
func (a qrLine) shr1() qrLine {
	return qrLine{a[0]>>1 | a[1]<<63, a[1]>>1 | a[2]<<63, a[2] >> 1}
}

func (a qrLine) bit(i int) uint64 { return a[i>>6] >> (i & 63) & 1 }
func (a *qrLine) set(i int)       { a[i>>6] |= 1 << (i & 63) }

// qrLineOf returns a line with modules [0, n) dark.
func qrLineOf(n int) qrLine {
	var l qrLine
	for i := range n {
		l.set(i)
	}
	return l
}

// qrTemplate is what a version's symbols share.
type qrTemplate struct {
	n int // width in modules, quiet zone excluded

	// Function modules with their values (format information left light),
	// by row and by column.
	fn, fnT []qrLine
	// Data modules (set) by row and by column.
	data, dataT []qrLine
	// order lists the data modules, y<<8 | x, in the order the data bits
	// fill them.
	order []uint16
	// format[i] and format[15+i] are the two modules, y<<8 | x, of bit i
	// (from the least significant) of the format information.
	format [30]uint16

	valid, valid2, last qrLine // modules [0, n), [0, n-1) and n-1
}

// qrTemplates[v]() is version v's template, built on first use.
var qrTemplates = func() (t [41]func() *qrTemplate) {
	for v := 1; v <= 40; v++ {
		t[v] = sync.OnceValue(func() *qrTemplate { return newQRTemplate(v) })
	}
	return t
}()

// qrAlignmentCenters is go-qrcode's table of alignment pattern centres.
var qrAlignmentCenters = [41][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
	11: {6, 30, 54}, 12: {6, 32, 58}, 13: {6, 34, 62},
	14: {6, 26, 46, 66}, 15: {6, 26, 48, 70}, 16: {6, 26, 50, 74},
	17: {6, 30, 54, 78}, 18: {6, 30, 56, 82}, 19: {6, 30, 58, 86},
	20: {6, 34, 62, 90},
	21: {6, 28, 50, 72, 94}, 22: {6, 26, 50, 74, 98}, 23: {6, 30, 54, 78, 102},
	24: {6, 28, 54, 80, 106}, 25: {6, 32, 58, 84, 110}, 26: {6, 30, 58, 86, 114},
	27: {6, 34, 62, 90, 118},
	28: {6, 26, 50, 74, 98, 122}, 29: {6, 30, 54, 78, 102, 126},
	30: {6, 26, 52, 78, 104, 130}, 31: {6, 30, 56, 82, 108, 134},
	32: {6, 34, 60, 86, 112, 138}, 33: {6, 30, 58, 86, 114, 142},
	34: {6, 34, 62, 90, 118, 146},
	35: {6, 30, 54, 78, 102, 126, 150}, 36: {6, 24, 50, 76, 102, 128, 154},
	37: {6, 28, 54, 80, 106, 132, 158}, 38: {6, 32, 58, 84, 110, 136, 162},
	39: {6, 26, 54, 82, 110, 138, 166}, 40: {6, 30, 58, 86, 114, 142, 170},
}

// qrVersionInfo is go-qrcode's table of 18-bit version information
// (versions 7 and up).
var qrVersionInfo = [41]uint32{
	7: 0x07c94, 8: 0x085bc, 9: 0x09a99, 10: 0x0a4d3, 11: 0x0bbf6, 12: 0x0c762,
	13: 0x0d847, 14: 0x0e60d, 15: 0x0f928, 16: 0x10b78, 17: 0x1145d, 18: 0x12a17,
	19: 0x13532, 20: 0x149a6, 21: 0x15683, 22: 0x168c9, 23: 0x177ec, 24: 0x18ec4,
	25: 0x191e1, 26: 0x1afab, 27: 0x1b08e, 28: 0x1cc1a, 29: 0x1d33f, 30: 0x1ed75,
	31: 0x1f250, 32: 0x209d5, 33: 0x216f0, 34: 0x228ba, 35: 0x2379f, 36: 0x24b0b,
	37: 0x2542e, 38: 0x26a64, 39: 0x27541, 40: 0x28c69,
}

// qrFormatInfo is go-qrcode's table of 15-bit format information, indexed
// by the level's 2 bits (L=01, M=00, Q=11, H=10) then the mask's 3 bits.
var qrFormatInfo = [32]uint16{
	0x5412, 0x5125, 0x5e7c, 0x5b4b, 0x45f9, 0x40ce, 0x4f97, 0x4aa0,
	0x77c4, 0x72f3, 0x7daa, 0x789d, 0x662f, 0x6318, 0x6c41, 0x6976,
	0x1689, 0x13be, 0x1ce7, 0x19d0, 0x0762, 0x0255, 0x0d0c, 0x083b,
	0x355f, 0x3068, 0x3f31, 0x3a06, 0x24b4, 0x2183, 0x2eda, 0x2bed,
}

// qrLevelBits maps a RecoveryLevel to its 2 format information bits.
var qrLevelBits = [4]int{qrcode.Low: 0b01, qrcode.Medium: 0b00, qrcode.High: 0b11, qrcode.Highest: 0b10}

func qrFormatBits(level qrcode.RecoveryLevel, mask int) uint16 {
	return qrFormatInfo[qrLevelBits[level]<<3|mask]
}

// newQRTemplate lays out version's function patterns as go-qrcode's
// buildRegularSymbol does, in the same order, and traces its data
// placement.
func newQRTemplate(version int) *qrTemplate {
	n := 17 + 4*version
	used := make([]bool, n*n)
	dark := make([]bool, n*n)
	set := func(x, y int, v bool) {
		used[y*n+x] = true
		dark[y*n+x] = v
	}
	// Finder patterns (7×7 rings around 3×3 squares) and their light
	// separators.
	finder := func(x0, y0 int) {
		for j := range 7 {
			for i := range 7 {
				ring := i == 0 || i == 6 || j == 0 || j == 6
				core := i >= 2 && i <= 4 && j >= 2 && j <= 4
				set(x0+i, y0+j, ring || core)
			}
		}
	}
	hsep := func(x0, y0 int) {
		for i := range 8 {
			set(x0+i, y0, false)
		}
	}
	vsep := func(x0, y0 int) {
		for j := range 8 {
			set(x0, y0+j, false)
		}
	}
	finder(0, 0)
	hsep(0, 7)
	vsep(7, 0)
	finder(n-7, 0)
	hsep(n-8, 7)
	vsep(n-8, 0)
	finder(0, n-7)
	hsep(0, n-8)
	vsep(7, n-8)

	// Alignment patterns (5×5 rings around a module) at every pair of
	// centres whose centre module is still free.
	for _, cx := range qrAlignmentCenters[version] {
		for _, cy := range qrAlignmentCenters[version] {
			if used[cy*n+cx] {
				continue
			}
			for j := range 5 {
				for i := range 5 {
					set(cx-2+i, cy-2+j, i == 0 || i == 4 || j == 0 || j == 4 || (i == 2 && j == 2))
				}
			}
		}
	}

	// Timing patterns: row and column 6, alternating, dark first.
	for i, v := 8, true; i < n-7; i, v = i+1, !v {
		set(i, 6, v)
		set(6, i, v)
	}

	// Format information: placeholders, written per mask.
	t := &qrTemplate{n: n}
	at := func(x, y int) uint16 { return uint16(y<<8 | x) }
	for i := range 15 {
		// Around the top left finder pattern.
		switch {
		case i <= 5:
			t.format[i] = at(8, i)
		case i == 6:
			t.format[i] = at(8, 7)
		case i == 7:
			t.format[i] = at(8, 8)
		case i == 8:
			t.format[i] = at(7, 8)
		default:
			t.format[i] = at(14-i, 8)
		}
		// Under the top right, and beside the bottom left finder pattern.
		if i <= 7 {
			t.format[15+i] = at(n-1-i, 8)
		} else {
			t.format[15+i] = at(8, n-15+i)
		}
	}
	for _, p := range t.format {
		set(int(p&0xff), int(p>>8), false)
	}
	set(8, n-8, true) // the dark module

	// Version information: two 6×3 blocks.
	if version >= 7 {
		v := qrVersionInfo[version]
		for i := range 18 {
			b := v>>i&1 != 0
			set(i/3, n-11+i%3, b)
			set(n-11+i%3, i/3, b)
		}
	}

	// The data modules, in go-qrcode's addData order: two-module columns
	// from the right, right module first, alternately upwards and
	// downwards, skipping the vertical timing pattern and every function
	// module.
	free := 0
	for _, u := range used {
		if !u {
			free++
		}
	}
	t.order = make([]uint16, 0, free)
	x, y, xOffset, up := n-2, n-1, 1, true
	for {
		t.order = append(t.order, at(x+xOffset, y))
		used[y*n+x+xOffset] = true
		if len(t.order) == free {
			break
		}
		for {
			if xOffset == 1 {
				xOffset = 0
			} else {
				xOffset = 1
				switch {
				case up && y > 0:
					y--
				case up:
					up = false
					x -= 2
				case y < n-1:
					y++
				default:
					up = true
					x -= 2
				}
			}
			if x == 5 {
				x--
			}
			if !used[y*n+x+xOffset] {
				break
			}
		}
	}

	lines := make([]qrLine, 4*n)
	t.fn, t.fnT, t.data, t.dataT = lines[:n], lines[n:2*n], lines[2*n:3*n], lines[3*n:]
	for y := range n {
		for x := range n {
			if dark[y*n+x] {
				t.fn[y].set(x)
				t.fnT[x].set(y)
			}
		}
	}
	for _, p := range t.order {
		x, y := int(p&0xff), int(p>>8)
		t.data[y].set(x)
		t.dataT[x].set(y)
	}
	t.valid = qrLineOf(n)
	t.valid2 = qrLineOf(n - 1)
	t.last.set(n - 1)
	return t
}

// Masks.

// qrMaskDark reports whether mask m inverts the module in column x, row y;
// these are go-qrcode's formulas (addData), the standard's.
func qrMaskDark(m, x, y int) bool {
	switch m {
	case 0:
		return (y+x)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (y+x)%3 == 0
	case 4:
		return (y/2+x/3)%2 == 0
	case 5:
		return (y*x)%2+(y*x)%3 == 0
	case 6:
		return ((y*x)%2+((y*x)%3))%2 == 0
	default:
		return ((y+x)%2+((y*x)%3))%2 == 0
	}
}

// qrMasks holds the mask patterns as lines. Each pattern depends on the row
// only through y mod 2, 3, 4 or 6, and on the column likewise, so it
// repeats every 12 rows and every 12 columns.
type qrMasks struct {
	rows [8][12]qrLine // rows[m][y%12]: row y of mask m
	cols [8][12]qrLine // cols[m][x%12]: column x of mask m
}

var qrMaskLines = sync.OnceValue(func() *qrMasks {
	ms := new(qrMasks)
	for m := range 8 {
		for r := range 12 {
			for i := range maxSize {
				if qrMaskDark(m, i, r) {
					ms.rows[m][r].set(i)
				}
				if qrMaskDark(m, r, i) {
					ms.cols[m][r].set(i)
				}
			}
		}
	}
	return ms
})

// Scratch space.

type qrScratch struct {
	runs, segs []qrSegment
	rng        *qrRange // the chosen version range

	data, ecc, codewords []byte
	blocks               [][]byte // the data blocks, in data

	// The unmasked symbol (by row and by column) and a masked one.
	base, baseT, rows, cols [maxSize]qrLine
}

var qrScratchPool = sync.Pool{New: func() any { return new(qrScratch) }}

// place fills s.base and s.baseT with the function modules and the
// unmasked codewords; the remainder bits after them are 0.
func (s *qrScratch) place(t *qrTemplate) {
	n := t.n
	copy(s.base[:n], t.fn)
	copy(s.baseT[:n], t.fnT)
	for i, c := range s.codewords {
		for c != 0 {
			k := bits.LeadingZeros8(c)
			c &^= 0x80 >> k
			p := t.order[i*8+k]
			x, y := int(p&0xff), int(p>>8)
			s.base[y].set(x)
			s.baseT[x].set(y)
		}
	}
}

// applyMask sets s.rows and s.cols to the symbol with mask m and its format
// information.
func (s *qrScratch) applyMask(t *qrTemplate, level qrcode.RecoveryLevel, m int) {
	ms := qrMaskLines()
	n := t.n
	for y := range n {
		s.rows[y] = s.base[y].xor(t.data[y].and(ms.rows[m][y%12]))
	}
	for x := range n {
		s.cols[x] = s.baseT[x].xor(t.dataT[x].and(ms.cols[m][x%12]))
	}
	f := qrFormatBits(level, m)
	for i, p := range t.format {
		if f>>(i%15)&1 != 0 {
			x, y := int(p&0xff), int(p>>8)
			s.rows[y].set(x)
			s.cols[x].set(y)
		}
	}
}

// chooseMask returns the mask go-qrcode chooses: the first with the lowest
// penalty score.
func (s *qrScratch) chooseMask(t *qrTemplate, level qrcode.RecoveryLevel) int {
	best, bestScore := 0, 0
	for m := range 8 {
		s.applyMask(t, level, m)
		limit := -1 // no limit for the first mask
		if m > 0 {
			limit = bestScore
		}
		if score, ok := s.penalty(t, limit); ok {
			best, bestScore = m, score
		}
	}
	return best
}

// Penalty weights, as in go-qrcode.
const (
	qrPenalty1 = 3
	qrPenalty2 = 3
	qrPenalty3 = 40
	qrPenalty4 = 10
)

// penalty returns the penalty score of the symbol in s.rows and s.cols, as
// go-qrcode's penaltyScore computes it, and true; or false as soon as the
// score is known not to be below limit (when limit ≥ 0).
//
// Each rule has two implementations: on one word per line for symbols up to
// 64 modules wide (versions 1 to 11, the usual case), on three otherwise.
func (s *qrScratch) penalty(t *qrTemplate, limit int) (int, bool) {
	n := t.n
	narrow := n <= 64
	rows, cols := s.rows[:n], s.cols[:n]
	over := func(p int) bool { return limit >= 0 && p >= limit }

	// Rule 4: the proportion of dark modules. go-qrcode: the deviation
	// from half is counted in whole steps of numModules/20 modules, in
	// integer arithmetic.
	dark := 0
	for _, r := range rows {
		dark += r.count()
	}
	numModules := n * n
	dev := numModules/2 - dark
	if dev < 0 {
		dev = -dev
	}
	p := qrPenalty4 * (dev / (numModules / 20))

	// Rule 2: 3 for every 2×2 block (overlapping) of one colour.
	blocks := 0
	if narrow {
		valid2 := t.valid2[0]
		for y := 1; y < n; y++ {
			a, b := rows[y-1][0], rows[y][0]
			v := ^(a ^ b)        // v[x]: (x, y-1) and (x, y) match
			h := ^(b ^ (b >> 1)) // h[x]: (x, y) and (x+1, y) match
			blocks += bits.OnesCount64(v & (v >> 1) & h & valid2)
		}
	} else {
		for y := 1; y < n; y++ {
			a, b := rows[y-1], rows[y]
			v := a.xor(b).not()
			h := b.xor(b.shr1()).not()
			blocks += v.and(v.shr1()).and(h).and(t.valid2).count()
		}
	}
	p += qrPenalty2 * blocks
	if over(p) {
		return 0, false
	}

	// Rule 1: runs in rows and columns.
	if narrow {
		valid := t.valid[0]
		for i := range n {
			p += penalty1Word(rows[i][0], valid) + penalty1Word(cols[i][0], valid)
		}
	} else {
		for i := range n {
			p += penalty1Line(rows[i], t.valid) + penalty1Line(cols[i], t.valid)
		}
	}
	if over(p) {
		return 0, false
	}

	// Rule 3: finder-like patterns in rows and columns.
	if narrow {
		for i := range n {
			p += penalty3Word(rows[i][0], t) + penalty3Word(cols[i][0], t)
		}
	} else {
		for i := range n {
			p += penalty3Line(rows[i], t) + penalty3Line(cols[i], t)
		}
	}
	if over(p) {
		return 0, false
	}
	return p, true
}

// penalty1Line scores runs of one colour in a row or column as go-qrcode's
// penalty1 does. go-qrcode: a run of 5 scores nothing (the standard says 3);
// a run of k ≥ 6 scores 3 + (k-5).
//
// A run of k ≥ 6 modules holds k-5 windows of 6 equal modules, and its
// first such window is not preceded by another; so the score is the number
// of windows plus 3 per first window.
func penalty1Line(l, valid qrLine) int {
	// eq[i]: modules i-1 and i match (i ≥ 1).
	eq := l.xor(l.shl(1)).not().and(valid)
	eq[0] &^= 1
	e2 := eq.and(eq.shl(1))       // i-2..i match
	e4 := e2.and(e2.shl(2))       // i-4..i
	w6 := e4.and(eq.shl(4))       // i-5..i
	first := w6.andNot(w6.shl(1)) // not preceded by a window
	return w6.count() + qrPenalty1*first.count()
}

// penalty1Word is penalty1Line for a line of at most 64 modules.
func penalty1Word(l, valid uint64) int {
	eq := ^(l ^ (l << 1)) & valid &^ 1
	e2 := eq & (eq << 1)
	e4 := e2 & (e2 << 2)
	w6 := e4 & (eq << 4)
	first := w6 &^ (w6 << 1)
	return bits.OnesCount64(w6) + qrPenalty1*bits.OnesCount64(first)
}

// penalty3Line scores finder-like patterns in a row or column as
// go-qrcode's penalty3 does: it shifts the modules through an 11-bit
// buffer (light before the line starts) and scores 40 whenever the buffer
// reads light×4 dark light dark×3 light dark, or the reverse, or, at the
// end of the line only, its last 7 modules read dark light dark×3 light
// dark.
//
// This finds where the line itself matches, 64 modules per step, and
// leaves the rest to penalty3Walk.
func penalty3Line(l qrLine, t *qrTemplate) int {
	// core[i]: modules i-6..i read dark light dark dark dark light dark.
	s1, s2, s3 := l.shl(1), l.shl(2), l.shl(3)
	core := l.and(s2).and(s3).and(l.shl(4)).and(l.shl(6)).andNot(s1.or(l.shl(5)))
	if core.isZero() {
		return 0
	}
	// light4[i]: modules i-3..i are light (or before the line).
	light4 := l.or(s1).or(s2).or(s3).not()
	before := light4.shl(7)                         // modules i-10..i-7 are light
	before[0] |= 1<<7 - 1                           // (all before the line for i < 7)
	match := core.and(before)                       // light×4 then the core: buffer 0x05d
	match = match.or(core.shl(4).and(light4))       // the core then light×4: 0x5d0
	match = match.or(core.and(t.last)).and(t.valid) // the core at the end
	return penalty3Walk(l, match, t.n)
}

// penalty3Word is penalty3Line for a line of at most 64 modules.
func penalty3Word(l uint64, t *qrTemplate) int {
	s1, s2, s3 := l<<1, l<<2, l<<3
	core := l & s2 & s3 & (l << 4) & (l << 6) &^ (s1 | (l << 5))
	if core == 0 {
		return 0
	}
	light4 := ^(l | s1 | s2 | s3)
	match := core&(light4<<7|(1<<7-1)) | (core<<4)&light4 | core&t.last[0]
	match &= t.valid[0]
	if match == 0 {
		return 0
	}
	return penalty3Walk(qrLine{l}, qrLine{match}, t.n)
}

// penalty3Walk scores the matches of line l, of n modules, given match,
// the modules where the line matches.
//
// go-qrcode: after each match it sets the buffer to 0xFF, as if the last 8
// modules were dark and the 3 before light; the next 10 windows then
// differ from the line's, and may match where the line does not (or not
// match where it does). This follows the buffer module by module through
// those 10 windows after each match.
func penalty3Walk(l, match qrLine, n int) int {
	p := 0
	for from := 0; ; {
		i := nextSetBit(match, from)
		if i < 0 {
			return p
		}
		p += qrPenalty3
		last := i // the last match: the buffer was reset after it
		buf := uint32(0xff)
		for j := last + 1; j < n && j <= last+10; j++ {
			buf = (buf<<1 | uint32(l.bit(j))) & 0x7ff
			if buf == 0x05d || buf == 0x5d0 || (j == n-1 && buf&0x7f == 0x5d) {
				p += qrPenalty3
				last, buf = j, 0xff
			}
		}
		// From last+11 on, the buffer holds the line's modules again.
		from = last + 11
	}
}

// nextSetBit returns the index of the first set bit of l at or after from,
// or -1.
func nextSetBit(l qrLine, from int) int {
	for w := from >> 6; w < len(l); w++ {
		word := l[w]
		if w == from>>6 {
			word &= ^uint64(0) << (from & 63)
		}
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

// bitmap returns the masked symbol in s.rows with its quiet zone, as
// [y][x] rows sharing one array.
func (s *qrScratch) bitmap(t *qrTemplate) [][]bool {
	n := t.n
	size := n + 2*quietZone
	cells := make([]bool, size*size)
	out := make([][]bool, size)
	for y := range out {
		out[y] = cells[y*size : (y+1)*size : (y+1)*size]
	}
	for y := range n {
		r := &s.rows[y]
		row := out[quietZone+y][quietZone : quietZone+n]
		for x := range row {
			row[x] = r[x>>6]>>(x&63)&1 != 0
		}
	}
	return out
}
