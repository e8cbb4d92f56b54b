package media_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

func TestCheckImage(t *testing.T) {
	jpg := MustJPEG(t, markerImage(40, 20))
	sof := bytes.Index(jpg, []byte{0xFF, 0xC0})
	tests := []struct {
		name        string
		data        []byte
		contentType string
		lim         media.Limits
		want        media.Config
		wantErr     []string // all in the message; nil for no error
	}{
		{"OK/JPEG", jpg, "image/jpeg", media.DefaultLimits, media.Config{Width: 40, Height: 20}, nil},
		{"OK/PNG", MustPNG(t, markerImage(40, 20)), "image/png", media.DefaultLimits, media.Config{Width: 40, Height: 20}, nil},
		{"OK/WebPLossy", MustReadFile(t, "lossy.webp"), "image/webp", media.DefaultLimits, media.Config{Width: 150, Height: 103}, nil},
		{"OK/WebPLossless", MustReadFile(t, "lossless.webp"), "image/webp", media.DefaultLimits, media.Config{Width: 75, Height: 100}, nil},
		{"OK/WebPAlpha", MustReadFile(t, "alpha.webp"), "image/webp", media.DefaultLimits, media.Config{Width: 400, Height: 301}, nil},
		{"OK/ZeroLimitsAreDefault", jpg, "image/jpeg", media.Limits{}, media.Config{Width: 40, Height: 20}, nil},
		{"OK/AtTheLimits", jpg, "image/jpeg", media.Limits{MaxPixels: 800, MaxSide: 40}, media.Config{Width: 40, Height: 20}, nil},
		{"OK/HEICNotChecked", ftyp("heic"), "image/heic", media.DefaultLimits, media.Config{}, nil},
		{"OK/NotAnImage", []byte("%PDF-1.7"), "application/pdf", media.DefaultLimits, media.Config{}, nil},
		{"ErrPNGBombSide", pngBomb(100_000, 100_000), "image/png", media.DefaultLimits, media.Config{}, []string{"100000×100000", "20000 on a side"}},
		{"ErrPNGBombPixels", pngBomb(15_000, 15_000), "image/png", media.DefaultLimits, media.Config{}, []string{"225000000", "100000000"}},
		{"ErrPNGBombZeroLimits", pngBomb(100_000, 100_000), "image/png", media.Limits{}, media.Config{}, []string{"20000 on a side"}},
		{"ErrJPEGBomb", jpegBomb(t, 30_000, 30_000), "image/jpeg", media.DefaultLimits, media.Config{}, []string{"30000×30000", "20000 on a side"}},
		{"ErrWebPFrameBomb", webpFrameBomb(t, 16_383, 16_383), "image/webp", media.DefaultLimits, media.Config{}, []string{"16383×16383", "100000000"}},
		{"ErrWebPCanvasBomb", webpCanvas(t, 1<<24, 1<<24), "image/webp", media.DefaultLimits, media.Config{}, []string{"webp header does not decode"}},
		{"ErrWebPCanvasHidesFrame", webpCanvas(t, 10, 10), "image/webp", media.Limits{MaxPixels: 100, MaxSide: 10}, media.Config{}, []string{"webp header does not decode"}},
		{"ErrOverMaxSide", jpg, "image/jpeg", media.Limits{MaxSide: 39}, media.Config{}, []string{"40×20", "39 on a side"}},
		{"ErrOverMaxPixels", jpg, "image/jpeg", media.Limits{MaxPixels: 799}, media.Config{}, []string{"800 pixels", "799"}},
		{"ErrTruncatedJPEG", jpg[:sof+4], "image/jpeg", media.DefaultLimits, media.Config{}, []string{"image/jpeg header does not decode"}},
		{"ErrTruncatedPNG", MustPNG(t, markerImage(40, 20))[:20], "image/png", media.DefaultLimits, media.Config{}, []string{"image/png header does not decode"}},
		{"ErrTruncatedWebP", MustReadFile(t, "lossy.webp")[:24], "image/webp", media.DefaultLimits, media.Config{}, []string{"image/webp header does not decode"}},
		{"ErrPNGAsJPEG", MustPNG(t, markerImage(40, 20)), "image/jpeg", media.DefaultLimits, media.Config{}, []string{"image/jpeg header does not decode"}},
		{"ErrEmpty", nil, "image/png", media.DefaultLimits, media.Config{}, []string{"does not decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := media.CheckImage(bytes.NewReader(tt.data), tt.contentType, tt.lim)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("CheckImage: %v", err)
			}
			if tt.wantErr != nil {
				if code := backend.ErrorCode(err); code != backend.EINVALID {
					t.Fatalf("code=%q (%v), want %q", code, err, backend.EINVALID)
				}
				for _, s := range tt.wantErr {
					if msg := backend.ErrorMessage(err); !strings.Contains(strings.ToLower(msg), strings.ToLower(s)) {
						t.Fatalf("message=%q, want it to contain %q", msg, s)
					}
				}
			}
			if got != tt.want {
				t.Fatalf("Config=%+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestBombsAllocateLittle shows that the header check and Derive refuse a
// decompression bomb before anything the size of its pixels is allocated.
func TestBombsAllocateLittle(t *testing.T) {
	const limit = 1 << 20
	bombs := []struct {
		name        string
		data        []byte
		contentType string
	}{
		{"PNGSide", pngBomb(100_000, 100_000), "image/png"},
		{"PNGPixels", pngBomb(15_000, 15_000), "image/png"},
		{"JPEG", jpegBomb(t, 30_000, 30_000), "image/jpeg"},
		{"WebPFrame", webpFrameBomb(t, 16_383, 16_383), "image/webp"},
		{"WebPCanvas", webpCanvas(t, 1<<24, 1<<24), "image/webp"},
	}
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			var errCheck, errDerive error
			check := allocated(func() {
				_, errCheck = media.CheckImage(bytes.NewReader(b.data), b.contentType, media.DefaultLimits)
			})
			derive := allocated(func() {
				_, errDerive = media.Derive(bytes.NewReader(b.data), b.contentType, media.ThumbnailSide, media.DefaultLimits)
			})
			t.Logf("allocated: CheckImage %d bytes, Derive %d bytes", check, derive)
			if check > limit || derive > limit {
				t.Fatalf("allocated CheckImage=%d Derive=%d bytes, want at most %d", check, derive, limit)
			}
			for _, err := range []error{errCheck, errDerive} {
				if code := backend.ErrorCode(err); code != backend.EINVALID {
					t.Fatalf("code=%q (%v), want %q", code, err, backend.EINVALID)
				}
			}
		})
	}
}

func BenchmarkCheckImage(b *testing.B) {
	img := markerImage(4000, 3000)
	for _, bb := range []struct {
		name, contentType string
		data              []byte
	}{
		{"JPEG", "image/jpeg", exifJPEG(b, img, binary.BigEndian, 6)},
		{"PNG", "image/png", MustPNG(b, img)},
		{"WebP", "image/webp", MustReadFile(b, "alpha.webp")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := media.CheckImage(bytes.NewReader(bb.data), bb.contentType, media.DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
