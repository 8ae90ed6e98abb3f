package domain

import "io"

// RevenueBand is a firm's annual revenue band. Leaders choose small firms
// nobody visits for their spot checks; 20 million yuan is the county's line
// between firms "above designated size" (规上) and small ones.
type RevenueBand string

const (
	RevenueUnder5M    RevenueBand = "UNDER_5M"
	Revenue5MTo20M    RevenueBand = "FROM_5M_TO_20M"
	Revenue20MTo100M  RevenueBand = "FROM_20M_TO_100M"
	Revenue100MTo500M RevenueBand = "FROM_100M_TO_500M"
	RevenueOver500M   RevenueBand = "OVER_500M"
)

// RevenueBands lists the bands smallest first.
var RevenueBands = []RevenueBand{RevenueUnder5M, Revenue5MTo20M, Revenue20MTo100M, Revenue100MTo500M, RevenueOver500M}

var revenueBandLabels = map[RevenueBand]string{
	RevenueUnder5M: "500万元以下", Revenue5MTo20M: "500万–2000万元", Revenue20MTo100M: "2000万–1亿元",
	Revenue100MTo500M: "1亿–5亿元", RevenueOver500M: "5亿元以上",
}

// Label is the band in Chinese.
func (b RevenueBand) Label() string { return revenueBandLabels[b] }

func (b *RevenueBand) UnmarshalGQL(v any) (err error) {
	*b, err = parseEnum(v, RevenueBands, "RevenueBand")
	return err
}
func (b RevenueBand) MarshalGQL(w io.Writer) { writeEnum(w, b) }

// validateSize checks the firm-size fields of an enterprise.
func (e *Enterprise) validateSize() error {
	if e.Employees != nil && (*e.Employees < 0 || *e.Employees > 1_000_000) {
		return Invalid("employees", "employees must be between 0 and 1,000,000")
	}
	if e.RevenueBand != "" && !contains(RevenueBands, e.RevenueBand) {
		return Invalid("revenueBand", "unknown revenue band %q", e.RevenueBand)
	}
	return nil
}

// RevenueBandLabel is the Chinese label of the enterprise's revenue band, "" if unknown.
func (e *Enterprise) RevenueBandLabel() string { return e.RevenueBand.Label() }
