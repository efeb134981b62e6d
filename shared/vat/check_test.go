package vat

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestOffline_SaysItCheckedTheFormatOnly(t *testing.T) {
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		number string
		valid  bool
	}{
		{"be 0403.170.701", true},
		{"BE0403170702", false},
		{"EL094259216", true},
		{"GR094259216", false},
	}
	for _, c := range cases {
		got, err := Offline{}.Validate(context.Background(), c.number, now)
		if err != nil || got.Valid != c.valid || got.Method != FormatOnly || !got.At.Equal(now) || got.At.Location() != time.UTC {
			t.Errorf("Validate(%q) = %+v, %v", c.number, got, err)
		}
		if got.Number != Normalize(c.number) || !got.For(c.number) {
			t.Errorf("Validate(%q) kept number %q", c.number, got.Number)
		}
		if c.valid && !strings.Contains(got.Detail, "not checked") {
			t.Errorf("detail %q does not say the registration was not checked", got.Detail)
		}
	}
	var none *Check
	if none.For("BE0403170701") {
		t.Error("no check is about a number")
	}
}
