package demo

import "math/rand/v2"

// weighted is one choice of a weighted draw.
type weighted[T any] struct {
	v T
	w int
}

// pickWeighted draws one value with probability proportional to its weight.
func pickWeighted[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	n := r.IntN(total)
	for _, c := range choices {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	panic("demo: unreachable")
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// Surnames weighted roughly as they occur in Fujian, where 林, 陈 and 黄 lead.
var surnames = []weighted[string]{
	{"林", 90}, {"陈", 90}, {"黄", 60}, {"张", 40}, {"李", 40}, {"王", 35}, {"吴", 30}, {"刘", 28},
	{"郑", 26}, {"杨", 22}, {"邱", 20}, {"罗", 18}, {"谢", 18}, {"蔡", 15}, {"许", 15}, {"曾", 15},
	{"廖", 15}, {"赖", 14}, {"徐", 14}, {"周", 14}, {"叶", 14}, {"朱", 12}, {"余", 12}, {"邓", 12},
	{"肖", 12}, {"吕", 10}, {"江", 10}, {"何", 10}, {"高", 10}, {"潘", 10}, {"钟", 10}, {"魏", 9},
	{"詹", 8}, {"胡", 8}, {"卢", 8}, {"梁", 8}, {"范", 8}, {"傅", 8}, {"苏", 8}, {"沈", 6},
	{"邹", 6}, {"严", 6}, {"涂", 6}, {"翁", 6}, {"温", 6}, {"马", 5}, {"戴", 5}, {"姚", 5},
	{"雷", 5}, {"蓝", 5}, {"巫", 4}, {"官", 4}, {"游", 4}, {"饶", 4}, {"孙", 4}, {"丁", 4},
	{"阮", 3}, {"伍", 3}, {"宋", 3}, {"汤", 3}, {"童", 3}, {"兰", 3}, {"程", 3}, {"冯", 3},
}

var (
	maleChars   = []rune("伟强磊军勇杰涛斌超明辉华建国平刚文龙林鹏海波峰宇浩俊志晨凯旭东亮鑫阳鸿荣福兴永春清金德祥晖锋彬")
	femaleChars = []rune("芳娜敏静丽艳娟霞秀英玲燕萍红琳雪婷慧颖佳倩洁欣梅兰晶莉琴云凤月璐瑶婧")
)

// personName draws a plausible Chinese personal name.
func personName(r *rand.Rand) string {
	s := pickWeighted(r, surnames)
	chars := maleChars
	if r.IntN(2) == 0 {
		chars = femaleChars
	}
	given := string(chars[r.IntN(len(chars))])
	if chance(r, 0.75) {
		c2 := chars[r.IntN(len(chars))]
		given += string(c2)
	}
	return s + given
}

// Trade names (字号) of the kind county registers are full of.
var tradeNames = []string{
	"鑫源", "恒达", "华盛", "宏远", "金穗", "闽中", "盛隆", "万家", "永丰", "佳和",
	"福瑞", "兴旺", "嘉禾", "顺达", "荣泰", "瑞丰", "天成", "宏发", "众诚", "信达",
	"博远", "恒信", "金鼎", "新源", "汇通", "鸿运", "瑞祥", "祥和", "富华", "福兴",
	"德润", "润泽", "东升", "旭日", "金山", "翠峰", "青山", "碧水", "绿源", "绿野",
	"明珠", "长青", "长兴", "久盛", "百川", "千禧", "启航", "致远", "卓越", "开元",
	"建安", "安泰", "泰和", "和顺", "顺兴", "丰泽", "丰源", "源泰", "泰丰", "益民",
	"惠民", "利民", "民康", "康源", "健民", "新华", "振华", "振兴", "兴华", "华兴",
	"宏达", "达丰", "丰华", "金源", "金泰", "金辉", "晟达", "晟泰", "瀚海", "沁园",
	"雅居", "怡景", "景和", "和美", "美佳", "佳禾", "禾丰", "稻香", "沙溪", "麒麟",
	"瑞云", "鼎盛", "盛世", "元亨", "亨通", "通达", "达盛", "兴隆", "隆昌", "昌盛",
	"盛泰", "泰安", "安达", "旺源", "源丰", "福源", "福临", "临江", "江滨", "三元",
	"格氏", "万寿", "岩泉", "清风", "明远", "融信", "恒昌", "聚丰", "聚源", "合盛",
	"同心", "同兴", "群英", "新时代", "金三角", "红日", "紫云", "碧峰", "银杉", "杉城",
	"闽兴", "闽丰", "闽源", "鼎新", "中和", "永安泰", "裕丰", "裕民", "嘉信", "嘉源",
	"诚达", "诚鑫", "鹏程", "腾达", "凯达", "凯旋", "锦绣", "锦程", "星辰", "东方红",
}

// Styles of the owner part of an individual business name: 老王, 小林, 阿华 …
func ownerStyle(r *rand.Rand) string {
	s := pickWeighted(r, surnames)
	switch r.IntN(6) {
	case 0, 1:
		return "老" + s
	case 2:
		return "小" + s
	case 3:
		return "阿" + string(maleChars[r.IntN(len(maleChars))])
	case 4:
		return s + "记"
	default:
		return pick(r, tradeNames)
	}
}
