package catalog_test

import (
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
)

func TestEAN13CheckDigit_CompletesTwelveDigits(t *testing.T) {
	for _, c := range []struct {
		first12 string
		want    byte
		ok      bool
	}{
		{"400638133393", '1', true},
		{"376999000999", '4', true},
		{"590123412345", '7', true},
		{"000000000000", '0', true},
		{"37699900099", 0, false},
		{"3769990009994", 0, false},
		{"37699900099A", 0, false},
		{"37699900099-", 0, false},
		{"", 0, false},
	} {
		got, ok := catalog.EAN13CheckDigit(c.first12)
		if got != c.want || ok != c.ok {
			t.Errorf("EAN13CheckDigit(%q) = %q, %v; want %q, %v", c.first12, got, ok, c.want, c.ok)
		}
	}
}

func TestValidEAN13_AcceptsOnlyThirteenDigitsWithTheirCheckDigit(t *testing.T) {
	for s, want := range map[string]bool{
		"4006381333931":  true,
		"3769990009994":  true,
		"5901234123457":  true,
		"3769990009995":  false, // wrong check digit
		"376999000999":   false, // twelve digits
		"37699900099941": false, // fourteen
		"37699900099A1":  false,
		"376999000999４":  false, // a full-width digit
		"":               false,
	} {
		if got := catalog.ValidEAN13(s); got != want {
			t.Errorf("ValidEAN13(%q) = %v, want %v", s, got, want)
		}
	}
}
