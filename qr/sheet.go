package qr

import (
	"bufio"
	"io"
	"iter"

	"github.com/fieldcheck/fieldcheck/backend"
)

// SheetEntry is one code of a print sheet with the name printed under it.
type SheetEntry struct {
	Name string // the enterprise's registered name
	Code *EnterpriseCode
}

// Print sheet layout: A4 portrait, 10 mm margins, 4 × 5 cells of
// 47.5 × 55.4 mm, a 38 mm code in each (about 0.6 mm per module for a
// version-10 code), cut lines between cells.
const sheetPerPage = 20

const sheetHead = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`

const sheetStyle = `</title>
<style>
@page { size: A4 portrait; margin: 10mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #000; }
h1 { font-size: 12pt; margin: 0 0 4mm; }
.page { display: grid; grid-template-columns: repeat(4, 1fr); grid-template-rows: repeat(5, 1fr); width: 190mm; height: 277mm; break-after: page; page-break-after: always; }
.page:last-of-type { break-after: auto; page-break-after: auto; }
.cell { display: flex; flex-direction: column; align-items: center; justify-content: center; padding: 2mm; outline: 0.2mm dashed #bbb; overflow: hidden; break-inside: avoid; }
.cell svg { display: block; width: 38mm; height: 38mm; }
.name { margin-top: 1.5mm; max-height: 2.6em; overflow: hidden; font-size: 9pt; line-height: 1.3; text-align: center; overflow-wrap: anywhere; }
.uscc { margin-top: 0.8mm; font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 8.5pt; letter-spacing: 0.03em; }
@media screen {
  body { background: #ddd; padding: 8mm 0; }
  h1 { width: 190mm; margin: 0 auto 4mm; }
  .page { background: #fff; margin: 0 auto 8mm; padding: 0; box-shadow: 0 0 2mm #999; }
}
@media print { h1 { display: none; } }
</style>
</head>
<body>
<h1>`

// WriteSheet writes a print-ready HTML page (A4, CSS @page) of enterprise
// codes, 20 a page, each with the enterprise's name and USCC under it. The
// codes are inline SVG, so they print sharp at any printer resolution. All
// text is escaped. Entries are read as they are written: a sheet for a
// whole region never sits in memory. On an error from entries the page
// written so far is incomplete and the error is returned.
func WriteSheet(w io.Writer, title string, entries iter.Seq2[SheetEntry, error]) error {
	const op = "qr.WriteSheet"
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	b = append(b, sheetHead...)
	b = appendEscaped(b, title)
	b = append(b, sheetStyle...)
	b = appendEscaped(b, title)
	b = append(b, "</h1>\n"...)
	if _, err := bw.Write(b); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	i := 0
	for e, err := range entries {
		if err != nil {
			return &backend.Error{Op: op, Err: err}
		}
		if e.Code == nil {
			return &backend.Error{Code: backend.EINVALID, Op: op, Message: "a sheet entry has no code"}
		}
		s, err := e.Code.symbolWith(op, encodeBatch)
		if err != nil {
			return err
		}
		b = b[:0]
		if i%sheetPerPage == 0 {
			if i > 0 {
				b = append(b, "</div>\n"...)
			}
			b = append(b, "<div class=\"page\">\n"...)
		}
		b = append(b, `<div class="cell">`...)
		b = s.appendSVG(b, 0, e.Code.USCC)
		b = append(b, `<div class="name">`...)
		b = appendEscaped(b, e.Name)
		b = append(b, `</div><div class="uscc">`...)
		b = appendEscaped(b, e.Code.USCC)
		b = append(b, "</div></div>\n"...)
		if _, err := bw.Write(b); err != nil {
			return &backend.Error{Op: op, Err: err}
		}
		i++
	}
	b = b[:0]
	if i > 0 {
		b = append(b, "</div>\n"...)
	}
	b = append(b, "</body>\n</html>\n"...)
	if _, err := bw.Write(b); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	if err := bw.Flush(); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

// appendEscaped appends s with the five HTML-significant characters
// escaped, for text and for quoted attribute values alike.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&#34;"...)
		case '\'':
			b = append(b, "&#39;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}
