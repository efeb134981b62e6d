package tax

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestStandardRate_FollowsEffectiveDates(t *testing.T) {
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
		{"RO", "2025-07-31", "19", true},
		{"RO", "2025-08-01", "21", true},
		{"SK", "2024-12-31", "20", true},
		{"SK", "2025-01-01", "23", true},
		{"GR", "2026-01-01", "24", true},
		{"EL", "2026-01-01", "24", true},
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

func TestDefaultRates_TheBriefsTable(t *testing.T) {
	// The brief's 2025 standard rates, on 1 September 2025 (after every
	// change it dates), and France's four rates.
	want := map[string]string{
		"AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25",
		"EE": "24", "FI": "25.5", "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23",
		"IT": "22", "LV": "21", "LT": "21", "LU": "17", "MT": "18", "NL": "21", "PL": "23",
		"PT": "23", "RO": "21", "SK": "23", "SI": "22", "ES": "21", "SE": "25",
	}
	on := day("2025-09-01")
	for country, pct := range want {
		if got, ok := DefaultRates().Rate(country, Standard, on); !ok || !got.Equal(d(pct)) {
			t.Errorf("%s standard = %s %v, want %s", country, got, ok, pct)
		}
		if !InEU(country) {
			t.Errorf("%s not in the EU", country)
		}
	}
	for cat, pct := range map[Category]string{Standard: "20", Intermediate: "10", Reduced: "5.5", SuperReduced: "2.1"} {
		if got, ok := DefaultRates().Rate("FR", cat, on); !ok || !got.Equal(d(pct)) {
			t.Errorf("FR %s = %s %v, want %s", cat, got, ok, pct)
		}
	}
	// No reduced rate is invented for another country.
	for _, c := range DefaultRates().Changes() {
		if c.Country != "FR" && c.Category != Standard {
			t.Errorf("seeded %s %s %s", c.Country, c.Category, c.Percent)
		}
		if !c.Seed {
			t.Errorf("seed entry %+v not marked", c)
		}
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
		if got := InclusiveUnitPrice(d(c.unit), d(c.pct), c.currency); !got.Equal(d(c.want)) {
			t.Errorf("%s HT at %s%% in %s = %s TTC, want %s", c.unit, c.pct, c.currency, got, c.want)
		}
	}
}

func fields(err error) string {
	var e *InvalidRateChange
	if !errors.As(err, &e) {
		return ""
	}
	var names []string
	for _, f := range e.Errors {
		names = append(names, f.Field)
	}
	return strings.Join(names, ",")
}

func TestRateChange_Validate(t *testing.T) {
	ok := RateChange{Country: "BE", Category: Reduced, Percent: d("6"), From: day("2026-01-01")}
	with := func(f func(*RateChange)) RateChange { c := ok; f(&c); return c }
	cases := []struct {
		name   string
		c      RateChange
		fields string
	}{
		{"valid", ok, ""},
		{"Greece as GR", with(func(c *RateChange) { c.Country = "GR" }), ""},
		{"Greece as EL", with(func(c *RateChange) { c.Country = "EL" }), ""},
		{"outside the EU (Switzerland)", with(func(c *RateChange) { c.Country = "CH"; c.Percent = d("8.1") }), ""},
		{"zero percent", with(func(c *RateChange) { c.Percent = decimal.Zero }), ""},
		{"four decimals", with(func(c *RateChange) { c.Percent = d("99.9999") }), ""},
		{"lower-case country", with(func(c *RateChange) { c.Country = "be" }), "country"},
		{"no country", with(func(c *RateChange) { c.Country = "" }), "country"},
		{"UK is not ISO", with(func(c *RateChange) { c.Country = "UK" }), "country"},
		{"EU is not a country", with(func(c *RateChange) { c.Country = "EU" }), "country"},
		{"private use", with(func(c *RateChange) { c.Country = "XK" }), "country"},
		{"three letters", with(func(c *RateChange) { c.Country = "BEL" }), "country"},
		{"unknown category", with(func(c *RateChange) { c.Category = "luxury" }), "category"},
		{"no category", with(func(c *RateChange) { c.Category = "" }), "category"},
		{"negative", with(func(c *RateChange) { c.Percent = d("-1") }), "percent"},
		{"100", with(func(c *RateChange) { c.Percent = d("100") }), "percent"},
		{"five decimals", with(func(c *RateChange) { c.Percent = d("5.00001") }), "percent"},
		{"no from", with(func(c *RateChange) { c.From = time.Time{} }), "from"},
		{"all wrong", RateChange{Country: "zz", Category: "x", Percent: d("150")}, "country,category,percent,from"},
	}
	for _, c := range cases {
		err := c.c.Validate()
		if got := fields(err); got != c.fields || (err == nil) != (c.fields == "") {
			t.Errorf("%s: Validate() = %v, want invalid %q", c.name, err, c.fields)
		}
	}
}

func TestParseRateChange_ReadsWhatStaffWrite(t *testing.T) {
	c, err := ParseRateChange("EL", "super-reduced", "6.5", "2026-07-01")
	if err != nil || c.Country != "GR" || c.Category != SuperReduced || !c.Percent.Equal(d("6.5")) || !c.From.Equal(day("2026-07-01")) {
		t.Fatalf("ParseRateChange = %+v, %v", c, err)
	}
	cases := []struct{ country, category, percent, from, fields string }{
		{"BE", "standard", "1e1", "2026-01-01", "percent"},
		{"BE", "standard", "20,5", "2026-01-01", "percent"},
		{"BE", "standard", "-5", "2026-01-01", "percent"},
		{"BE", "standard", "100", "2026-01-01", "percent"},
		{"BE", "standard", "5.12345", "2026-01-01", "percent"},
		{"BE", "standard", "", "2026-01-01", "percent"},
		{"BE", "standard", "21", "2026-13-01", "from"},
		{"BE", "standard", "21", "01/07/2026", "from"},
		{"BE", "standard", "21", "", "from"},
		{"be", "standard", "21", "2026-01-01", "country"},
		{"BE", "Standard", "21", "2026-01-01", "category"},
	}
	for _, c := range cases {
		_, err := ParseRateChange(c.country, c.category, c.percent, c.from)
		if got := fields(err); got != c.fields {
			t.Errorf("ParseRateChange(%q, %q, %q, %q) = %v, want invalid %s", c.country, c.category, c.percent, c.from, err, c.fields)
		}
	}
}

func TestRateChange_JSON(t *testing.T) {
	c := RateChange{Country: "BE", Category: Reduced, Percent: d("5.5"), From: day("2026-07-01")}
	b, err := json.Marshal(c)
	if err != nil || string(b) != `{"country":"BE","category":"reduced","percent":"5.5","from":"2026-07-01"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back RateChange
	if err := json.Unmarshal(b, &back); err != nil || back.Country != c.Country || back.Category != c.Category || !back.Percent.Equal(c.Percent) || !back.From.Equal(c.From) {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
	seed, _ := json.Marshal(RateChange{Country: "FR", Category: Standard, Percent: d("20"), Seed: true})
	if string(seed) != `{"country":"FR","category":"standard","percent":"20","seed":true}` {
		t.Errorf("seed entry = %s", seed)
	}
	var bad RateChange
	if err := json.Unmarshal([]byte(`{"country":"BE","category":"reduced","percent":5.5,"from":"2026-07-01"}`), &bad); err == nil {
		t.Error("a percent as a JSON number was accepted")
	}
	err = json.Unmarshal([]byte(`{"country":"BE","category":"reduced","percent":"150"}`), &bad)
	if fields(err) != "percent,from" {
		t.Errorf("Unmarshal error = %v", err)
	}
}

func TestRates_WithLaysTheMerchantsChangesOverTheSeed(t *testing.T) {
	base := DefaultRates()
	rates := base.With([]RateChange{
		{Country: "BE", Category: Reduced, Percent: d("6"), From: day("2026-01-01")},
		{Country: "BE", Category: Reduced, Percent: d("7"), From: day("2026-01-01")}, // same day: replaces
		{Country: "EL", Category: Reduced, Percent: d("13"), From: day("2026-01-01")},
		{Country: "FR", Category: Standard, Percent: d("21"), From: day("2027-01-01")},
		{Country: "FR", Category: Standard, Percent: d("100"), From: day("2028-01-01")}, // invalid: left out
	})
	cases := []struct {
		country string
		cat     Category
		on      string
		want    string
		ok      bool
	}{
		{"BE", Reduced, "2025-12-31", "0", false},
		{"BE", Reduced, "2026-01-01", "7", true},
		{"GR", Reduced, "2026-06-01", "13", true},
		{"el", Reduced, "2026-06-01", "13", true},
		{"FR", Standard, "2026-12-31", "20", true},
		{"FR", Standard, "2027-01-01", "21", true},
		{"FR", Standard, "2029-01-01", "21", true},
	}
	for _, c := range cases {
		got, ok := rates.Rate(c.country, c.cat, day(c.on))
		if ok != c.ok || !got.Equal(d(c.want)) {
			t.Errorf("Rate(%s, %s, %s) = %s %v, want %s %v", c.country, c.cat, c.on, got, ok, c.want, c.ok)
		}
	}
	if _, ok := base.Rate("BE", Reduced, day("2026-06-01")); ok {
		t.Error("With changed the seed")
	}
	changes := rates.Changes()
	if len(changes) != len(base.Changes())+3 {
		t.Errorf("%d entries, want the seed's %d and 3", len(changes), len(base.Changes()))
	}
	for i := 1; i < len(changes); i++ {
		a, b := changes[i-1], changes[i]
		if a.Country > b.Country || a.Country == b.Country && (a.Category > b.Category || a.Category == b.Category && !a.From.Before(b.From)) {
			t.Errorf("not sorted: %+v before %+v", a, b)
		}
	}
	var merchant []string
	for _, c := range changes {
		if !c.Seed {
			merchant = append(merchant, c.Country+" "+string(c.Category)+" "+c.Percent.String()+" "+c.From.Format(time.DateOnly))
		}
	}
	if got := strings.Join(merchant, "; "); got != "BE reduced 7 2026-01-01; FR standard 21 2027-01-01; GR reduced 13 2026-01-01" {
		t.Errorf("merchant entries: %s", got)
	}
}
