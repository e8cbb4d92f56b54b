package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// deptSpec describes one department of the demo county.
type deptSpec struct {
	ID         string
	Name       string
	Short      string // used in display names
	CertPrefix string // letters before the certificate digits ("" for none)
	Inspectors int
	// Specialties of its officers, as the inspector directory labels them.
	Specialties []string
}

var deptSpecs = []deptSpec{
	{ID: "scjg", Name: "三元区市场监督管理局", Short: "市场监管局", Inspectors: 24,
		Specialties: []string{"食品安全", "特种设备", "药品医疗器械", "产品质量", "计量", "登记注册", "广告监管", "网络交易", "价格监督"}},
	{ID: "wsjk", Name: "三元区卫生健康委员会", Short: "卫健委", CertPrefix: "WJ", Inspectors: 8,
		Specialties: []string{"公共场所卫生", "医疗监督", "职业卫生", "饮用水卫生", "传染病防治"}},
	{ID: "yjgl", Name: "三元区应急管理局", Short: "应急管理局", CertPrefix: "YJ", Inspectors: 8,
		Specialties: []string{"危险化学品", "工贸安全", "非煤矿山", "消防安全", "应急救援"}},
	{ID: "sthj", Name: "三明市三元生态环境局", Short: "生态环境局", CertPrefix: "HJ", Inspectors: 7,
		Specialties: []string{"水污染防治", "大气污染防治", "固体废物", "环境影响评价", "排污许可"}},
	{ID: "zjj", Name: "三元区住房和城乡建设局", Short: "住建局", CertPrefix: "JS", Inspectors: 7,
		Specialties: []string{"建筑施工安全", "建筑市场", "物业管理", "房地产市场", "燃气安全"}},
	{ID: "nync", Name: "三元区农业农村局", Short: "农业农村局", CertPrefix: "NY", Inspectors: 6,
		Specialties: []string{"农药", "兽药饲料", "种子", "农产品质量安全", "畜禽养殖"}},
}

// userLinkedInspectors is how many inspectors of each department (the
// first ones, ins-<dept>-001 …) get a login for the phone app. They always
// hold a valid certificate, are on no leave and declare no conflict, so a
// demo team of two can always be formed from them.
func userLinkedInspectors(dept string) int {
	if dept == "scjg" {
		return 3
	}
	return 2
}

func inspectorID(dept string, n int) string { return fmt.Sprintf("ins-%s-%03d", dept, n) }

func departments() []*backend.Department {
	out := make([]*backend.Department, len(deptSpecs))
	for i, d := range deptSpecs {
		out[i] = &backend.Department{ID: d.ID, Name: d.Name}
	}
	return out
}

var conflictReasons = []string{
	"配偶系该单位法定代表人",
	"近亲属在该单位任职",
	"曾在该单位任职，离职未满三年",
	"与该经营者存在直接经济往来",
	"系该经营者的近亲属",
}

// inspectors generates the inspector directory. Dates are offsets from
// asOf, drawn the same whatever asOf is, so that the directory only shifts
// in time.
func inspectors(r *rand.Rand, asOf time.Time, targets []*backend.Target) []*backend.Inspector {
	var out []*backend.Inspector
	names := map[string]bool{}
	for _, d := range deptSpecs {
		for n := 1; n <= d.Inspectors; n++ {
			name := personName(r)
			for names[name] {
				name = personName(r)
			}
			names[name] = true
			expiry := asOf.AddDate(0, 0, 120+r.IntN(1700))
			in := &backend.Inspector{
				ID:           inspectorID(d.ID, n),
				Name:         name,
				DepartmentID: d.ID,
				CertExpiry:   backend.DateOf(expiry),
				Specialties:  pickSpecialties(r, d.Specialties),
				RegionCode:   CountyRegionCode,
				Conflicts:    []backend.Conflict{},
				Leave:        []backend.Period{},
				TaskCap:      pickWeighted(r, []weighted[int]{{0, 2}, {10, 3}, {15, 3}, {20, 4}, {30, 1}}),
				Active:       true,
			}
			setCertNo(r, in, d, n, expiry)
			out = append(out, in)
		}
	}

	// The exceptions a real directory always has, on officers without a login.
	var pool []*backend.Inspector
	for _, in := range out {
		if seqOf(in) > userLinkedInspectors(in.DepartmentID) {
			pool = append(pool, in)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	take := func(n int) []*backend.Inspector {
		s := pool[:n]
		pool = pool[n:]
		return s
	}
	spec := func(id string) deptSpec {
		for _, d := range deptSpecs {
			if d.ID == id {
				return d
			}
		}
		panic("demo: unknown department " + id)
	}
	for _, in := range take(3) { // expired certificates
		expiry := asOf.AddDate(0, 0, -(5 + r.IntN(200)))
		in.CertExpiry = backend.DateOf(expiry)
		setCertNo(r, in, spec(in.DepartmentID), seqOf(in), expiry)
	}
	for _, in := range take(4) { // expiring within a month
		expiry := asOf.AddDate(0, 0, 3+r.IntN(28))
		in.CertExpiry = backend.DateOf(expiry)
		setCertNo(r, in, spec(in.DepartmentID), seqOf(in), expiry)
	}
	leaves := take(4)
	leaves[0].Leave = []backend.Period{period(asOf, -3, 10)} // on leave now
	leaves[1].Leave = []backend.Period{period(asOf, 14, 20)} // leave ahead
	leaves[2].Leave = []backend.Period{period(asOf, -60, -46)}
	leaves[3].Leave = []backend.Period{period(asOf, -30, -28), period(asOf, 40, 54)}
	var declarable []*backend.Target
	for _, t := range targets {
		if t.Kind.HasUSCC() && t.Status == backend.StatusActive {
			declarable = append(declarable, t)
		}
	}
	for _, in := range take(6) { // declared conflicts of interest
		for k := 1 + r.IntN(2); k > 0 && len(declarable) > 0; k-- {
			t := pick(r, declarable)
			if !in.ConflictsWith(t.ID) {
				in.Conflicts = append(in.Conflicts, backend.Conflict{TargetID: t.ID, Reason: pick(r, conflictReasons)})
			}
		}
	}
	take(1)[0].Active = false // transferred out, kept for the record
	return out
}

// setCertNo writes a certificate number issued five years before expiry:
// region, year of issue and a serial, with the department's letters in
// front for departments other than market supervision (35040420230012,
// YJ35040420210034).
func setCertNo(r *rand.Rand, in *backend.Inspector, d deptSpec, n int, expiry time.Time) {
	serial := 10*n + r.IntN(10) // distinct per department
	in.CertNo = fmt.Sprintf("%s%s%d%04d", d.CertPrefix, CountyRegionCode, expiry.Year()-5, serial)
}

func seqOf(in *backend.Inspector) int {
	var n int
	fmt.Sscanf(in.ID[len(in.ID)-3:], "%d", &n)
	return n
}

func period(asOf time.Time, from, to int) backend.Period {
	return backend.Period{From: backend.DateOf(asOf.AddDate(0, 0, from)), To: backend.DateOf(asOf.AddDate(0, 0, to))}
}

func pickSpecialties(r *rand.Rand, list []string) []string {
	n := 1 + r.IntN(3)
	idx := r.Perm(len(list))[:n]
	var out []string
	for i, s := range list { // keep the department's order
		for _, j := range idx {
			if i == j {
				out = append(out, s)
			}
		}
	}
	return out
}

// expertSpecs are the expert directory: specialists of universities,
// institutes and inspection bodies the departments call on.
var expertSpecs = []struct {
	org         string
	specialties []string
}{
	{"三明学院", []string{"化工安全", "危险化学品"}},
	{"三明学院", []string{"食品科学", "食品检验"}},
	{"福建农林大学", []string{"食用菌", "农药残留"}},
	{"福州大学", []string{"机械工程", "起重机械"}},
	{"福建省特种设备检验研究院三明分院", []string{"电梯", "锅炉压力容器"}},
	{"三明市疾病预防控制中心", []string{"公共卫生", "饮用水卫生", "职业卫生"}},
	{"福建省环境科学研究院", []string{"大气污染防治", "危险废物"}},
	{"福建省农业科学院", []string{"植物保护", "农产品质量安全"}},
	{"福建省建筑科学研究院", []string{"建筑施工安全", "结构检测"}},
	{"福建医科大学", []string{"医疗质量管理", "医院感染控制"}},
}

func experts(r *rand.Rand, targets []*backend.Target) []*backend.Expert {
	out := make([]*backend.Expert, len(expertSpecs))
	for i, s := range expertSpecs {
		out[i] = &backend.Expert{
			ID:           fmt.Sprintf("exp-%02d", i+1),
			Name:         personName(r),
			Organisation: s.org,
			Specialties:  append([]string{}, s.specialties...),
			Conflicts:    []backend.Conflict{},
			Active:       true,
		}
	}
	// One expert consults for a chemical company of the county.
	for _, t := range targets {
		if t.Industry == "C2614" && t.Status == backend.StatusActive {
			out[0].Conflicts = append(out[0].Conflicts, backend.Conflict{TargetID: t.ID, Reason: "近三年为该企业提供技术咨询服务"})
			break
		}
	}
	out[len(out)-1].Active = false // retired
	return out
}
