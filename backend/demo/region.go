package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The demo county and the codes of the registration authorities that have
// issued its market entities' credit codes.
const (
	CountyName       = "福建省三明市三元区"
	CountyRegionCode = "350404" // 三元区 since the 2021 merger
	cityRegionCode   = "350400" // 三明市: larger companies register with the city
	oldMeilieCode    = "350402" // former 梅列区, until 2021
	oldSanyuanCode   = "350403" // former 三元区, until 2021
	mergerYear       = 2021
)

// Township is one of the county's townships (乡镇街道).
type Township struct {
	Name   string // 列东街道
	Short  string // 列东, as used in business names
	Center backend.GeoPoint
	// Urban townships (街道) have streets; rural ones villages.
	Urban    bool
	Streets  []string
	Villages []string
	// OldCode is the district code the township belonged to before 2021.
	OldCode string
}

// Townships of 三元区. Centres are approximate; streets and villages are a
// mix of real and plausible names.
var townships = []Township{
	{Name: "列东街道", Short: "列东", Center: backend.GeoPoint{Lat: 26.2695, Lng: 117.6395}, Urban: true, OldCode: oldMeilieCode,
		Streets: []string{"新市北路", "列东街", "东新一路", "东新二路", "东新三路", "东新四路", "乾龙新村", "梅岭新村", "崇桂新村"}},
	{Name: "列西街道", Short: "列西", Center: backend.GeoPoint{Lat: 26.2660, Lng: 117.6205}, Urban: true, OldCode: oldMeilieCode,
		Streets: []string{"列西街", "新市中路", "工业中路", "江滨路", "群英路", "高岩新村", "三路"}},
	{Name: "徐碧街道", Short: "徐碧", Center: backend.GeoPoint{Lat: 26.2440, Lng: 117.6240}, Urban: true, OldCode: oldMeilieCode,
		Streets: []string{"徐碧新村", "碧湖路", "东乾路", "江滨北路", "徐碧路", "东霞新村"}},
	{Name: "城关街道", Short: "城关", Center: backend.GeoPoint{Lat: 26.2335, Lng: 117.6045}, Urban: true, OldCode: oldSanyuanCode,
		Streets: []string{"新市南路", "建设街", "崇宁路", "台江路", "人民路", "富兴路", "沙洲路", "和平路"}},
	{Name: "白沙街道", Short: "白沙", Center: backend.GeoPoint{Lat: 26.2525, Lng: 117.5960}, Urban: true, OldCode: oldSanyuanCode,
		Streets: []string{"白沙路", "长安路", "桥西路", "白沙新村", "江滨南路"}},
	{Name: "富兴堡街道", Short: "富兴堡", Center: backend.GeoPoint{Lat: 26.2185, Lng: 117.5865}, Urban: true, OldCode: oldSanyuanCode,
		Streets: []string{"富兴堡路", "永兴路", "富华路", "荆东路", "工业北路"}},
	{Name: "荆西街道", Short: "荆西", Center: backend.GeoPoint{Lat: 26.1905, Lng: 117.5560}, Urban: true, OldCode: oldSanyuanCode,
		Streets: []string{"荆西路", "荆东工业园路", "黄砂路", "荆西新村", "园区一路", "园区二路"}},
	{Name: "陈大镇", Short: "陈大", Center: backend.GeoPoint{Lat: 26.3170, Lng: 117.6700}, OldCode: oldMeilieCode,
		Streets:  []string{"陈大街", "金沙路", "瑞云路"},
		Villages: []string{"陈大村", "瑞云村", "大源村", "洋坑村", "梅源村", "下洋村"}},
	{Name: "洋溪镇", Short: "洋溪", Center: backend.GeoPoint{Lat: 26.3010, Lng: 117.5880}, OldCode: oldMeilieCode,
		Streets:  []string{"洋溪街", "湖口路"},
		Villages: []string{"洋溪村", "官庄村", "沙阳村", "湖口村", "坪头村"}},
	{Name: "莘口镇", Short: "莘口", Center: backend.GeoPoint{Lat: 26.1520, Lng: 117.4700}, OldCode: oldSanyuanCode,
		Streets:  []string{"莘口街", "杉口路", "西际路"},
		Villages: []string{"莘口村", "杉口村", "西际村", "曹源村", "龙泉村", "沙阳村", "松阳村"}},
	{Name: "岩前镇", Short: "岩前", Center: backend.GeoPoint{Lat: 26.0960, Lng: 117.6010}, OldCode: oldSanyuanCode,
		Streets:  []string{"岩前街", "万全路"},
		Villages: []string{"岩前村", "万全村", "忠山村", "吉口村", "星桥村", "黄坑村"}},
	{Name: "中村乡", Short: "中村", Center: backend.GeoPoint{Lat: 26.0500, Lng: 117.5100}, OldCode: oldSanyuanCode,
		Streets:  []string{"中村街"},
		Villages: []string{"中村村", "回瑶村", "前村村", "穷坑村", "布头村", "雷公坑村"}},
}

// Where businesses of a kind of industry settle: shops and restaurants in the
// city, factories in the industrial belt, farms in the countryside.
type area int

const (
	areaUrban area = iota
	areaIndustrial
	areaRural
)

// townshipWeights[area][i] is the weight of townships[i].
var townshipWeights = [3][12]int{
	areaUrban:      {18, 16, 12, 16, 8, 8, 5, 4, 3, 5, 3, 2},
	areaIndustrial: {3, 3, 4, 5, 6, 12, 15, 12, 8, 12, 10, 5},
	areaRural:      {1, 1, 1, 1, 2, 4, 8, 12, 14, 16, 16, 18},
}

func pickTownship(r *rand.Rand, a area) *Township {
	w := townshipWeights[a]
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.IntN(total)
	for i, x := range w {
		if n < x {
			return &townships[i]
		}
		n -= x
	}
	panic("demo: unreachable")
}

// address returns a plausible registered address in the township and a
// location scattered around its centre: tightly in the city, widely in the
// countryside.
func address(r *rand.Rand, t *Township, a area) (string, *backend.GeoPoint) {
	var addr string
	sigma := 0.006 // about 600 m
	switch {
	case t.Urban:
		addr = fmt.Sprintf("%s%s%s%d号", CountyName, t.Name, pick(r, t.Streets), 1+r.IntN(260))
		switch {
		case a != areaUrban:
			sigma = 0.01 // works and farms on the edge of town
		case chance(r, 0.3):
			addr += fmt.Sprintf("%d幢%d0%d室", 1+r.IntN(12), 1+r.IntN(3), 1+r.IntN(6))
		case chance(r, 0.5):
			addr += "店面"
		}
	case a == areaUrban && len(t.Streets) > 0 && chance(r, 0.7):
		// Shops in a town cluster along its main street.
		addr = fmt.Sprintf("%s%s%s%d号", CountyName, t.Name, pick(r, t.Streets), 1+r.IntN(120))
		sigma = 0.004
	default:
		addr = fmt.Sprintf("%s%s%s%d号", CountyName, t.Name, pick(r, t.Villages), 1+r.IntN(180))
		sigma = 0.02 // about 2 km
	}
	loc := &backend.GeoPoint{
		Lat: round6(t.Center.Lat + r.NormFloat64()*sigma),
		Lng: round6(t.Center.Lng + r.NormFloat64()*sigma),
	}
	return addr, loc
}

// round6 keeps six decimals (about 0.1 m): what a phone reports, and stable
// when printed.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// copyTownships returns a copy of the township table that callers may
// change freely.
func copyTownships() []Township {
	out := make([]Township, len(townships))
	for i, t := range townships {
		t.Streets = slices.Clone(t.Streets)
		t.Villages = slices.Clone(t.Villages)
		out[i] = t
	}
	return out
}
