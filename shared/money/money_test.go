package money

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestRound(t *testing.T) {
	cases := []struct{ amount, currency, want string }{
		{"10.005", "EUR", "10.01"},
		{"10.004", "EUR", "10"},
		{"1234.5", "JPY", "1235"},
		{"1.2345", "KWD", "1.235"},
		{"-2.345", "EUR", "-2.35"},
	}
	for _, c := range cases {
		got := Round(decimal.RequireFromString(c.amount), c.currency)
		if !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("Round(%s %s) = %s, want %s", c.amount, c.currency, got, c.want)
		}
	}
	if MinorUnits("jpy") != 0 || MinorUnits("TND") != 3 || MinorUnits("EUR") != 2 {
		t.Error("minor units")
	}
}
