package qr_test

import (
	"archive/zip"
	"context"
	"errors"
	"image/png"
	"io"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// signed yields the enterprise codes of n USCCs, signing each as it is
// asked for, as a batch route would from a store scan.
func signed(tb testing.TB, r *qr.Keyring, n int) iter.Seq2[*qr.EnterpriseCode, error] {
	return func(yield func(*qr.EnterpriseCode, error) bool) {
		for i := range n {
			c, err := r.SignEnterpriseCode(context.Background(), uscc(tb, i))
			if !yield(c, err) {
				return
			}
		}
	}
}

func TestWriteZIP(t *testing.T) {
	const n = 2000
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "codes.zip")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	modified := time.Date(2026, 3, 2, 17, 30, 4, 0, time.UTC)
	if err := qr.WriteZIP(f, signed(t, e.Ring, n), qr.ZIPOptions{Size: 256, Modified: modified}); err != nil {
		t.Fatalf("WriteZIP: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("zip.OpenReader: %v", err)
	}
	defer zr.Close()
	if len(zr.File) != n {
		t.Fatalf("entries=%d, want %d", len(zr.File), n)
	}
	for i, zf := range zr.File {
		if want := uscc(t, i) + ".png"; zf.Name != want {
			t.Fatalf("entry %d is %q, want %q", i, zf.Name, want)
		}
		if zf.Method != zip.Store || zf.Flags&0x8 != 0 {
			t.Fatalf("entry %s: method %d, flags %#x; want stored without a data descriptor", zf.Name, zf.Method, zf.Flags)
		}
		if !zf.Modified.Equal(modified) {
			t.Fatalf("entry %s modified %v, want %v", zf.Name, zf.Modified, modified)
		}
		if i%100 != 0 {
			continue
		}
		rc, err := zf.Open() // checks the CRC at EOF
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(rc)
		if _, err2 := io.Copy(io.Discard, rc); err == nil {
			err = err2
		}
		rc.Close()
		if err != nil {
			t.Fatalf("entry %s: %v", zf.Name, err)
		}
		if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
			t.Fatalf("entry %s is %v, want 256×256", zf.Name, b)
		}
	}

	// A sample decodes with a standard scanner to the right code.
	zbar := zbarimg(t)
	for _, i := range []int{0, 1, 999, n - 1} {
		zf := zr.File[i]
		out := filepath.Join(dir, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want := MustSignEnterprise(t, e.Ring, uscc(t, i)).String()
		if got := MustDecode(t, zbar, out); got != want {
			t.Fatalf("%s decodes to %q, want %q", zf.Name, got, want)
		}
	}
}

type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errors.New("disk full")
	}
	w.left -= len(p)
	return len(p), nil
}

func TestWriteZIPErrors(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("store scan failed")

	t.Run("ErrInput", func(t *testing.T) {
		codes := func(yield func(*qr.EnterpriseCode, error) bool) {
			for c, err := range signed(t, e.Ring, 50) {
				if !yield(c, err) {
					return
				}
			}
			yield(nil, boom)
		}
		if err := qr.WriteZIP(io.Discard, codes, qr.ZIPOptions{}); !errors.Is(err, boom) {
			t.Fatalf("err=%v, want %v", err, boom)
		}
	})

	// A failing writer stops the input early and nothing hangs.
	t.Run("ErrWrite", func(t *testing.T) {
		asked := 0
		codes := func(yield func(*qr.EnterpriseCode, error) bool) {
			for c, err := range signed(t, e.Ring, 5000) {
				asked++
				if !yield(c, err) {
					return
				}
			}
		}
		err := qr.WriteZIP(&failingWriter{left: 20000}, codes, qr.ZIPOptions{})
		if err == nil || backend.ErrorCode(err) != backend.EINTERNAL {
			t.Fatalf("err=%v, want the write error", err)
		}
		if asked > 100 {
			t.Fatalf("read %d codes after the writer failed, want the input stopped early", asked)
		}
	})

	t.Run("ErrNilCode", func(t *testing.T) {
		codes := func(yield func(*qr.EnterpriseCode, error) bool) { yield(nil, nil) }
		if err := qr.WriteZIP(io.Discard, codes, qr.ZIPOptions{}); backend.ErrorCode(err) != backend.EINVALID {
			t.Fatalf("err=%v, want %q", err, backend.EINVALID)
		}
	})

	t.Run("ErrSize", func(t *testing.T) {
		err := qr.WriteZIP(io.Discard, signed(t, e.Ring, 1), qr.ZIPOptions{Size: qr.MaxSize + 1})
		if backend.ErrorCode(err) != backend.EINVALID {
			t.Fatalf("err=%v, want %q", err, backend.EINVALID)
		}
	})

	t.Run("OK/Empty", func(t *testing.T) {
		codes := func(yield func(*qr.EnterpriseCode, error) bool) {}
		f := filepath.Join(t.TempDir(), "empty.zip")
		w, _ := os.Create(f)
		if err := qr.WriteZIP(w, codes, qr.ZIPOptions{}); err != nil {
			t.Fatalf("WriteZIP: %v", err)
		}
		w.Close()
		zr, err := zip.OpenReader(f)
		if err != nil {
			t.Fatalf("empty archive: %v", err)
		}
		zr.Close()
	})
}
