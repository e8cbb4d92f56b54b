package record

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// fontTTF is WenQuanYi Micro Hei, the first face of Debian's
// fonts-wqy-microhei collection taken out as a TrueType file (glyf
// outlines, which fpdf embeds as a subset). Its licence is font/LICENSE.
//
//go:embed font/wqy-microhei.ttf
var fontTTF []byte

var (
	coverOnce sync.Once
	coverBMP  []uint64 // bit r set: the font has a glyph for rune r (Basic Multilingual Plane)
)

// covered reports whether the font has a glyph for r. fpdf refuses a
// document with a character beyond the font's range, and a missing glyph
// would print nothing: such a character is written as replacement. The
// font has nothing beyond the BMP that a record needs.
func covered(r rune) bool {
	coverOnce.Do(func() {
		f, err := sfnt.Parse(fontTTF)
		if err != nil {
			panic("record: the embedded font does not parse: " + err.Error())
		}
		coverBMP = make([]uint64, 0x10000/64)
		var buf sfnt.Buffer
		for c := rune(0); c < 0x10000; c++ {
			if g, err := f.GlyphIndex(&buf, c); err == nil && g != 0 {
				coverBMP[c/64] |= 1 << (c % 64)
			}
		}
	})
	return r >= 0 && r < 0x10000 && coverBMP[r/64]&(1<<(r%64)) != 0
}

// sanitize makes text printable with the font: line breaks stay, other
// control characters become spaces, characters the font lacks become
// replacement.
func sanitize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		case !covered(r):
			return replacement
		}
		return r
	}, s)
}

// wrap breaks s into lines of at most w millimetres in the current font:
// at spaces, and between Chinese characters except before closing
// punctuation or after opening punctuation; a run without any break (a
// hash, an address) is cut where it fills the line. fpdf's own MultiCell
// and SplitText drop the Chinese character at each break, so they are not
// used.
func (d *doc) wrap(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(sanitize(s), "\n") {
		rs := []rune(para)
		start, width, lastBreak := 0, 0.0, -1
		for i := 0; i < len(rs); i++ {
			if i > start && breakBefore(rs[i-1], rs[i]) {
				lastBreak = i
			}
			cw := d.pdf.GetStringWidth(string(rs[i]))
			if width+cw <= w || i == start {
				width += cw
				continue
			}
			cut := i
			if lastBreak > start {
				cut = lastBreak
			}
			out = append(out, strings.TrimRight(string(rs[start:cut]), " "))
			for start = cut; start < len(rs) && rs[start] == ' '; start++ {
			}
			i, width, lastBreak = start-1, 0, -1
		}
		out = append(out, string(rs[start:]))
	}
	return out
}

const (
	closing = "，。、；：？！）》」』】〕〉”’,.;:?!)]}%"
	opening = "（《「『【〔〈“‘([{"
)

// breakBefore reports whether a line may begin with cur after prev.
func breakBefore(prev, cur rune) bool {
	switch {
	case strings.ContainsRune(closing, cur), strings.ContainsRune(opening, prev):
		return false
	case prev == ' ':
		return true
	}
	return wide(prev) || wide(cur)
}

// wide reports whether r is a CJK character or punctuation, between which
// Chinese text breaks.
func wide(r rune) bool {
	return r >= 0x2E80 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF || r >= 0xFF00 && r <= 0xFFEF
}
