package record_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/record"
	"github.com/fieldcheck/fieldcheck/backend/record/recordtest"
)

const publicURL = "https://fc.example.gov.cn/e/91350403MA31234567?k=abcDEF12&s=c2lnbmF0dXJl"

// signaturePNG is a stroke on a transparent background, as a phone's
// signature pad writes it.
func signaturePNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 600, 200))
	for x := 50; x < 550; x++ {
		y := 100 + (x%100 - 50)
		for dy := -3; dy <= 3; dy++ {
			img.Set(x, y+dy, color.NRGBA{A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func sample(tb testing.TB) *record.Record {
	at := time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC) // 10:30 in Shanghai
	d := 12.0
	return &record.Record{
		TaskID: "p-2026-0001-v1-d1-t0007", Title: "2026年度食品经营双随机抽查", Kind: "不定向抽查",
		Departments: []string{"三元区市场监督管理局"}, Batch: "第一批", Due: "2026-12-31",
		Enterprise: record.Enterprise{Name: "三明市三元区闽绿食品有限公司", USCC: "91350403MA31234567", Address: "福建省三明市三元区城关街道列东街 88 号"},
		Items: []record.Item{
			{Code: "SCJG-03", Name: "食品经营者经营条件和经营行为的检查", LegalBasis: "《中华人民共和国食品安全法》第八十七条；《食品经营许可和备案管理办法》"},
			{Code: "SCJG-07", Name: "企业公示信息的检查", LegalBasis: "《企业信息公示暂行条例》第十四条"},
		},
		Team: []record.Officer{
			{Name: "林晓明", CertNo: "35040321001", Department: "三元区市场监督管理局"},
			{Name: "陈思远", CertNo: "35040321002", Department: "三元区市场监督管理局"},
		},
		CheckIns: []record.CheckIn{
			{Officer: "林晓明", CertNo: "35040321001", At: at, Position: backend.GeoPoint{Lat: 26.263451, Lng: 117.638219}, DistanceM: &d},
			{Officer: "陈思远", CertNo: "35040321002", At: at.Add(time.Minute), Position: backend.GeoPoint{Lat: 26.263455, Lng: 117.638229}, Flags: []string{"far"}},
		},
		Sections: []record.Section{
			{ItemName: "食品经营者经营条件和经营行为的检查", Questions: []record.Question{
				{Text: "是否持有有效的食品经营许可证并在经营场所显著位置悬挂？", Answer: "是"},
				{Text: "从业人员是否持有有效健康证明", Answer: "否", Note: "两名从业人员健康证明已过期，当场责令限期办理"},
				{Text: "进货查验记录", Answer: ""},
			}},
			{ItemName: "企业公示信息的检查", Questions: []record.Question{{Text: "年度报告是否按时公示", Answer: "是"}}},
		},
		Result: record.Result{
			Label: "发现问题已责令改正", Findings: "两名从业人员健康证明过期。", FollowUp: "责令改正，2026-12-15 前复查",
			EnteredBy: "林晓明", EnteredAt: at.Add(time.Hour), ApprovedBy: "王审核", ApprovedAt: at.Add(26 * time.Hour),
		},
		Evidence: []record.Evidence{
			{ID: "licence-photo", Type: "照片", Caption: "许可证", CapturedAt: at, Size: 123456, SHA256: strings.Repeat("ab", 32)},
			{ID: "signature", Type: "签名", CapturedAt: at.Add(50 * time.Minute), Size: 3000, SHA256: strings.Repeat("0f", 32)},
		},
		Signature:   signaturePNG(tb),
		PublicURL:   publicURL,
		GeneratedAt: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC),
	}
}

func mustWrite(tb testing.TB, r *record.Record) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := record.Write(&b, r); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return b.Bytes()
}

// flat is the extracted text without the line breaks and spaces the
// layout adds, so that a wrapped value reads as one.
func flat(s string) string {
	return strings.NewReplacer("\n", "", " ", "", "\f", "").Replace(s)
}

// TestWrite reads a record back with pdftotext and zbarimg: every part of
// it is there, in Chinese, and the QR code gives the public address.
func TestWrite(t *testing.T) {
	r := sample(t)
	pdf := mustWrite(t, r)
	if dir := os.Getenv("FIELDCHECK_SCREENSHOTS"); dir != "" {
		recordtest.MustPagePNGs(t, pdf, dir, 100)
	}
	text := flat(recordtest.MustText(t, pdf))
	for _, want := range []string{
		"检查记录", r.Enterprise.Name, r.Enterprise.USCC, "福建省三明市三元区城关街道列东街88号",
		"食品经营者经营条件和经营行为的检查", "《中华人民共和国食品安全法》第八十七条",
		"林晓明", "35040321001", "2026-11-2010:30:00", "26.263451,117.638219", "12米",
		"是否持有有效的食品经营许可证并在经营场所显著位置悬挂？", "两名从业人员健康证明已过期，当场责令限期办理", "（未作答）",
		"发现问题已责令改正", "责令改正，2026-12-15前复查", "王审核",
		strings.Repeat("ab", 32), strings.Repeat("0f", 32), "120.6KiB",
		"生成时间：2026-12-0620:00:00（北京时间）", "第1页/共", publicURL,
	} {
		if !strings.Contains(text, flat(want)) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	codes := recordtest.MustQRCodes(t, pdf)
	if len(codes) != 1 || codes[0] != publicURL {
		t.Fatalf("QR codes %q, want one with %q", codes, publicURL)
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Error("the signature image is not in the PDF")
	}
	if len(pdf) > 200<<10 {
		t.Errorf("the record has %d bytes: the font is not subset", len(pdf))
	}
}

// TestWriteLong: a record longer than a page numbers every page, repeats
// nothing and loses no text at page and line breaks.
func TestWriteLong(t *testing.T) {
	r := sample(t)
	long := strings.Repeat("检查人员对经营场所的设施设备进行了逐项核查，", 40)
	var qs []record.Question
	for range 30 {
		qs = append(qs, record.Question{Text: "冷藏冷冻设施是否正常运转并记录温度", Answer: "是", Note: "温度记录齐全"})
	}
	r.Sections = append(r.Sections, record.Section{ItemName: "贮存条件", Questions: qs})
	r.Result.Findings = long
	pdf := mustWrite(t, r)
	pages := recordtest.MustPages(t, pdf)
	if pages < 2 {
		t.Fatalf("%d pages, want several", pages)
	}
	text := recordtest.MustText(t, pdf)
	if got, want := strings.Count(flat(text), "冷藏冷冻设施是否正常运转并记录温度"), 30; got != want {
		t.Errorf("%d questions in the text, want %d", got, want)
	}
	if !strings.Contains(flat(text), flat(long)) {
		t.Errorf("the long findings lost characters at their line breaks")
	}
	for p := 1; p <= pages; p++ {
		if want := flat("第 " + strconv.Itoa(p) + " 页 / 共 " + strconv.Itoa(pages) + " 页"); !strings.Contains(flat(text), want) {
			t.Errorf("no %q in the text", want)
		}
	}
}

// TestWriteAtLimits: a task at the limits of its work (backend/work.go)
// still gives a whole record: 200 evidence files, the longest findings
// and follow-up, and an answer with a note so long that its row runs over
// a page break.
func TestWriteAtLimits(t *testing.T) {
	r := sample(t)
	chinese := func(n int) string { return strings.Repeat("检", n/len("检")) } // n bytes of Chinese
	r.Evidence = nil
	for i := range backend.MaxEvidencePerTask {
		r.Evidence = append(r.Evidence, record.Evidence{ID: "photo-" + strconv.Itoa(i), Type: "照片", CapturedAt: r.GeneratedAt, Size: 1 << 20, SHA256: strings.Repeat("c", 64)})
	}
	r.Result.Findings = chinese(backend.MaxFindingsLength)
	r.Result.FollowUp = chinese(backend.MaxFollowUpLength)
	long := record.Question{Text: "最长的回答", Answer: strings.Repeat("甲", backend.MaxAnswerLength/3), Note: strings.Repeat("溢", backend.MaxAnswerLength/3)}
	r.Sections[0].Questions = append(r.Sections[0].Questions, long)
	pdf := mustWrite(t, r)
	text := flat(recordtest.MustText(t, pdf))
	if got := strings.Count(text, strings.Repeat("c", 64)); got != backend.MaxEvidencePerTask {
		t.Errorf("%d evidence hashes in the text, want %d", got, backend.MaxEvidencePerTask)
	}
	for what, want := range map[string]string{"findings": r.Result.Findings, "follow-up": r.Result.FollowUp} {
		if !strings.Contains(text, want) {
			t.Errorf("the %s (%d bytes) is not whole in the text", what, len(want))
		}
	}
	// The answer's row runs over a page break, where the page's footer
	// comes between its parts in the text: every character is there.
	for c, want := range map[string]int{"甲": len([]rune(long.Answer)), "溢": len([]rune(long.Note))} {
		if got := strings.Count(text, c); got != want {
			t.Errorf("%d of the %d characters %s of the long answer in the text", got, want, c)
		}
	}
	if pages := recordtest.MustPages(t, pdf); pages < 5 {
		t.Errorf("%d pages for 200 evidence files, want more", pages)
	}
}

// TestWriteOddInput: what the font cannot show, control characters, a
// signature that is no image, and absent parts still give a record.
func TestWriteOddInput(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *record.Record)
		want []string
	}{
		{"OK/Emoji", func(r *record.Record) { r.Result.Findings = "现场😀良好\t\x00" }, []string{"现场?良好"}},
		{"OK/NoSignature", func(r *record.Record) { r.Signature, r.SignatureNote = nil, "企业拒绝签名" }, []string{"（签名：企业拒绝签名）"}},
		{"OK/BrokenSignature", func(r *record.Record) { r.Signature = []byte("not an image") }, []string{"签名图像无法显示"}},
		{"OK/NoCheckInsNoEvidence", func(r *record.Record) { r.CheckIns, r.Evidence = nil, nil }, []string{"（无签到记录）", "（无证据文件）"}},
		// The embedded font keeps every Han character of GBK (U+4E00–U+9FA5),
		// rare ones of names included; Hangul was cut out of it (font/README.md).
		{"OK/RareHanOfGBK", func(r *record.Record) { r.Enterprise.Name = "一堃燊昇珺彧龥商行" }, []string{"一堃燊昇珺彧龥商行"}},
		{"OK/HangulNotInFont", func(r *record.Record) { r.Result.Findings = "招牌한국料理" }, []string{"招牌??料理"}},
		{"OK/LongUnbrokenText", func(r *record.Record) { r.Enterprise.Address = strings.Repeat("x", 300) }, []string{strings.Repeat("x", 300)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample(t)
			tt.edit(r)
			text := flat(recordtest.MustText(t, mustWrite(t, r)))
			for _, w := range tt.want {
				if !strings.Contains(text, flat(w)) {
					t.Errorf("the text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// FuzzWrite: no text makes the record fail, and Chinese text the font
// covers comes back whole.
func FuzzWrite(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz-seeds/*.txt")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	r := sample(f)
	r.Signature = nil
	f.Fuzz(func(t *testing.T, s string) {
		r := *r
		r.Result.Findings, r.Enterprise.Name = s, s
		var b bytes.Buffer
		if err := record.Write(&b, &r); err != nil {
			t.Fatalf("Write(%q): %v", s, err)
		}
	})
}

// BenchmarkWrite measures a record of the sample's size.
func BenchmarkWrite(b *testing.B) {
	r := sample(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := record.Write(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
