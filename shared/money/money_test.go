package money

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

func TestRound_HalfUpToTheMinorUnit(t *testing.T) {
	cases := []struct{ amount, currency, want string }{
		{"10.005", "EUR", "10.01"},
		{"10.004", "EUR", "10"},
		{"-2.345", "EUR", "-2.35"},
		{"2.675", "USD", "2.68"}, // 2.67499999… as a float
		{"0.125", "CHF", "0.13"}, // invoices in CHF carry the centime, not the cash 0.05
		{"1.115", "GBP", "1.12"},
		{"1234.5", "JPY", "1235"},
		{"1234.4999", "JPY", "1234"},
		{"999.5", "KRW", "1000"},
		{"0.5", "ISK", "1"},
		{"99.5", "CLP", "100"},
		{"12345.5", "VND", "12346"},
		{"1.2345", "KWD", "1.235"},
		{"1.0005", "BHD", "1.001"},
		{"0.0005", "JOD", "0.001"},
		{"1.9995", "OMR", "2"},
		{"2.0004", "TND", "2"},
		{"1.0005", "IQD", "1.001"}, // ISO 3, CLDR 0
		{"1.005", "COP", "1.01"},   // ISO 2, CLDR 0
		{"1.005", "IDR", "1.01"},   // ISO 2, CLDR 0
	}
	for _, c := range cases {
		got := Round(decimal.RequireFromString(c.amount), c.currency)
		if !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("Round(%s %s) = %s, want %s", c.amount, c.currency, got, c.want)
		}
	}
}

func TestMinorUnits_FollowISO4217(t *testing.T) {
	cases := map[string]int32{
		"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "XOF": 0, "XAF": 0, "PYG": 0, "UGX": 0,
		"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3, "LYD": 3, "IQD": 3,
		"EUR": 2, "USD": 2, "CHF": 2, "GBP": 2, "SEK": 2, "HUF": 2, "TWD": 2, "CZK": 2,
		"COP": 2, "IDR": 2, "PKR": 2, "RSD": 2, // CLDR: 0
		"CLF": 4,
		"MRU": 2, "VES": 2, // newer than the CLDR data
		"eur": 2, "jpy": 0, "Kwd": 3,
	}
	for c, want := range cases {
		if got := MinorUnits(c); got != want {
			t.Errorf("MinorUnits(%s) = %d, want %d", c, got, want)
		}
	}
}

// The currencies in use whose minor unit is not two decimals are exactly
// ISO 4217's: what CLDR adds (COP, IDR...) is overridden by isoNotCLDR.
func TestMinorUnits_EveryCurrencyInUseAsISO4217(t *testing.T) {
	iso := map[string]int32{
		"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
		"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
		"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	}
	for it := currency.Query(); it.Next(); {
		c := it.Unit().String()
		want, ok := iso[c]
		if !ok {
			want = 2
		}
		if got := MinorUnits(c); got != want {
			t.Errorf("MinorUnits(%s) = %d, ISO 4217 says %d", c, got, want)
		}
	}
}

// Every exception is needed: CLDR's figure differs from ISO's for each.
func TestMinorUnits_ExceptionsOnlyWhereCLDRDiffers(t *testing.T) {
	for c, m := range isoNotCLDR {
		u, err := currency.ParseISO(c)
		if err != nil {
			t.Errorf("%s is unknown to CLDR: no exception needed", c)
			continue
		}
		if scale, _ := currency.Standard.Rounding(u); int32(scale) == m {
			t.Errorf("%s: CLDR already says %d decimals", c, m)
		}
	}
}

func TestValidCurrency_OnlyCurrenciesInUse(t *testing.T) {
	cases := map[string]bool{
		"EUR": true, "USD": true, "CHF": true, "JPY": true, "KWD": true, "GBP": true, "XOF": true, "VES": true,
		"XYZ": false, "AAA": false, // well formed, not ISO 4217
		"XXX": false, "XTS": false, "XAU": false, "XDR": false, // no currency, test, metal, drawing right
		"FRF": false, "DEM": false, // withdrawn
		"eur": false, "EU": false, "EURO": false, "": false, "E1R": false, "ÉUR": false,
	}
	for c, want := range cases {
		if got := ValidCurrency(c); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", c, got, want)
		}
	}
}

// Every currency ValidCurrency accepts has a minor unit of 0, 2 or 3
// decimals, and the ones that are not 2 are ISO's, whatever CLDR says.
func TestValidCurrency_EveryAcceptedCurrencyHasAMinorUnit(t *testing.T) {
	n := 0
	for it := currency.Query(); it.Next(); {
		c := it.Unit().String()
		if !ValidCurrency(c) {
			t.Errorf("%s is legal tender but refused", c)
		}
		if m := MinorUnits(c); m != 0 && m != 2 && m != 3 {
			t.Errorf("%s has %d decimals", c, m)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("only %d currencies in use", n)
	}
}

func TestAmount_PrintsTheCurrencysMinorUnits(t *testing.T) {
	cases := []struct{ amount, currency, want string }{
		{"808.4", "EUR", "808.40"},
		{"8084", "EUR", "8084.00"},
		{"0", "EUR", "0.00"},
		{"1663.2", "EUR", "1663.20"},
		{"808", "JPY", "808"},
		{"808.4", "KWD", "808.400"},
		{"0.3125", "EUR", "0.3125"},  // a unit price keeps its decimals
		{"12.3000", "EUR", "12.30"},  // but not trailing zeros beyond the minor unit
		{"12.3450", "EUR", "12.345"}, // nor beyond its own decimals
		{"808.4", "JPY", "808.4"},
		{"-2.5", "EUR", "-2.50"},
		{"1E+3", "EUR", "1000.00"},
	}
	for _, c := range cases {
		a := AmountIn(decimal.RequireFromString(c.amount), c.currency)
		b, err := json.Marshal(struct {
			A Amount `json:"a"`
		}{a})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"a":"` + c.want + `"}`; string(b) != want {
			t.Errorf("%s %s marshals as %s, want %s", c.amount, c.currency, b, want)
		}
		if a.String() != c.want {
			t.Errorf("%s %s prints as %s, want %s", c.amount, c.currency, a, c.want)
		}
	}
}

func TestAmount_DecodesWhatItPrints(t *testing.T) {
	var got struct {
		A Amount `json:"a"`
	}
	if err := json.Unmarshal([]byte(`{"a":"808.40"}`), &got); err != nil {
		t.Fatal(err)
	}
	if !got.A.Equal(decimal.RequireFromString("808.4")) {
		t.Errorf("decoded %s", got.A.Decimal)
	}
}

func TestParse_PlainDecimalsWithinBounds(t *testing.T) {
	type parser func(string) (decimal.Decimal, error)
	cases := []struct {
		name  string
		parse parser
		in    string
		ok    bool
	}{
		{"price", ParsePrice, "12.50", true},
		{"price, whole", ParsePrice, "850", true},
		{"price, four decimals", ParsePrice, "0.0001", true},
		{"price, twelve digits", ParsePrice, "999999999999.9999", true},
		{"price zero", ParsePrice, "0", false},
		{"price, five decimals", ParsePrice, "0.00001", false},
		{"price, thirteen digits", ParsePrice, "1000000000000", false},
		{"price with exponent", ParsePrice, "1e9999", false},
		{"price with upper-case exponent", ParsePrice, "1E3", false},
		{"negative price", ParsePrice, "-5", false},
		{"price with plus", ParsePrice, "+5", false},
		{"price with spaces", ParsePrice, " 5", false},
		{"price without integer part", ParsePrice, ".5", false},
		{"price ending with a point", ParsePrice, "5.", false},
		{"price with a comma", ParsePrice, "5,5", false},
		{"empty price", ParsePrice, "", false},
		{"not a number", ParsePrice, "NaN", false},
		{"amount zero", ParseAmount, "0", true},
		{"amount", ParseAmount, "5000", true},
		{"negative amount", ParseAmount, "-1", false},
		{"percent", ParsePercent, "12.5", true},
		{"percent zero", ParsePercent, "0", true},
		{"percent hundred", ParsePercent, "100", true},
		{"percent hundred with decimals", ParsePercent, "100.00", true},
		{"percent over hundred", ParsePercent, "100.01", false},
		{"percent far over", ParsePercent, "130", false},
		{"percent huge", ParsePercent, "99999999999999999999", false},
		{"percent exponent", ParsePercent, "1e1", false},
		{"negative percent", ParsePercent, "-5", false},
		{"percent, five decimals", ParsePercent, "1.00001", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.parse(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("%q: %v, error %v", c.in, d, err)
			}
			if err == nil && !d.Equal(decimal.RequireFromString(c.in)) {
				t.Errorf("%q parsed as %s", c.in, d)
			}
			if err != nil && err.Error() == "" {
				t.Error("no reason given")
			}
		})
	}
}

func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"12.50", "1e9999", "-1", "0.00001", "999999999999.9999"} {
		f.Add(s)
	}
	limit := decimal.New(1, MaxIntegerDigits)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePrice(s)
		if err != nil {
			return
		}
		if !d.IsPositive() || !d.LessThan(limit) || d.Exponent() < -MaxDecimals || len(s) > MaxIntegerDigits+1+MaxDecimals {
			t.Fatalf("%q accepted as %s", s, d)
		}
	})
}
