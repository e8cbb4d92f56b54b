package qr_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Every PNG, at every size, decodes with a standard scanner to exactly the
// code's text.
func TestPNGDecodesWithZbar(t *testing.T) {
	zbar := zbarimg(t)
	e := newEnv(t)
	dir := t.TempDir()
	ent := MustSignEnterprise(t, e.Ring, "91350100M000100Y43")
	insp := MustSignInspection(t, e.Ring, task, 10*time.Minute)
	longTask := strings.Repeat("t", qr.MaxTaskIDLen)
	longest := MustSignInspection(t, e.Ring, longTask, 10*time.Minute)
	tests := []struct {
		name  string
		text  string
		write func(f *os.File, size int) error
	}{
		{"Enterprise", ent.String(), func(f *os.File, size int) error { return ent.WritePNG(f, size) }},
		{"Inspection", insp.URL(), func(f *os.File, size int) error { return insp.WritePNG(f, size) }},
		{"InspectionLongestTask", longest.URL(), func(f *os.File, size int) error { return longest.WritePNG(f, size) }},
	}
	for _, tt := range tests {
		for _, size := range []int{qr.MinSize, 200, qr.DefaultSize, 333, 512, qr.MaxSize} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, size), func(t *testing.T) {
				file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", tt.name, size))
				f, err := os.Create(file)
				if err != nil {
					t.Fatal(err)
				}
				if err := tt.write(f, size); err != nil {
					t.Fatalf("WritePNG: %v", err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				img := mustReadPNG(t, file)
				if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
					t.Fatalf("image %v, want %d×%d", b, size, size)
				}
				if got := MustDecode(t, zbar, file); got != tt.text {
					t.Fatalf("zbarimg read %q, want %q", got, tt.text)
				}
			})
		}
	}
}

// The PNG is pixel-exact: every module is the same whole number of pixels
// and the image holds only black and white.
func TestPNGCrisp(t *testing.T) {
	e := newEnv(t)
	c := MustSignEnterprise(t, e.Ring, uscc(t, 1))
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, 300); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	modules := mustSVGModules(t, c.WriteSVG)
	n := len(modules)
	scale := 300 / n
	off := (300 - scale*n) / 2
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			want := color.Gray{Y: 255}
			mx, my := (x-off)/scale, (y-off)/scale
			if x >= off && y >= off && mx < n && my < n && modules[my][mx] {
				want = color.Gray{Y: 0}
			}
			if got := color.GrayModel.Convert(img.At(x, y)); got != want {
				t.Fatalf("pixel (%d,%d)=%v, want %v (module %d,%d of %d, %d px each)", x, y, got, want, mx, my, n, scale)
			}
		}
	}
}

func TestRenderSizeRange(t *testing.T) {
	e := newEnv(t)
	c := MustSignEnterprise(t, e.Ring, uscc(t, 1))
	for _, size := range []int{-1, 0, qr.MinSize - 1, qr.MaxSize + 1, 1 << 20} {
		err := c.WritePNG(&bytes.Buffer{}, size)
		if got := backend.ErrorCode(err); got != backend.EINVALID {
			t.Fatalf("WritePNG(size %d): code=%q (err=%v), want %q", size, got, err, backend.EINVALID)
		}
	}
	if err := c.WriteSVG(&bytes.Buffer{}, qr.MaxSize+1); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("WriteSVG(size %d): err=%v, want %q", qr.MaxSize+1, err, backend.EINVALID)
	}
	pathOnly, err := qr.ParseEnterpriseCode(strings.TrimPrefix(c.String(), base))
	if err != nil {
		t.Fatal(err)
	}
	if err := pathOnly.WritePNG(&bytes.Buffer{}, qr.DefaultSize); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("WritePNG of a code without base: err=%v, want %q", err, backend.EINVALID)
	}
}

// The SVG is well-formed, has a quiet zone, and, drawn module by module into
// a PNG (its path grammar is ours, so no SVG renderer is needed), decodes
// with zbarimg to the code's text.
func TestSVG(t *testing.T) {
	e := newEnv(t)
	c := MustSignEnterprise(t, e.Ring, "91350100M000100Y43")
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf, 256); err != nil {
		t.Fatalf("WriteSVG: %v", err)
	}
	svg := buf.String()
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Width   string   `xml:"width,attr"`
		Shape   string   `xml:"shape-rendering,attr"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, svg)
	}
	if doc.Width != "256" || doc.Shape != "crispEdges" || !strings.HasPrefix(doc.ViewBox, "0 0 ") {
		t.Fatalf("svg attributes %+v, want width 256, crispEdges and a module viewBox", doc)
	}
	modules := mustSVGModules(t, c.WriteSVG)
	n := len(modules)
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) {
		t.Fatalf("viewBox=%q, want %d modules", doc.ViewBox, n)
	}
	for i := 0; i < n; i++ {
		for q := range 4 { // quiet zone: 4 light modules on every side
			if modules[q][i] || modules[n-1-q][i] || modules[i][q] || modules[i][n-1-q] {
				t.Fatalf("dark module in the quiet zone (row/column %d)", q)
			}
		}
	}
	var unsized bytes.Buffer
	if err := c.WriteSVG(&unsized, 0); err != nil {
		t.Fatalf("WriteSVG(0): %v", err)
	}
	if strings.Contains(unsized.String(), "width=") && !strings.Contains(unsized.String(), "<rect width=") {
		t.Fatalf("unsized SVG has a width: %s", unsized.String()[:120])
	}

	zbar := zbarimg(t)
	scale := 6
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range img.Pix {
		img.Pix[y] = 255
	}
	for my, row := range modules {
		for mx, dark := range row {
			if dark {
				for y := my * scale; y < (my+1)*scale; y++ {
					for x := mx * scale; x < (mx+1)*scale; x++ {
						img.SetGray(x, y, color.Gray{})
					}
				}
			}
		}
	}
	file := filepath.Join(t.TempDir(), "svg.png")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := MustDecode(t, zbar, file); got != c.String() {
		t.Fatalf("zbarimg read the SVG as %q, want %q", got, c.String())
	}
}

var svgRun = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1H(\d+)z`)

// mustSVGModules renders a code as SVG and reads its modules back from the
// path.
func mustSVGModules(tb testing.TB, writeSVG func(w io.Writer, size int) error) [][]bool {
	tb.Helper()
	var buf bytes.Buffer
	if err := writeSVG(&buf, 0); err != nil {
		tb.Fatalf("WriteSVG: %v", err)
	}
	svg := buf.String()
	_, after, ok := strings.Cut(svg, `viewBox="0 0 `)
	if !ok {
		tb.Fatalf("no viewBox in %s", svg)
	}
	n, err := strconv.Atoi(after[:strings.IndexByte(after, ' ')])
	if err != nil {
		tb.Fatalf("viewBox: %v", err)
	}
	modules := make([][]bool, n)
	for i := range modules {
		modules[i] = make([]bool, n)
	}
	_, d, _ := strings.Cut(svg, ` d="`)
	d, _, _ = strings.Cut(d, `"`)
	for d != "" {
		m := svgRun.FindStringSubmatch(d)
		if m == nil {
			tb.Fatalf("unexpected path data at %q", d[:min(len(d), 30)])
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if back, _ := strconv.Atoi(m[4]); back != x || y >= n || x+w > n || w < 1 {
			tb.Fatalf("bad run %q in a %d-module symbol", m[0], n)
		}
		for i := x; i < x+w; i++ {
			modules[y][i] = true
		}
		d = d[len(m[0]):]
	}
	return modules
}

func mustReadPNG(tb testing.TB, file string) image.Image {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("png.Decode(%s): %v", filepath.Base(file), err)
	}
	return img
}
