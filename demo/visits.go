package demo

import "time"

// visitSpec is a chief's visit (走企业、进车间). Problems are keys of difficulties of
// the same enterprise raised or followed up on that visit.
type visitSpec struct {
	Official, Enterprise string
	Date                 ago
	Notes                string
	Problems             []string
}

var visits = []visitSpec{
	{"zhoushiyue", "liangshengyuan", ago{41, 9, 30},
		"“你们真像‘及时雨’。”与服务团队郑丽萍等一道到企业，现场协调良盛元与双彩的打夯纠纷：" +
			"双彩同意良盛元在邻近仓库、厂区打夯，邻近罐区改用压路机碾压。顺带了解二期流动资金缺口。",
		[]string{"lsy-piling", "lsy-loan"}},
	{"zhoushiyue", "liangshengyuan", ago{9, 9, 0},
		"例行“暖企行动”走访。莫伟良反映生产许可证即将到期，二期新增产品需纳入许可范围，当场由市场监管局受理。" +
			"了解到企业腊月廿七放假，正月初七开工。",
		[]string{"lsy-licence", "lsy-loan"}},
	{"zhulijun", "dingtai", ago{12, 14, 0},
		"“这段时间企业还有什么需要帮忙吗？”厂房比预计工期提前两个月完工，试生产前需完成甲类仓库消防验收；" +
			"随迁骨干子女入学仍未落实，回去再催教育局。",
		[]string{"dt-fire", "dt-school"}},
	{"zhulijun", "jialong", ago{25, 9, 40},
		"与魏建光促膝交谈，了解生产计划和用工需求：企业腊月廿六放假，正月初八开工，节后缺缝纫工。" +
			"当场讲解外省员工异地就医备案。",
		[]string{"jl-medical"}},
	{"zhuyigen", "sulan", ago{35, 9, 0},
		"查看后山茶基地机耕路：路基已修好，尚未硬化，茶农还在肩挑手提运肥。讲解工业“39条”和农机补贴政策。",
		[]string{"sulan-road", "sulan-policy"}},
	{"yinweizhong", "yongshang", ago{6, 10, 0},
		"“我也是‘永上’的一员。”了解春节放假安排（腊月廿八放假，正月初六开工）和新上电炉项目进度，企业反映用电增容报装未获答复。",
		[]string{"ys-power"}},
	{"wuhuajun", "shuangcai", ago{5, 9, 0},
		"全面摸底：企业哪天放假、什么时候开工都问清楚了（腊月廿五放假，正月初十开工）。企业想申报工业“39条”技改补助。",
		[]string{"sc-subsidy"}},
	{"fanjianwen", "rongkai", ago{10, 10, 30},
		"王翼军：排污和融资难题都解决了，接下去开足马力搞生产，需要大量技术工人。县政府本周带企业需求去四川招工。",
		[]string{"rk-workers"}},
	{"fanjianwen", "shayu", ago{30, 15, 0},
		"回访二期厂区门口：减速带、斑马线和限速标志已设立，林宗武很满意。",
		[]string{"sy-crossing"}},
}

// spotCheckSpec is 毛建国's unannounced check (突击抽查). He made them at weekends, so
// Date is the Saturday WeeksAgo weeks back.
type spotCheckSpec struct {
	Enterprise string
	WeeksAgo   int
	// On, when set, is the check's fixed date instead: the article puts the
	// event in a year, and relative dating would move it.
	On       time.Time
	Findings string
	Score    int
	Demands  []demandSpec
}

// demandSpec is what the leader demanded at a check, due Due after it;
// Answered, when set, is how long after the check the answer came.
type demandSpec struct {
	Demand   string
	Due      time.Duration
	Answer   string
	Answered time.Duration
}

var spotChecks = []spotCheckSpec{
	// A small firm few leaders visit: does its chief still follow it after a change of post?
	{"sulan", 3, time.Time{},
		"周六上午不打招呼到厂。负责人说朱宜根换了新岗位仍常来电话，机耕路路基已修好但尚未硬化。" +
			"电话抽问朱宜根，能准确说出路长、资金来源和硬化计划。要求大柘镇在春茶开采前完成硬化。",
		90, []demandSpec{
			{Demand: "一周内书面报告机耕路硬化资金来源和开工时间。", Due: 7 * day,
				Answer: "硬化资金由县农办和大柘镇分担，已列入镇里年初计划，节后开工。", Answered: 5 * day},
			{Demand: "两周内督促大柘镇确定硬化施工单位，报告落实情况。", Due: 14 * day},
		}},
	// The check the article recalls: 吴华军 could not say when the plant closes and reopens.
	// 吴华军 remembers it as last year's (2018); the day is invented.
	{"shuangcai", 0, time.Date(2018, time.December, 15, 9, 30, 0, 0, cst),
		"周末突击走访。抽问联系局长吴华军企业春节哪天放假、什么时候开工，未能答上。" +
			"企业对服务总体满意。要求各联系局长摸清所联系企业的放假、开工时间。",
		68, nil},
}

// saturdayBefore returns 09:30 Suichang time on the Saturday weeks weeks before now
// (or the Saturday before that day, if it is not one).
func saturdayBefore(now time.Time, weeks int) time.Time {
	t := now.In(cst).AddDate(0, 0, -7*weeks)
	back := (int(t.Weekday()) - int(time.Saturday) + 7) % 7
	y, m, d := t.Date()
	return time.Date(y, m, d-back, 9, 30, 0, 0, cst).UTC()
}
