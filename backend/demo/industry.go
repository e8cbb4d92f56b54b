package demo

// Tags of the target directory. Plans select targets by tag (标签化管理), so
// each tag follows from the industry: a restaurant deals in food, a chemical
// plant in hazardous chemicals.
const (
	TagFood          = "食品经营"
	TagCatering      = "餐饮服务"
	TagFoodProd      = "食品生产"
	TagGroupMeals    = "集体用餐配送"
	TagColdChain     = "冷链食品"
	TagSchool        = "校园周边"
	TagSpecialEquip  = "特种设备使用"
	TagHazChem       = "危险化学品"
	TagFire          = "消防重点单位"
	TagPollution     = "排污许可"
	TagHazWaste      = "危险废物产生"
	TagConstruction  = "建筑施工"
	TagAgriInputs    = "农资经营"
	TagDrugs         = "药品经营"
	TagDevices       = "医疗器械经营"
	TagPublicPlace   = "公共场所"
	TagMedical       = "医疗机构"
	TagMine          = "非煤矿山"
	TagDust          = "粉尘涉爆"
	TagConfined      = "有限空间作业"
	TagGas           = "燃气使用"
	TagProdLicence   = "工业产品生产许可"
	TagLivestock     = "畜禽养殖"
	TagAquaculture   = "水产养殖"
	TagFarmProduce   = "食用农产品"
	TagPesticideUse  = "农药使用"
	TagTransport     = "道路运输"
	TagPropertyMgmt  = "物业服务"
	TagRealEstate    = "房地产开发"
	TagWaterSupply   = "二次供水"
	TagOnline        = "网络交易"
	TagMetrology     = "强制检定计量器具"
	TagOccupational  = "职业病危害"
	TagProductSample = "产品质量"
	TagAdvertising   = "广告监管"
)

// highRiskTags make a target a key-supervision target (重点监管对象) outright.
var highRiskTags = []string{TagHazChem, TagMine, TagGroupMeals, TagHazWaste}

// mediumRiskTags make it one when its credit class is C or D, or by chance.
var mediumRiskTags = []string{TagFoodProd, TagSpecialEquip, TagFire, TagDust, TagConstruction, TagDrugs, TagMedical, TagPollution}

type maybeTag struct {
	tag string
	p   float64
}

// industry is a GB/T 4754-2017 class with what the generator needs to make
// believable businesses of it.
type industry struct {
	Code   string
	Name   string
	Weight int // share of the county's market entities
	// Kind split in percent: enterprise, individual business, cooperative.
	Ent, Ind, Coop int
	Area           area
	EntWords       []string // 商贸, 餐饮管理 … (before 有限公司)
	ShopWords      []string // 小吃店, 水果店 … (individual businesses)
	CoopWords      []string // 食用菌专业合作社 …
	Tags           []string
	Maybe          []maybeTag
}

// industries is weighted so that the county looks like a county: mostly
// shops, restaurants and services, a few dozen factories, farms and
// cooperatives in the countryside.
var industries = []industry{
	// Retail and wholesale.
	{Code: "F5211", Name: "百货零售", Weight: 40, Ent: 40, Ind: 60, Area: areaUrban,
		EntWords: []string{"商贸", "百货"}, ShopWords: []string{"百货店", "日杂店", "便民商店", "百货商行"},
		Maybe: []maybeTag{{TagFood, 0.7}, {TagSpecialEquip, 0.08}, {TagFire, 0.08}, {TagOnline, 0.1}}},
	{Code: "F5212", Name: "超级市场零售", Weight: 35, Ent: 45, Ind: 55, Area: areaUrban,
		EntWords: []string{"超市", "商贸", "购物广场"}, ShopWords: []string{"超市", "便利超市", "生活超市"},
		Tags:  []string{TagFood},
		Maybe: []maybeTag{{TagColdChain, 0.3}, {TagSpecialEquip, 0.12}, {TagFire, 0.1}, {TagSchool, 0.1}, {TagMetrology, 0.3}}},
	{Code: "F5213", Name: "便利店零售", Weight: 30, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"便利店", "商贸"}, ShopWords: []string{"便利店", "便民店"},
		Tags:  []string{TagFood},
		Maybe: []maybeTag{{TagSchool, 0.15}}},
	{Code: "F5223", Name: "果品、蔬菜零售", Weight: 30, Ent: 5, Ind: 95, Area: areaUrban,
		EntWords: []string{"果业", "农产品"}, ShopWords: []string{"水果店", "蔬菜店", "果蔬店", "鲜果行"},
		Tags:  []string{TagFood, TagFarmProduce},
		Maybe: []maybeTag{{TagMetrology, 0.4}}},
	{Code: "F5224", Name: "肉、禽、蛋、奶及水产品零售", Weight: 25, Ent: 5, Ind: 95, Area: areaUrban,
		EntWords: []string{"食品", "农产品"}, ShopWords: []string{"猪肉店", "鲜肉铺", "水产店", "禽蛋店", "牛肉店"},
		Tags:  []string{TagFood, TagFarmProduce},
		Maybe: []maybeTag{{TagColdChain, 0.35}, {TagMetrology, 0.5}}},
	{Code: "F5221", Name: "粮油零售", Weight: 15, Ent: 15, Ind: 85, Area: areaUrban,
		EntWords: []string{"粮油", "米业"}, ShopWords: []string{"粮油店", "米店", "粮油商行"},
		Tags: []string{TagFood}},
	{Code: "F5226", Name: "酒、饮料及茶叶零售", Weight: 20, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"茶业", "酒业", "商贸"}, ShopWords: []string{"烟酒商行", "茶叶店", "名酒行", "茶庄"},
		Tags:  []string{TagFood},
		Maybe: []maybeTag{{TagOnline, 0.15}}},
	{Code: "F5222", Name: "糕点、面包零售", Weight: 12, Ent: 15, Ind: 85, Area: areaUrban,
		EntWords: []string{"食品", "烘焙"}, ShopWords: []string{"蛋糕店", "面包坊", "饼店", "烘焙坊"},
		Tags:  []string{TagFood},
		Maybe: []maybeTag{{TagSchool, 0.15}}},
	{Code: "F5232", Name: "服装零售", Weight: 45, Ent: 10, Ind: 90, Area: areaUrban,
		EntWords: []string{"服饰", "服装"}, ShopWords: []string{"服装店", "服饰店", "童装店", "女装店", "男装店"},
		Maybe: []maybeTag{{TagOnline, 0.15}}},
	{Code: "F5233", Name: "鞋帽零售", Weight: 12, Ent: 10, Ind: 90, Area: areaUrban,
		EntWords: []string{"鞋业"}, ShopWords: []string{"鞋店", "鞋业店"}},
	{Code: "F5251", Name: "西药零售", Weight: 18, Ent: 70, Ind: 30, Area: areaUrban,
		EntWords: []string{"大药房", "医药"}, ShopWords: []string{"药店", "大药房"},
		Tags:  []string{TagDrugs},
		Maybe: []maybeTag{{TagDevices, 0.5}}},
	{Code: "F5254", Name: "医疗用品及器材零售", Weight: 5, Ent: 60, Ind: 40, Area: areaUrban,
		EntWords: []string{"医疗器械", "医疗用品"}, ShopWords: []string{"医疗器械店", "康复用品店"},
		Tags: []string{TagDevices}},
	{Code: "F5265", Name: "机动车燃油零售", Weight: 6, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"石油", "能源", "石化"},
		Tags:     []string{TagHazChem, TagFire, TagMetrology},
		Maybe:    []maybeTag{{TagSpecialEquip, 0.3}, {TagFood, 0.4}}},
	{Code: "F5272", Name: "日用家电零售", Weight: 12, Ent: 30, Ind: 70, Area: areaUrban,
		EntWords: []string{"电器", "家电"}, ShopWords: []string{"家电商行", "电器店"}},
	{Code: "F5274", Name: "通信设备零售", Weight: 12, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"通讯", "通信设备"}, ShopWords: []string{"手机店", "通讯店", "手机维修店"}},
	{Code: "F5281", Name: "五金零售", Weight: 20, Ent: 15, Ind: 85, Area: areaUrban,
		EntWords: []string{"五金", "五金机电"}, ShopWords: []string{"五金店", "五金建材店", "五金商行"}},
	{Code: "F5167", Name: "农药批发", Weight: 8, Ent: 50, Ind: 50, Area: areaRural,
		EntWords: []string{"农资", "农业生产资料"}, ShopWords: []string{"农资店", "农资经营部", "农药店"},
		Tags:  []string{TagAgriInputs},
		Maybe: []maybeTag{{TagHazChem, 0.1}}},
	{Code: "F5166", Name: "化肥批发", Weight: 5, Ent: 50, Ind: 50, Area: areaRural,
		EntWords: []string{"农资", "肥业"}, ShopWords: []string{"化肥店", "农资店"},
		Tags: []string{TagAgriInputs}},
	{Code: "F5121", Name: "米、面制品及食用油批发", Weight: 8, Ent: 50, Ind: 50, Area: areaUrban,
		EntWords: []string{"粮油", "食品贸易"}, ShopWords: []string{"粮油批发部", "粮油商行"},
		Tags: []string{TagFood}},
	{Code: "F5126", Name: "酒、饮料及茶叶批发", Weight: 8, Ent: 60, Ind: 40, Area: areaUrban,
		EntWords: []string{"酒业", "贸易", "茶业"}, ShopWords: []string{"酒水批发部", "饮料批发部"},
		Tags:  []string{TagFood},
		Maybe: []maybeTag{{TagOnline, 0.2}}},
	{Code: "F5165", Name: "建材批发", Weight: 15, Ent: 60, Ind: 40, Area: areaIndustrial,
		EntWords: []string{"建材", "建筑材料"}, ShopWords: []string{"建材店", "建材商行", "瓷砖店"}},
	{Code: "F5261", Name: "汽车新车零售", Weight: 4, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"汽车销售服务", "汽车贸易"},
		Maybe:    []maybeTag{{TagHazWaste, 0.3}}},

	// Catering and accommodation.
	{Code: "H6210", Name: "正餐服务", Weight: 80, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"餐饮管理", "餐饮", "酒楼"}, ShopWords: []string{"饭店", "酒家", "大排档", "农家菜馆", "土菜馆", "小炒店", "私房菜馆", "火锅店"},
		Tags:  []string{TagFood, TagCatering},
		Maybe: []maybeTag{{TagGas, 0.6}, {TagFire, 0.05}, {TagSchool, 0.05}}},
	{Code: "H6220", Name: "快餐服务", Weight: 40, Ent: 15, Ind: 85, Area: areaUrban,
		EntWords: []string{"餐饮管理", "餐饮"}, ShopWords: []string{"快餐店", "中式快餐", "便当店"},
		Tags:  []string{TagFood, TagCatering},
		Maybe: []maybeTag{{TagGas, 0.4}, {TagSchool, 0.2}}},
	{Code: "H6291", Name: "小吃服务", Weight: 70, Ent: 3, Ind: 97, Area: areaUrban,
		EntWords: []string{"餐饮"}, ShopWords: []string{"小吃店", "沙县小吃", "扁肉店", "米粉店", "面馆", "早餐店", "拌面店", "包子铺", "烧烤店"},
		Tags:  []string{TagFood, TagCatering},
		Maybe: []maybeTag{{TagGas, 0.3}, {TagSchool, 0.2}}},
	{Code: "H6231", Name: "茶馆服务", Weight: 8, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"茶文化"}, ShopWords: []string{"茶馆", "茶楼"},
		Tags: []string{TagFood, TagCatering}},
	{Code: "H6239", Name: "其他饮料及冷饮服务", Weight: 15, Ent: 15, Ind: 85, Area: areaUrban,
		EntWords: []string{"餐饮管理", "饮品"}, ShopWords: []string{"奶茶店", "饮品店", "冷饮店"},
		Tags:  []string{TagFood, TagCatering},
		Maybe: []maybeTag{{TagSchool, 0.25}}},
	{Code: "H6241", Name: "餐饮配送服务", Weight: 3, Ent: 100, Area: areaUrban,
		EntWords: []string{"餐饮配送", "团膳管理"},
		Tags:     []string{TagFood, TagCatering, TagGroupMeals},
		Maybe:    []maybeTag{{TagGas, 0.5}}},
	{Code: "H6110", Name: "旅游饭店", Weight: 3, Ent: 100, Area: areaUrban,
		EntWords: []string{"大酒店", "酒店"},
		Tags:     []string{TagFood, TagCatering, TagPublicPlace, TagFire, TagSpecialEquip},
		Maybe:    []maybeTag{{TagWaterSupply, 0.5}}},
	{Code: "H6121", Name: "经济型连锁酒店", Weight: 6, Ent: 80, Ind: 20, Area: areaUrban,
		EntWords: []string{"酒店管理", "宾馆"}, ShopWords: []string{"宾馆", "商务酒店"},
		Tags:  []string{TagPublicPlace},
		Maybe: []maybeTag{{TagFire, 0.5}, {TagSpecialEquip, 0.4}}},
	{Code: "H6129", Name: "其他一般旅馆", Weight: 12, Ent: 20, Ind: 80, Area: areaUrban,
		EntWords: []string{"宾馆"}, ShopWords: []string{"旅社", "宾馆", "招待所"},
		Tags:  []string{TagPublicPlace},
		Maybe: []maybeTag{{TagFire, 0.2}}},
	{Code: "H6130", Name: "民宿服务", Weight: 3, Ent: 30, Ind: 70, Area: areaRural,
		EntWords: []string{"乡村旅游", "民宿"}, ShopWords: []string{"民宿", "山庄"},
		Tags:  []string{TagPublicPlace},
		Maybe: []maybeTag{{TagFood, 0.5}}},

	// Manufacturing: a forestry, building-materials and chemicals district.
	{Code: "C1391", Name: "淀粉及淀粉制品制造", Weight: 4, Ent: 80, Ind: 20, Area: areaIndustrial,
		EntWords: []string{"食品", "淀粉"}, ShopWords: []string{"粉丝加工坊", "薯粉加工厂"},
		Tags:  []string{TagFoodProd},
		Maybe: []maybeTag{{TagPollution, 0.7}, {TagConfined, 0.4}}},
	{Code: "C1431", Name: "米、面制品制造", Weight: 8, Ent: 60, Ind: 40, Area: areaIndustrial,
		EntWords: []string{"食品", "米业"}, ShopWords: []string{"米粉加工坊", "面条加工店", "粿条加工坊"},
		Tags:  []string{TagFoodProd},
		Maybe: []maybeTag{{TagSpecialEquip, 0.3}}},
	{Code: "C1392", Name: "豆制品制造", Weight: 5, Ent: 30, Ind: 70, Area: areaUrban,
		EntWords: []string{"食品", "豆制品"}, ShopWords: []string{"豆腐坊", "豆制品加工坊"},
		Tags: []string{TagFoodProd}},
	{Code: "C1411", Name: "糕点、面包制造", Weight: 5, Ent: 60, Ind: 40, Area: areaIndustrial,
		EntWords: []string{"食品", "烘焙食品"}, ShopWords: []string{"糕点加工坊"},
		Tags: []string{TagFoodProd}},
	{Code: "C1530", Name: "精制茶加工", Weight: 5, Ent: 80, Ind: 20, Area: areaRural,
		EntWords: []string{"茶业", "茶叶"}, ShopWords: []string{"茶叶加工厂"},
		Tags: []string{TagFoodProd}},
	{Code: "C2011", Name: "锯材加工", Weight: 10, Ent: 70, Ind: 30, Area: areaIndustrial,
		EntWords: []string{"木业", "木材加工"}, ShopWords: []string{"木材加工厂", "锯板厂"},
		Maybe: []maybeTag{{TagDust, 0.6}, {TagFire, 0.2}, {TagOccupational, 0.5}}},
	{Code: "C2021", Name: "胶合板制造", Weight: 6, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"木业", "人造板"},
		Maybe:    []maybeTag{{TagDust, 0.5}, {TagPollution, 0.5}, {TagSpecialEquip, 0.6}, {TagOccupational, 0.5}}},
	{Code: "C2110", Name: "木质家具制造", Weight: 6, Ent: 80, Ind: 20, Area: areaIndustrial,
		EntWords: []string{"家具", "家居"}, ShopWords: []string{"家具厂"},
		Maybe: []maybeTag{{TagDust, 0.5}, {TagPollution, 0.4}, {TagHazChem, 0.1}, {TagOccupational, 0.4}}},
	{Code: "C2221", Name: "机制纸及纸板制造", Weight: 3, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"纸业"},
		Tags:     []string{TagPollution, TagSpecialEquip},
		Maybe:    []maybeTag{{TagConfined, 0.5}, {TagHazWaste, 0.3}}},
	{Code: "C2614", Name: "有机化学原料制造", Weight: 3, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"化工", "化学"},
		Tags:     []string{TagHazChem, TagPollution, TagSpecialEquip, TagFire, TagHazWaste},
		Maybe:    []maybeTag{{TagOccupational, 0.8}, {TagConfined, 0.5}}},
	{Code: "C2641", Name: "涂料制造", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"涂料", "新材料"},
		Tags:     []string{TagHazChem, TagPollution, TagHazWaste},
		Maybe:    []maybeTag{{TagSpecialEquip, 0.5}, {TagOccupational, 0.6}}},
	{Code: "C3011", Name: "水泥制造", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"水泥", "建材"},
		Tags:     []string{TagPollution, TagSpecialEquip, TagProdLicence},
		Maybe:    []maybeTag{{TagOccupational, 0.8}}},
	{Code: "C3021", Name: "水泥制品制造", Weight: 6, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"建材", "混凝土", "新型建材"},
		Maybe:    []maybeTag{{TagPollution, 0.5}, {TagSpecialEquip, 0.7}}},
	{Code: "C3031", Name: "粘土砖瓦及建筑砌块制造", Weight: 3, Ent: 100, Area: areaRural,
		EntWords: []string{"新型建材", "墙体材料"},
		Maybe:    []maybeTag{{TagPollution, 0.6}}},
	{Code: "C3130", Name: "钢压延加工", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"钢业", "金属材料"},
		Tags:     []string{TagSpecialEquip, TagPollution},
		Maybe:    []maybeTag{{TagFire, 0.5}, {TagOccupational, 0.6}}},
	{Code: "C3311", Name: "金属结构制造", Weight: 6, Ent: 90, Ind: 10, Area: areaIndustrial,
		EntWords: []string{"钢结构", "机械"}, ShopWords: []string{"铁艺加工店"},
		Maybe: []maybeTag{{TagSpecialEquip, 0.7}, {TagOccupational, 0.4}}},
	{Code: "C3360", Name: "金属表面处理及热处理加工", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"表面处理", "金属制品"},
		Tags:     []string{TagPollution, TagHazWaste},
		Maybe:    []maybeTag{{TagHazChem, 0.8}, {TagOccupational, 0.6}}},
	{Code: "C3670", Name: "汽车零部件及配件制造", Weight: 4, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"汽车配件", "机械"},
		Maybe:    []maybeTag{{TagSpecialEquip, 0.6}, {TagPollution, 0.3}, {TagDust, 0.1}}},
	{Code: "C3831", Name: "电线、电缆制造", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"电缆", "线缆"},
		Tags:     []string{TagProdLicence},
		Maybe:    []maybeTag{{TagSpecialEquip, 0.5}}},
	{Code: "C1810", Name: "机织服装制造", Weight: 4, Ent: 80, Ind: 20, Area: areaIndustrial,
		EntWords: []string{"服饰", "制衣"}, ShopWords: []string{"制衣厂", "服装加工厂"},
		Maybe: []maybeTag{{TagFire, 0.3}}},
	{Code: "C2922", Name: "塑料板、管、型材制造", Weight: 3, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"塑业", "管业"},
		Maybe:    []maybeTag{{TagPollution, 0.3}, {TagSpecialEquip, 0.3}}},

	// Mining.
	{Code: "B1019", Name: "粘土及其他土砂石开采", Weight: 3, Ent: 100, Area: areaRural,
		EntWords: []string{"矿业", "石料"},
		Tags:     []string{TagMine},
		Maybe:    []maybeTag{{TagPollution, 0.5}, {TagOccupational, 0.7}}},

	// Construction and real estate.
	{Code: "E4710", Name: "住宅房屋建筑", Weight: 12, Ent: 100, Area: areaUrban,
		EntWords: []string{"建筑工程", "建设工程", "建设"},
		Tags:     []string{TagConstruction}},
	{Code: "E4790", Name: "其他房屋建筑业", Weight: 4, Ent: 100, Area: areaUrban,
		EntWords: []string{"建筑工程", "建设"},
		Tags:     []string{TagConstruction}},
	{Code: "E4813", Name: "市政道路工程建筑", Weight: 5, Ent: 100, Area: areaUrban,
		EntWords: []string{"市政工程", "路桥工程"},
		Tags:     []string{TagConstruction}},
	{Code: "E5012", Name: "住宅装饰和装修", Weight: 18, Ent: 60, Ind: 40, Area: areaUrban,
		EntWords: []string{"装饰工程", "装饰设计"}, ShopWords: []string{"装饰部", "装修工作室"},
		Maybe: []maybeTag{{TagConstruction, 0.2}}},
	{Code: "E4910", Name: "电气安装", Weight: 5, Ent: 100, Area: areaUrban,
		EntWords: []string{"电力工程", "机电安装"},
		Maybe:    []maybeTag{{TagConstruction, 0.5}}},
	{Code: "K7010", Name: "房地产开发经营", Weight: 6, Ent: 100, Area: areaUrban,
		EntWords: []string{"房地产开发", "置业"},
		Tags:     []string{TagRealEstate}},
	{Code: "K7020", Name: "物业管理", Weight: 8, Ent: 100, Area: areaUrban,
		EntWords: []string{"物业管理", "物业服务"},
		Tags:     []string{TagPropertyMgmt},
		Maybe:    []maybeTag{{TagSpecialEquip, 0.7}, {TagWaterSupply, 0.4}}},

	// Transport.
	{Code: "G5431", Name: "普通货物道路运输", Weight: 20, Ent: 40, Ind: 60, Area: areaIndustrial,
		EntWords: []string{"物流", "运输"}, ShopWords: []string{"货运部", "物流配送部"},
		Tags: []string{TagTransport}},
	{Code: "G5435", Name: "危险货物道路运输", Weight: 2, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"危险品运输", "化工物流"},
		Tags:     []string{TagTransport, TagHazChem}},

	// Services.
	{Code: "O8040", Name: "理发及美容服务", Weight: 40, Ent: 5, Ind: 95, Area: areaUrban,
		EntWords: []string{"美容美发", "美业"}, ShopWords: []string{"理发店", "美发店", "美容院", "美甲店", "发型工作室"},
		Tags: []string{TagPublicPlace}},
	{Code: "O8051", Name: "洗浴服务", Weight: 3, Ent: 50, Ind: 50, Area: areaUrban,
		EntWords: []string{"休闲", "洗浴"}, ShopWords: []string{"浴室", "洗浴中心"},
		Tags:  []string{TagPublicPlace},
		Maybe: []maybeTag{{TagSpecialEquip, 0.6}, {TagFire, 0.5}, {TagWaterSupply, 0.3}}},
	{Code: "O8052", Name: "足浴服务", Weight: 8, Ent: 30, Ind: 70, Area: areaUrban,
		EntWords: []string{"足浴", "休闲"}, ShopWords: []string{"足浴店", "足道馆"},
		Tags: []string{TagPublicPlace}},
	{Code: "O8111", Name: "汽车修理与维护", Weight: 20, Ent: 30, Ind: 70, Area: areaIndustrial,
		EntWords: []string{"汽车服务", "汽车维修"}, ShopWords: []string{"汽车修理厂", "汽修店", "汽车美容店", "轮胎店"},
		Maybe: []maybeTag{{TagHazWaste, 0.5}, {TagSpecialEquip, 0.1}, {TagPollution, 0.05}}},
	{Code: "O8030", Name: "洗染服务", Weight: 5, Ent: 10, Ind: 90, Area: areaUrban,
		EntWords: []string{"洗涤"}, ShopWords: []string{"干洗店", "洗衣店"}},
	{Code: "Q8425", Name: "门诊部（所）", Weight: 6, Ent: 50, Ind: 50, Area: areaUrban,
		EntWords: []string{"口腔门诊部", "中医门诊部", "医疗管理"}, ShopWords: []string{"诊所", "口腔诊所", "中医诊所"},
		Tags:  []string{TagMedical},
		Maybe: []maybeTag{{TagDrugs, 0.3}}},
	{Code: "I6510", Name: "软件开发", Weight: 8, Ent: 100, Area: areaUrban,
		EntWords: []string{"网络科技", "信息技术", "软件"}},
	{Code: "L7299", Name: "其他未列明商务服务业", Weight: 15, Ent: 80, Ind: 20, Area: areaUrban,
		EntWords: []string{"商务咨询", "企业管理", "商务服务"}, ShopWords: []string{"商务服务部", "咨询服务部"}},
	{Code: "L7259", Name: "其他广告服务", Weight: 8, Ent: 60, Ind: 40, Area: areaUrban,
		EntWords: []string{"广告", "文化传媒"}, ShopWords: []string{"广告部", "图文店"},
		Maybe: []maybeTag{{TagAdvertising, 0.4}}},
	{Code: "N7723", Name: "固体废物治理", Weight: 1, Ent: 100, Area: areaIndustrial,
		EntWords: []string{"环保科技", "再生资源"},
		Tags:     []string{TagPollution, TagHazWaste}},

	// Agriculture: mushrooms, vegetables, tea, fruit, pigs — and the
	// cooperatives that grow them.
	{Code: "A0142", Name: "食用菌种植", Weight: 12, Ent: 20, Ind: 30, Coop: 50, Area: areaRural,
		EntWords: []string{"农业开发", "生物科技", "菌业"}, ShopWords: []string{"家庭农场", "菇场"},
		CoopWords: []string{"食用菌专业合作社", "菌菇种植专业合作社"},
		Tags:      []string{TagFarmProduce},
		Maybe:     []maybeTag{{TagPesticideUse, 0.3}}},
	{Code: "A0141", Name: "蔬菜种植", Weight: 8, Ent: 20, Ind: 30, Coop: 50, Area: areaRural,
		EntWords: []string{"农业开发", "生态农业"}, ShopWords: []string{"家庭农场"},
		CoopWords: []string{"蔬菜专业合作社", "果蔬种植专业合作社"},
		Tags:      []string{TagFarmProduce, TagPesticideUse}},
	{Code: "A0164", Name: "茶叶种植", Weight: 4, Ent: 30, Ind: 20, Coop: 50, Area: areaRural,
		EntWords: []string{"茶业", "生态农业"}, ShopWords: []string{"家庭农场", "茶园"},
		CoopWords: []string{"茶叶专业合作社"},
		Tags:      []string{TagFarmProduce},
		Maybe:     []maybeTag{{TagPesticideUse, 0.5}}},
	{Code: "A0151", Name: "仁果类和核果类水果种植", Weight: 4, Ent: 20, Ind: 30, Coop: 50, Area: areaRural,
		EntWords: []string{"果业", "农业开发"}, ShopWords: []string{"家庭农场", "果园"},
		CoopWords: []string{"果业专业合作社", "水果种植专业合作社"},
		Tags:      []string{TagFarmProduce, TagPesticideUse}},
	{Code: "A0313", Name: "猪的饲养", Weight: 5, Ent: 40, Ind: 20, Coop: 40, Area: areaRural,
		EntWords: []string{"牧业", "农牧"}, ShopWords: []string{"家庭农场", "养猪场"},
		CoopWords: []string{"生猪养殖专业合作社"},
		Tags:      []string{TagLivestock},
		Maybe:     []maybeTag{{TagPollution, 0.6}}},
	{Code: "A0321", Name: "鸡的饲养", Weight: 3, Ent: 30, Ind: 30, Coop: 40, Area: areaRural,
		EntWords: []string{"禽业", "生态养殖"}, ShopWords: []string{"家庭农场", "养鸡场"},
		CoopWords: []string{"家禽养殖专业合作社"},
		Tags:      []string{TagLivestock}},
	{Code: "A0412", Name: "内陆养殖", Weight: 3, Ent: 30, Ind: 30, Coop: 40, Area: areaRural,
		EntWords: []string{"水产", "渔业"}, ShopWords: []string{"家庭农场", "养殖场"},
		CoopWords: []string{"水产养殖专业合作社"},
		Tags:      []string{TagAquaculture}},
	{Code: "A0212", Name: "林木育苗", Weight: 3, Ent: 30, Ind: 20, Coop: 50, Area: areaRural,
		EntWords: []string{"林业", "苗木"}, ShopWords: []string{"苗圃"},
		CoopWords: []string{"苗木专业合作社", "林业专业合作社"}},
	{Code: "A0515", Name: "农作物病虫害防治活动", Weight: 2, Ent: 20, Coop: 80, Area: areaRural,
		EntWords:  []string{"植保科技"},
		CoopWords: []string{"植保专业合作社", "农机植保专业合作社"},
		Tags:      []string{TagPesticideUse}},
}
