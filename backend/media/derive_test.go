package media_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// MustDerive derives an image and decodes the JPEG it returns.
func MustDerive(tb testing.TB, data []byte, contentType string, maxSide int) (image.Image, []byte) {
	tb.Helper()
	out, err := media.Derive(bytes.NewReader(data), contentType, maxSide, media.DefaultLimits)
	if err != nil {
		tb.Fatalf("Derive: %v", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		tb.Fatalf("the derivative does not decode: %v", err)
	}
	return img, out
}

// near reports whether c is within a JPEG's error of want.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(v uint32, w uint8) bool { return int(v>>8)-int(w) < 48 && int(w)-int(v>>8) < 48 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// TestDeriveOrientation derives the 40×20 marker image under every EXIF
// orientation: the red marker, top-left as stored, must end up where a
// viewer honouring the tag would show it.
func TestDeriveOrientation(t *testing.T) {
	const tl, tr, br, bl = 0, 1, 2, 3
	tests := []struct {
		orientation uint16
		w, h        int
		corner      int
	}{
		{1, 40, 20, tl},
		{2, 40, 20, tr}, // mirrored
		{3, 40, 20, br}, // upside down
		{4, 40, 20, bl}, // upside down, mirrored
		{5, 20, 40, tl}, // transposed
		{6, 20, 40, tr}, // turned a quarter clockwise
		{7, 20, 40, br}, // transverse
		{8, 20, 40, bl}, // turned a quarter anticlockwise
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("OK/%d", tt.orientation), func(t *testing.T) {
			img, _ := MustDerive(t, exifJPEG(t, markerImage(40, 20), binary.LittleEndian, tt.orientation), "image/jpeg", media.ThumbnailSide)
			if got := img.Bounds().Size(); got != image.Pt(tt.w, tt.h) {
				t.Fatalf("size=%v, want %dx%d", got, tt.w, tt.h)
			}
			corners := []image.Point{{2, 2}, {tt.w - 3, 2}, {tt.w - 3, tt.h - 3}, {2, tt.h - 3}}
			for i, p := range corners {
				want := blue
				if i == tt.corner {
					want = red
				}
				if got := img.At(p.X, p.Y); !near(got, want) {
					t.Fatalf("pixel at %v=%v, want near %v", p, got, want)
				}
			}
		})
	}
}

func TestDerive(t *testing.T) {
	transparent := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for x := range 20 {
		for y := range 20 {
			transparent.SetNRGBA(x, y, color.NRGBA{R: 255, A: 255}) // left half red, right half clear
		}
	}
	tests := []struct {
		name        string
		data        []byte
		contentType string
		maxSide     int
		w, h        int
		pixels      map[image.Point]color.RGBA
	}{
		{"OK/WideScaledDown", MustPNG(t, markerImage(1000, 500)), "image/png", media.ThumbnailSide, 320, 160, map[image.Point]color.RGBA{{5, 5}: red, {300, 150}: blue}},
		{"OK/TallScaledDown", MustJPEG(t, markerImage(300, 900)), "image/jpeg", media.ThumbnailSide, 107, 320, nil},
		{"OK/TurnedScaledDown", exifJPEG(t, markerImage(640, 320), binary.BigEndian, 6), "image/jpeg", media.ThumbnailSide, 160, 320, map[image.Point]color.RGBA{{150, 5}: red, {5, 5}: blue}},
		{"OK/ThinScaledDown", MustPNG(t, markerImage(2000, 1)), "image/png", media.ThumbnailSide, 320, 1, nil},
		{"OK/SmallNotScaledUp", MustJPEG(t, markerImage(40, 20)), "image/jpeg", media.PreviewSide, 40, 20, nil},
		{"OK/FitsExactly", MustJPEG(t, markerImage(320, 200)), "image/jpeg", media.ThumbnailSide, 320, 200, nil},
		{"OK/TransparentOnWhite", MustPNG(t, transparent), "image/png", media.ThumbnailSide, 40, 20, map[image.Point]color.RGBA{{5, 5}: red, {30, 10}: {255, 255, 255, 255}}},
		{"OK/WebP", MustReadFile(t, "lossy.webp"), "image/webp", 100, 100, 69, nil},
		{"OK/WebPLossless", MustReadFile(t, "lossless.webp"), "image/webp", media.ThumbnailSide, 75, 100, nil},
		{"OK/WebPAlpha", MustReadFile(t, "alpha.webp"), "image/webp", media.ThumbnailSide, 320, 241, map[image.Point]color.RGBA{{0, 0}: {255, 255, 255, 255}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, out := MustDerive(t, tt.data, tt.contentType, tt.maxSide)
			if got := img.Bounds().Size(); got != image.Pt(tt.w, tt.h) {
				t.Fatalf("size=%v, want %dx%d", got, tt.w, tt.h)
			}
			for p, want := range tt.pixels {
				if got := img.At(p.X, p.Y); !near(got, want) {
					t.Fatalf("pixel at %v=%v, want near %v", p, got, want)
				}
			}
			if got := segmentMarkers(out); len(got) == 0 || got[0] != 0xD8 {
				t.Fatalf("markers=% X, want SOI first", got)
			}
			for _, m := range segmentMarkers(out) {
				if m >= 0xE1 && m <= 0xEF {
					t.Fatalf("derivative has an APP%d segment, want no metadata", m-0xE0)
				}
			}
		})
	}
}

// TestDeriveDropsExif derives a photo with an Exif segment and checks that
// no metadata survives.
func TestDeriveDropsExif(t *testing.T) {
	in := afterSOI(MustJPEG(t, markerImage(40, 20)), exifSegment(binary.BigEndian, 1), xmpSegment())
	_, out := MustDerive(t, in, "image/jpeg", media.ThumbnailSide)
	for _, s := range []string{"Exif", "MM\x00*", "xmpmeta", "Go\x00"} {
		if bytes.Contains(out, []byte(s)) {
			t.Fatalf("derivative contains %q", s)
		}
	}
}

func TestDeriveErrors(t *testing.T) {
	jpg := MustJPEG(t, markerImage(40, 20))
	truncated := jpg[:bytes.Index(jpg, []byte{0xFF, 0xDA})+20] // inside the scan
	tests := []struct {
		name        string
		data        []byte
		contentType string
		maxSide     int
		wantMsg     string
	}{
		{"ErrHEIC", ftyp("heic"), "image/heic", media.ThumbnailSide, "no preview for image/heic"},
		{"ErrPDF", []byte("%PDF-1.7"), "application/pdf", media.ThumbnailSide, "no preview for application/pdf"},
		{"ErrUnknown", []byte("garbage"), "", media.ThumbnailSide, "no preview for this file type"},
		{"ErrZeroSide", jpg, "image/jpeg", 0, "a preview must be at least 1 pixel on a side"},
		{"ErrPNGBomb", pngBomb(100_000, 100_000), "image/png", media.ThumbnailSide, "the image is 100000×100000 pixels, over the limit of 20000 on a side"},
		{"ErrJPEGBomb", jpegBomb(t, 30_000, 30_000), "image/jpeg", media.PreviewSide, "the image is 30000×30000 pixels, over the limit of 20000 on a side"},
		{"ErrTruncatedScan", truncated, "image/jpeg", media.ThumbnailSide, "the image/jpeg image does not decode"},
		{"ErrWrongType", jpg, "image/png", media.ThumbnailSide, "the image/png header does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := media.Derive(bytes.NewReader(tt.data), tt.contentType, tt.maxSide, media.DefaultLimits)
			if code := backend.ErrorCode(err); code != backend.EINVALID {
				t.Fatalf("code=%q (%v), want %q", code, err, backend.EINVALID)
			}
			if got := backend.ErrorMessage(err); got != tt.wantMsg {
				t.Fatalf("message=%q, want %q", got, tt.wantMsg)
			}
			if out != nil {
				t.Fatalf("output=%d bytes, want none", len(out))
			}
		})
	}
}

// segmentMarkers returns the markers of a JPEG up to its first scan.
func segmentMarkers(jpg []byte) []byte {
	if len(jpg) < 2 || jpg[0] != 0xFF {
		return nil
	}
	markers := []byte{jpg[1]}
	for pos := 2; pos+4 <= len(jpg) && jpg[pos] == 0xFF; pos += 2 + int(binary.BigEndian.Uint16(jpg[pos+2:])) {
		markers = append(markers, jpg[pos+1])
		if jpg[pos+1] == 0xDA {
			break
		}
	}
	return markers
}

// photo returns a w×h JPEG that compresses like a photo: smooth gradients
// with sensor noise.
func photo(tb testing.TB, w, h int) []byte {
	tb.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := rnd.IntN(32)
			img.SetRGBA(x, y, color.RGBA{uint8(x*200/w + n), uint8(y*200/h + n), uint8((x+y)*100/(w+h) + n), 255})
		}
	}
	return MustJPEG(tb, img)
}

func BenchmarkDeriveThumbnail(b *testing.B) { benchmarkDerive(b, media.ThumbnailSide) }

func BenchmarkDerivePreview(b *testing.B) { benchmarkDerive(b, media.PreviewSide) }

// benchmarkDerive derives a 12-megapixel phone photo, turned by EXIF.
func benchmarkDerive(b *testing.B, side int) {
	data := afterSOI(photo(b, 4000, 3000), exifSegment(binary.BigEndian, 6))
	for b.Loop() {
		if _, err := media.Derive(bytes.NewReader(data), "image/jpeg", side, media.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "input-bytes")
}
