package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The ranking's components and weights are configuration the programme office
// owns: a stored, versioned RankingConfig changed by an admin with a reason,
// every version kept as history. The code knows which components exist, what
// each measures and which weights make sense (a reward cannot be turned into a
// penalty); the office decides how much each is worth. docs/ranking.md gives
// the default and the article's reason for each.

// ComponentKind says how a component's value becomes points.
type ComponentKind string

const (
	// KindCount: points = weight × min(count, cap); cap 0 means no cap.
	KindCount ComponentKind = "COUNT"
	// KindMean: points = weight × (mean − baseline); no records, no points.
	KindMean ComponentKind = "MEAN"
)

// ComponentSpec is what the code knows of one component.
type ComponentSpec struct {
	Name  string
	Label string
	Kind  ComponentKind
	// Unit names what is counted or averaged.
	Unit string
	// MinWeight and MaxWeight bound the weight: rewards stay rewards and
	// penalties stay penalties.
	MinWeight, MaxWeight float64
	// MinBaseline and MaxBaseline are the scale of a mean (ratings 1–5, scores 0–100).
	MinBaseline, MaxBaseline float64
	// Why is the article's reason for the component.
	Why string
}

// Ranking component names.
const (
	CompVisits          = "VISITS"
	CompCollected       = "COLLECTED"
	CompAckInTime       = "ACKNOWLEDGED_IN_TIME"
	CompResolved        = "RESOLVED"
	CompConfirmed       = "CONFIRMED"
	CompOverdue         = "OVERDUE"
	CompSatisfaction    = "SATISFACTION"
	CompSpotChecks      = "SPOT_CHECKS"
	CompQuestionsMissed = "QUESTIONS_MISSED"
	CompQuizzes         = "QUIZZES"
)

// RankingComponents lists every component the ranking knows, in display order.
var RankingComponents = []ComponentSpec{
	{Name: CompVisits, Label: "走访企业", Kind: KindCount, Unit: "visits made", MaxWeight: 20,
		Why: "走企业、进车间 … 定期深入企业，摸实情、出对策: chiefs visit their firms regularly"},
	{Name: CompCollected, Label: "收集困难", Kind: KindCount, Unit: "difficulties the chief recorded himself or linked to his visits", MaxWeight: 20,
		Why: "共收集汇总企业困难问题119件: collecting difficulties is the first thing asked of a chief"},
	{Name: CompAckInTime, Label: "及时回应", Kind: KindCount, Unit: "problems first responded to by their response deadline", MaxWeight: 20,
		Why: "确保事事有回应: every matter gets a response"},
	{Name: CompResolved, Label: "解决问题", Kind: KindCount, Unit: "problems now RESOLVED or CONFIRMED", MaxWeight: 50,
		Why: "件件有落实 … 其中已解决78个问题: every matter is carried through"},
	{Name: CompConfirmed, Label: "企业确认", Kind: KindCount, Unit: "resolutions the enterprise CONFIRMED", MaxWeight: 50,
		Why: "企业家眼中 … 助企作用越来越大: the enterprise says the help worked"},
	{Name: CompOverdue, Label: "本人延误", Kind: KindCount, Unit: "problems that ran late while the chief held them (response, L1, L2)", MinWeight: -50,
		Why: "三怕之二: 怕服务出现纰漏让企业不满意 — a lapse of the chief's own; delays at L3/L4 are other departments' and the executive meeting's"},
	{Name: CompSatisfaction, Label: "企业满意度", Kind: KindMean, Unit: "mean rating (1–5): ratings given with a resolved problem and quarterly ratings of the chief", MaxWeight: 20, MinBaseline: 1, MaxBaseline: 5,
		Why: "三怕之二: 让企业不满意 — enterprises judge the service"},
	{Name: CompSpotChecks, Label: "突击抽查", Kind: KindMean, Unit: "mean spot-check score (0–100)", MaxWeight: 2, MaxBaseline: 100,
		Why: "毛建国 … 不定时的突击抽查: leaders check at the firms, often at weekends"},
	{Name: CompQuestionsMissed, Label: "被问倒", Kind: KindCount, Unit: "spot-check questions the chief could not answer", MinWeight: -20,
		Why: "三怕之一: 怕自己不了解情况被问倒"},
	{Name: CompQuizzes, Label: "临时考试", Kind: KindMean, Unit: "mean quiz score (0–100)", MaxWeight: 2, MaxBaseline: 100,
		Why: "三十来位局长被'临时考试': the unscheduled quiz"},
}

// ComponentByName returns the spec of a known component.
func ComponentByName(name string) (ComponentSpec, bool) {
	i := slices.IndexFunc(RankingComponents, func(c ComponentSpec) bool { return c.Name == name })
	if i < 0 {
		return ComponentSpec{}, false
	}
	return RankingComponents[i], true
}

// ComponentLabel is the Chinese name of a component ("" if unknown).
func ComponentLabel(name string) string {
	c, _ := ComponentByName(name)
	return c.Label
}

// ComponentWeight is the office's setting for one component.
type ComponentWeight struct {
	Name   string
	Weight float64
	// Cap (count components) is how many count at most; 0: no cap.
	Cap int
	// Baseline (mean components) is the mean that earns no points.
	Baseline float64
}

// RankingConfig is one version of the ranking's configuration.
type RankingConfig struct {
	// Version 0 is the built-in default, in force until an admin changes it.
	Version    int
	Components []ComponentWeight
	Reason     string
	// ChangedBy is the admin's account id, ChangedByName the name shown.
	ChangedBy     string
	ChangedByName string
	ChangedAt     time.Time
	// Changes says in words what changed from the previous version.
	Changes []string
}

// DefaultRankingConfig is version 0, derived from what the article names (see
// RankingComponents and docs/ranking.md).
func DefaultRankingConfig() *RankingConfig {
	return &RankingConfig{Version: 0, Reason: "默认配置：依据报道所列的走访、收集与解决困难、抽查（三怕）、考试与企业满意度",
		Components: []ComponentWeight{
			{Name: CompVisits, Weight: 1, Cap: 24},
			{Name: CompCollected, Weight: 2, Cap: 12},
			{Name: CompAckInTime, Weight: 3},
			{Name: CompResolved, Weight: 5},
			{Name: CompConfirmed, Weight: 5},
			{Name: CompOverdue, Weight: -10},
			{Name: CompSatisfaction, Weight: 10, Baseline: 3},
			{Name: CompSpotChecks, Weight: 0.5, Baseline: 60},
			{Name: CompQuestionsMissed, Weight: -2},
			{Name: CompQuizzes, Weight: 0.25, Baseline: 60},
		}}
}

// Weight returns the setting for a component (zero weight if absent).
func (c *RankingConfig) Weight(name string) ComponentWeight {
	for _, w := range c.Components {
		if w.Name == name {
			return w
		}
	}
	return ComponentWeight{Name: name}
}

// Apply returns a copy of c with the given settings replacing those of the same
// component; the others stay.
func (c *RankingConfig) Apply(changes []ComponentWeight) *RankingConfig {
	next := &RankingConfig{Version: c.Version + 1}
	for _, spec := range RankingComponents {
		w := c.Weight(spec.Name)
		for _, ch := range changes {
			if ch.Name == spec.Name {
				w = ch
			}
		}
		next.Components = append(next.Components, w)
	}
	return next
}

// ValidateChanges checks the settings an admin sends.
func ValidateChanges(changes []ComponentWeight, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return Invalid("reason", "say why the ranking changes: the office must be able to defend it")
	}
	if err := checkText("reason", reason, 1000); err != nil {
		return err
	}
	if len(changes) == 0 {
		return Invalid("components", "name at least one component to change")
	}
	seen := map[string]bool{}
	for _, ch := range changes {
		spec, ok := ComponentByName(ch.Name)
		if !ok {
			names := make([]string, len(RankingComponents))
			for i, c := range RankingComponents {
				names[i] = c.Name
			}
			return Invalid("components", "unknown ranking component %q (known: %s)", ch.Name, strings.Join(names, ", "))
		}
		if seen[ch.Name] {
			return Invalid("components", "component %s is listed twice", ch.Name)
		}
		seen[ch.Name] = true
		if math.IsNaN(ch.Weight) || ch.Weight < spec.MinWeight || ch.Weight > spec.MaxWeight {
			return Invalid("components", "%s: weight %v is outside %v…%v", ch.Name, ch.Weight, spec.MinWeight, spec.MaxWeight)
		}
		switch spec.Kind {
		case KindCount:
			if ch.Baseline != 0 {
				return Invalid("components", "%s counts records: it has no baseline", ch.Name)
			}
			if ch.Cap < 0 || ch.Cap > 1000 {
				return Invalid("components", "%s: cap %d is outside 0…1000 (0: no cap)", ch.Name, ch.Cap)
			}
		case KindMean:
			if ch.Cap != 0 {
				return Invalid("components", "%s is a mean: it has no cap", ch.Name)
			}
			if math.IsNaN(ch.Baseline) || ch.Baseline < spec.MinBaseline || ch.Baseline > spec.MaxBaseline {
				return Invalid("components", "%s: baseline %v is outside its scale %v…%v", ch.Name, ch.Baseline, spec.MinBaseline, spec.MaxBaseline)
			}
		}
	}
	return nil
}

// Diff says in words what differs from prev, one line per component.
func (c *RankingConfig) Diff(prev *RankingConfig) []string {
	var out []string
	for _, spec := range RankingComponents {
		a, b := prev.Weight(spec.Name), c.Weight(spec.Name)
		var parts []string
		if a.Weight != b.Weight {
			parts = append(parts, fmt.Sprintf("weight %v → %v", a.Weight, b.Weight))
		}
		if a.Cap != b.Cap {
			parts = append(parts, fmt.Sprintf("cap %d → %d", a.Cap, b.Cap))
		}
		if a.Baseline != b.Baseline {
			parts = append(parts, fmt.Sprintf("baseline %v → %v", a.Baseline, b.Baseline))
		}
		if len(parts) > 0 {
			out = append(out, spec.Name+": "+strings.Join(parts, ", "))
		}
	}
	return out
}

// Rule says in words how a component's value becomes points under c.
func (c *RankingConfig) Rule(name string) string {
	spec, _ := ComponentByName(name)
	w := c.Weight(name)
	switch {
	case spec.Kind == KindMean:
		return fmt.Sprintf("(%s − %v) × %v; none, no points", spec.Unit, w.Baseline, w.Weight)
	case w.Cap > 0:
		return fmt.Sprintf("%v points each (%s), at most %d counted", w.Weight, spec.Unit, w.Cap)
	}
	return fmt.Sprintf("%v points each (%s)", w.Weight, spec.Unit)
}
