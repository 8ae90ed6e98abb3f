package demo

import "github.com/lianqi/lianqi/domain"

// Password is the password of every demo account. It is published in the README
// and printed by the server, which is why demo data belongs in a sandbox and
// never in a deployment with real users.
const Password = "demo1234"

// Account is a demo login.
type Account struct {
	Username, Password string
	Role               domain.Role
	Note               string
}

// accountSpec is a demo login plus what its user record needs: the name shown in
// the UI and the official or enterprise record the account acts as (keys into the
// tables of programme.go).
type accountSpec struct {
	Account
	DisplayName string
	Official    string
	Enterprise  string
}

// accountSpecs has one login per role, and for the two roles whose view depends
// on pairings (OFFICIAL, ENTERPRISE) several logins, so that a newcomer can see
// how scope differs: zhulijun serves two enterprises, zhoushiyue one, and an
// enterprise sees only itself.
var accountSpecs = []accountSpec{
	{Account: Account{"admin", Password, domain.RoleAdmin,
		"programme office (领导小组办公室) administrator: accounts, posts, pairings; enters difficulties phoned in"},
		DisplayName: "系统管理员"},
	{Account: Account{"maojianguo", Password, domain.RoleLeader,
		"毛建国, county party secretary (县委书记): reads everything, records spot checks (突击抽查)"},
		DisplayName: "毛建国"},
	{Account: Account{"zhoushiyue", Password, domain.RoleOfficial,
		"周世岳, land bureau chief → market-supervision chief after the 2019 reform; serves 浙江良盛元化工有限公司"},
		DisplayName: "周世岳", Official: "zhoushiyue"},
	{Account: Account{"zhulijun", Password, domain.RoleOfficial,
		"朱立军, transport chief → medical-insurance chief; serves 浙江鼎泰新材料有限公司 and 浙江遂昌嘉隆服饰有限公司"},
		DisplayName: "朱立军", Official: "zhulijun"},
	{Account: Account{"zhuyigen", Password, domain.RoleOfficial,
		"朱宜根, now 科协书记; serves 遂昌素兰茶厂 (the 4.1 km farm road)"},
		DisplayName: "朱宜根", Official: "zhuyigen"},
	{Account: Account{"yinweizhong", Password, domain.RoleOfficial,
		"尹卫中, deputy chief of 县经商局; serves 浙江永上特材有限公司"},
		DisplayName: "尹卫中", Official: "yinweizhong"},
	{Account: Account{"moweiliang", Password, domain.RoleEnterprise,
		"莫伟良, manager of 浙江良盛元化工有限公司: sees only his firm"},
		DisplayName: "莫伟良", Enterprise: "liangshengyuan"},
	{Account: Account{"zouyongliang", Password, domain.RoleEnterprise,
		"邹永良, general manager of 浙江鼎泰新材料有限公司"},
		DisplayName: "邹永良", Enterprise: "dingtai"},
	{Account: Account{"linzongwu", Password, domain.RoleEnterprise,
		"林宗武, head of 浙江鲨鱼食品机械有限公司 (the zebra crossing)"},
		DisplayName: "林宗武", Enterprise: "shayu"},
}

// Accounts lists the demo logins (all with password "demo1234"); printed by the server and the README.
var Accounts = func() []Account {
	out := make([]Account, len(accountSpecs))
	for i, s := range accountSpecs {
		out[i] = s.Account
	}
	return out
}()
