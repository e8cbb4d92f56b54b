package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// The line breaking is tested inside the package: it is the part of the
// layout that fpdf gets wrong for Chinese (MultiCell and SplitText drop
// the character at each break).

func newWrapDoc(tb testing.TB) *doc {
	tb.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.AddUTF8FontFromBytes(fontFamily, "", fontTTF)
	p.SetFont(fontFamily, "", bodySize)
	if err := p.Error(); err != nil {
		tb.Fatal(err)
	}
	return &doc{pdf: p, r: &Record{}}
}

// checkWrap: the lines hold every character of the text but the spaces
// at breaks, and each fits the width unless it is one character.
func checkWrap(t *testing.T, d *doc, s string, w float64) {
	t.Helper()
	lines := d.wrap(s, w)
	noSpace := strings.NewReplacer(" ", "", "\n", "")
	if got, want := noSpace.Replace(strings.Join(lines, "")), noSpace.Replace(sanitize(s)); got != want {
		t.Fatalf("wrap(%q, %v) lost text:\n got %q\nwant %q", s, w, got, want)
	}
	for _, l := range lines {
		if d.pdf.GetStringWidth(l) > w+1e-9 && len([]rune(l)) > 1 {
			t.Fatalf("wrap(%q, %v): line %q is %.2f mm wide", s, w, l, d.pdf.GetStringWidth(l))
		}
		if strings.ContainsAny(l, "\n\r\t") {
			t.Fatalf("wrap(%q, %v): line %q holds a control character", s, w, l)
		}
	}
}

func TestWrap(t *testing.T) {
	d := newWrapDoc(t)
	tests := []struct {
		name string
		text string
		w    float64
		want []string
	}{
		{"OK/Short", "未发现问题", 100, []string{"未发现问题"}},
		{"OK/ChineseBreaksBetweenCharacters", "发现问题已责令改正发现问题已责令改正", 30, nil},
		{"OK/NoLineStartsWithClosingPunctuation", "检查完毕，一切正常。检查完毕，一切正常。", 21, nil},
		{"OK/LatinBreaksAtSpaces", "licence photo of the kitchen", 30, []string{"licence photo of", "the kitchen"}},
		{"OK/UnbrokenRunIsCut", strings.Repeat("a", 120), 40, nil},
		{"OK/LineBreaksKept", "第一行\n第二行", 100, []string{"第一行", "第二行"}},
		{"OK/Empty", "", 100, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkWrap(t, d, tt.text, tt.w)
			lines := d.wrap(tt.text, tt.w)
			if tt.want != nil && strings.Join(lines, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("wrap(%q) = %q, want %q", tt.text, lines, tt.want)
			}
			for _, l := range lines[1:] {
				if r := []rune(l); len(r) > 0 && strings.ContainsRune(closing, r[0]) {
					t.Fatalf("a line starts with %q: %q", r[0], lines)
				}
			}
		})
	}
}

func FuzzWrap(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz-seeds/*.txt")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), 30.0)
	}
	d := newWrapDoc(f)
	f.Fuzz(func(t *testing.T, s string, w float64) {
		if !(w >= 5 && w <= 200) || len(s) > 4000 {
			t.Skip()
		}
		checkWrap(t, d, s, w)
	})
}
