// Package recordtest reads inspection record PDFs back as a person's
// tools do, for tests: the text with poppler's pdftotext, the QR codes
// with poppler's pdftoppm (the pages as PNG) and zbarimg. A missing tool
// fails the test: the records must be proven readable. FIELDCHECK_SKIP_PDF=1
// skips instead, on a machine that cannot install poppler-utils and
// zbar-tools.
package recordtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_PDF") == "1" {
			tb.Skipf("%s not installed and FIELDCHECK_SKIP_PDF=1", name)
		}
		tb.Fatalf("%s not found (apt-get install %s, or set FIELDCHECK_SKIP_PDF=1 to skip): %v", name, pkg, err)
	}
	return path
}

func run(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v (stderr: %s)", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func write(tb testing.TB, pdf []byte) string {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "record.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	return file
}

// MustText returns the text of a PDF as pdftotext extracts it (pages
// separated by form feeds).
func MustText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	return string(run(tb, tool(tb, "pdftotext", "poppler-utils"), "-enc", "UTF-8", write(tb, pdf), "-"))
}

// MustPages returns the number of pages pdfinfo counts.
func MustPages(tb testing.TB, pdf []byte) int {
	tb.Helper()
	out := run(tb, tool(tb, "pdfinfo", "poppler-utils"), write(tb, pdf))
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				tb.Fatalf("pdfinfo: pages %q", v)
			}
			return n
		}
	}
	tb.Fatalf("pdfinfo printed no page count: %s", out)
	return 0
}

// MustQRCodes renders every page of a PDF at 150 dpi and returns what
// zbarimg reads from the QR codes on them, in page order.
func MustQRCodes(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	zbar := tool(tb, "zbarimg", "zbar-tools")
	dir := tb.TempDir()
	run(tb, tool(tb, "pdftoppm", "poppler-utils"), "-r", "150", "-png", write(tb, pdf), filepath.Join(dir, "page"))
	pages, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	if err != nil || len(pages) == 0 {
		tb.Fatalf("pdftoppm made no pages (%v)", err)
	}
	var codes []string
	for _, p := range pages {
		cmd := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", p)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
			continue // no symbol on this page
		} else if err != nil {
			tb.Fatalf("zbarimg %s: %v", filepath.Base(p), err)
		}
		for l := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
			codes = append(codes, l)
		}
	}
	return codes
}

// MustPagePNGs renders the PDF's pages as PNG files into dir at the given
// resolution (to look at them) and returns their paths.
func MustPagePNGs(tb testing.TB, pdf []byte, dir string, dpi int) []string {
	tb.Helper()
	run(tb, tool(tb, "pdftoppm", "poppler-utils"), "-r", strconv.Itoa(dpi), "-png", write(tb, pdf), filepath.Join(dir, "record"))
	pages, _ := filepath.Glob(filepath.Join(dir, "record*.png"))
	return pages
}
