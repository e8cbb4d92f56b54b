package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/riff"
	"golang.org/x/image/webp"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Limits bound the dimensions of an image that may be decoded. A zero field
// takes its value from DefaultLimits.
type Limits struct {
	MaxPixels int64 // width × height
	MaxSide   int   // width and height each
}

// DefaultLimits admit every photo a phone takes (a 200-megapixel sensor
// saves 50 megapixels by default) and refuse decompression bombs.
var DefaultLimits = Limits{MaxPixels: 100_000_000, MaxSide: 20_000}

// Config is what an image's header declares.
type Config struct {
	Width, Height int
}

// codec is how the package reads one image type. The type Sniff found picks
// the codec, rather than image.Decode's own sniffing, so that bytes that
// passed as one type are never decoded as another.
type codec struct {
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var codecs = map[string]codec{
	typeJPEG: {jpeg.DecodeConfig, jpeg.Decode},
	typePNG:  {png.DecodeConfig, png.Decode},
	typeWebP: {webpConfig, webp.Decode},
}

// CheckImage reads the header of an image of the given media type from r
// and refuses it (with code EINVALID) when the header does not decode or
// declares more than lim allows. It reads only as far as the dimensions
// and never allocates pixels. HEIC, which Go cannot decode, and types that
// are not images pass with a zero Config.
func CheckImage(r io.Reader, contentType string, lim Limits) (Config, error) {
	const op = "media.CheckImage"
	c, ok := codecs[contentType]
	if !ok {
		return Config{}, nil
	}
	ic, err := c.decodeConfig(r)
	if err != nil {
		return Config{}, &backend.Error{Code: backend.EINVALID, Op: op, Message: "the " + contentType + " header does not decode", Err: err}
	}
	cfg := Config{Width: ic.Width, Height: ic.Height}
	if err := lim.check(cfg); err != nil {
		err.Op = op
		return Config{}, err
	}
	return cfg, nil
}

// check refuses dimensions over the limits.
func (lim Limits) check(c Config) *backend.Error {
	maxSide := lim.MaxSide
	if maxSide <= 0 {
		maxSide = DefaultLimits.MaxSide
	}
	maxPixels := lim.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultLimits.MaxPixels
	}
	switch pixels := int64(c.Width) * int64(c.Height); {
	case c.Width <= 0 || c.Height <= 0:
		return backend.Errorf(backend.EINVALID, "the image is %d×%d pixels: it has none", c.Width, c.Height)
	case c.Width > maxSide || c.Height > maxSide:
		return backend.Errorf(backend.EINVALID, "the image is %d×%d pixels, over the limit of %d on a side", c.Width, c.Height, maxSide)
	case pixels > maxPixels:
		return backend.Errorf(backend.EINVALID, "the image is %d×%d = %d pixels, over the limit of %d", c.Width, c.Height, pixels, maxPixels)
	}
	return nil
}

// webpConfig returns the dimensions of a WebP's frame. x/image/webp's
// DecodeConfig stops at the VP8X canvas, but its decoder allocates what the
// VP8 or VP8L frame header declares, however small the canvas: both are
// checked, and the frame is returned. Dimensions that disagree are refused
// as a malformed file.
func webpConfig(r io.Reader) (image.Config, error) {
	form, chunks, err := riff.NewReader(r)
	if err != nil {
		return image.Config{}, err
	}
	if form != (riff.FourCC{'W', 'E', 'B', 'P'}) {
		return image.Config{}, errors.New("not a WebP file")
	}
	var canvas *image.Config
	for {
		id, _, data, err := chunks.Next()
		if err != nil {
			return image.Config{}, err
		}
		var frame image.Config
		switch string(id[:]) {
		case "VP8X":
			c, err := readWebPHeader(data, 10, func(b []byte) (int, int, bool) {
				return 1 + le24(b[4:]), 1 + le24(b[7:]), true
			})
			if err != nil {
				return image.Config{}, err
			}
			canvas = &c
			continue
		case "ANIM":
			// Animation frames are bounded by the canvas, and the
			// decoder refuses animations anyway.
			if canvas == nil {
				return image.Config{}, errors.New("WebP animation without a canvas")
			}
			return *canvas, nil
		case "VP8 ":
			frame, err = readWebPHeader(data, 10, func(b []byte) (int, int, bool) {
				le := binary.LittleEndian
				return int(le.Uint16(b[6:]) & 0x3FFF), int(le.Uint16(b[8:]) & 0x3FFF), string(b[3:6]) == "\x9D\x01\x2A"
			})
		case "VP8L":
			frame, err = readWebPHeader(data, 5, func(b []byte) (int, int, bool) {
				bits := binary.LittleEndian.Uint32(b[1:])
				return 1 + int(bits&0x3FFF), 1 + int(bits>>14&0x3FFF), b[0] == 0x2F
			})
		default: // ALPH, ICCP, EXIF, XMP: skipped
			continue
		}
		if err != nil {
			return image.Config{}, err
		}
		if canvas != nil && (canvas.Width != frame.Width || canvas.Height != frame.Height) {
			return image.Config{}, fmt.Errorf("WebP canvas %d×%d holds a %d×%d frame", canvas.Width, canvas.Height, frame.Width, frame.Height)
		}
		return frame, nil
	}
}

// readWebPHeader reads the first n bytes of a chunk and parses the
// dimensions from them; parse reports whether the chunk is well formed.
func readWebPHeader(r io.Reader, n int, parse func([]byte) (w, h int, ok bool)) (image.Config, error) {
	var b [10]byte
	if _, err := io.ReadFull(r, b[:n]); err != nil {
		return image.Config{}, err
	}
	w, h, ok := parse(b[:n])
	if !ok {
		return image.Config{}, errors.New("malformed WebP frame header")
	}
	return image.Config{Width: w, Height: h}, nil
}

// le24 decodes a little-endian 24-bit integer.
func le24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
