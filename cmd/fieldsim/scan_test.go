package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// svgOf draws a bitmap as the server's SVG does.
func svgOf(bitmap [][]bool) []byte {
	n := strconv.Itoa(len(bitmap))
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges"><rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			end := x
			for end < len(row) && row[end] {
				end++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1H%dz", x, y, end-x, x)
			x = end
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}

// TestScanSVG decodes what go-qrcode (the server's encoder) makes, at every
// level, for texts that need every version from 1 to 40 and each of its
// segment modes.
func TestScanSVG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	mixed := alpha + "abcdefghijklmnopqrstuvwxyz?&=_~"
	texts := []string{"a", "https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=" + strings.Repeat("Ab9_-", 17) + "x", "12345678901234567890", "HTTP://EXAMPLE.ORG/ABC"}
	for n := 1; n < 2900; n = n*11/10 + 1 {
		for _, set := range []string{"0123456789", alpha, mixed} {
			b := make([]byte, n)
			for i := range b {
				b[i] = set[rng.IntN(len(set))]
			}
			texts = append(texts, string(b))
		}
	}
	versions := map[int]bool{}
	for _, text := range texts {
		for _, level := range []qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest} {
			q, err := qrcode.New(text, level)
			if err != nil {
				continue // too long for this level
			}
			versions[q.VersionNumber] = true
			got, err := scanSVG(svgOf(q.Bitmap()))
			if err != nil || got != text {
				t.Fatalf("version %d level %d, %d bytes: got %q (%v), want %q", q.VersionNumber, level, len(text), got, err, text)
			}
		}
	}
	if len(versions) != 40 {
		t.Fatalf("covered %d versions, want 40", len(versions))
	}
}

func TestScanSVGRefusesNoise(t *testing.T) {
	for _, svg := range []string{
		``,
		`<svg viewBox="0 0 33 33"><path d="M0 0h1v1H0z"/></svg>`,
		`<svg viewBox="0 0 33 33"><path d="M0 0h99v1H0z"/></svg>`,
		`<svg viewBox="0 0 33 33"><path d="garbage"/></svg>`,
	} {
		if got, err := scanSVG([]byte(svg)); err == nil {
			t.Fatalf("%q scanned as %q", svg, got)
		}
	}
}
