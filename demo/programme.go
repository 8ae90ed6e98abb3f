package demo

import (
	"time"

	"github.com/lianqi/lianqi/domain"
)

// The people and firms below are those the source article names. Where the
// article is silent (contact persons of some firms, towns, the dates chiefs
// took their first posts, service-team members and the retired chief 刘根土)
// the values are invented but plausible; each record says which in its Source
// (sources.go). Every phone number is fictional (138-0000-xxxx): real people
// named in the article must not be given a number that could be someone's.

// date is a calendar date. It is midnight UTC, which is 08:00 in Suichang, so the
// date reads the same whether a client shows it in UTC or in Beijing time.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var (
	// launch is when chiefs were paired with enterprises (2016年11月). The article
	// gives only the month; the day is illustrative.
	launch = date(2016, time.November, 18)
	// reform is the 2019 institutional reform (机构改革) that moved 周世岳 and
	// 朱立军 to new bureaus while their pairings stayed (事随人走).
	reform = date(2019, time.March, 1)
)

type enterpriseSpec struct {
	Key                        string
	Name, Town, Park, Industry string
	ContactName, ContactPhone  string
}

var enterprises = []enterpriseSpec{
	// A small tea factory: the article's 4.1 km farm road to its tea base. Contact invented.
	{"sulan", "遂昌素兰茶厂", "大柘镇", "", "茶叶种植与加工", "叶建华", "138-0000-0001"},
	// Where 尹卫中 said "我也是'永上'的一员". Contact invented.
	{"yongshang", "浙江永上特材有限公司", "云峰街道", "上江区块", "特种不锈钢材料", "潘志刚", "138-0000-0002"},
	// 周世岳's firm: pile-driving, natural gas, sewage, title certificate.
	{"liangshengyuan", "浙江良盛元化工有限公司", "云峰街道", "上江区块", "精细化工", "莫伟良", "138-0000-0003"},
	// The neighbour disturbed by 良盛元's pile-driving. Contact invented.
	{"shuangcai", "浙江双彩新材料有限公司", "云峰街道", "上江区块", "化工新材料（颜料）", "何伟民", "138-0000-0004"},
	// Brought from 温州永嘉 by the transport bureau: ¥120M, 22.4 亩, UV-curing coatings.
	{"dingtai", "浙江鼎泰新材料有限公司", "妙高街道", "龙板山区块", "紫外光固化环保型涂料", "邹永良", "138-0000-0005"},
	// The first firm in 龙板山区块 (2016).
	{"jialong", "浙江遂昌嘉隆服饰有限公司", "妙高街道", "龙板山区块", "服装加工", "魏建光", "138-0000-0006"},
	// 王翼军 (行政部经理): 排污 and 融资 solved, now needs skilled workers (四川招工).
	{"rongkai", "浙江荣凯科技发展有限公司", "云峰街道", "上江区块", "精密机械制造", "王翼军", "138-0000-0007"},
	// 林宗武: the zebra crossing and speed-limit signs at the phase-two gate.
	{"shayu", "浙江鲨鱼食品机械有限公司", "妙高街道", "上江区块", "食品机械制造", "林宗武", "138-0000-0008"},
}

type postSpec struct {
	Bureau, Title string
	From          time.Time
}

type officialSpec struct {
	Key, Name, Phone string
	// Posts oldest first; each one after the first is entered with ChangePost,
	// which closes the previous one, exactly as an admin would record a move.
	Posts []postSpec
	// Retired, when set, is the day the official retired; the current post ends then.
	Retired time.Time
}

var officials = []officialSpec{
	// Took up 科协书记 on 2019-01-18 ("上任第一天") and kept phoning about the tea
	// factory's road. His earlier post is not named in the article; the road was
	// paid for by 农办 under his lead, so 县委农办 is the plausible guess.
	{"zhuyigen", "朱宜根", "138-0000-0009", []postSpec{
		{"县委农办", "主任", date(2014, time.March, 1)},
		{"县科协", "书记", date(2019, time.January, 18)},
	}, time.Time{}},
	// Speaks for the programme; was caught out by a spot check in 2018.
	{"wuhuajun", "吴华军", "138-0000-0010", []postSpec{
		{"县经商局", "局长", date(2016, time.June, 1)},
	}, time.Time{}},
	{"yinweizhong", "尹卫中", "138-0000-0011", []postSpec{
		{"县经商局", "副局长", date(2015, time.April, 1)},
	}, time.Time{}},
	// The reform moved him from the land bureau to market supervision; 良盛元 stayed his.
	{"zhoushiyue", "周世岳", "138-0000-0012", []postSpec{
		{"县国土局", "局长", date(2016, time.November, 1)},
		{"县市场监管局", "局长", reform},
	}, time.Time{}},
	// Transport → medical insurance at the same reform; 鼎泰 and 嘉隆 stayed his.
	{"zhulijun", "朱立军", "138-0000-0013", []postSpec{
		{"县交通运输局", "局长", date(2015, time.September, 1)},
		{"县医疗保障局", "局长", reform},
	}, time.Time{}},
	{"fanjianwen", "范建文", "138-0000-0014", []postSpec{
		{"县行政服务中心", "主任", date(2016, time.March, 1)},
	}, time.Time{}},
	// Invented: the land-use section chief in 周世岳's service team (服务团队: the
	// bureau's leadership and middle managers). The reform moved her too, to the
	// new natural-resources bureau; she stays on the team.
	{"zhengliping", "郑丽萍", "138-0000-0015", []postSpec{
		{"县国土局", "土地利用科科长", date(2015, time.July, 1)},
		{"县自然资源和规划局", "国土空间规划科科长", reform},
	}, time.Time{}},
	// Invented: a deputy of the market-supervision bureau who joined 周世岳's team
	// after the reform.
	{"xuguoping", "徐国平", "138-0000-0016", []postSpec{
		{"县市场监管局", "副局长", reform},
	}, time.Time{}},
	// Invented: one of the semi-retired (退居二线) transport cadres 朱立军 formed into
	// a project visiting group (招商引项目走访组).
	{"leizhihua", "雷志华", "138-0000-0017", []postSpec{
		{"县交通运输局", "主任科员", date(2012, time.May, 1)},
	}, time.Time{}},
	// Invented: a chief who retired in 2018, ending his pairing with 鲨鱼 — one of
	// the two events that end a pairing.
	{"liugentu", "刘根土", "138-0000-0018", []postSpec{
		{"县水利局", "局长", date(2011, time.February, 1)},
	}, date(2018, time.June, 30)},
}

type pairingSpec struct {
	Enterprise, Lead string
	Team             []string
	Started          time.Time
	Ended            time.Time // zero: still active
	Reason           domain.PairingEndReason
}

var pairings = []pairingSpec{
	{"sulan", "zhuyigen", nil, launch, time.Time{}, ""},
	{"yongshang", "yinweizhong", nil, launch, time.Time{}, ""},
	{"liangshengyuan", "zhoushiyue", []string{"zhengliping", "xuguoping"}, launch, time.Time{}, ""},
	{"shuangcai", "wuhuajun", nil, launch, time.Time{}, ""},
	// 鼎泰 arrived later than the launch ("来遂昌的这一年多时间里", early 2019), when
	// the programme grew from 103 to 108 pairs.
	{"dingtai", "zhulijun", []string{"leizhihua"}, date(2017, time.September, 20), time.Time{}, ""},
	{"jialong", "zhulijun", nil, launch, time.Time{}, ""},
	{"rongkai", "fanjianwen", nil, launch, time.Time{}, ""},
	// History: 鲨鱼's first chief retired; the programme office re-paired the firm.
	{"shayu", "liugentu", nil, launch, date(2018, time.June, 30), domain.EndOfficialRetired},
	{"shayu", "fanjianwen", nil, date(2018, time.July, 2), time.Time{}, ""},
}
