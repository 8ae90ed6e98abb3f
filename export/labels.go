package export

import (
	"time"

	"github.com/lianqi/lianqi/domain"
)

// cst is the county's clock: dates in the files are read by people in
// Zhejiang, not by programs.
var cst = time.FixedZone("CST", 8*60*60)

// TimeLayout is how times are written: Beijing time to the minute.
const TimeLayout = "2006-01-02 15:04"

// FormatTime writes t in Beijing time; the zero time is an empty cell.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format(TimeLayout)
}

var statusLabels = map[domain.ProblemStatus]string{
	domain.StatusReported: "已上报", domain.StatusAcknowledged: "已受理", domain.StatusInProgress: "办理中",
	domain.StatusResolved: "已办结", domain.StatusConfirmed: "企业已确认", domain.StatusWithdrawn: "已撤回",
}

// StatusLabel is the Chinese name of a status.
func StatusLabel(s domain.ProblemStatus) string { return labelOr(statusLabels, s) }

var actionLabels = map[domain.Action]string{
	domain.ActionNote: "进展记录", domain.ActionAcknowledge: "受理", domain.ActionStart: "开始办理",
	domain.ActionEscalate: "提级", domain.ActionResolve: "办结", domain.ActionConfirm: "企业确认",
	domain.ActionReopen: "重新办理", domain.ActionWithdraw: "撤回",
}

// ActionLabel is the Chinese name of a history entry's kind.
func ActionLabel(a domain.Action) string {
	if a == "" {
		a = domain.ActionNote
	}
	return labelOr(actionLabels, a)
}


// labelOr falls back to the code itself, so that a value added later shows
// up as its code rather than as an empty cell.
func labelOr[K ~string](labels map[K]string, k K) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return string(k)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
