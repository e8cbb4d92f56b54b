package demo

import "github.com/fieldcheck/fieldcheck/backend"

// Question helpers: a checklist reads better as a list of one-liners.
func yesno(id, text string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QYesNo, Required: true}
}

func single(id, text string, options ...string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QSingle, Options: options, Required: true}
}

func multiple(id, text string, options ...string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QMultiple, Options: options, Required: true}
}

func number(id, text string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QNumber}
}

func freeText(id, text string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QText}
}

// photo is a question answered by a photo; required ones cannot be
// submitted without one.
func photo(id, text string, required bool) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QPhoto, Required: required, PhotoRequired: required}
}

// withPhoto asks for a photo as evidence of a yes/no answer.
func withPhoto(q backend.Question) backend.Question { q.PhotoRequired = true; return q }

func withBasis(q backend.Question, basis string) backend.Question { q.Basis = basis; return q }

func optional(q backend.Question) backend.Question { q.Required = false; return q }

type itemSpec struct {
	item      backend.Item
	questions []backend.Question
}

const (
	everyYear       = "每年一次"
	atLeastYearly   = "每年不少于一次"
	perAnnualPlan   = "按年度抽查计划"
	twiceYearly     = "每半年一次"
	foodSafetyLaw   = "《中华人民共和国食品安全法》"
	specialEquipLaw = "《中华人民共和国特种设备安全法》"
	workSafetyLaw   = "《中华人民共和国安全生产法》"
)

// itemSpecs is the county's spot-check item list (抽查事项清单), modelled
// on published department lists: each item names its legal basis, target,
// content, method, category and, for general items, the ratio cap.
var itemSpecs = []itemSpec{
	// 市场监督管理局
	{backend.Item{
		Code: "SCJG-01", Name: "企业年度报告公示情况检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: "《企业信息公示暂行条例》第八条、第十四条；《企业公示信息抽查暂行办法》",
		Content:    "企业年度报告中登记事项、股东（发起人）认缴和实缴出资额、出资时间、出资方式、资产状况、对外投资等信息的真实性；即时信息公示情况；通过登记的住所能否联系。",
		Standard:   "年度报告于每年1月1日至6月30日报送并公示；公示信息与实际情况一致。",
		Method:     backend.MethodDocument, Category: backend.ItemGeneral, RatioCapBp: 300, Frequency: everyYear,
	}, []backend.Question{
		withBasis(yesno("ar_filed", "是否在规定期限内报送并公示上一年度年度报告"), "《企业信息公示暂行条例》第八条"),
		single("address", "通过登记的住所（经营场所）能否联系", "能联系", "无法联系"),
		yesno("capital", "公示的股东认缴、实缴出资额及出资时间与实际是否一致"),
		number("assets", "资产总额（万元，按年度报告）"),
		optional(freeText("discrepancy", "公示信息与实际不一致的情况说明")),
		photo("site_photo", "住所（经营场所）及营业执照现场照片", true),
	}},
	{backend.Item{
		Code: "SCJG-02", Name: "营业执照公示情况检查", DepartmentID: "scjg", TargetKind: backend.KindIndividual,
		LegalBasis: "《中华人民共和国市场主体登记管理条例》第三十六条；《促进个体工商户发展条例》",
		Content:    "营业执照是否置于住所或主要经营场所的醒目位置；实际经营场所与登记是否一致；从事网络经营的是否在网店首页显著位置公示营业执照信息。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		withPhoto(yesno("displayed", "营业执照正本是否置于经营场所醒目位置")),
		yesno("same_site", "实际经营场所与登记的经营场所是否一致"),
		multiple("scope", "实际经营项目", "与登记经营范围一致", "超出登记经营范围", "涉及许可经营项目未取得许可"),
		optional(yesno("online", "从事网络经营的，是否在网店首页显著位置公示营业执照信息")),
		photo("licence_photo", "营业执照悬挂位置照片", true),
	}},
	{backend.Item{
		Code: "SCJG-03", Name: "食品经营许可及经营行为检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: foodSafetyLaw + "第三十五条、第八十七条、第一百一十条；《食品经营许可和备案管理办法》",
		Content:    "食品经营许可（备案）情况；从业人员健康管理；进货查验和记录；食品贮存条件；超过保质期、腐败变质或标签不符合规定的食品；必要时抽样检验。",
		Standard:   "《食品经营过程卫生规范》（GB 31621）",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(withBasis(yesno("licence", "是否持有效食品经营许可证（或已备案），并在经营场所显著位置公示"), foodSafetyLaw+"第三十五条")),
		yesno("health_cert", "从事接触直接入口食品工作的从业人员是否持有有效健康证明"),
		yesno("purchase_record", "是否建立并执行进货查验记录制度，票证是否齐全"),
		single("expired", "是否发现超过保质期、腐败变质或标签不符合规定的食品", "未发现", "发现少量，已当场下架", "发现并仍在销售"),
		multiple("storage", "食品贮存条件", "冷藏冷冻设施运转正常", "食品与非食品分区存放", "离地离墙存放", "存在问题"),
		number("cold_temp", "冷藏设施实测温度（℃）"),
		photo("site_photo", "经营场所及重点部位照片", true),
	}},
	{backend.Item{
		Code: "SCJG-04", Name: "餐饮服务食品安全检查", DepartmentID: "scjg", TargetKind: backend.KindIndividual,
		LegalBasis: foodSafetyLaw + "第五十五条、第五十六条、第一百一十条；《餐饮服务食品安全操作规范》",
		Content:    "许可公示；原料控制与进货查验；加工制作过程生熟分开；餐饮具清洗消毒；食品添加剂管理；留样；使用瓶装燃气的安全措施。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "是否持有效食品经营许可证并公示")),
		yesno("kitchen", "后厨是否生熟分开、清洁卫生，防蝇防鼠设施完好"),
		withBasis(single("tableware", "餐饮具清洗消毒", "集中消毒且有凭证", "自行消毒且设施运转正常", "未消毒或设施不全"), foodSafetyLaw+"第五十六条"),
		yesno("additives", "食品添加剂是否专柜存放、专人管理并记录使用情况"),
		optional(yesno("sample_keep", "是否按规定留样（校园周边、集体用餐等）")),
		optional(yesno("gas_alarm", "使用瓶装液化石油气的，是否安装可燃气体报警装置")),
		photo("kitchen_photo", "后厨操作间照片", true),
	}},
	{backend.Item{
		Code: "SCJG-05", Name: "特种设备使用单位检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: specialEquipLaw + "第三十二条、第三十三条、第三十五条、第五十七条；《特种设备使用管理规则》（TSG 08）",
		Content:    "特种设备使用登记；定期检验；安全技术档案；作业人员持证；日常维护保养和自行检查；应急预案。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(withBasis(yesno("registered", "特种设备是否办理使用登记，登记标志置于显著位置"), specialEquipLaw+"第三十三条")),
		yesno("inspected", "特种设备是否在检验有效期内"),
		multiple("types", "在用特种设备种类", "锅炉", "压力容器", "压力管道", "电梯", "起重机械", "场（厂）内专用机动车辆", "气瓶"),
		number("count", "在用特种设备台数"),
		yesno("operators", "作业人员是否持证上岗"),
		withBasis(yesno("records", "是否建立安全技术档案并有日常维护保养、自行检查记录"), specialEquipLaw+"第三十五条"),
		photo("plate_photo", "设备铭牌及使用登记标志照片", true),
	}},
	{backend.Item{
		Code: "SCJG-06", Name: "产品质量监督抽查", DepartmentID: "scjg", TargetKind: backend.KindProduct,
		LegalBasis: "《中华人民共和国产品质量法》第十五条；《产品质量监督抽查管理暂行办法》",
		Content:    "按年度抽查计划抽取样品，委托检验机构依据产品标准检验；抽样过程、样品封存和确认。",
		Method:     backend.MethodSampling, Category: backend.ItemKey, Frequency: perAnnualPlan,
	}, []backend.Question{
		freeText("sample_no", "抽样单编号"),
		freeText("batch", "产品批号或生产日期"),
		number("sample_qty", "抽样数量（件）"),
		yesno("sealed", "样品是否现场封样并经被抽样单位确认"),
		single("attitude", "被抽样单位态度", "配合", "拒绝抽样"),
		photo("sample_photo", "样品及封样照片", true),
	}},
	{backend.Item{
		Code: "SCJG-07", Name: "工业产品生产许可证获证企业检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国工业产品生产许可证管理条例》；《中华人民共和国工业产品生产许可证管理条例实施办法》",
		Content:    "生产许可证有效性；生产条件、检验手段与获证时是否一致；许可证标志和编号的标注；出厂检验。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		yesno("cert_valid", "生产许可证是否在有效期内，产品在许可范围内"),
		yesno("conditions", "生产条件、检验手段是否与获证时一致"),
		yesno("marking", "产品或包装上是否标注生产许可证标志和编号"),
		yesno("release_tests", "是否按标准进行出厂检验并保存记录"),
		photo("line_photo", "生产线及检验室照片", false),
	}},
	{backend.Item{
		Code: "SCJG-08", Name: "药品零售企业检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国药品管理法》第五十一条、第九十九条；《药品经营质量管理规范》",
		Content:    "药品经营许可；执业药师在岗；处方药凭处方销售；药品储存陈列与温湿度；购销记录。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "是否持有效药品经营许可证并公示")),
		yesno("pharmacist", "执业药师是否在岗并佩戴胸卡"),
		yesno("prescription", "处方药是否凭处方销售并登记"),
		multiple("display", "药品陈列", "药品与非药品分开", "处方药与非处方药分区", "拆零药品专柜存放", "存在混放"),
		number("cool_temp", "阴凉区实测温度（℃）"),
		photo("shelf_photo", "药品陈列区照片", true),
	}},
	{backend.Item{
		Code: "SCJG-09", Name: "加油机计量检查", DepartmentID: "scjg", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国计量法》第九条；《加油站计量监督管理办法》",
		Content:    "在用加油机强制检定情况；铅封完好；示值误差现场核查。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 1000, Frequency: everyYear,
	}, []backend.Question{
		withPhoto(yesno("verified", "加油机是否经强制检定合格并在有效期内")),
		yesno("seals", "加油机铅封是否完好"),
		number("nozzles", "在用加油枪数量（支）"),
		number("error", "抽查示值误差（%）"),
		photo("label_photo", "检定合格标志照片", true),
	}},
	{backend.Item{
		Code: "SCJG-10", Name: "农民专业合作社年度报告公示情况检查", DepartmentID: "scjg", TargetKind: backend.KindCooperative,
		LegalBasis: "《中华人民共和国农民专业合作社法》；《农民专业合作社年度报告公示暂行办法》",
		Content:    "年度报告报送及公示；成员、出资和经营情况的真实性；是否实际开展经营活动。",
		Method:     backend.MethodDocument, Category: backend.ItemGeneral, RatioCapBp: 300, Frequency: everyYear,
	}, []backend.Question{
		yesno("ar_filed", "是否按时报送并公示年度报告"),
		number("members", "成员人数（按年度报告）"),
		single("operating", "经营状况", "正常经营", "未开展经营活动", "通过登记的住所无法联系"),
		optional(photo("site_photo", "生产经营场所照片", false)),
	}},

	// 卫生健康委员会
	{backend.Item{
		Code: "WSJK-01", Name: "公共场所卫生监督检查", DepartmentID: "wsjk", TargetKind: backend.KindIndividual,
		LegalBasis: "《公共场所卫生管理条例》；《公共场所卫生管理条例实施细则》",
		Content:    "卫生许可（按规定需许可的场所）；从业人员健康合格证明；公共用品用具清洗消毒；卫生信息公示。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		optional(yesno("permit", "按规定需要许可的，是否取得公共场所卫生许可证并公示")),
		yesno("health_cert", "从业人员是否持有效健康合格证明"),
		yesno("disinfection", "公共用品用具是否一客一换一消毒"),
		yesno("disinfection_room", "是否设置消毒间（柜）并正常使用"),
		yesno("notice", "是否公示卫生信息"),
		photo("site_photo", "经营场所及消毒设施照片", true),
	}},
	{backend.Item{
		Code: "WSJK-02", Name: "医疗机构依法执业监督检查", DepartmentID: "wsjk", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国基本医疗卫生与健康促进法》；《医疗机构管理条例》；《医疗废物管理条例》",
		Content:    "执业许可或备案；卫生技术人员资质；诊疗科目；医疗废物分类、暂存和转运。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "医疗机构执业许可证（或诊所备案凭证）是否有效并悬挂")),
		yesno("staff", "卫生技术人员是否均具有相应执业资格并注册在本机构"),
		yesno("scope", "是否在登记的诊疗科目范围内执业"),
		yesno("waste", "医疗废物是否分类收集、暂存并交有资质单位处置，转运记录齐全"),
		number("staff_count", "在岗卫生技术人员数"),
		photo("waste_photo", "医疗废物暂存处照片", true),
	}},
	{backend.Item{
		Code: "WSJK-03", Name: "生活饮用水（二次供水）卫生监督检查", DepartmentID: "wsjk", CooperatingDepartments: []string{"zjj"},
		TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国传染病防治法》；《生活饮用水卫生监督管理办法》",
		Content:    "供管水单位卫生许可；水箱清洗消毒及水质检测；直接供管水人员健康证明；现场快检。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		yesno("permit", "供管水单位是否取得卫生许可证"),
		yesno("cleaning", "水箱是否每半年至少清洗消毒一次并有水质检测报告"),
		yesno("staff", "直接从事供管水的人员是否持健康证明"),
		number("chlorine", "现场快检余氯（mg/L）"),
		photo("tank_photo", "水箱及加盖加锁情况照片", true),
	}},
	{backend.Item{
		Code: "WSJK-04", Name: "用人单位职业病防治情况检查", DepartmentID: "wsjk", CooperatingDepartments: []string{"yjgl"},
		TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国职业病防治法》；《工作场所职业卫生管理规定》",
		Content:    "职业病危害项目申报；职业病危害因素检测；劳动者职业健康检查；个人防护用品；警示标识。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		multiple("hazards", "存在的职业病危害因素", "粉尘", "化学毒物", "噪声", "高温", "未发现"),
		yesno("declared", "是否申报职业病危害项目"),
		yesno("health_checks", "是否组织接触职业病危害的劳动者进行上岗前、在岗期间和离岗时职业健康检查"),
		yesno("ppe", "是否为劳动者提供符合要求的个人防护用品"),
		number("exposed", "接触职业病危害因素人数"),
		photo("sign_photo", "作业场所警示标识照片", false),
	}},

	// 应急管理局
	{backend.Item{
		Code: "YJGL-01", Name: "安全生产主体责任落实情况检查", DepartmentID: "yjgl", TargetKind: backend.KindEnterprise,
		LegalBasis: workSafetyLaw + "第四条、第二十一条、第六十五条",
		Content:    "全员安全生产责任制；主要负责人和安全管理人员考核；安全生产教育培训；事故隐患排查治理；应急预案及演练。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withBasis(yesno("responsibility", "是否建立全员安全生产责任制并公示"), workSafetyLaw+"第四条"),
		yesno("trained", "主要负责人、安全生产管理人员是否经安全生产知识和管理能力考核合格"),
		yesno("hazard_checks", "是否建立事故隐患排查治理制度并如实记录"),
		yesno("emergency_plan", "是否制定生产安全事故应急救援预案并定期演练"),
		number("hazards_found", "检查发现事故隐患数（项）"),
		single("hazard_level", "隐患等级", "无隐患", "一般事故隐患", "重大事故隐患"),
		photo("site_photo", "生产作业现场照片", true),
	}},
	{backend.Item{
		Code: "YJGL-02", Name: "危险化学品经营单位安全检查", DepartmentID: "yjgl", TargetKind: backend.KindEnterprise,
		LegalBasis: "《危险化学品安全管理条例》第六条、第三十三条、第三十四条；《危险化学品经营许可证管理办法》",
		Content:    "经营许可及范围；储存场所和设施；禁忌物料隔离；安全技术说明书和安全标签；购销台账。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "是否持有效危险化学品经营许可证，经营品种与许可范围一致")),
		yesno("storage", "储存场所、设施是否符合国家标准，禁忌物料是否隔离存放"),
		yesno("sds", "是否备有化学品安全技术说明书和安全标签"),
		yesno("ledger", "是否建立危险化学品购销台账"),
		multiple("classes", "经营的危险化学品类别", "易燃液体", "压缩气体和液化气体", "腐蚀性物质", "氧化性物质", "毒性物质"),
		photo("store_photo", "储存场所照片", true),
	}},
	{backend.Item{
		Code: "YJGL-03", Name: "工贸企业粉尘防爆安全检查", DepartmentID: "yjgl", TargetKind: backend.KindEnterprise,
		LegalBasis: workSafetyLaw + "；《工贸企业粉尘防爆安全规定》（应急管理部令第6号）",
		Content:    "粉尘爆炸危险场所辨识；除尘系统；粉尘清扫；点燃源控制；作业规程和培训。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		single("dust", "粉尘种类", "木粉尘", "金属粉尘", "农产品粉尘", "其他"),
		yesno("extraction", "除尘系统是否按规范设置并正常运行"),
		yesno("cleaning", "是否制定粉尘清扫制度并按规定清扫"),
		yesno("ignition", "是否采取防止点燃源措施（防爆电气、防静电接地等）"),
		photo("extraction_photo", "除尘设施照片", true),
	}},
	{backend.Item{
		Code: "YJGL-04", Name: "非煤矿山安全生产检查", DepartmentID: "yjgl", CooperatingDepartments: []string{"sthj"},
		TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国矿山安全法》；" + workSafetyLaw + "第六十五条；《非煤矿矿山企业安全生产许可证实施办法》",
		Content:    "安全生产许可证；边坡台阶参数；爆破作业；边坡监测；现场作业人员。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: twiceYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "是否持有效安全生产许可证")),
		yesno("slope", "边坡台阶高度、宽度和坡面角是否符合设计要求"),
		yesno("blasting", "爆破作业是否由有资质单位实施并有爆破设计"),
		yesno("monitoring", "边坡在线监测系统是否正常运行"),
		number("workers", "当班作业人数"),
		photo("pit_photo", "采场全景照片", true),
	}},
	{backend.Item{
		Code: "YJGL-05", Name: "消防安全重点单位消防安全检查", DepartmentID: "yjgl", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国消防法》第十六条、第十七条、第五十三条；《机关、团体、企业、事业单位消防安全管理规定》",
		Content:    "消防安全责任制；疏散通道和安全出口；消防设施器材；防火巡查检查；消防培训和演练。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		yesno("exits", "疏散通道、安全出口是否畅通，应急照明和疏散指示标志完好"),
		yesno("equipment", "消防设施、器材是否完好有效"),
		yesno("patrols", "是否开展防火检查、巡查并有记录"),
		yesno("drills", "是否组织消防安全培训和灭火疏散演练"),
		number("extinguishers", "抽查灭火器数量（具）"),
		photo("exit_photo", "安全出口及消防设施照片", true),
	}},

	// 生态环境局
	{backend.Item{
		Code: "STHJ-01", Name: "排污许可证执行情况检查", DepartmentID: "sthj", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国环境保护法》第二十四条、第四十五条；《排污许可管理条例》",
		Content:    "排污许可证载明事项的执行；环境管理台账；执行报告；自行监测及信息公开；污染防治设施运行；排污口规范化。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		single("permit_class", "排污许可管理类别", "重点管理", "简化管理", "登记管理", "应取得许可而未取得"),
		yesno("permit_valid", "排污许可证（登记）是否在有效期内"),
		yesno("ledger", "是否按证建立环境管理台账"),
		yesno("report", "是否按时提交排污许可证执行报告"),
		yesno("monitoring", "是否按规定开展自行监测并公开监测信息"),
		yesno("facilities", "污染防治设施是否正常运行"),
		photo("outlet_photo", "排污口及标志牌照片", true),
	}},
	{backend.Item{
		Code: "STHJ-02", Name: "建设项目环境影响评价及“三同时”制度执行情况检查", DepartmentID: "sthj", CooperatingDepartments: []string{"zjj"},
		TargetKind: backend.KindProject,
		LegalBasis: "《中华人民共和国环境影响评价法》第二十五条；《建设项目环境保护管理条例》第十五条、第十七条",
		Content:    "环境影响评价文件审批；环境保护设施与主体工程同时设计、同时施工、同时投产使用；竣工环境保护验收；施工扬尘防治。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 1000, Frequency: everyYear,
	}, []backend.Question{
		yesno("eia", "环境影响评价文件是否依法审批（备案）后开工建设"),
		yesno("three_simultaneous", "环境保护设施是否与主体工程同时设计、同时施工、同时投产使用"),
		single("acceptance", "竣工环境保护验收", "已验收", "未到验收阶段", "应验收未验收"),
		yesno("dust", "施工扬尘防治措施（围挡、覆盖、洒水、冲洗）是否落实"),
		photo("site_photo", "施工现场及环保设施照片", true),
	}},
	{backend.Item{
		Code: "STHJ-03", Name: "危险废物规范化环境管理检查", DepartmentID: "sthj", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国固体废物污染环境防治法》；《危险废物贮存污染控制标准》（GB 18597）",
		Content:    "危险废物管理计划及备案；贮存设施和识别标志；转移联单；利用处置去向。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		yesno("plan", "是否制定危险废物管理计划并备案"),
		yesno("storage", "贮存场所是否设置识别标志并采取防渗漏、防流失措施"),
		yesno("manifest", "转移是否执行电子转移联单"),
		number("amount", "本年度产生量（吨）"),
		multiple("categories", "产生的危险废物类别", "废矿物油", "废有机溶剂", "表面处理废物", "废铅蓄电池", "其他"),
		photo("store_photo", "危险废物贮存间照片", true),
	}},

	// 住房和城乡建设局
	{backend.Item{
		Code: "ZJJ-01", Name: "建筑施工安全检查", DepartmentID: "zjj", CooperatingDepartments: []string{"yjgl"},
		TargetKind: backend.KindProject,
		LegalBasis: "《中华人民共和国建筑法》第四十四条；《建设工程安全生产管理条例》；《危险性较大的分部分项工程安全管理规定》",
		Content:    "施工许可；项目负责人和专职安全生产管理人员到岗；危险性较大的分部分项工程专项方案；建筑起重机械；临边洞口、脚手架和施工用电。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		yesno("permit", "是否取得建筑工程施工许可证"),
		yesno("managers", "项目负责人、专职安全生产管理人员是否到岗履职"),
		yesno("special_plans", "危险性较大的分部分项工程是否编制专项施工方案并按规定论证"),
		yesno("cranes", "建筑起重机械是否办理使用登记并经检验合格"),
		multiple("protection", "现场安全防护", "临边洞口防护到位", "脚手架符合规范", "施工用电符合规范", "存在隐患"),
		number("hazards_found", "发现安全隐患数（项）"),
		photo("site_photo", "施工现场照片", true),
	}},
	{backend.Item{
		Code: "ZJJ-02", Name: "建筑业企业资质动态核查", DepartmentID: "zjj", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》",
		Content:    "资质证书有效性；注册人员、技术负责人等是否满足资质标准；关键岗位人员社会保险。",
		Method:     backend.MethodDocument, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		yesno("valid", "建筑业企业资质证书是否在有效期内"),
		yesno("staffing", "注册建造师、技术负责人等人员是否满足资质标准"),
		yesno("insurance", "关键岗位人员社会保险是否在本企业缴纳"),
		number("constructors", "注册建造师人数"),
		optional(freeText("notes", "核查情况说明")),
	}},
	{backend.Item{
		Code: "ZJJ-03", Name: "物业服务企业检查", DepartmentID: "zjj", TargetKind: backend.KindEnterprise,
		LegalBasis: "《物业管理条例》；《福建省物业管理条例》",
		Content:    "物业服务合同；服务内容、标准和收费公示；共用设施设备维护；消防车通道。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		yesno("contract", "是否签订物业服务合同"),
		yesno("publicity", "是否公示服务内容、服务标准及收费项目和标准"),
		yesno("fire_lane", "小区消防车通道是否畅通"),
		number("elevators", "在管电梯台数"),
		photo("notice_photo", "公示栏照片", false),
	}},
	{backend.Item{
		Code: "ZJJ-04", Name: "餐饮场所燃气使用安全检查", DepartmentID: "zjj", CooperatingDepartments: []string{"scjg", "yjgl"},
		TargetKind: backend.KindIndividual,
		LegalBasis: "《城镇燃气管理条例》；" + workSafetyLaw + "第三十六条",
		Content:    "可燃气体报警及切断装置；连接软管；液化石油气钢瓶存放；气源来自取得燃气经营许可的企业。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: twiceYearly,
	}, []backend.Question{
		yesno("alarm", "是否安装可燃气体报警装置并与紧急切断阀联动"),
		yesno("hose", "连接软管是否为金属波纹管且无老化、破损"),
		number("cylinders", "现场存放液化石油气钢瓶数量（只）"),
		yesno("supplier", "是否从取得燃气经营许可的企业购气"),
		photo("gas_photo", "燃气设施及报警装置照片", true),
	}},

	// 农业农村局
	{backend.Item{
		Code: "NYNC-01", Name: "农药经营许可及经营行为检查", DepartmentID: "nync", CooperatingDepartments: []string{"scjg"},
		TargetKind: backend.KindEnterprise,
		LegalBasis: "《农药管理条例》第二十四条；《农药经营许可管理办法》",
		Content:    "农药经营许可；采购和销售台账；限制使用农药定点经营、实名购买；禁用及假劣农药。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		withPhoto(yesno("licence", "是否持有效农药经营许可证并公示")),
		yesno("ledgers", "是否建立采购台账和销售台账"),
		yesno("restricted", "限制使用农药是否定点经营、实名购买"),
		single("banned", "是否发现禁用农药或假劣农药", "未发现", "发现禁用农药", "发现假劣农药"),
		number("products", "经营农药品种数"),
		photo("shelf_photo", "农药陈列区照片", true),
	}},
	{backend.Item{
		Code: "NYNC-02", Name: "农作物种子经营备案及经营行为检查", DepartmentID: "nync", TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国种子法》；《农作物种子生产经营许可管理办法》；《农作物种子标签和使用说明管理办法》",
		Content:    "种子经营备案；种子标签和使用说明；经营档案。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: everyYear,
	}, []backend.Question{
		yesno("filed", "是否按规定办理种子经营备案"),
		yesno("labels", "种子标签和使用说明是否符合规定"),
		yesno("records", "是否建立种子经营档案"),
		photo("label_photo", "种子标签照片", false),
	}},
	{backend.Item{
		Code: "NYNC-03", Name: "畜禽养殖场兽药使用及粪污处理检查", DepartmentID: "nync", CooperatingDepartments: []string{"sthj"},
		TargetKind: backend.KindEnterprise,
		LegalBasis: "《中华人民共和国畜牧法》；《兽药管理条例》；《畜禽规模养殖污染防治条例》",
		Content:    "养殖档案和用药记录；休药期执行；禁用药品；畜禽粪污处理设施运行。",
		Method:     backend.MethodOnSite, Category: backend.ItemKey, Frequency: atLeastYearly,
	}, []backend.Question{
		yesno("records", "是否建立养殖档案和兽药使用记录"),
		yesno("withdrawal", "是否执行休药期规定"),
		yesno("banned", "是否未使用禁用药品及其他化合物"),
		yesno("manure", "畜禽粪污处理设施是否正常运行"),
		number("stock", "存栏量（头/只）"),
		photo("manure_photo", "粪污处理设施照片", true),
	}},
	{backend.Item{
		Code: "NYNC-04", Name: "农产品质量安全检查", DepartmentID: "nync", CooperatingDepartments: []string{"scjg"},
		TargetKind: backend.KindCooperative,
		LegalBasis: "《中华人民共和国农产品质量安全法》；《农药管理条例》",
		Content:    "农产品生产记录；农药等投入品使用；承诺达标合格证；现场快速检测。",
		Method:     backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 1000, Frequency: everyYear,
	}, []backend.Question{
		yesno("records", "是否建立农产品生产记录（农药、肥料等投入品使用）"),
		yesno("certificate", "销售农产品是否开具承诺达标合格证"),
		single("rapid_test", "快速检测结果", "合格", "不合格", "未检测"),
		number("samples", "快检样品数"),
		photo("field_photo", "生产基地照片", true),
	}},
}

// items returns fresh copies of the item list and their version-1
// checklist templates.
func items() ([]*backend.Item, []*backend.ChecklistTemplate) {
	its := make([]*backend.Item, len(itemSpecs))
	tpls := make([]*backend.ChecklistTemplate, len(itemSpecs))
	for i, s := range itemSpecs {
		it := s.item
		it.CooperatingDepartments = append([]string{}, s.item.CooperatingDepartments...)
		it.TemplateVersion = 1
		its[i] = &it
		qs := make([]backend.Question, len(s.questions))
		for j, q := range s.questions {
			q.Options = append([]string(nil), q.Options...)
			qs[j] = q
		}
		tpls[i] = &backend.ChecklistTemplate{
			ID:        backend.TemplateID(it.Code, 1),
			ItemCode:  it.Code,
			Version:   1,
			Questions: qs,
			CreatedBy: SeedActor,
		}
	}
	return its, tpls
}
