package export

import (
	"cmp"
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

// StatusLabel is the Chinese name of a status (domain's label, the code
// itself for a status added later, so that no cell is empty).
func StatusLabel(s domain.ProblemStatus) string { return cmp.Or(s.Label(), string(s)) }

// ActionLabel is the Chinese name of a history entry's kind.
func ActionLabel(a domain.Action) string {
	if a == "" {
		a = domain.ActionNote
	}
	return cmp.Or(a.Label(), string(a))
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
