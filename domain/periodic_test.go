package domain_test

import (
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestQuarterOf(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-Q1"},
		// 31 March 20:00 UTC is already 1 April in Beijing.
		{time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC), "2026-Q2"},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), "2026-Q4"},
	} {
		if got := domain.QuarterOf(tc.at); got != tc.want {
			t.Errorf("QuarterOf(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
	if domain.PeriodicRatingID("e", "2026-Q1") != domain.PeriodicRatingID("e", "2026-Q1") || domain.PeriodicRatingID("e", "2026-Q1") == domain.PeriodicRatingID("e", "2026-Q2") {
		t.Fatal("one id per enterprise and period")
	}
}
