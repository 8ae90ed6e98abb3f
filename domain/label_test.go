package domain_test

import (
	"testing"

	"github.com/lianqi/lianqi/domain"
)

// TestEveryEnumHasAChineseLabel: a value added without a label would show an
// empty string where people read.
func TestEveryEnumHasAChineseLabel(t *testing.T) {
	for _, s := range domain.ProblemStatuses {
		if s.Label() == "" {
			t.Errorf("status %s has no label", s)
		}
	}
	for _, l := range domain.Levels {
		if l.Label() == "" {
			t.Errorf("level %s has no label", l)
		}
	}
	for _, m := range []domain.EscalationMode{domain.ModeLetter, domain.ModeMeeting, domain.ModeExecutiveMeeting} {
		if m.Label() == "" {
			t.Errorf("mode %s has no label", m)
		}
	}
	for _, a := range []domain.Action{domain.ActionNote, domain.ActionAcknowledge, domain.ActionStart, domain.ActionEscalate, domain.ActionResolve,
		domain.ActionConfirm, domain.ActionReopen, domain.ActionWithdraw, domain.ActionCoordination, domain.ActionReply, domain.ActionDecision} {
		if a.Label() == "" {
			t.Errorf("action %s has no label", a)
		}
	}
	for _, c := range domain.RankingComponents {
		if domain.ComponentLabel(c.Name) == "" {
			t.Errorf("ranking component %s has no label", c.Name)
		}
	}
	for _, b := range domain.RevenueBands {
		if b.Label() == "" {
			t.Errorf("revenue band %s has no label", b)
		}
	}
}
