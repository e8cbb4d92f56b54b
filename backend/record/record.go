// Package record renders a task's inspection record (检查记录) as a
// printable A4 PDF in Chinese: the enterprise, the items with their legal
// basis, the team with certificate numbers, the check-ins, the answers, the
// result and follow-up, the evidence with SHA-256, the enterprise's
// signature, and a QR code of the public result, page numbers and the time
// it was made (Asia/Shanghai).
//
// The PDF is written by codeberg.org/go-pdf/fpdf with the embedded CJK font
// (WenQuanYi Micro Hei, font/LICENSE) as a TrueType subset of the glyphs
// the record uses, so that a record stays small and its text extractable.
// The package does no I/O of its own: the caller gathers the Record
// (backend/planning) and names the writer.
package record

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // signatures may be JPEG
	"image/png"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Record is what the inspection record shows, gathered by the caller.
type Record struct {
	TaskID      string
	Title       string // the plan's name, or the ad-hoc task's trigger
	Kind        string // 不定向抽查 (drawn at random) or 定向检查
	Departments []string
	Batch       string
	Due         backend.Date
	Enterprise  Enterprise
	Items       []Item
	Team        []Officer
	CheckIns    []CheckIn
	Sections    []Section
	Result      Result
	Evidence    []Evidence
	// Signature is the enterprise's signature as captured (PNG or JPEG
	// bytes); nil when there is none. SignatureNote says why it is absent.
	Signature     []byte
	SignatureNote string
	// PublicURL is what the QR code holds: where anyone reads the
	// published result (the enterprise's public page).
	PublicURL   string
	GeneratedAt time.Time
}

// Enterprise is the inspected target.
type Enterprise struct {
	Name, USCC, Address string
}

// Item is one spot-check item of the task.
type Item struct {
	Code, Name, LegalBasis string
}

// Officer is a member of the team.
type Officer struct {
	Name, CertNo, Department string
}

// CheckIn is one officer's check-in at the target.
type CheckIn struct {
	Officer, CertNo string
	At              time.Time // server time
	Position        backend.GeoPoint
	DistanceM       *float64 // from the registered address
	Flags           []string
}

// Section is one item's part of the checklist.
type Section struct {
	ItemName  string
	Questions []Question
}

// Question is a checklist question with the team's answer.
type Question struct {
	Text, Answer, Note string // Answer empty: not answered
}

// Result is the team's result and its review.
type Result struct {
	Label, Findings, FollowUp string
	EnteredBy                 string
	EnteredAt                 time.Time
	ApprovedBy                string
	ApprovedAt                time.Time // zero when unknown
	Published                 bool
}

// Evidence is one evidence file.
type Evidence struct {
	ID, Type, Caption string
	CapturedAt        time.Time
	Size              int64
	SHA256            string
}

// Limits of what a record embeds.
const (
	// MaxSignaturePixels bounds the signature image decoded (width ×
	// height), so that a crafted image cannot take the server's memory.
	MaxSignaturePixels = 4096 * 4096
)

const (
	pageW, pageH  = 210.0, 297.0 // A4, mm
	margin        = 15.0
	contentW      = pageW - 2*margin
	fontFamily    = "wqy"
	bodySize      = 10.0
	smallSize     = 8.0
	hashSize      = 7.0 // the evidence list: a SHA-256 on one line
	lineH         = 5.2
	qrSize        = 32.0
	headingRoom   = 30.0 // a heading starts a page unless its table's head and first rows fit below it
	replacement   = '?'
	pagesAlias    = "{nb}"
	timeLayout    = "2006-01-02 15:04:05"
	missingAnswer = "（未作答）"
)

// Write renders r as a PDF to w.
func Write(w io.Writer, r *Record) error {
	d := &doc{pdf: fpdf.New("P", "mm", "A4", ""), r: r}
	d.render()
	if err := d.pdf.Error(); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "record.Write", Err: err}
	}
	if err := d.pdf.Output(w); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "record.Write", Err: err}
	}
	return nil
}

type doc struct {
	pdf *fpdf.Fpdf
	r   *Record
}

func (d *doc) render() {
	p, r := d.pdf, d.r
	p.SetCompression(true)
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(false, margin)
	p.SetTitle("检查记录 "+r.TaskID, true)
	p.SetCreator("fieldcheck", true)
	p.SetCreationDate(r.GeneratedAt)
	p.SetModificationDate(r.GeneratedAt)
	p.AddUTF8FontFromBytes(fontFamily, "", fontTTF)
	p.AliasNbPages(pagesAlias)
	p.SetFooterFunc(d.footer)
	p.AddPage()

	d.header()
	d.heading("一、检查对象")
	d.table([]float64{40, contentW - 40}, [][]string{
		{"名称", r.Enterprise.Name},
		{"统一社会信用代码", r.Enterprise.USCC},
		{"住所（经营场所）", orDash(r.Enterprise.Address)},
	})

	d.heading("二、抽查事项")
	rows := [][]string{{"事项", "名称", "检查依据"}}
	for _, it := range r.Items {
		rows = append(rows, []string{it.Code, it.Name, orDash(it.LegalBasis)})
	}
	d.tableHead([]float64{25, 60, contentW - 85}, rows)

	d.heading("三、检查人员")
	rows = [][]string{{"姓名", "执法证号", "部门"}}
	for _, o := range r.Team {
		rows = append(rows, []string{o.Name, orDash(o.CertNo), orDash(o.Department)})
	}
	d.tableHead([]float64{40, 60, contentW - 100}, rows)

	d.heading("四、到场签到")
	if len(r.CheckIns) == 0 {
		d.para("（无签到记录）")
	} else {
		rows = [][]string{{"人员", "执法证号", "签到时间", "位置（纬度, 经度）", "距登记地址"}}
		for _, c := range r.CheckIns {
			dist := "—"
			if c.DistanceM != nil {
				dist = fmt.Sprintf("%.0f 米", *c.DistanceM)
			}
			if len(c.Flags) > 0 {
				dist += "（" + strings.Join(c.Flags, "、") + "）"
			}
			rows = append(rows, []string{c.Officer, orDash(c.CertNo), chinaTime(c.At), fmt.Sprintf("%.6f, %.6f", c.Position.Lat, c.Position.Lng), dist})
		}
		d.tableHead([]float64{25, 40, 37, 45, contentW - 147}, rows)
	}

	d.heading("五、检查内容")
	for _, s := range r.Sections {
		d.subheading(s.ItemName)
		for i, q := range s.Questions {
			ans := q.Answer
			if ans == "" {
				ans = missingAnswer
			}
			if q.Note != "" {
				ans += "（备注：" + q.Note + "）"
			}
			d.table([]float64{contentW * 0.6, contentW * 0.4}, [][]string{{fmt.Sprintf("%d. %s", i+1, q.Text), ans}})
		}
	}

	d.heading("六、检查结果与后续处置")
	res := r.Result
	state := "已审核"
	if res.Published {
		state = "已公示"
	}
	approved := orDash(res.ApprovedBy)
	if !res.ApprovedAt.IsZero() {
		approved += "，" + chinaTime(res.ApprovedAt)
	}
	d.table([]float64{40, contentW - 40}, [][]string{
		{"检查结果", res.Label},
		{"发现的问题", orDash(res.Findings)},
		{"后续处置", orDash(res.FollowUp)},
		{"结果录入", orDash(res.EnteredBy) + "，" + chinaTime(res.EnteredAt)},
		{"审核", approved + "（" + state + "）"},
	})

	d.heading("七、证据清单")
	if len(r.Evidence) == 0 {
		d.para("（无证据文件）")
	} else {
		rows = [][]string{{"编号", "类型", "采集时间", "大小", "SHA-256"}}
		for _, e := range r.Evidence {
			id := e.ID
			if e.Caption != "" {
				id += "（" + e.Caption + "）"
			}
			rows = append(rows, []string{id, e.Type, chinaTime(e.CapturedAt), backend.FormatBytes(e.Size), e.SHA256})
		}
		d.tableHeadSize([]float64{34, 12, 22, 17, contentW - 85}, rows, hashSize)
	}

	d.heading("八、被检查对象签名")
	d.signature()

	d.heading("九、公开结果")
	d.qr()
}

// header writes the title and the record's identification.
func (d *doc) header() {
	p, r := d.pdf, d.r
	p.SetFont(fontFamily, "", 18)
	p.CellFormat(contentW, 10, "检查记录", "", 1, "C", false, 0, "")
	p.SetFont(fontFamily, "", bodySize)
	if r.Title != "" {
		d.centred(r.Title)
	}
	line := "记录编号：" + r.TaskID
	if r.Kind != "" {
		line += "　类型：" + r.Kind
	}
	d.centred(line)
	if len(r.Departments) > 0 {
		d.centred("检查实施机关：" + strings.Join(r.Departments, "、"))
	}
	var when []string
	if r.Batch != "" {
		when = append(when, "批次："+r.Batch)
	}
	if r.Due != "" {
		when = append(when, "完成期限："+string(r.Due))
	}
	if len(when) > 0 {
		d.centred(strings.Join(when, "　"))
	}
	p.Ln(2)
}

func (d *doc) centred(s string) {
	for _, l := range d.wrap(s, contentW) {
		d.pdf.CellFormat(contentW, lineH, l, "", 1, "C", false, 0, "")
	}
}

// footer writes the page number and the time the record was made.
func (d *doc) footer() {
	p := d.pdf
	p.SetY(pageH - margin + 3)
	p.SetFont(fontFamily, "", smallSize)
	p.CellFormat(contentW/2, 4, "生成时间："+chinaTime(d.r.GeneratedAt)+"（北京时间）", "", 0, "L", false, 0, "")
	p.CellFormat(contentW/2, 4, fmt.Sprintf("第 %d 页 / 共 %s 页", p.PageNo(), pagesAlias), "", 0, "R", false, 0, "")
}

func (d *doc) heading(s string) {
	d.room(headingRoom)
	p := d.pdf
	p.Ln(3)
	p.SetFont(fontFamily, "", 12)
	p.CellFormat(contentW, 7, sanitize(s), "B", 1, "L", false, 0, "")
	p.Ln(1)
	p.SetFont(fontFamily, "", bodySize)
}

func (d *doc) subheading(s string) {
	d.room(2 * lineH)
	p := d.pdf
	p.SetFont(fontFamily, "", 11)
	for _, l := range d.wrap(s, contentW) {
		p.CellFormat(contentW, 6, l, "", 1, "L", false, 0, "")
	}
	p.SetFont(fontFamily, "", bodySize)
}

func (d *doc) para(s string) {
	for _, l := range d.wrap(s, contentW) {
		d.room(lineH)
		d.pdf.CellFormat(contentW, lineH, l, "", 1, "L", false, 0, "")
	}
}

// room starts a new page unless h millimetres are left on this one.
func (d *doc) room(h float64) {
	if d.pdf.GetY()+h > pageH-margin {
		d.pdf.AddPage()
		d.pdf.SetFont(fontFamily, "", bodySize)
	}
}

// table writes rows of wrapped cells; tableHead repeats its first row as
// the header on every page the table runs onto.
func (d *doc) table(widths []float64, rows [][]string) { d.rows(widths, nil, rows, bodySize) }

func (d *doc) tableHead(widths []float64, rows [][]string) {
	d.tableHeadSize(widths, rows, bodySize)
}

func (d *doc) tableHeadSize(widths []float64, rows [][]string, size float64) {
	d.rows(widths, rows[0], rows[1:], size)
}

func (d *doc) rows(widths []float64, head []string, rows [][]string, size float64) {
	p := d.pdf
	p.SetFont(fontFamily, "", size)
	lh := lineH * size / bodySize
	if head != nil {
		d.room(2 * lh)
		d.row(widths, head, lh, true)
	}
	for _, cells := range rows {
		lines, n := d.cellLines(widths, cells)
		// A row that fits on a page is kept whole: it starts the next page
		// when it does not fit on this one. A longer one starts here and
		// runs over.
		if h := float64(n) * lh; p.GetY()+h > pageH-margin && h <= pageH-2*margin-2*lh {
			p.AddPage()
			p.SetFont(fontFamily, "", size)
			if head != nil {
				d.row(widths, head, lh, true)
			}
		}
		d.rowLines(widths, lines, n, lh, false)
	}
	p.SetFont(fontFamily, "", bodySize)
}

func (d *doc) row(widths []float64, cells []string, lh float64, shaded bool) {
	lines, n := d.cellLines(widths, cells)
	d.rowLines(widths, lines, n, lh, shaded)
}

// cellLines wraps each cell to its column; n is the row's height in lines.
func (d *doc) cellLines(widths []float64, cells []string) (lines [][]string, n int) {
	lines, n = make([][]string, len(cells)), 1
	for i, c := range cells {
		lines[i] = d.wrap(c, widths[i]-2)
		n = max(n, len(lines[i]))
	}
	return lines, n
}

// rowLines draws one row of n lines (a row longer than a page is cut at
// the page's end and goes on on the next).
func (d *doc) rowLines(widths []float64, lines [][]string, n int, lh float64, shaded bool) {
	p := d.pdf
	for start := 0; start < n; {
		fit := max(1, int((pageH-margin-p.GetY())/lh))
		end := min(n, start+fit)
		x, y := margin, p.GetY()
		h := float64(end-start)*lh + 1
		for i, w := range widths {
			style := "D"
			if shaded {
				p.SetFillColor(235, 235, 235)
				style = "FD"
			}
			p.Rect(x, y, w, h, style)
			for k := start; k < end && k < len(lines[i]); k++ {
				p.SetXY(x+1, y+0.5+float64(k-start)*lh)
				p.CellFormat(w-2, lh, lines[i][k], "", 0, "L", false, 0, "")
			}
			x += w
		}
		p.SetXY(margin, y+h)
		if start = end; start < n {
			size, _ := p.GetFontSize()
			p.AddPage()
			p.SetFont(fontFamily, "", size)
		}
	}
}

// signature draws the enterprise's signature, or says why there is none.
func (d *doc) signature() {
	img, err := signatureImage(d.r.Signature)
	switch {
	case d.r.Signature == nil:
		note := d.r.SignatureNote
		if note == "" {
			note = "无"
		}
		d.para("（签名：" + note + "）")
		return
	case err != nil:
		d.para("（签名图像无法显示：" + err.Error() + "）")
		return
	}
	b := img.Bounds()
	w := min(80.0, float64(b.Dx())*25.4/96)
	h := w * float64(b.Dy()) / float64(b.Dx())
	if h > 40 {
		w, h = w*40/h, 40
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		d.para("（签名图像无法显示）")
		return
	}
	d.room(h + 2)
	p := d.pdf
	p.RegisterImageOptionsReader("signature", fpdf.ImageOptions{ImageType: "PNG"}, &buf)
	y := p.GetY()
	p.ImageOptions("signature", margin, y, w, h, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.Rect(margin, y, w, h, "D")
	p.SetXY(margin, y+h+1)
}

// signatureImage decodes a signature (PNG or JPEG) onto white, as an
// opaque RGB image: fpdf reads a plain PNG of that kind whatever the
// phone's encoder wrote (interlaced, 16-bit, palettes with alpha).
func signatureImage(b []byte) (image.Image, error) {
	if b == nil {
		return nil, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, errors.New("不是 PNG 或 JPEG 图像")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxSignaturePixels {
		return nil, fmt.Errorf("图像尺寸 %d×%d 超出上限", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, errors.New("图像已损坏")
	}
	dst := image.NewRGBA(src.Bounds())
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Over)
	return dst, nil
}

// qr draws the QR code of the public result, as vector squares, with its
// address beside it.
func (d *doc) qr() {
	u := d.r.PublicURL
	if u == "" {
		d.para("（无公开地址）")
		return
	}
	code, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		d.para("公开结果：" + u)
		return
	}
	bits := code.Bitmap() // with its quiet zone
	d.room(qrSize + 2)
	p := d.pdf
	x0, y0 := margin, p.GetY()
	cell := qrSize / float64(len(bits))
	p.SetFillColor(0, 0, 0)
	for y, line := range bits {
		for x := 0; x < len(line); {
			if !line[x] {
				x++
				continue
			}
			run := x
			for run < len(line) && line[run] {
				run++
			}
			p.Rect(x0+float64(x)*cell, y0+float64(y)*cell, float64(run-x)*cell, cell, "F")
			x = run
		}
	}
	p.SetXY(x0+qrSize+4, y0+2)
	textW := contentW - qrSize - 4
	p.SetFont(fontFamily, "", bodySize)
	for _, l := range d.wrap("扫描二维码查看该企业公开的抽查检查结果：", textW) {
		p.SetX(x0 + qrSize + 4)
		p.CellFormat(textW, lineH, l, "", 1, "L", false, 0, "")
	}
	p.SetFont(fontFamily, "", smallSize)
	for _, l := range d.wrap(u, textW) {
		p.SetX(x0 + qrSize + 4)
		p.CellFormat(textW, lineH*smallSize/bodySize, l, "", 1, "L", false, 0, "")
	}
	p.SetFont(fontFamily, "", bodySize)
	p.SetXY(margin, max(p.GetY(), y0+qrSize+2))
}

func chinaTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(backend.China).Format(timeLayout)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
