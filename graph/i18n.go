package graph

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lianqi/lianqi/domain"
)

// Error messages in the caller's language. The programme's users read Chinese,
// so messages are zh-CN unless the request's Accept-Language prefers English;
// extensions.messageEn always carries the English text (for logs, support and
// clients written against it) and extensions.code stays the contract.
//
// A domain error is translated from the format it was built with
// (domain.Error.Template), with its arguments: English words among them
// (record kinds, actions, statuses) are translated too. A message not in the
// catalogue is shown as a Chinese lead-in for its code followed by the English
// text, so nothing is lost while the catalogue grows.

const (
	langZH = "zh-CN"
	langEN = "en"
)

// language picks the response language from the request's Accept-Language:
// the supported language (zh, en) with the highest quality, zh-CN when the
// header names neither.
func language(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return langZH
	}
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Headers == nil {
		return langZH
	}
	return parseAcceptLanguage(oc.Headers.Get("Accept-Language"))
}

func parseAcceptLanguage(h string) string {
	best, bestQ := langZH, 0.0
	// Bounded: a header of thousands of entries is not worth reading to the end.
	for i, part := range strings.SplitN(h, ",", 33) {
		if i == 32 {
			break
		}
		tag, q := strings.TrimSpace(part), 1.0
		if t, params, ok := strings.Cut(tag, ";"); ok {
			tag = strings.TrimSpace(t)
			if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		tag = strings.ToLower(tag)
		var lang string
		switch {
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = langEN
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			lang = langZH
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// localize sets the presented error's message in the request's language and
// keeps the English in extensions.messageEn.
func localize(ctx context.Context, message string, de *domain.Error, ext map[string]any) string {
	ext["messageEn"] = message
	if language(ctx) == langEN {
		return message
	}
	return chinese(message, de)
}

// chinese translates one message; de is nil for messages the presenter wrote.
func chinese(message string, de *domain.Error) string {
	format, args := message, []any(nil)
	code := domain.EINTERNAL
	if de != nil {
		code = de.Code
		if de.Code != domain.EINTERNAL || message == de.Message {
			format, args = de.Template()
		}
	}
	if zh, ok := zhMessages[format]; ok {
		return fmt.Sprintf(zh, zhArgs(args)...)
	}
	lead, ok := zhLeads[code]
	if !ok {
		lead = "错误"
	}
	return lead + "：" + message
}

func zhArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		// Enum types (roles, statuses) are strings underneath.
		if v := reflect.ValueOf(a); v.IsValid() && v.Kind() == reflect.String {
			if zh, ok := zhWords[v.String()]; ok {
				out[i] = zh
			}
		}
	}
	return out
}

// zhLeads introduce an untranslated message by what kind of error it is.
var zhLeads = map[string]string{
	domain.EINVALID: "输入有误", domain.ENOTFOUND: "未找到", domain.ECONFLICT: "冲突", domain.EUNAUTHENTICATED: "未登录",
	domain.EFORBIDDEN: "无权操作", domain.EINTERNAL: "内部错误", domain.ERATELIMITED: "请求过于频繁", domain.EUPGRADE: "需要升级",
}

// zhWords are English words that appear as message arguments.
var zhWords = map[string]string{
	"problem": "问题", "enterprise": "企业", "official": "干部", "pairing": "结对", "visit": "走访记录", "spot check": "抽查记录",
	"user": "账号", "rating": "评价", "quiz": "考试", "progress note": "进展记录", "demand": "要求", "periodic rating": "定期评价",
	"session": "会话", "audit event": "审计记录",
	"acknowledge": "受理", "start": "开始办理", "escalate": "上报升级", "resolve": "办结", "confirm": "确认", "reopen": "重新办理",
	"withdraw": "撤回", "note": "记录进展", "record_coordination": "记录函告/协调会", "department_reply": "记录部门回复",
	"executive_decision": "记录县长办公会议决定",
	"escalated":          "上报升级", "reopened": "重新办理", "withdrawn": "撤回", "confirmed": "确认",
	"REPORTED": "已上报", "ACKNOWLEDGED": "已受理", "IN_PROGRESS": "办理中", "RESOLVED": "已解决", "CONFIRMED": "企业已确认", "WITHDRAWN": "已撤回",
	"ADMIN": "管理员", "LEADER": "领导", "OFFICIAL": "干部", "ENTERPRISE": "企业", "DASHBOARD": "大屏",
}

// zhMessages translate the domain's message formats; the verbs and their
// order are those of the English format.
var zhMessages = map[string]string{
	"internal error":                                "内部错误",
	"%s %q not found":                               "未找到%s %q",
	"%s accounts cannot %s a problem":               "%s账号不能%s问题",
	"cannot %s a problem that is %s":                "不能%s状态为“%s”的问题",
	"say why the problem is %s":                     "请说明%s的原因",
	"a progress note needs text":                    "进展记录需要填写内容",
	"a short title is required":                     "请填写简短的标题",
	"a valid enterprise id is required":             "需要有效的企业编号",
	"a valid official id is required":               "需要有效的干部编号",
	"unknown category %q":                           "未知的问题类别 %q",
	"unknown status %q":                             "未知的状态 %q",
	"unknown escalation level %q":                   "未知的层级 %q",
	"at most 20 tags":                               "标签最多 20 个",
	"tags must not be empty":                        "标签不能为空",
	"a problem at %s can only be escalated upwards": "%s 的问题只能向上升级",
	"an L2 problem stays inside the department: no letter or meeting":              "L2 问题在本系统内解决，无需函告或协调会",
	"L3 goes to other departments by LETTER (函告) or MEETING (协调会)":                 "L3 需通过函告（LETTER）或协调会（MEETING）交其他部门",
	"name the departments the problem goes to":                                     "请填写协办部门",
	"only a leader can put a problem on the county executive meeting (L4)":         "只有领导可以将问题提交县长办公会议（L4）",
	"L4 is the county executive meeting":                                           "L4 即县长办公会议",
	"only the account that reported a problem can withdraw it":                     "只有上报问题的账号可以撤回",
	"a letter, a meeting and reply deadlines go with an L3 escalation":             "函告、协调会和回复期限只用于 L3 升级",
	"a letter goes with mode LETTER, a meeting with mode MEETING":                  "函告对应 LETTER 方式，协调会对应 MEETING 方式",
	"a letter's reference number (文号) is required":                                 "请填写函件文号",
	"a letter cannot be recorded as sent in the future":                            "函件发出时间不能晚于当前时间",
	"name the departments the letter went to":                                      "请填写函件的收文部门",
	"the meeting's date is required":                                               "请填写会议日期",
	"the departments' reply deadline must be in the future":                        "部门回复期限必须晚于当前时间",
	"%q was not asked to help with this problem":                                   "%q 未被请求协办此问题",
	"record what the department replied":                                           "请填写部门的回复内容",
	"give the letter or the meeting to record":                                     "请提供要记录的函件或协调会",
	"only a problem escalated to other departments (L3) has a letter or a meeting": "只有交其他部门协办（L3）的问题才有函件或协调会",
	"only a problem on the county executive meeting (L4) has its decision":         "只有提交县长办公会议（L4）的问题才有会议决定",
	"the meeting's decision is required":                                           "请填写会议决定",
	"say who the meeting charged with carrying it out":                             "请填写会议指定的落实责任方",
	"a decision cannot be recorded in the future":                                  "会议决定日期不能晚于当前时间",
	"the deadline cannot be before the meeting":                                    "落实期限不能早于会议日期",
	"a rating is 1 to 5":                                          "评分须在 1 到 5 之间",
	"ratings come from the enterprise":                            "评价只能由企业作出",
	"a period is a quarter such as 2026-Q4":                       "评价周期为季度，例如 2026-Q4",
	"the quarter %s has not begun":                                "%s 季度尚未开始",
	"the enterprise has no chief leading its service to rate":     "该企业目前没有联系局长可供评价",
	"the enterprise already rated its chief for %s":               "该企业已对 %s 的联系局长作出评价",
	"a demand needs text":                                         "请填写要求内容",
	"a demand needs a deadline":                                   "请填写要求的答复期限",
	"name the official who must answer (the check judges nobody)": "请指定须答复的干部（该抽查没有对应的联系局长）",
	"an answer needs text":                                        "请填写答复内容",
	"only the official the demand is addressed to can answer it":  "只有被要求的干部可以答复",
	"officials see the demands addressed to them":                 "干部只能查看向自己提出的要求",
	"add demands with addSpotCheckDemand":                         "请用 addSpotCheckDemand 追加要求",
	"at most 20 demands":                                          "要求最多 20 条",
	"days must be between 0 and 3650":                             "天数须在 0 到 3650 之间",
	"employees must be between 0 and 1,000,000":                   "员工人数须在 0 到 1,000,000 之间",
	"unknown revenue band %q":                                     "未知的营收档次 %q",
	"spot checks are not available to %s accounts":                "%s账号不能查看抽查记录",
	"only the leader who made the check may change it":            "只有作出抽查的领导可以修改",
	"a spot check cannot be recorded in the future":               "抽查日期不能晚于当前时间",
	"the check date is required":                                  "请填写抽查日期",
	"score must be between 0 and 100":                             "分数须在 0 到 100 之间",
	"at most 50 questions":                                        "问题最多 50 个",
	"question %d is empty":                                        "第 %d 个问题为空",
	"a visit cannot be recorded in the future":                    "走访日期不能晚于当前时间",
	"the visit date is required":                                  "请填写走访日期",
	"only officials record visits":                                "只有干部可以记录走访",
	"officials record only their own visits":                      "干部只能记录自己的走访",
	"enterprise name is required":                                 "请填写企业名称",
	"official name is required":                                   "请填写干部姓名",
	"official %s has retired":                                     "干部 %s 已退休",
	"the period must end after it starts":                         "统计区间的结束须晚于开始",
	"this operation requires role %s":                             "此操作需要%s角色",
	"this operation is not available to %s accounts":              "%s账号不能进行此操作",
	"wrong username or password":                                  "用户名或密码错误",
	"a password is required":                                      "请输入密码",
	"authentication required: send Authorization: Bearer <accessToken> from the login mutation": "需要登录：请在请求头中携带 Authorization: Bearer <accessToken>",
	"invalid or expired refresh token: sign in again":                                           "刷新令牌无效或已过期，请重新登录",
	"too many sign-in attempts; try again in %d seconds":                                        "登录尝试过多，请 %d 秒后再试",
	"%s %s is at version %d, not %d: it was changed by someone else; reload and try again":      "%s %s 当前版本为 %d（而非 %d），已被他人修改，请刷新后重试",
	"%s %s was changed by someone else (expected version %d); reload and try again":             "%s %s 已被他人修改（预期版本 %d），请刷新后重试",
	"add notes with addProgressNote":                                                            "请用 addProgressNote 添加进展记录",
	"the problem has been taken up by officials; add a progress note instead":                   "问题已由干部受理，请改为添加进展记录",
	"the escalation level is set by officials, not by the enterprise":                           "问题层级由干部设定，企业不能设定",
	"first must be between 1 and %d":                                                            "first 须在 1 到 %d 之间",
	"the server is busy with expensive requests (statistics, listings); retry in a few seconds": "服务器正忙于处理统计等请求，请几秒后重试",
}
