package qr

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"sync"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Image sizes, in pixels, a caller may ask for.
const (
	MinSize     = 128
	MaxSize     = 1024
	DefaultSize = 256
)

// Error-correction levels, chosen per code:
//
//   - Enterprise codes use Q (25% of the symbol may be lost): they are
//     printed once and live for years on a licence that gets dirty, creased,
//     faded, taped over, or hung behind glass that reflects the flash. The
//     price is density: a typical code (145 bytes) is version 10, 57×57
//     modules, about 0.6 mm per module at 38 mm, easy for any phone camera.
//   - Inspection codes use M (15%): a phone screen is clean and the code is
//     refreshed at will, while a denser symbol is what actually fails on a
//     screen (moiré, glare, a camera held at arm's length). A typical code
//     (about 190 bytes) is version 10 at M; at Q it would be version 13.
const (
	enterpriseLevel = qrcode.High   // go-qrcode's name for Q
	inspectionLevel = qrcode.Medium // M
)

// symbol is an encoded QR symbol: dark[y][x] for every module, the 4-module
// quiet zone included.
type symbol struct {
	dark [][]bool
}

func (s *symbol) n() int { return len(s.dark) }

// encode makes the symbol of one code with go-qrcode.
func encode(op, content string, level qrcode.RecoveryLevel) (*symbol, error) {
	q, err := qrcode.New(content, level)
	if err != nil {
		return nil, tooLong(op, err)
	}
	return &symbol{dark: q.Bitmap()}, nil
}

// encodeBatch makes the same symbol as encode with fastqr.go's encoder, for
// batches (ZIPs of thousands of codes), where go-qrcode's 2 ms and 12,000
// allocations a code cost seconds: fastqr.go produces go-qrcode's modules
// bit for bit in about 40 µs, proven by differential tests and a fuzz
// target against go-qrcode itself.
func encodeBatch(op, content string, level qrcode.RecoveryLevel) (*symbol, error) {
	dark, err := encodeFast(content, level)
	if err != nil {
		return nil, tooLong(op, err)
	}
	return &symbol{dark: dark}, nil
}

func tooLong(op string, err error) error {
	return &backend.Error{Code: backend.EINVALID, Op: op, Message: "the code is too long for a QR symbol", Err: err}
}

func checkSize(op string, size int) error {
	if size < MinSize || size > MaxSize {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: "the size must be from " + strconv.Itoa(MinSize) + " to " + strconv.Itoa(MaxSize) + " pixels"}
	}
	return nil
}

// symbol encodes the code for its QR symbol. Only a code with a base URL
// can be rendered: a phone camera could not open a path.
func (c *EnterpriseCode) symbol(op string) (*symbol, error) { return c.symbolWith(op, encode) }

// symbolWith is symbol with the encoder to use (encodeBatch in batches).
func (c *EnterpriseCode) symbolWith(op string, enc func(op, content string, level qrcode.RecoveryLevel) (*symbol, error)) (*symbol, error) {
	if c.Base == "" {
		return nil, &backend.Error{Code: backend.EINVALID, Op: op, Message: "an enterprise code without a base URL cannot be rendered"}
	}
	return enc(op, c.String(), enterpriseLevel)
}

func (t *InspectionToken) symbol(op string) (*symbol, error) {
	if t.Base == "" {
		return nil, &backend.Error{Code: backend.EINVALID, Op: op, Message: "an inspection code without a base URL cannot be rendered"}
	}
	return encode(op, t.URL(), inspectionLevel)
}

// WritePNG writes the code as a size×size PNG (MinSize to MaxSize).
func (c *EnterpriseCode) WritePNG(w io.Writer, size int) error {
	const op = "EnterpriseCode.WritePNG"
	return writePNG(op, w, size, func() (*symbol, error) { return c.symbol(op) })
}

// WriteSVG writes the code as SVG; size sets its width and height in
// pixels (MinSize to MaxSize), 0 leaves them to the container.
func (c *EnterpriseCode) WriteSVG(w io.Writer, size int) error {
	const op = "EnterpriseCode.WriteSVG"
	return writeSVG(op, w, size, func() (*symbol, error) { return c.symbol(op) })
}

// WritePNG writes the code as a size×size PNG (MinSize to MaxSize).
func (t *InspectionToken) WritePNG(w io.Writer, size int) error {
	const op = "InspectionToken.WritePNG"
	return writePNG(op, w, size, func() (*symbol, error) { return t.symbol(op) })
}

// WriteSVG writes the code as SVG; size as for EnterpriseCode.WriteSVG.
func (t *InspectionToken) WriteSVG(w io.Writer, size int) error {
	const op = "InspectionToken.WriteSVG"
	return writeSVG(op, w, size, func() (*symbol, error) { return t.symbol(op) })
}

func writePNG(op string, w io.Writer, size int, sym func() (*symbol, error)) error {
	if err := checkSize(op, size); err != nil {
		return err
	}
	s, err := sym()
	if err != nil {
		return err
	}
	r := renderers.Get().(*pngRenderer)
	defer renderers.Put(r)
	if err := r.render(w, s, size); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

func writeSVG(op string, w io.Writer, size int, sym func() (*symbol, error)) error {
	if size != 0 {
		if err := checkSize(op, size); err != nil {
			return err
		}
	}
	s, err := sym()
	if err != nil {
		return err
	}
	if _, err := w.Write(s.appendSVG(nil, size, "")); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

// pngRenderer writes symbols as 1-bit grayscale PNGs, reusing its row and
// compression buffers. It writes the format itself, straight from the
// modules: image/png would go through an image and ask for every pixel's
// colour, which cost more than the rest of the rendering.
type pngRenderer struct {
	row  []byte // one filtered scanline: filter byte, then 1 bit per pixel
	idat bytes.Buffer
	zw   *zlib.Writer
	out  []byte
}

// renderers keeps pngRenderers between single renderings; a batch keeps
// one per worker.
var renderers = sync.Pool{New: func() any { return newPNGRenderer() }}

func newPNGRenderer() *pngRenderer {
	r := &pngRenderer{}
	r.zw, _ = zlib.NewWriterLevel(&r.idat, zlib.BestSpeed) // the level is valid
	return r
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// render draws s crisply: every module is the same whole number of pixels,
// and the pixels left over widen the quiet zone. In 1-bit grayscale a set
// bit is white.
func (r *pngRenderer) render(w io.Writer, s *symbol, size int) error {
	n := s.n()
	scale := size / n
	if scale < 1 {
		return backend.Errorf(backend.EINVALID, "%d pixels are too few for this code (%d modules)", size, n)
	}
	off := (size - scale*n) / 2
	r.row = slices.Grow(r.row[:0], 1+(size+7)/8)[:1+(size+7)/8]
	r.idat.Reset()
	r.zw.Reset(&r.idat)
	white := func() {
		r.row[0] = 0 // filter: none
		for i := 1; i < len(r.row); i++ {
			r.row[i] = 0xff
		}
	}
	white()
	for y := 0; y < off; y++ {
		r.zw.Write(r.row) // into a bytes.Buffer: cannot fail
	}
	for _, modules := range s.dark {
		white()
		for x, dark := range modules {
			if dark {
				for p := off + x*scale; p < off+(x+1)*scale; p++ {
					r.row[1+p>>3] &^= 0x80 >> (p & 7)
				}
			}
		}
		for range scale {
			r.zw.Write(r.row)
		}
	}
	white()
	for y := off + n*scale; y < size; y++ {
		r.zw.Write(r.row)
	}
	if err := r.zw.Close(); err != nil {
		return err
	}

	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth; colour type 0 (grayscale), deflate, no interlace
	b := append(r.out[:0], pngSignature...)
	b = appendChunk(b, "IHDR", ihdr[:])
	b = appendChunk(b, "IDAT", r.idat.Bytes())
	b = appendChunk(b, "IEND", nil)
	r.out = b
	_, err := w.Write(b)
	return err
}

// appendChunk appends a PNG chunk: length, type, data, CRC of type and data.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// appendSVG appends s as an SVG document: the viewBox counts modules, one
// path draws every run of dark modules, and crispEdges keeps module edges
// on pixel edges at any size. label, when set, becomes the accessible name
// (escaped).
func (s *symbol) appendSVG(b []byte, size int, label string) []byte {
	n := strconv.Itoa(s.n())
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `...)
	b = append(b, n...)
	b = append(b, ' ')
	b = append(b, n...)
	b = append(b, '"')
	if size > 0 {
		b = append(b, ` width="`...)
		b = strconv.AppendInt(b, int64(size), 10)
		b = append(b, `" height="`...)
		b = strconv.AppendInt(b, int64(size), 10)
		b = append(b, '"')
	}
	if label != "" {
		b = append(b, ` role="img" aria-label="`...)
		b = appendEscaped(b, label)
		b = append(b, '"')
	}
	b = append(b, ` shape-rendering="crispEdges"><rect width="`...)
	b = append(b, n...)
	b = append(b, `" height="`...)
	b = append(b, n...)
	b = append(b, `" fill="#fff"/><path fill="#000" d="`...)
	for y, row := range s.dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			end := x
			for end < len(row) && row[end] {
				end++
			}
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y), 10)
			b = append(b, 'h')
			b = strconv.AppendInt(b, int64(end-x), 10)
			b = append(b, "v1H"...)
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, 'z')
			x = end
		}
	}
	return append(b, `"/></svg>`...)
}
