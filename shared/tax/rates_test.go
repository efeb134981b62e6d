package tax

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestStandardRate_FollowsEffectiveDates(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	cases := []struct {
		country, on, want string
		ok                bool
	}{
		{"FR", "2026-11-26", "20", true},
		{"be", "2026-11-26", "21", true},
		{"EE", "2025-06-30", "22", true},
		{"EE", "2025-07-01", "24", true},
		{"FI", "2024-08-31", "24", true},
		{"FI", "2024-09-01", "25.5", true},
		{"RO", "2025-08-01", "21", true},
		{"SK", "2024-12-31", "20", true},
		{"SK", "2025-01-01", "23", true},
		{"US", "2026-01-01", "0", false},
	}
	for _, c := range cases {
		got, ok := StandardRate(c.country, day(c.on))
		if ok != c.ok || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("StandardRate(%s, %s) = %s %v, want %s %v", c.country, c.on, got, ok, c.want, c.ok)
		}
	}
	if got := Inclusive(decimal.RequireFromString("100"), decimal.RequireFromString("5.5")); !got.Equal(decimal.RequireFromString("105.5")) {
		t.Errorf("Inclusive = %s", got)
	}
}
