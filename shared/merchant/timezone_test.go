package merchant

import (
	"errors"
	"testing"
	"time"
)

func TestMerchant_TodayInItsTimeZone(t *testing.T) {
	newYearsEve := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
	cases := []struct {
		zone  string
		now   time.Time
		today string
	}{
		{"", newYearsEve, "2026-01-01"}, // Paris by default: 00:30
		{"Europe/Paris", newYearsEve, "2026-01-01"},
		{"Europe/Paris", time.Date(2026, 6, 30, 21, 59, 0, 0, time.UTC), "2026-06-30"}, // summer time: 23:59
		{"Europe/Paris", time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC), "2026-07-01"},
		{"UTC", newYearsEve, "2025-12-31"},
		{"America/Martinique", time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), "2025-12-31"},
		{"Nowhere/Atlantis", newYearsEve, "2026-01-01"}, // not a zone: the default
	}
	for _, c := range cases {
		got := Merchant{TimeZone: c.zone}.Today(c.now)
		if got.Format(time.DateOnly) != c.today || got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("%q at %s: %s, want %s at midnight UTC", c.zone, c.now, got, c.today)
		}
	}
	if got := (Merchant{}).Location().String(); got != DefaultTimeZone {
		t.Errorf("default location %s", got)
	}
}

func TestValidTimeZone(t *testing.T) {
	for _, ok := range []string{"", "Europe/Paris", "Europe/Brussels", "America/Martinique", "Indian/Reunion", "UTC"} {
		if err := ValidTimeZone(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"Local", "Paris", "Europe/Atlantis", "../../etc/passwd", "+01:00", "europe/paris "} {
		if err := ValidTimeZone(bad); !errors.Is(err, ErrInvalidTimeZone) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
