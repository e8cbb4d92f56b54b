package media_test

import (
	"bytes"
	"image/jpeg"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// FuzzSniff checks that Sniff only answers types some evidence allows and
// looks at no more than SniffLen bytes. The seed corpus is in
// testdata/fuzz/FuzzSniff.
func FuzzSniff(f *testing.F) {
	var known []string
	for _, e := range evidenceTypes {
		known = append(known, media.AllowedTypes(e)...)
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got := media.Sniff(head)
		if got != "" && !slices.Contains(known, got) {
			t.Fatalf("Sniff=%q, which no evidence allows", got)
		}
		if short := media.Sniff(head[:min(len(head), media.SniffLen)]); short != got {
			t.Fatalf("Sniff of the first %d bytes=%q, of all=%q", media.SniffLen, short, got)
		}
	})
}

// FuzzOrientation checks that Orientation never panics and always answers
// an orientation. The seed corpus is in testdata/fuzz/FuzzOrientation.
func FuzzOrientation(f *testing.F) {
	f.Fuzz(func(t *testing.T, head []byte) {
		if o := media.Orientation(head); o < 1 || o > 8 {
			t.Fatalf("Orientation=%d, want 1 to 8", o)
		}
	})
}

// FuzzCheckImage reads arbitrary bytes as each image type, and derives the
// images whose header passes small limits: every refusal must be EINVALID,
// and every derivative a JPEG that fits. The seed corpus is in
// testdata/fuzz/FuzzCheckImage.
func FuzzCheckImage(f *testing.F) {
	lim := media.Limits{MaxPixels: 1 << 16, MaxSide: 1 << 10}
	const side = 16
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ct := range []string{"image/jpeg", "image/png", "image/webp"} {
			cfg, err := media.CheckImage(bytes.NewReader(data), ct, lim)
			if err != nil {
				if code := backend.ErrorCode(err); code != backend.EINVALID {
					t.Fatalf("CheckImage as %s: code=%q (%v), want %q", ct, code, err, backend.EINVALID)
				}
				continue
			}
			if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > lim.MaxSide || cfg.Height > lim.MaxSide || int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
				t.Fatalf("CheckImage as %s passed %+v, over %+v", ct, cfg, lim)
			}
			out, err := media.Derive(bytes.NewReader(data), ct, side, lim)
			if err != nil {
				if code := backend.ErrorCode(err); code != backend.EINVALID {
					t.Fatalf("Derive as %s: code=%q (%v), want %q", ct, code, err, backend.EINVALID)
				}
				continue
			}
			c, err := jpeg.DecodeConfig(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("Derive as %s: the derivative does not decode: %v", ct, err)
			}
			if c.Width > side || c.Height > side {
				t.Fatalf("Derive as %s: %d×%d, want at most %d on a side", ct, c.Width, c.Height, side)
			}
		}
	})
}
