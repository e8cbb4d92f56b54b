package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fieldcheck/fieldcheck/backend"
)

// clean trims white space, including the ideographic space U+3000 and the
// no-break space spreadsheets leave around values.
func clean(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

func isListSep(r rune) bool {
	switch r {
	case ';', '；', ',', '，', '、', '|', '｜', '\n', '\r':
		return true
	}
	return false
}

// splitList splits a list cell, dropping blanks and repeats. It never
// returns nil, so that stored lists read back as [] rather than null.
func splitList(s string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range strings.FieldsFunc(s, isListSep) {
		p = clean(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

var boolWords = map[string]bool{
	"是": true, "y": true, "yes": true, "true": true, "1": true,
	"否": false, "n": false, "no": false, "false": false, "0": false, "": false,
}

func parseBool(s string) (bool, error) {
	v, ok := boolWords[strings.ToLower(s)]
	if !ok {
		return false, fmt.Errorf("%q is not a yes/no value: use 是/否, true/false, 1/0 or Y/N", s)
	}
	return v, nil
}

var kindWords = map[string]backend.TargetKind{
	"企业": backend.KindEnterprise, "enterprise": backend.KindEnterprise,
	"个体工商户": backend.KindIndividual, "个体": backend.KindIndividual, "individual": backend.KindIndividual,
	"农民专业合作社": backend.KindCooperative, "合作社": backend.KindCooperative, "cooperative": backend.KindCooperative,
	"产品": backend.KindProduct, "product": backend.KindProduct,
	"工程项目": backend.KindProject, "项目": backend.KindProject, "project": backend.KindProject,
	"行为": backend.KindBehaviour, "behaviour": backend.KindBehaviour, "behavior": backend.KindBehaviour,
}

func parseKind(s string) (backend.TargetKind, error) {
	if k, ok := kindWords[strings.ToLower(s)]; ok {
		return k, nil
	}
	return "", fmt.Errorf("kind %q is unknown: use 企业/enterprise, 个体工商户/individual, 农民专业合作社/cooperative, 产品/product, 工程项目/project or 行为/behaviour", s)
}

var statusWords = map[string]backend.TargetStatus{
	"存续": backend.StatusActive, "在业": backend.StatusActive, "开业": backend.StatusActive, "正常": backend.StatusActive, "active": backend.StatusActive,
	"停业": backend.StatusClosed, "歇业": backend.StatusClosed, "closed": backend.StatusClosed,
	"注销": backend.StatusDeregistered, "已注销": backend.StatusDeregistered, "deregistered": backend.StatusDeregistered,
	"吊销": backend.StatusRevoked, "已吊销": backend.StatusRevoked, "吊销未注销": backend.StatusRevoked,
	"吊销，未注销": backend.StatusRevoked, "吊销,未注销": backend.StatusRevoked, "revoked": backend.StatusRevoked,
}

func parseStatus(s string) (backend.TargetStatus, error) {
	if s == "" {
		return backend.StatusActive, nil
	}
	if v, ok := statusWords[strings.ToLower(s)]; ok {
		return v, nil
	}
	return "", fmt.Errorf("status %q is unknown: use 存续/active, 停业/closed, 注销/deregistered or 吊销/revoked", s)
}

var creditWords = map[string]backend.CreditClass{
	"低风险": backend.CreditA, "信用风险低": backend.CreditA,
	"一般风险": backend.CreditB, "信用风险一般": backend.CreditB,
	"较高风险": backend.CreditC, "信用风险较高": backend.CreditC,
	"高风险": backend.CreditD, "信用风险高": backend.CreditD,
}

func parseCredit(s string) (backend.CreditClass, error) {
	if s == "" {
		return "", nil
	}
	c := backend.CreditClass(strings.ToUpper(strings.TrimSuffix(s, "类")))
	if c.Valid() {
		return c, nil
	}
	if c, ok := creditWords[s]; ok {
		return c, nil
	}
	return "", fmt.Errorf("credit class %q must be A, B, C or D (also A类…D类, 低风险, 一般风险, 较高风险, 高风险)", s)
}

var methodWords = map[string]backend.CheckMethod{
	"现场检查": backend.MethodOnSite, "现场": backend.MethodOnSite, "onsite": backend.MethodOnSite, "on-site": backend.MethodOnSite,
	"书面检查": backend.MethodDocument, "书面": backend.MethodDocument, "document": backend.MethodDocument,
	"网络监测": backend.MethodOnline, "网络": backend.MethodOnline, "online": backend.MethodOnline,
	"抽样检测": backend.MethodSampling, "抽样": backend.MethodSampling, "抽检": backend.MethodSampling, "sampling": backend.MethodSampling,
	"其他": backend.MethodOther, "other": backend.MethodOther,
}

func parseMethod(s string) (backend.CheckMethod, error) {
	if v, ok := methodWords[strings.ToLower(s)]; ok {
		return v, nil
	}
	return "", fmt.Errorf("method %q is unknown: use 现场检查/onsite, 书面检查/document, 网络监测/online, 抽样检测/sampling or 其他/other", s)
}

var categoryWords = map[string]backend.ItemCategory{
	"重点": backend.ItemKey, "重点事项": backend.ItemKey, "重点检查事项": backend.ItemKey, "key": backend.ItemKey,
	"一般": backend.ItemGeneral, "一般事项": backend.ItemGeneral, "一般检查事项": backend.ItemGeneral, "general": backend.ItemGeneral,
}

func parseCategory(s string) (backend.ItemCategory, error) {
	if v, ok := categoryWords[strings.ToLower(s)]; ok {
		return v, nil
	}
	return "", fmt.Errorf("category %q is unknown: use 重点/key or 一般/general", s)
}

// parseFloat accepts a finite decimal number.
func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// parseInt accepts a whole number, also written as 5.0 by a spreadsheet.
func parseInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	v, err := parseFloat(s)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1e9 {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int(v), nil
}

var (
	datePattern    = regexp.MustCompile(`^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?$`)
	compactDate    = regexp.MustCompile(`^([0-9]{4})([0-9]{2})([0-9]{2})$`)
	timeOfDay      = regexp.MustCompile(`^[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$`)
	excelEpoch     = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	maxExcelSerial = 2958465.0 // 9999-12-31
)

// parseDate accepts the ways spreadsheets write a day; see the package
// documentation.
func parseDate(s string) (backend.Date, error) {
	bad := fmt.Errorf("date %q must be YYYY-MM-DD (or YYYY/MM/DD, YYYY年M月D日, or a spreadsheet date)", s)
	d := s
	if i := strings.IndexAny(d, " T"); i > 0 && timeOfDay.MatchString(clean(d[i+1:])) {
		d = clean(d[:i])
	}
	var y, m, day int
	if p := datePattern.FindStringSubmatch(d); p != nil {
		y, m, day = atoi(p[1]), atoi(p[2]), atoi(p[3])
	} else if p := compactDate.FindStringSubmatch(d); p != nil {
		y, m, day = atoi(p[1]), atoi(p[2]), atoi(p[3])
	} else if v, err := strconv.ParseFloat(d, 64); err == nil && v >= 1 && v <= maxExcelSerial {
		// An Excel serial day (1900 date system), as a date cell formatted
		// as a number shows.
		t := excelEpoch.AddDate(0, 0, int(v))
		if v < 61 {
			t = t.AddDate(0, 0, 1) // Excel counts 1900-02-29, which never was
		}
		return backend.Date(t.Format(time.DateOnly)), nil
	} else {
		return "", bad
	}
	out := fmt.Sprintf("%04d-%02d-%02d", y, m, day)
	t, err := time.Parse(time.DateOnly, out)
	if err != nil || t.Format(time.DateOnly) != out {
		return "", bad
	}
	return backend.Date(out), nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// parseRatio returns a ratio cap in basis points; see the package
// documentation for the accepted spellings.
func parseRatio(s string) (int, error) {
	t := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	var percent float64
	switch {
	case strings.HasSuffix(t, "bp"):
		n, err := strconv.Atoi(strings.TrimSuffix(t, "bp"))
		if err != nil {
			return 0, fmt.Errorf("ratio cap %q: basis points must be a whole number such as 500bp", s)
		}
		if n < 1 || n > 10000 {
			return 0, fmt.Errorf("ratio cap %q must be between 1bp and 10000bp", s)
		}
		return n, nil
	case strings.HasSuffix(t, "%") || strings.HasSuffix(t, "％"):
		v, err := parseFloat(strings.TrimSuffix(strings.TrimSuffix(t, "%"), "％"))
		if err != nil {
			return 0, fmt.Errorf("ratio cap %q is not a percentage such as 5%%", s)
		}
		percent = v
	default:
		v, err := parseFloat(t)
		if err != nil {
			return 0, fmt.Errorf("ratio cap %q is not a percentage such as 5%%", s)
		}
		if v > 0 && v < 1 {
			return 0, fmt.Errorf("ratio cap %q is ambiguous: write %g%% for %g percent, or %g%% for %g percent", s, v*100, v*100, v, v)
		}
		percent = v
	}
	if percent <= 0 || percent > 100 {
		return 0, fmt.Errorf("ratio cap %q must be more than 0%% and at most 100%%", s)
	}
	bp := math.Round(percent * 100)
	if math.Abs(percent*100-bp) > 1e-6 {
		return 0, fmt.Errorf("ratio cap %q is finer than a basis point (0.01%%)", s)
	}
	return int(bp), nil
}
