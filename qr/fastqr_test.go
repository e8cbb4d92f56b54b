package qr

// Differential tests of encodeFast (fastqr.go) against go-qrcode, the
// reference: every bitmap must be identical, module for module, and every
// refusal must match.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/skip2/go-qrcode/bitset"
	"github.com/skip2/go-qrcode/reedsolomon"
)

var qrLevels = []qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest}

var qrLevelNames = map[qrcode.RecoveryLevel]string{qrcode.Low: "L", qrcode.Medium: "M", qrcode.High: "Q", qrcode.Highest: "H"}

// checkSameAsGoQRCode fails unless encodeFast and go-qrcode agree on
// content at level: the same error condition, or the same bitmap.
func checkSameAsGoQRCode(tb testing.TB, content string, level qrcode.RecoveryLevel) {
	tb.Helper()
	got, err := encodeFast(content, level)
	q, wantErr := qrcode.New(content, level)
	if (err != nil) != (wantErr != nil) {
		tb.Fatalf("%s level %v (%d bytes): encodeFast error %v, go-qrcode error %v", quoteShort(content), level, len(content), err, wantErr)
	}
	if wantErr != nil {
		return
	}
	want := q.Bitmap()
	if diff := describeBitmapDiff(got, want); diff != "" {
		tb.Fatalf("%s level %s (%d bytes): go-qrcode version %d: %s", quoteShort(content), qrLevelNames[level], len(content), q.VersionNumber, diff)
	}
}

// describeBitmapDiff returns "" if got and want are equal, else what
// differs: size, version, the masks read from the format information, and
// the first differing modules.
func describeBitmapDiff(got, want [][]bool) string {
	if len(got) != len(want) {
		return fmt.Sprintf("size %d, want %d (version %d, want %d)", len(got), len(want), bitmapVersion(got), bitmapVersion(want))
	}
	var diffs []string
	count := 0
	for y := range want {
		if len(got[y]) != len(want[y]) {
			return fmt.Sprintf("row %d has %d modules, want %d", y, len(got[y]), len(want[y]))
		}
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				count++
				if len(diffs) < 5 {
					diffs = append(diffs, fmt.Sprintf("(%d,%d) %s", x-quietZone, y-quietZone, moduleKind(len(want), x-quietZone, y-quietZone)))
				}
			}
		}
	}
	if count == 0 {
		return ""
	}
	gotLevel, gotMask := bitmapFormat(got)
	wantLevel, wantMask := bitmapFormat(want)
	return fmt.Sprintf("version %d: %d modules differ, first %s; format: level bits %02b mask %d, want level bits %02b mask %d",
		bitmapVersion(want), count, strings.Join(diffs, ", "), gotLevel, gotMask, wantLevel, wantMask)
}

func bitmapVersion(b [][]bool) int { return (len(b) - 2*quietZone - 17) / 4 }

// bitmapFormat reads the level bits and mask from the first copy of the
// format information, or -1, -1.
func bitmapFormat(b [][]bool) (levelBits, mask int) {
	v := bitmapVersion(b)
	if v < 1 || v > 40 {
		return -1, -1
	}
	t := qrTemplates[v]()
	var f uint16
	for i, p := range t.format[:15] {
		if b[quietZone+int(p>>8)][quietZone+int(p&0xff)] {
			f |= 1 << i
		}
	}
	for id, want := range qrFormatInfo {
		if want == f {
			return id >> 3, id & 7
		}
	}
	return -1, -1
}

// moduleKind says whether module (x, y) of a bitmap of the given size
// (quiet zone included) is a function module or a data module.
func moduleKind(size, x, y int) string {
	v := (size - 2*quietZone - 17) / 4
	if v < 1 || v > 40 || x < 0 || y < 0 || x >= 17+4*v || y >= 17+4*v {
		return "quiet zone"
	}
	t := qrTemplates[v]()
	for i, p := range t.order {
		if int(p&0xff) == x && int(p>>8) == y {
			return fmt.Sprintf("data bit %d", i)
		}
	}
	return "function module"
}

func quoteShort(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q…", s[:80])
	}
	return fmt.Sprintf("%q", s)
}

// Character classes for generated content.
const (
	qrDigitChars  = "0123456789"
	qrAlnumChars  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	qrAlphaChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	qrOtherChars  = "abcdefghijklmnopqrstuvwxyz?&=_~#@!,;'\"()[]{}<>\\|^`"
	qrBase64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

var qrChinese = []string{"检", "查", "码", "企", "业", "统", "一", "社", "会", "信", "用", "代", "福", "州", "市", "场", "监", "管", "局", "\u00e9", "\U0001F600"}

func randomFrom(r *rand.Rand, class string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = class[r.IntN(len(class))]
	}
	return string(b)
}

// randomRun returns n characters of a random class.
func randomRun(r *rand.Rand, n int) string {
	switch r.IntN(7) {
	case 0, 1:
		return randomFrom(r, qrDigitChars, n)
	case 2:
		return randomFrom(r, qrAlphaChars, n)
	case 3:
		return randomFrom(r, qrAlnumChars, n)
	case 4:
		return randomFrom(r, qrOtherChars, n)
	case 5:
		var b strings.Builder
		for range n {
			b.WriteString(qrChinese[r.IntN(len(qrChinese))])
		}
		return b.String()
	default:
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
}

// randomContent returns content of mixed runs, mostly short.
func randomContent(r *rand.Rand) string {
	var b strings.Builder
	runs := 1 + r.IntN(8)
	for range runs {
		n := 1 + r.IntN(12)
		switch r.IntN(10) {
		case 0:
			n = 1 + r.IntN(300)
		case 1, 2:
			n = 1 + r.IntN(60)
		}
		b.WriteString(randomRun(r, n))
	}
	return b.String()
}

// randomUSCC returns a random string shaped like a unified social credit
// code.
func randomUSCC(r *rand.Rand) string {
	return "9135" + randomFrom(r, qrDigitChars, 4) + "MA" + randomFrom(r, "0123456789ABCDEFGHJKLMNPQRTUWXY", 8)
}

func enterpriseURL(r *rand.Rand) string {
	return "https://fc.example.gov.cn/e/" + randomUSCC(r) + "?k=" + randomFrom(r, qrBase64Chars, 8) + "&s=" + randomFrom(r, qrBase64Chars, 86)
}

func inspectionURL(r *rand.Rand) string {
	task := "2026-scjg-" + randomFrom(r, "0123456789abcdef", 10) + "-v1-d1-" + randomFrom(r, qrDigitChars, 5)
	token := make([]byte, 22+len(task)+64)
	for i := range token {
		token[i] = byte(r.IntN(256))
	}
	return "https://fc.example.gov.cn/v/" + base64.RawURLEncoding.EncodeToString(token)
}

func TestEncodeFastFixed(t *testing.T) {
	long := strings.Repeat("0123456789", 800) // beyond any version
	cases := []string{
		"", "0", "7", "00", "000", "0000", "A", "a", " ", "\x00", "\xff", "-",
		"HELLO WORLD", "hello world", "Hello, World!", "123ZZ#!#!", "ZZ123", "a1", "1a",
		"01234567", "0123456789012345", "AC-42", "$%*+-./:",
		"https://example.org", "HTTPS://EXAMPLE.ORG/ABC", "检查码", "企业统一社会信用代码：91350402MA31XXXX5Y",
		"https://fc.example.gov.cn/e/91350402MA31XXXX5Y?k=c1abcd&s=" + strings.Repeat("AbC-_9", 14) + "xy",
		"https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA",
		// go-qrcode: in versions 1–9 the single byte segment alternative
		// is measured even when longer than a byte count can say (255),
		// which fails the whole range: this fits version 6 but gets 10.
		strings.Repeat("1", 290) + "a",
		strings.Repeat("1", 255) + "a",
		strings.Repeat("1", 254) + "a",
		strings.Repeat("A", 300) + "a",
		strings.Repeat("1", 1100) + "A",
		strings.Repeat("1", 4100) + "A", // a numeric run too long for versions 10–26
		strings.Repeat("1", 7089), strings.Repeat("1", 7090),
		strings.Repeat("A", 4296), strings.Repeat("A", 4297),
		strings.Repeat("a", 2953), strings.Repeat("a", 2954),
		long,
		// Alternating modes, where merging decisions matter.
		strings.Repeat("1A", 50), strings.Repeat("12A", 40), strings.Repeat("123A", 30), strings.Repeat("1234a", 30),
		strings.Repeat("AB1", 40), strings.Repeat("ABCD1234", 20), strings.Repeat("a1234567", 20),
		strings.Repeat("x", 17), strings.Repeat("\x00", 40), strings.Repeat("\xff", 100),
	}
	for _, c := range cases {
		for _, l := range qrLevels {
			checkSameAsGoQRCode(t, c, l)
		}
	}
	// An unknown level: go-qrcode finds no version.
	for _, l := range []qrcode.RecoveryLevel{-1, 4, 100} {
		if _, err := encodeFast("abc", l); err == nil {
			t.Errorf("level %d: no error", l)
		}
		if _, err := qrcode.New("abc", l); err == nil {
			t.Errorf("level %d: go-qrcode: no error", l)
		}
	}
}

// TestEncodeFastVersionBoundaries encodes, for every version, level and
// mode, the longest content of that version and the shortest of the next
// (found with qrcode.New, which only chooses the version), with random
// characters of the mode.
func TestEncodeFastVersionBoundaries(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	classes := []struct {
		name, chars string
		max         int
	}{
		{"numeric", qrDigitChars, 7089},
		{"alphanumeric", qrAlphaChars, 4296},
		{"byte", qrOtherChars, 2953},
	}
	for _, c := range classes {
		for _, l := range qrLevels {
			versionOf := func(n int) int {
				q, err := qrcode.New(strings.Repeat(c.chars[:1], n), l)
				if err != nil {
					return 41
				}
				return q.VersionNumber
			}
			lo := 1
			for v := 1; v <= 40; v++ {
				// The longest content of version ≤ v.
				hi := c.max + 1
				for lo < hi {
					mid := (lo + hi + 1) / 2
					if versionOf(mid) <= v {
						lo = mid
					} else {
						hi = mid - 1
					}
				}
				if testing.Short() && v%4 != 1 && v != 10 && v != 40 {
					continue
				}
				for _, n := range []int{lo, lo + 1} {
					checkSameAsGoQRCode(t, randomFrom(r, c.chars, n), l)
				}
			}
		}
	}
}

func TestEncodeFastRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		var content string
		switch i % 6 {
		case 0:
			content = enterpriseURL(r)
		case 1:
			content = inspectionURL(r)
		case 2:
			content = randomRun(r, 1+r.IntN(200))
		default:
			content = randomContent(r)
		}
		checkSameAsGoQRCode(t, content, qrLevels[r.IntN(4)])
	}
}

// TestEncodeFastRealistic encodes enterprise codes at Q and inspection
// codes at M, as render.go does, and the same at every other level.
func TestEncodeFastRealistic(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	n := 200
	if testing.Short() {
		n = 20
	}
	for range n {
		checkSameAsGoQRCode(t, enterpriseURL(r), enterpriseLevel)
		checkSameAsGoQRCode(t, inspectionURL(r), inspectionLevel)
	}
	for range n / 10 {
		for _, l := range qrLevels {
			checkSameAsGoQRCode(t, enterpriseURL(r), l)
			checkSameAsGoQRCode(t, inspectionURL(r), l)
		}
	}
}

// TestEncodeFastConcurrent encodes from several goroutines at once, the
// version templates being built meanwhile; run with -race.
func TestEncodeFastConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type tc struct {
		content string
		level   qrcode.RecoveryLevel
		want    [][]bool
	}
	var cases []tc
	for i := range 40 {
		c := tc{content: randomFrom(r, qrOtherChars, 1+i*i), level: qrLevels[i%4]}
		if i%3 == 0 {
			c.content = enterpriseURL(r)
		}
		q, err := qrcode.New(c.content, c.level)
		if err != nil {
			continue
		}
		c.want = q.Bitmap()
		cases = append(cases, c)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(cases))
	for g := range 8 {
		wg.Go(func() {
			for i := range cases {
				c := cases[(i+g*5)%len(cases)]
				got, err := encodeFast(c.content, c.level)
				if err != nil {
					errs <- err.Error()
					continue
				}
				if d := describeBitmapDiff(got, c.want); d != "" {
					errs <- d
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestEncodeFastBitmapRows: the rows share one array, but appending to one
// cannot overwrite the next.
func TestEncodeFastBitmapRows(t *testing.T) {
	b, err := encodeFast("HELLO", qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	next := b[1][0]
	_ = append(b[0], true)
	if b[1][0] != next || cap(b[0]) != len(b[0]) {
		t.Fatal("rows overlap")
	}
}

// TestRSEncode compares rsEncode with go-qrcode's reedsolomon.Encode.
func TestRSEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, ec := range []int{7, 10, 13, 15, 16, 17, 18, 20, 22, 24, 26, 28, 30} {
		for range 50 {
			data := make([]byte, 1+r.IntN(123))
			for i := range data {
				if r.IntN(4) != 0 {
					data[i] = byte(r.IntN(256))
				}
			}
			got := make([]byte, ec)
			rsEncode(data, got)
			bs := bitset.New()
			bs.AppendBytes(data)
			want := reedsolomon.Encode(bs, ec)
			var wantEC []byte
			for i := len(data) * 8; i < want.Len(); i += 8 {
				wantEC = append(wantEC, want.ByteAt(i))
			}
			if !bytes.Equal(got, wantEC) {
				t.Fatalf("ec %d, data %x: got %x, want %x", ec, data, got, wantEC)
			}
		}
	}
}

// TestRSGenerators: every generator coefficient is non-zero, which
// rsGenerators relies on to store logs.
func TestRSGenerators(t *testing.T) {
	for d := 1; d <= maxECBytes; d++ {
		for j, lg := range rsGenerators[d] {
			if c := gfExp[lg]; c == 0 || gfLog[c] != lg {
				t.Fatalf("degree %d, coefficient %d: log %d", d, j, lg)
			}
		}
	}
	// The polynomial arithmetic the tables encode: product of (x + α^i).
	poly := []byte{1}
	for i := range maxECBytes {
		next := make([]byte, len(poly)+1)
		for j, c := range poly {
			next[j] ^= gfMul(c, gfExp[i])
			next[j+1] ^= c
		}
		poly = next
		d := i + 1
		for j := range d {
			if c := poly[d-1-j]; c == 0 || gfLog[c] != rsGenerators[d][j] {
				t.Fatalf("degree %d, coefficient %d of x^%d: %d, table log %d", d, j, d-1-j, c, rsGenerators[d][j])
			}
		}
	}
}

// TestQRTemplates: every version's data modules hold its codewords and
// the remainder bits (0 to 7) of go-qrcode's table, at every level.
func TestQRTemplates(t *testing.T) {
	remainder := func(v int) int {
		switch {
		case v == 1:
			return 0
		case v <= 6:
			return 7
		case v <= 13:
			return 0
		case v <= 20:
			return 3
		case v <= 27:
			return 4
		case v <= 34:
			return 3
		default:
			return 0
		}
	}
	for v := 1; v <= 40; v++ {
		tpl := qrTemplates[v]()
		for _, l := range qrLevels {
			b := qrBlocksOf(v, l)
			codewords := b.dataBytes() + b.numBlocks()*b.ec
			if got, want := len(tpl.order), codewords*8+remainder(v); got != want {
				t.Errorf("version %d level %s: %d data modules, want %d", v, qrLevelNames[l], got, want)
			}
		}
	}
}

// goqrcodePenalty1Line and goqrcodePenalty3Line transcribe go-qrcode's
// penalty1 and penalty3 (symbol.go) for one row.
func goqrcodePenalty1Line(line []bool) int {
	penalty := 0
	lastValue := line[0]
	count := 1
	for _, v := range line[1:] {
		if v != lastValue {
			count = 1
			lastValue = v
		} else {
			count++
			if count == 6 {
				penalty += 3 + 1
			} else if count > 6 {
				penalty++
			}
		}
	}
	return penalty
}

func goqrcodePenalty3Line(line []bool) int {
	penalty := 0
	var bitBuffer int16
	for x, v := range line {
		bitBuffer <<= 1
		if v {
			bitBuffer |= 1
		}
		switch bitBuffer & 0x7ff {
		case 0x05d, 0x5d0:
			penalty += 40
			bitBuffer = 0xFF
		default:
			if x == len(line)-1 && (bitBuffer&0x7f) == 0x5d {
				penalty += 40
				bitBuffer = 0xFF
			}
		}
	}
	return penalty
}

// TestPenaltyLines compares the line penalties with go-qrcode's on random
// lines of every symbol width, built from pieces of finder-like patterns
// so that matches, matches right after a match (when go-qrcode's buffer
// still holds its reset value) and matches at the ends are frequent.
func TestPenaltyLines(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"1011101", "0000", "10111010000", "00001011101", "0111010000", "011101", "1", "0", "111111", "000000", "10"}
	for i := range 200000 {
		v := 1 + i%40
		n := 17 + 4*v
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		str := b.String()[:n]
		if r.IntN(2) == 0 { // end on a pattern
			str = b.String()[b.Len()-n:]
		}
		line := make([]bool, n)
		var l qrLine
		for x := range n {
			if str[x] == '1' {
				line[x] = true
				l.set(x)
			}
		}
		tpl := qrTemplates[v]()
		if got, want := penalty1Line(l, tpl.valid), goqrcodePenalty1Line(line); got != want {
			t.Fatalf("penalty 1 of %s: %d, want %d", str, got, want)
		}
		if got, want := penalty3Line(l, tpl), goqrcodePenalty3Line(line); got != want {
			t.Fatalf("penalty 3 of %s: %d, want %d", str, got, want)
		}
		if n <= 64 {
			if got, want := penalty1Word(l[0], tpl.valid[0]), goqrcodePenalty1Line(line); got != want {
				t.Fatalf("penalty 1 (one word) of %s: %d, want %d", str, got, want)
			}
			if got, want := penalty3Word(l[0], tpl), goqrcodePenalty3Line(line); got != want {
				t.Fatalf("penalty 3 (one word) of %s: %d, want %d", str, got, want)
			}
		}
	}
}

// FuzzEncodeFast compares encodeFast with go-qrcode. Seeds:
// testdata/fuzz/FuzzEncodeFast and below. level is taken modulo 4.
func FuzzEncodeFast(f *testing.F) {
	f.Add("https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA", byte(qrcode.High))
	f.Add("0123456789ABCDEF", byte(qrcode.Low))
	f.Add("检查码 12345 ABC", byte(qrcode.Highest))
	f.Fuzz(func(t *testing.T, content string, level byte) {
		if len(content) > 3000 {
			return // beyond any version; slow for go-qrcode
		}
		checkSameAsGoQRCode(t, content, qrcode.RecoveryLevel(level%4))
	})
}

// The benchmarks encode a typical enterprise code (version 10 at Q).
const benchContent = "https://fc.example.gov.cn/e/91350402MA31XXXX5Y?k=c1abcd&s=" +
	"l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA"

func BenchmarkEncodeFast(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeFast(benchContent, enterpriseLevel); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGoQRCode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		q, err := qrcode.New(benchContent, enterpriseLevel)
		if err != nil {
			b.Fatal(err)
		}
		q.Bitmap()
	}
}
