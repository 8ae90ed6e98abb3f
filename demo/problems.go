package demo

import (
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Difficulties are dated relative to the moment of seeding, not to the article's
// 2018–2019: deadlines and "overdue" only mean something near now, and a newcomer
// should find some matters overdue, some just reported and most carried through.

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

// cst is Suichang's clock. A fixed zone rather than time.LoadLocation keeps the
// seed independent of the host's time-zone database.
var cst = time.FixedZone("CST", 8*60*60)

// ago is a moment relative to the seeding time: the Beijing clock time hour:min,
// days calendar days before today. Whole calendar days (rather than now minus a
// duration) put reports and visits in office hours; days is always at least 1,
// so the moment is in the past whatever the time of day.
type ago struct{ days, hour, min int }

func (a ago) before(now time.Time) time.Time {
	y, m, d := now.In(cst).Date()
	return time.Date(y, m, d-a.days, a.hour, a.min, 0, 0, cst).UTC()
}

// noteSpec is one entry of a problem's progress log, After its report.
type noteSpec struct {
	By    string // username of the acting account
	After time.Duration
	Text  string
}

// problemSpec is one difficulty. Responded and Resolved are counted from the
// report; zero means "not yet", and the status must agree (checked when building).
type problemSpec struct {
	Key        string
	Enterprise string
	Category   domain.Category
	Level      domain.Level
	Status     domain.ProblemStatus
	Title      string
	Desc       string
	Department string
	Tags       []string
	// ReportedBy is the username of the account that entered it; "" means admin
	// (the programme office typing in a difficulty phoned in by a firm that has no login).
	ReportedBy string
	Reported   ago
	Responded  time.Duration
	Resolved   time.Duration
	Notes      []noteSpec
}

var problems = []problemSpec{
	// ——— 遂昌素兰茶厂 (朱宜根) ———
	{
		Key: "sulan-road", Enterprise: "sulan", Category: domain.CategoryInfrastructure, Level: domain.L3, Status: domain.StatusInProgress,
		Title: "后山茶基地4.1公里机耕路硬化",
		Desc: "大柘镇通往素兰茶厂后山茶基地的原是一条羊肠小道，茶农的肥料上山、茶叶下山都靠肩挑手提。" +
			"在朱宜根牵头下，县农办出资60多万元修建了一条4.1公里长的机耕路，路基已经修好，但还没有硬化。" +
			"这条路是当地一百多户茶农和茶厂的致富路，企业希望在春茶开采前完成路面硬化。",
		Department: "大柘镇人民政府", Tags: []string{"机耕路", "茶基地", "农办资金"},
		ReportedBy: "zhuyigen", Reported: ago{75, 9, 20}, Responded: 3 * hour,
		Notes: []noteSpec{
			{"zhuyigen", 3 * hour, "路基由县农办出资60多万元建设，硬化资金另需落实。已函告县农办和大柘镇。"},
			{"zhuyigen", 21 * day, "4.1公里路基已全线贯通，等天气转好浇筑水泥路面。"},
			{"zhuyigen", 68 * day, "中午电话询问大柘镇镇长硬化进度：镇里答复节后开工，力争春茶开采前完工。眼看要过年，比企业主和村民还着急。"},
		},
	},
	{
		Key: "sulan-policy", Enterprise: "sulan", Category: domain.CategoryOther, Level: domain.L1, Status: domain.StatusConfirmed,
		Title:      "新上名优茶自动化加工线可享受哪些扶持政策",
		Desc:       "企业想新上一条名优茶自动化加工线，不清楚工业“39条”和农业扶持政策中哪些条款适用、怎么申报。",
		Department: "县科协", Tags: []string{"政策咨询", "工业39条"},
		ReportedBy: "zhuyigen", Reported: ago{35, 10, 0}, Responded: 15 * minute, Resolved: 40 * minute,
		Notes: []noteSpec{
			{"zhuyigen", 40 * minute, "走访时当场讲解工业“39条”技改补助和农业机械购置补贴的适用条款，留下申报材料清单。"},
		},
	},

	// ——— 浙江良盛元化工有限公司 (周世岳 and his service team) ———
	{
		Key: "lsy-piling", Enterprise: "liangshengyuan", Category: domain.CategoryOther, Level: domain.L3, Status: domain.StatusConfirmed,
		Title: "厂房地基打夯影响隔壁双彩新材料正常生产",
		Desc: "新厂房建设地基需要打夯，但打夯严重影响了隔壁浙江双彩新材料有限公司的正常生产，" +
			"两家企业一时协商不下，问题未得到有效解决，影响了厂房建设进度。",
		Department: "县自然资源和规划局", Tags: []string{"打夯", "邻企协调", "危化品"},
		ReportedBy: "moweiliang", Reported: ago{50, 15, 10}, Responded: 1 * day, Resolved: 9 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 1 * day, "已组织土地利用科、纪检监察室分别与两家企业沟通，约定现场协调。"},
			{"zhoushiyue", 9 * day, "现场协调：两家企业负责人面对面沟通。双彩同意良盛元在邻近仓库、厂区打夯地基；" +
				"考虑到化工原料的危险性，邻近罐区的地基改用压路机平整碾压代替打夯。"},
			{"moweiliang", 12 * day, "地基施工已恢复。虽然只是件小事，却能表明周局他们心里装着我们企业。"},
		},
	},
	{
		Key: "lsy-gas", Enterprise: "liangshengyuan", Category: domain.CategoryInfrastructure, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "新厂区天然气管道安装接入",
		Desc:       "新厂区投产需要接通天然气，燃气管网尚未延伸到厂区门口，管道走向和道路开挖审批需要多个部门配合。",
		Department: "县住建局", Tags: []string{"天然气", "厂区建设"},
		ReportedBy: "moweiliang", Reported: ago{160, 10, 0}, Responded: 1 * day, Resolved: 26 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 2 * day, "主动上门了解管道走向，已函告住建局和燃气公司，请其现场踏勘。"},
			{"zhoushiyue", 26 * day, "燃气管道已接入厂区并通气。"},
		},
	},
	{
		Key: "lsy-sewage", Enterprise: "liangshengyuan", Category: domain.CategoryEnvironment, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "厂区污水纳管排放",
		Desc:       "化工废水经预处理后需接入园区污水管网，企业不清楚纳管标准和排污许可手续，管网接口位置也没有落实。",
		Department: "生态环境分局", Tags: []string{"排污", "纳管"},
		ReportedBy: "moweiliang", Reported: ago{140, 14, 30}, Responded: 2 * day, Resolved: 35 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 2 * day, "协调生态环境分局到厂讲解纳管标准，园区管委会确认管网接口位置。"},
			{"zhoushiyue", 35 * day, "纳管接口完工，排污许可已核发。比期限晚了几天，原因是接口改线。"},
		},
	},
	{
		Key: "lsy-title", Enterprise: "liangshengyuan", Category: domain.CategoryPermits, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "新厂房不动产权证登记",
		Desc:       "新厂房竣工后需要办理不动产权证，企业人手紧张，对登记材料不熟悉，来回跑了两趟。",
		Department: "县自然资源和规划局", Tags: []string{"不动产登记", "少跑腿"},
		ReportedBy: "moweiliang", Reported: ago{120, 11, 0}, Responded: 1 * day, Resolved: 12 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 12 * day, "不动产权证已办好，主动上门送证，企业不用再跑腿。"},
		},
	},
	{
		Key: "lsy-loan", Enterprise: "liangshengyuan", Category: domain.CategoryFinancing, Level: domain.L4, Status: domain.StatusInProgress,
		Title: "化工企业授信收紧，二期项目流动资金缺口约3000万元",
		Desc: "受化工行业授信整体收紧影响，多家银行对企业压贷，二期项目建设和原料采购存在约3000万元流动资金缺口。" +
			"园区多家化工企业反映同类问题。",
		Department: "县金融办", Tags: []string{"融资", "共性问题", "县长办公会议"},
		ReportedBy: "moweiliang", Reported: ago{80, 16, 0}, Responded: 2 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 2 * day, "已与县金融办、人民银行遂昌支行对接；系统内无法解决，函告县金融办。"},
			{"zhoushiyue", 20 * day, "金融办协调会后两家银行仍未松口。园区化工企业普遍存在同类问题，建议提交县长办公会议。"},
			{"maojianguo", 30 * day, "列为共性问题提交县长办公会议，由县金融办牵头拿出化工企业转贷、增信方案。"},
			{"admin", 55 * day, "县长办公会议已研究，政策性担保方案正在起草，尚未落地。"},
		},
	},
	{
		// After the reform 周世岳 heads market supervision, which issues this licence:
		// a difficulty his own department settles within its authority (L2).
		Key: "lsy-licence", Enterprise: "liangshengyuan", Category: domain.CategoryPermits, Level: domain.L2, Status: domain.StatusResolved,
		Title:      "危险化学品工业产品生产许可证延续换证",
		Desc:       "生产许可证三个月后到期，二期新增产品需一并纳入许可范围，企业担心换证期间影响生产。",
		Department: "县市场监管局", Tags: []string{"生产许可证", "危化品"},
		ReportedBy: "moweiliang", Reported: ago{9, 10, 30}, Responded: 4 * hour, Resolved: 6 * day,
		Notes: []noteSpec{
			{"zhoushiyue", 4 * hour, "市场监管局已受理，安排徐国平副局长牵头指导材料准备。"},
			{"zhoushiyue", 6 * day, "延续换证材料已报省局，新增产品一并纳入，换证期间不影响生产。请企业确认。"},
		},
	},

	// ——— 浙江荣凯科技发展有限公司 (范建文) ———
	{
		Key: "rk-sewage", Enterprise: "rongkai", Category: domain.CategoryEnvironment, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "生产废水排污许可及纳管",
		Desc:       "扩产后生产废水排放量增加，原排污许可量不够，需要重新核定并接入园区污水管网。",
		Department: "生态环境分局", Tags: []string{"排污"},
		Reported: ago{300, 9, 0}, Responded: 1 * day, Resolved: 24 * day,
	},
	{
		Key: "rk-loan", Enterprise: "rongkai", Category: domain.CategoryFinancing, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "技改贷款到期续贷周转资金不足",
		Desc:       "技改设备贷款即将到期，银行要求先还后贷，企业短期周转资金不足，担心断贷影响生产。",
		Department: "县金融办", Tags: []string{"融资", "转贷"},
		Reported: ago{240, 10, 15}, Responded: 1 * day, Resolved: 10 * day,
		Notes: []noteSpec{
			{"admin", 10 * day, "经县金融办协调，使用县应急转贷资金完成续贷，企业未断贷。"},
		},
	},
	{
		Key: "rk-workers", Enterprise: "rongkai", Category: domain.CategoryLabour, Level: domain.L3, Status: domain.StatusInProgress,
		Title: "扩产急需招收一批技术工人",
		Desc: "排污和融资难题解决后，企业准备开足马力搞生产，数控、焊接等技术工人缺口约60人，本地招工困难。" +
			"行政部经理王翼军希望来年兵强马壮。",
		Department: "县人力社保局", Tags: []string{"招工", "技术工人", "四川"},
		Reported: ago{10, 14, 0}, Responded: 1 * day,
		Notes: []noteSpec{
			{"admin", 2 * day, "县政府本周带着企业用工需求赴四川招工，人力社保局已将荣凯的岗位列入招聘清单。"},
		},
	},

	// ——— 浙江鲨鱼食品机械有限公司 (范建文, earlier 刘根土) ———
	{
		Key: "sy-crossing", Enterprise: "shayu", Category: domain.CategorySafety, Level: domain.L3, Status: domain.StatusConfirmed,
		Title: "二期厂区门口设斑马线和限速标志",
		Desc: "二期厂区上面有个沙场，工程车进出很多，车速快，员工进出厂区存在安全隐患，" +
			"建议在门口设一条斑马线和限速标志。",
		Department: "县交通运输局", Tags: []string{"交通安全", "斑马线", "限速"},
		ReportedBy: "linzongwu", Reported: ago{62, 9, 45}, Responded: 1 * day, Resolved: 30 * day,
		Notes: []noteSpec{
			{"admin", 1 * day, "已函告县交通运输局和公安交警大队，请其现场查看。"},
			{"admin", 30 * day, "厂区门口减速带、斑马线和限速标志已设立。"},
			{"linzongwu", 31 * day, "一个月就办好了，“百名局长帮百企”活动真的是没说的，有什么困难都可以找他们。"},
		},
	},
	{
		// 范建文 heads the administrative service centre, which handles this filing:
		// his own department (L2).
		Key: "sy-filing", Enterprise: "shayu", Category: domain.CategoryPermits, Level: domain.L2, Status: domain.StatusReported,
		Title:      "二期厂房竣工验收消防备案材料咨询",
		Desc:       "二期厂房即将竣工，企业不清楚竣工验收和消防备案需要哪些材料、能否在行政服务中心一窗办理。",
		Department: "县行政服务中心", Tags: []string{"竣工验收", "一窗受理"},
		ReportedBy: "linzongwu", Reported: ago{1, 10, 30},
	},

	// ——— 浙江鼎泰新材料有限公司 (朱立军, team 雷志华) ———
	{
		Key: "dt-drawings", Enterprise: "dingtai", Category: domain.CategoryPermits, Level: domain.L3, Status: domain.StatusConfirmed,
		Title: "新厂房施工图线上及线下审核",
		Desc: "项目总投资1.2亿元，租用工业用地22.4亩，主要生产紫外光固化环保型涂料。企业从温州永嘉引进，" +
			"对本地审图流程不熟悉，希望施工图审查尽快完成、早日开工。",
		Department: "县住建局", Tags: []string{"施工图审查", "项目前期", "协调会"},
		ReportedBy: "zouyongliang", Reported: ago{330, 9, 0}, Responded: 1 * day, Resolved: 18 * day,
		Notes: []noteSpec{
			{"zhulijun", 3 * day, "召开协调会：住建局、行政服务中心线上线下同步审图，审图意见一次性告知。"},
			{"zhulijun", 18 * day, "施工图审查合格。"},
		},
	},
	{
		Key: "dt-survey", Enterprise: "dingtai", Category: domain.CategoryLandPlanning, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "地质勘探、地基强夯处理和场地二次平整",
		Desc:       "龙板山区块地块需先做地质勘探，部分区域要强夯处理并二次平整，涉及规划、园区管委会和施工单位多方。",
		Department: "县自然资源和规划局", Tags: []string{"地质勘探", "强夯", "场地平整", "协调会"},
		ReportedBy: "zouyongliang", Reported: ago{325, 14, 0}, Responded: 1 * day, Resolved: 28 * day,
		Notes: []noteSpec{
			{"zhulijun", 2 * day, "协调会确定勘探单位和强夯方案；招商引项目走访组雷志华驻点跟进。"},
			{"zhulijun", 28 * day, "地质勘探完成，强夯和二次平整通过验收。"},
		},
	},
	{
		Key: "dt-permit", Enterprise: "dingtai", Category: domain.CategoryPermits, Level: domain.L3, Status: domain.StatusConfirmed,
		Title:      "建筑工程施工许可证办理及围墙、门卫、消防室建设",
		Desc:       "施工图审查和场地平整完成后需尽快办理开工许可证，同时建设厂区围墙、门卫和消防室。",
		Department: "县住建局", Tags: []string{"施工许可", "项目前期"},
		ReportedBy: "zouyongliang", Reported: ago{296, 10, 0}, Responded: 1 * day, Resolved: 9 * day,
		Notes: []noteSpec{
			{"zhulijun", 9 * day, "施工许可证已核发，围墙、门卫和消防室同步开工。"},
			{"zouyongliang", 290 * day, "厂房建设预计工期12个月，现在10个月就全部完工了。朱局长他们让我安心当起了“甩手掌柜”。"},
		},
	},
	{
		Key: "dt-fire", Enterprise: "dingtai", Category: domain.CategorySafety, Level: domain.L3, Status: domain.StatusInProgress,
		Title:      "甲类涂料仓库消防验收",
		Desc:       "紫外光固化涂料原料属易燃品，甲类仓库须通过消防验收才能投用，企业希望在试生产前完成。",
		Department: "县消防救援大队", Tags: []string{"消防", "危化品仓库"},
		ReportedBy: "zouyongliang", Reported: ago{12, 9, 30}, Responded: 1 * day,
		Notes: []noteSpec{
			{"zhulijun", 1 * day, "已函告县消防救援大队，约定下周现场验收。"},
		},
	},
	{
		Key: "dt-school", Enterprise: "dingtai", Category: domain.CategoryGovernment, Level: domain.L3, Status: domain.StatusAcknowledged,
		Title:      "随迁骨干员工子女就近入学",
		Desc:       "企业从温州永嘉随迁来的6名管理和技术骨干，子女需要转学到县城学校就读，希望协调学位。",
		Department: "县教育局", Tags: []string{"子女入学", "人才服务"},
		ReportedBy: "zouyongliang", Reported: ago{40, 11, 0}, Responded: 2 * day,
		Notes: []noteSpec{
			{"zhulijun", 2 * day, "已函告县教育局，等待学位安排答复。"},
			{"zouyongliang", 30 * day, "还没有消息，员工比较着急。"},
		},
	},

	// ——— 浙江遂昌嘉隆服饰有限公司 (朱立军) ———
	{
		// 朱立军 now heads medical insurance: he answered this on the spot (L1).
		Key: "jl-medical", Enterprise: "jialong", Category: domain.CategoryGovernment, Level: domain.L1, Status: domain.StatusConfirmed,
		Title:      "外省员工医保参保和异地就医结算咨询",
		Desc:       "企业外省员工较多，春节返乡期间看病怎么报销、怎样办理异地就医备案，员工问得多，企业讲不清楚。",
		Department: "县医疗保障局", Tags: []string{"医保", "异地就医"},
		ReportedBy: "zhulijun", Reported: ago{25, 10, 0}, Responded: 10 * minute, Resolved: 50 * minute,
		Notes: []noteSpec{
			{"zhulijun", 50 * minute, "走访时现场讲解异地就医备案办法，当场帮两名员工在手机上完成备案，并留下医保政策明白纸。"},
		},
	},
	{
		Key: "jl-workers", Enterprise: "jialong", Category: domain.CategoryLabour, Level: domain.L3, Status: domain.StatusInProgress,
		Title:      "订单增加，缝纫工缺口约80人",
		Desc:       "去年年产值实现新突破，今年订单继续增加，节后缝纫工缺口约80人。",
		Department: "县人力社保局", Tags: []string{"招工"},
		ReportedBy: "zhulijun", Reported: ago{18, 15, 0}, Responded: 1 * day,
		Notes: []noteSpec{
			{"zhulijun", 1 * day, "已将用工需求报人力社保局，纳入节后专场招聘会。"},
		},
	},
	{
		Key: "jl-canteen", Enterprise: "jialong", Category: domain.CategoryInfrastructure, Level: domain.L4, Status: domain.StatusAcknowledged,
		Title: "龙板山区块缺少职工食堂、宿舍和公交线路",
		Desc: "龙板山区块入驻企业逐年增多，园区至今没有公共食堂和职工宿舍，也没有公交线路通达，" +
			"员工通勤和生活不便，影响招工留工。区块内多家企业反映同类问题。",
		Department: "县工业园区管委会", Tags: []string{"园区配套", "共性问题", "县长办公会议"},
		ReportedBy: "zhulijun", Reported: ago{20, 16, 30}, Responded: 3 * day,
		Notes: []noteSpec{
			{"zhulijun", 3 * day, "属园区共性问题，已报领导小组办公室，拟提交县长办公会议。"},
		},
	},

	// ——— 浙江永上特材有限公司 (尹卫中) ———
	{
		// Recorded by the chief himself: acknowledged by that act, as the service does.
		Key: "ys-power", Enterprise: "yongshang", Category: domain.CategoryInfrastructure, Level: domain.L3, Status: domain.StatusAcknowledged,
		Title:      "新上电炉项目用电增容及双回路供电",
		Desc:       "新上特种不锈钢电炉项目需要增容并实现双回路供电，报装已一个多月，供电公司尚未答复。",
		Department: "国网遂昌县供电公司", Tags: []string{"用电增容"},
		ReportedBy: "yinweizhong", Reported: ago{6, 11, 0}, Responded: 1 * minute,
	},
	{
		Key: "ys-tax", Enterprise: "yongshang", Category: domain.CategoryGovernment, Level: domain.L3, Status: domain.StatusAcknowledged,
		Title:      "出口退税办理进度慢",
		Desc:       "上季度出口退税尚未到账，企业资金周转压力较大，希望税务部门加快审核。",
		Department: "县税务局", Tags: []string{"出口退税"},
		ReportedBy: "yinweizhong", Reported: ago{1, 15, 20}, Responded: 1 * minute,
	},

	// ——— 浙江双彩新材料有限公司 (吴华军) ———
	{
		// The same matter as lsy-piling seen from next door; withdrawn rather than
		// deleted so the record shows it was heard.
		Key: "sc-duplicate", Enterprise: "shuangcai", Category: domain.CategoryOther, Level: domain.L3, Status: domain.StatusWithdrawn,
		Title:      "隔壁工地打夯震动影响正常生产",
		Desc:       "隔壁良盛元厂房地基打夯，震动影响车间正常生产，担心危及化工原料仓储安全。",
		Department: "县自然资源和规划局", Tags: []string{"打夯", "邻企协调"},
		Reported: ago{51, 9, 0}, Responded: 1 * day,
		Notes: []noteSpec{
			{"admin", 1 * day, "与良盛元报送的同一事项重复，已并入该问题协调处理，本条撤回。"},
		},
	},
	{
		// 吴华军 heads 经商局, which administers the industrial “39条”: his own
		// department (L2).
		Key: "sc-subsidy", Enterprise: "shuangcai", Category: domain.CategoryFinancing, Level: domain.L2, Status: domain.StatusAcknowledged,
		Title:      "工业“39条”技改补助申报",
		Desc:       "企业新上一条环保型颜料生产线，想申报工业“39条”技改补助，不清楚申报时间和条件。",
		Department: "县经商局", Tags: []string{"工业39条", "技改补助"},
		Reported: ago{5, 9, 40}, Responded: 1 * day,
	},
}
