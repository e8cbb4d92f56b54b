package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// usccChars is the GB 32100-2015 alphabet: digits and capitals without I, O,
// S, V and Z.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// gb11714Check returns the check character of an eight-character
// organisation code body (GB 11714-1997): weights 3 7 9 10 5 8 4 2, digits
// count as themselves and letters A-Z as 10-35; C9 = 11 - sum mod 11, with
// 10 written X and 11 written 0.
func gb11714Check(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// Series letters that follow "MA" in the codes a registration authority has
// issued since the 2015 reform. Invented, but fixed per authority as in
// real codes.
var maSeries = map[string]string{
	cityRegionCode:   "31",
	oldMeilieCode:    "2X",
	oldSanyuanCode:   "2Y",
	CountyRegionCode: "8U",
}

// newUSCC builds a credit code: two characters for the authority type and
// entity type (91, 92, 93), six for the registering authority's region, nine
// for the organisation code (with its own GB 11714 check character) and the
// GB 32100 check character.
func newUSCC(r *rand.Rand, kind backend.TargetKind, region string, year int) string {
	var prefix string
	switch kind {
	case backend.KindEnterprise:
		prefix = "91"
	case backend.KindIndividual:
		prefix = "92"
	case backend.KindCooperative:
		prefix = "93"
	default:
		panic("demo: no credit code for a " + string(kind))
	}
	var body []byte
	switch {
	case year >= 2016 || kind == backend.KindCooperative:
		body = append(body, "MA"+maSeries[region]...)
		for len(body) < 8 {
			body = append(body, usccChars[r.IntN(len(usccChars))])
		}
	case kind == backend.KindEnterprise:
		// An organisation code from before the reform, carried over.
		body = append(body, "167"[r.IntN(3)])
		for len(body) < 8 {
			body = append(body, byte('0'+r.IntN(10)))
		}
	default:
		body = append(body, 'L')
		for len(body) < 8 {
			body = append(body, byte('0'+r.IntN(10)))
		}
	}
	first17 := prefix + region + string(body) + string(gb11714Check(string(body)))
	check, ok := backend.USCCCheckChar(first17)
	if !ok {
		panic("demo: generated a code outside the USCC alphabet: " + first17)
	}
	return first17 + string(check)
}

// registrationYear draws the year an entity registered: most are young, as
// in every county register.
func registrationYear(r *rand.Rand, kind backend.TargetKind) int {
	mean := 7.0
	if kind == backend.KindIndividual {
		mean = 5
	}
	age := int(r.ExpFloat64() * mean)
	if age > 28 {
		age = 28
	}
	y := 2025 - age
	if kind == backend.KindCooperative && y < 2008 {
		y = 2008 // the cooperatives law took effect in 2007
	}
	return y
}

// registrationRegion returns the code of the authority that registered an
// entity: the district of its township at the time, or now and then the city.
func registrationRegion(r *rand.Rand, kind backend.TargetKind, t *Township, year int) string {
	if kind == backend.KindEnterprise && chance(r, 0.06) {
		return cityRegionCode
	}
	if year >= mergerYear {
		return CountyRegionCode
	}
	return t.OldCode
}

type targetGen struct {
	r     *rand.Rand
	ids   map[string]bool
	names map[string]bool
}

// marketEntity generates one enterprise, individual business or cooperative.
func (g *targetGen) marketEntity() *backend.Target {
	r := g.r
	ind := pickWeighted(r, industryChoices)
	kind := pickWeighted(r, []weighted[backend.TargetKind]{
		{backend.KindEnterprise, ind.Ent}, {backend.KindIndividual, ind.Ind}, {backend.KindCooperative, ind.Coop},
	})
	town := pickTownship(r, ind.Area)
	year := registrationYear(r, kind)
	region := registrationRegion(r, kind, town, year)
	id := newUSCC(r, kind, region, year)
	for g.ids[id] {
		id = newUSCC(r, kind, region, year)
	}
	g.ids[id] = true

	legalRep := personName(r)
	name := g.uniqueName(func() string { return entityName(r, ind, kind, town, legalRep) })
	addr, loc := address(r, town, ind.Area)

	t := &backend.Target{
		ID:         id,
		Kind:       kind,
		Name:       name,
		RegionCode: CountyRegionCode,
		Address:    addr,
		Location:   loc,
		Industry:   ind.Code,
		Tags:       append([]string{}, ind.Tags...),
		Status:     backend.StatusActive,
		LegalRep:   legalRep,
	}
	for _, m := range ind.Maybe {
		if chance(r, m.p) && !slices.Contains(t.Tags, m.tag) {
			t.Tags = append(t.Tags, m.tag)
		}
	}
	t.CreditClass = pickWeighted(r, []weighted[backend.CreditClass]{
		{backend.CreditA, 65}, {backend.CreditB, 25}, {backend.CreditC, 8}, {backend.CreditD, 2},
	})
	switch n := r.IntN(1000); {
	case n < 12:
		t.Status = backend.StatusClosed
	case n < 24:
		t.Status = backend.StatusDeregistered
	case n < 30:
		t.Status = backend.StatusRevoked
		// A revoked licence goes with a serious breach: high credit risk.
		if t.CreditClass == backend.CreditA || t.CreditClass == backend.CreditB {
			t.CreditClass = backend.CreditD
		}
	}
	t.KeySupervision = keySupervision(r, t)
	if t.Status == backend.StatusActive && !t.KeySupervision {
		switch t.CreditClass {
		case backend.CreditA:
			t.Whitelisted = chance(r, 0.028)
		case backend.CreditB:
			t.Whitelisted = chance(r, 0.006)
		}
	}
	return t
}

// keySupervision decides whether a target belongs on the key-supervision
// list: always for high-risk trades and class D, often for medium-risk
// trades, and for those at once when their credit is poor.
func keySupervision(r *rand.Rand, t *backend.Target) bool {
	poor := t.CreditClass == backend.CreditC || t.CreditClass == backend.CreditD
	high, medium := false, false
	for _, tag := range t.Tags {
		high = high || slices.Contains(highRiskTags, tag)
		medium = medium || slices.Contains(mediumRiskTags, tag)
	}
	switch {
	case high, t.CreditClass == backend.CreditD:
		return true
	case medium && poor:
		return true
	case medium:
		return chance(r, 0.25)
	}
	return false
}

// uniqueName draws names until one is new: a registration authority never
// registers the same name twice.
func (g *targetGen) uniqueName(draw func() string) string {
	for i := 0; ; i++ {
		n := draw()
		if i >= 50 {
			n = fmt.Sprintf("%s（%d）", n, i)
		}
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

var enterprisePrefixes = []weighted[string]{{"三明市", 50}, {"三明", 25}, {"三明市三元区", 17}, {"福建", 8}}

func entityName(r *rand.Rand, ind *industry, kind backend.TargetKind, t *Township, owner string) string {
	switch kind {
	case backend.KindEnterprise:
		prefix := pickWeighted(r, enterprisePrefixes)
		suffix := "有限公司"
		if prefix == "福建" && chance(r, 0.2) {
			suffix = "股份有限公司"
		}
		return prefix + pick(r, tradeNames) + pick(r, ind.EntWords) + suffix
	case backend.KindCooperative:
		var place string
		switch r.IntN(3) {
		case 0:
			place = t.Short
		case 1:
			if len(t.Villages) > 0 {
				v := []rune(pick(r, t.Villages))
				place = string(v[:len(v)-1]) // 万全村 → 万全
			} else {
				place = t.Short
			}
		default:
			place = pick(r, tradeNames)
		}
		return "三明市三元区" + place + pick(r, ind.CoopWords)
	default:
		shop := pick(r, ind.ShopWords)
		if shop == "家庭农场" {
			return "三明市三元区" + t.Name + owner + shop
		}
		switch n := r.IntN(20); {
		case n < 9:
			return "三元区" + t.Short + ownerStyle(r) + shop
		case n < 15:
			return "三元区" + ownerStyle(r) + shop
		default:
			return "三明市三元区" + t.Name + ownerStyle(r) + shop
		}
	}
}

var industryChoices = func() []weighted[*industry] {
	out := make([]weighted[*industry], len(industries))
	for i := range industries {
		out[i] = weighted[*industry]{&industries[i], industries[i].Weight}
	}
	return out
}()

// Tags of targets that are not market entities.
const (
	TagEIA = "环境影响评价"
)

// otherTargets are the products, projects and behaviours on the directory:
// few, fixed, and named the way a county's annual plan names them.
func otherTargets() []*backend.Target {
	t := func(id string, kind backend.TargetKind, name, industry, addr string, loc *backend.GeoPoint, tags ...string) *backend.Target {
		return &backend.Target{
			ID: id, Kind: kind, Name: name, RegionCode: CountyRegionCode, Address: addr, Location: loc,
			Industry: industry, Tags: tags, Status: backend.StatusActive,
		}
	}
	return []*backend.Target{
		t("product-2026-001", backend.KindProduct, "电线电缆（区内生产企业）", "C3831", "", nil, TagProductSample, TagProdLicence),
		t("product-2026-002", backend.KindProduct, "电动自行车（流通领域）", "", "", nil, TagProductSample),
		t("product-2026-003", backend.KindProduct, "儿童及婴幼儿服装（流通领域）", "F5232", "", nil, TagProductSample),
		t("project-2026-001", backend.KindProject, "三元区列东街道城市更新安置房项目（一期）", "E4710",
			CountyName+"列东街道新市北路东侧地块", &backend.GeoPoint{Lat: 26.2728, Lng: 117.6421}, TagConstruction, TagEIA),
		t("project-2026-002", backend.KindProject, "三元区莘口镇至岩前镇公路改建工程", "E4812",
			CountyName+"莘口镇至岩前镇沿线", &backend.GeoPoint{Lat: 26.1264, Lng: 117.5357}, TagConstruction, TagEIA),
		t("project-2026-003", backend.KindProject, "三元区荆西污水处理厂提标改造工程", "E48",
			CountyName+"荆西街道园区二路", &backend.GeoPoint{Lat: 26.1862, Lng: 117.5511}, TagConstruction, TagEIA, TagPollution),
		t("behaviour-2026-001", backend.KindBehaviour, "户外广告设置及发布行为", "", "", nil, TagAdvertising),
		t("behaviour-2026-002", backend.KindBehaviour, "网络直播营销行为", "", "", nil, TagOnline),
	}
}
