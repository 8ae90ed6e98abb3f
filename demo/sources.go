package demo

// Where each demo record comes from, stored on the record (Source, GraphQL
// `source`) so that nobody mistakes invention for the article's facts:
// "article: …" says what the source article states (and, for a difficulty,
// when it puts it); "demo: …" says what was made up. A record that mixes both
// says both. build refuses a record without one.

const invented = "demo: invented for the demo"

var enterpriseSources = map[string]string{
	"sulan":          "article: 遂昌素兰茶厂, 大柘镇, its 4.1 km farm road to the tea base; demo: the contact 叶建华 and the phone are invented",
	"yongshang":      "article: 浙江永上特材有限公司, served by 尹卫中 (\"我也是'永上'的一员\"); demo: town, park, industry, the contact 潘志刚 and the phone are invented",
	"liangshengyuan": "article: 浙江良盛元化工有限公司, its head 莫伟良, the pile-driving, gas pipes, sewage and title certificate; demo: town, park and the phone are invented",
	"shuangcai":      "article: 浙江双彩新材料有限公司, 良盛元's neighbour; demo: town, park, industry, the contact 何伟民 and the phone are invented",
	"dingtai":        "article: 浙江鼎泰新材料有限公司, brought from 温州永嘉, 龙板山区块, ¥120M, 22.4 亩, UV-curing coatings, general manager 邹永良; demo: the town and the phone are invented",
	"jialong":        "article: 浙江遂昌嘉隆服饰有限公司, the first firm in 龙板山区块 (2016), its head 魏建光; demo: the town and the phone are invented",
	"rongkai":        "article: 浙江荣凯科技发展有限公司, 王翼军 (行政部经理), sewage and financing solved, workers recruited in 四川; demo: town, park, industry and the phone are invented",
	"shayu":          "article: 浙江鲨鱼食品机械有限公司, its head 林宗武, the zebra crossing at the phase-two gate; demo: town, park and the phone are invented",
}

var officialSources = map[string]string{
	"zhuyigen":    "article: 朱宜根, 科协书记 from 2019-01-18 (\"上任第一天\"), phoning about 素兰茶厂's road; demo: his earlier post (县委农办) and its date are a guess, the phone is fictional",
	"wuhuajun":    "article: 吴华军, 县经商局局长, caught out by a spot check in 2018; demo: the post's start date is invented, the phone is fictional",
	"yinweizhong": "article: 尹卫中, 县经商局副局长, serving 永上; demo: the post's start date is invented, the phone is fictional",
	"zhoushiyue":  "article: 周世岳, 国土局局长 → 市场监管局局长 at the 2019 reform; demo: the dates are invented, the phone is fictional",
	"zhulijun":    "article: 朱立军, 交通运输局局长 → 医疗保障局局长 at the 2019 reform; demo: the dates are invented, the phone is fictional",
	"fanjianwen":  "article: 范建文, 县行政服务中心主任; demo: the post's start date is invented, the phone is fictional",
	"zhengliping": "demo: an invented member of 周世岳's service team (the article: 由局领导班子和全体中层干部组成的服务团队)",
	"xuguoping":   "demo: an invented member of 周世岳's service team",
	"leizhihua":   "demo: an invented semi-retired cadre of 朱立军's visiting group (the article: 退居二线的干部组成了招商引项目走访组)",
	"liugentu":    "demo: an invented chief who retired in 2018, to show a pairing ended by retirement",
}

// pairingSources is keyed "enterprise/lead".
var pairingSources = map[string]string{
	"sulan/zhuyigen":            "article: 朱宜根 serves 遂昌素兰茶厂; demo: the start date (the launch, 2016-11) is assumed",
	"yongshang/yinweizhong":     "article: 尹卫中 serves 永上; demo: the start date (the launch, 2016-11) is assumed",
	"liangshengyuan/zhoushiyue": "article: 周世岳 serves 良盛元 with a service team; demo: the team members and the start date are invented",
	"shuangcai/wuhuajun":        "demo: invented (the article names no chief for 双彩)",
	"dingtai/zhulijun":          "article: 朱立军 serves 鼎泰; demo: the start date and the team member are invented",
	"jialong/zhulijun":          "article: 朱立军 serves 嘉隆 (since 2016); demo: the start date is assumed",
	"rongkai/fanjianwen":        "demo: invented (the article names no chief for 荣凯)",
	"shayu/liugentu":            "demo: invented, to show a pairing ended by retirement",
	"shayu/fanjianwen":          "demo: invented re-pairing after the retirement",
}

const (
	constructionDT = "article: 朱立军 helped 鼎泰 with drawing review, geological survey, ground consolidation, levelling, walls, gatehouse, fire room and the building permit (2018: the plant was built in 10 months instead of 12); demo: dates, wording and history are invented"
	constructionLS = "article: 良盛元's gas pipes, sewage and property certificate during its plant's construction (before 2019); demo: dates, wording and history are invented"
	solvedRK       = "article: 荣凯's 排污和融资 problems solved in the programme's first two years (2016-11 … 2019-01); demo: dates, wording and history are invented"
)

var problemSources = map[string]string{
	"sulan-road":   "article: the 4.1 km farm road, paid by 农办 (60多万元), roadbed done, not yet hardened (January 2019, before the Spring Festival); demo: dates and history are invented",
	"sulan-policy": invented + " (the article mentions the industrial 39条 in general)",
	"lsy-piling":   "article: pile-driving at 良盛元 disturbing 双彩, settled face to face with rolling instead of piling near the tanks (\"日前\", early 2019); demo: dates and history are invented",
	"lsy-gas":      constructionLS,
	"lsy-sewage":   constructionLS,
	"lsy-title":    constructionLS,
	"lsy-loan":     invented,
	"lsy-licence":  invented,
	"rk-sewage":    solvedRK,
	"rk-loan":      solvedRK,
	"rk-workers":   "article: 荣凯 needs many skilled workers; the county recruits in 四川 (\"这个星期\", January 2019); demo: dates and history are invented",
	"sy-crossing":  "article: 林宗武 asked for a zebra crossing and speed-limit signs at the phase-two gate about two months before the article (November 2018); they were set up a month later; demo: the dates here are relative to the seeding",
	"sy-filing":    invented,
	"dt-drawings":  constructionDT,
	"dt-survey":    constructionDT,
	"dt-permit":    constructionDT,
	"dt-fire":      invented,
	"dt-school":    invented + " (and so are its letter 函告 to 县教育局 and 县人力社保局 and the replies: one answered, one overdue)",
	"jl-medical":   invented,
	"jl-workers":   invented + " (the article mentions 嘉隆's hiring needs, 用工需求)",
	"jl-canteen":   invented,
	"ys-power":     invented,
	"ys-tax":       invented,
	"sc-duplicate": invented,
	"sc-subsidy":   invented + " (the article mentions the industrial 39条 in general)",
}

// visitSources is keyed "official/enterprise@days" (the visit's ago.days).
var visitSources = map[string]string{
	"zhoushiyue/liangshengyuan@41": "article: 周世岳 and his team at 良盛元 (\"你们真像'及时雨'\", \"日前\", early 2019), the pile-driving settled face to face; demo: the date (relative to the seeding), 郑丽萍's presence and the loan remark are invented",
	"zhoushiyue/liangshengyuan@9":  invented + " (the licence renewal and the plant's holiday dates)",
	"zhulijun/dingtai@12":          "article: 朱立军 drives to 鼎泰 every so often (\"这段时间企业还有什么需要帮忙吗？\"); demo: this visit, its date, the warehouse acceptance and the school places are invented",
	"zhulijun/jialong@25":          "article: 朱立军 visits 嘉隆 like family, talking with its head about production and hiring (促膝交谈, 用工需求); demo: this visit, its date, the holiday dates and the medical-insurance talk are invented",
	"zhuyigen/sulan@35":            "article: the 4.1 km farm road, its roadbed done and not yet hardened (January 2019); demo: the visit, its date and the policy talk are invented",
	"yinweizhong/yongshang@6":      "article: 尹卫中's words \"我也是'永上'的一员\"; demo: the visit, its date, the holiday dates and the power request are invented",
	"wuhuajun/shuangcai@5":         "article: 吴华军's 全面摸底 of when firms close and reopen for the Spring Festival (January 2019); demo: that he did it at 双彩, the date, the holiday dates and the subsidy request are invented",
	"fanjianwen/rongkai@10":        "article: 王翼军's words on 排污 and 融资 solved and the county recruiting in 四川 (\"这个星期\", January 2019); demo: that 范建文 visited, and the date, are invented",
	"fanjianwen/shayu@30":          "article: the crossing, speed bumps and signs set up a month after 林宗武 asked (December 2018); demo: 范建文's return visit and its date are invented",
}

// spotCheckSources is keyed by enterprise.
var spotCheckSources = map[string]string{
	"sulan": "article: 毛建国's weekend spot checks (2018), asking to see small firms nobody had visited (平时没去过的小微企业); " +
		"demo: this check at 素兰茶厂, its date (relative to the seeding), findings, questions, score and the two demands (one answered, one overdue) are invented",
	"shuangcai": "article: 吴华军 was caught out by 毛书记's spot check in 2018 on when firms close and reopen (\"去年我被县委毛书记突击检查问住了\"); " +
		"demo: the firm (双彩), the date (a Saturday of 2018), the findings' wording, the questions and the score are invented",
}

const quizSource = "article: 县委 called an emergency meeting where some thirty chiefs sat an unscheduled test (\"临时考试\", 2018); " +
	"demo: the date (relative to the seeding, so that the ranking counts it), the room, the questions and every score are invented"

// ratingSources is keyed by problem: the ratings given on confirming (or
// rejecting) its resolution.
var ratingSources = map[string]string{
	"lsy-piling":  "article: 莫伟良's words \"你们真像'及时雨'\"; demo: that he rated, the score and the date are invented",
	"lsy-gas":     invented + " (the score, the comment and the date)",
	"lsy-sewage":  invented + " (the rejection, both scores, the comments and the dates)",
	"lsy-title":   invented + " (the score, the comment and the date)",
	"sy-crossing": "article: the crossing and signs were set up a month after 林宗武 asked, and he praised the programme (\"真的是没说的\"); demo: that he rated, the score and the date are invented",
	"dt-drawings": invented + " (the score, the comment and the date)",
	"dt-survey":   invented + " (the score, the comment and the date)",
	"dt-permit":   "article: 鼎泰's plant was built in 10 months instead of 12; demo: that 邹永良 rated, the score and the date are invented",
	"jl-medical":  invented + " (the score, the comment and the date)",
}

// periodicSource marks the quarterly ratings of chiefs (rateChief): the
// article has nothing of the kind.
const periodicSource = "demo: invented, to show an enterprise rating its chief for a quarter (rateChief)"
