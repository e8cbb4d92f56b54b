package media_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

var (
	red  = color.RGBA{R: 255, A: 255}
	blue = color.RGBA{B: 255, A: 255}
)

// evidenceTypes are all the types of evidence.
var evidenceTypes = []backend.EvidenceType{backend.EvidencePhoto, backend.EvidenceVideo, backend.EvidenceAudio, backend.EvidenceDocument, backend.EvidenceSignature}

// markerImage returns a blue w×h image with a red square in its top-left
// corner, a quarter of the shorter side wide, so that every turn and
// mirror of it looks different.
func markerImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	side := min(w, h) / 4
	for y := range h {
		for x := range w {
			c := blue
			if x < side && y < side {
				c = red
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// MustJPEG encodes img as a JPEG of quality 95.
func MustJPEG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// MustPNG encodes img as a PNG.
func MustPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// MustReadFile returns the content of a file in testdata.
func MustReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// afterSOI returns jpg with segs inserted right after its SOI marker.
func afterSOI(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// exifSegment returns an APP1 Exif segment whose IFD0 holds a Model tag
// and then the orientation o, as a SHORT in the given byte order.
func exifSegment(order binary.ByteOrder, o uint16) []byte {
	tiff := make([]byte, 8+2+2*12+4)
	copy(tiff, "II")
	if order == binary.BigEndian {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8) // IFD0 right after the header
	order.PutUint16(tiff[8:], 2)
	entry := func(e []byte, tag, typ uint16, count uint32) {
		order.PutUint16(e, tag)
		order.PutUint16(e[2:], typ)
		order.PutUint32(e[4:], count)
	}
	entry(tiff[10:], 0x0110, 2, 3) // Model, ASCII "Go\0" inline
	copy(tiff[18:], "Go")
	entry(tiff[22:], 0x0112, 3, 1) // Orientation, SHORT
	order.PutUint16(tiff[30:], o)
	return segment(0xE1, append([]byte("Exif\x00\x00"), tiff...))
}

// xmpSegment returns an APP1 segment that is not Exif.
func xmpSegment() []byte {
	return segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
}

// exifJPEG returns a JPEG of img with the EXIF orientation o.
func exifJPEG(tb testing.TB, img image.Image, order binary.ByteOrder, o uint16) []byte {
	tb.Helper()
	return afterSOI(MustJPEG(tb, img), exifSegment(order, o))
}

// pngBomb returns a small PNG whose header declares w×h RGBA pixels:
// IHDR with a correct CRC, a little IDAT of deflated zeros, IEND.
func pngBomb(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(append(c, typ...), data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8 bits, RGBA, deflate, no filter, no interlace
	var idat bytes.Buffer
	z := zlib.NewWriter(&idat)
	z.Write(make([]byte, 4096))
	z.Close()
	b := []byte("\x89PNG\r\n\x1A\n")
	b = append(b, chunk("IHDR", ihdr)...)
	b = append(b, chunk("IDAT", idat.Bytes())...)
	return append(b, chunk("IEND", nil)...)
}

// jpegBomb returns a small real JPEG whose SOF0 is patched to declare w×h.
func jpegBomb(tb testing.TB, w, h uint16) []byte {
	tb.Helper()
	b := MustJPEG(tb, markerImage(16, 16))
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		tb.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(b[i+5:], h) // marker, length, precision, height, width
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// webpFrameBomb returns testdata/lossy.webp with its VP8 frame header
// declaring w×h.
func webpFrameBomb(tb testing.TB, w, h uint16) []byte {
	tb.Helper()
	b := MustReadFile(tb, "lossy.webp")
	binary.LittleEndian.PutUint16(b[26:], w) // RIFF header, chunk header, frame tag, start code
	binary.LittleEndian.PutUint16(b[28:], h)
	return b
}

// webpCanvas returns testdata/alpha.webp with its VP8X canvas declaring
// w×h (the frame stays 400×301).
func webpCanvas(tb testing.TB, w, h uint32) []byte {
	tb.Helper()
	b := MustReadFile(tb, "alpha.webp")
	put24 := func(p []byte, v uint32) { p[0], p[1], p[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(b[24:], w-1) // RIFF header, chunk header, flags
	put24(b[27:], h-1)
	return b
}

// allocated returns how many bytes f allocates, averaged over a few runs.
func allocated(f func()) uint64 {
	const runs = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}
