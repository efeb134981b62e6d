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

func TestInclusiveUnitPrice_RoundsToTheCurrencysMinorUnit(t *testing.T) {
	cases := []struct{ unit, pct, currency, want string }{
		{"1663.2", "20", "EUR", "1995.84"},
		{"0.3125", "20", "EUR", "0.38"}, // 0.375 half-up
		{"10.004", "21", "EUR", "12.1"},
		{"333", "10", "JPY", "366"},     // 366.3
		{"333", "10.15", "JPY", "367"},  // 366.7995
		{"1.2345", "5", "KWD", "1.296"}, // 1.296225
		{"100", "0", "EUR", "100"},
	}
	for _, c := range cases {
		d := decimal.RequireFromString
		if got := InclusiveUnitPrice(d(c.unit), d(c.pct), c.currency); !got.Equal(d(c.want)) {
			t.Errorf("%s HT at %s%% in %s = %s TTC, want %s", c.unit, c.pct, c.currency, got, c.want)
		}
	}
}
