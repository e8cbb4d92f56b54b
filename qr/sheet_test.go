package qr_test

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

func entries(es []qr.SheetEntry) iter.Seq2[qr.SheetEntry, error] {
	return func(yield func(qr.SheetEntry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestWriteSheet(t *testing.T) {
	e := newEnv(t)
	const n = 45 // three pages: 20, 20, 5
	var es []qr.SheetEntry
	for i := range n {
		es = append(es, qr.SheetEntry{Name: fmt.Sprintf("福州市第%d食品有限公司", i), Code: MustSignEnterprise(t, e.Ring, uscc(t, i))})
	}
	es[3].Name = `<script>alert("x")</script> & 'Co'`
	var b strings.Builder
	if err := qr.WriteSheet(&b, `鼓楼区 <b>2026</b>`, entries(es)); err != nil {
		t.Fatalf("WriteSheet: %v", err)
	}
	html := b.String()

	for _, want := range []string{
		"<!DOCTYPE html>",
		"@page { size: A4",
		`<title>鼓楼区 &lt;b&gt;2026&lt;/b&gt;</title>`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;Co&#39;`,
		"福州市第44食品有限公司",
	} {
		if !strings.Contains(html, want) {
			t.Fatalf("sheet lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<b>2026"} {
		if strings.Contains(html, bad) {
			t.Fatalf("sheet contains unescaped %q", bad)
		}
	}
	for i, x := range es {
		if got := strings.Count(html, `<div class="uscc">`+x.Code.USCC+`</div>`); got != 1 {
			t.Fatalf("entry %d: USCC %s printed %d times, want once", i, x.Code.USCC, got)
		}
	}
	if got := strings.Count(html, "<svg "); got != n {
		t.Fatalf("codes=%d, want %d", got, n)
	}
	if got := strings.Count(html, `<div class="page">`); got != 3 {
		t.Fatalf("pages=%d, want 3", got)
	}
	if got, want := strings.Count(html, "<div"), strings.Count(html, "</div>"); got != want {
		t.Fatalf("%d <div> and %d </div>", got, want)
	}
}

func TestWriteSheetErrors(t *testing.T) {
	boom := errors.New("scan failed")
	var b strings.Builder
	err := qr.WriteSheet(&b, "x", func(yield func(qr.SheetEntry, error) bool) { yield(qr.SheetEntry{}, boom) })
	if !errors.Is(err, boom) {
		t.Fatalf("err=%v, want %v", err, boom)
	}
	err = qr.WriteSheet(&b, "x", entries([]qr.SheetEntry{{Name: "no code"}}))
	if backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("entry without a code: err=%v, want %q", err, backend.EINVALID)
	}
}
