package fx

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// october21 is a part of the ECB's rates of 21 October 2025.
var october21 = Rates{Date: day("2025-10-21"), Source: SourceECB, PerEUR: map[string]decimal.Decimal{
	"USD": dec("1.1607"), "JPY": dec("176.45"), "GBP": dec("0.86780"), "CHF": dec("0.9230"), "IDR": dec("19272.67"), "KWD": dec("0.3563"),
}}

func TestRates_RateThroughTheEuro(t *testing.T) {
	cases := []struct {
		from, to, want string
		ok             bool
	}{
		{"EUR", "USD", "1.1607", true},
		{"EUR", "CHF", "0.923", true},
		{"USD", "EUR", "0.8615490652", true}, // 1 / 1.1607
		{"CHF", "EUR", "1.0834236186", true}, // 1 / 0.9230
		{"USD", "CHF", "0.7952097872", true}, // 0.9230 / 1.1607
		{"CHF", "JPY", "191.1700975081", true},
		{"JPY", "KWD", "0.0020192689", true}, // 0.3563 / 176.45
		{"EUR", "EUR", "1", true},
		{"USD", "USD", "1", true},
		{"SEK", "SEK", "1", true}, // a currency's rate to itself needs no quote
		{"EUR", "SEK", "", false},
		{"SEK", "EUR", "", false},
		{"XYZ", "XYZ", "", false},
		{"usd", "EUR", "", false},
	}
	for _, c := range cases {
		got, ok := october21.Rate(c.from, c.to)
		if ok != c.ok || ok && !got.Equal(dec(c.want)) {
			t.Errorf("Rate(%s→%s) = %s, %v; want %s, %v", c.from, c.to, got, ok, c.want, c.ok)
		}
	}
}

func TestRates_ConvertMultipliesBeforeDividing(t *testing.T) {
	cases := []struct {
		amount, from, to, want string
		ok                     bool
	}{
		{"100", "EUR", "CHF", "92.3", true},
		{"92.30", "CHF", "EUR", "100", true}, // back exactly, which Rate then × would miss
		{"1000", "USD", "CHF", "795.2097871974", true},
		{"12.50", "EUR", "JPY", "2205.625", true},
		{"2205.625", "JPY", "EUR", "12.5", true},
		{"1", "JPY", "IDR", "109.2245395296", true}, // 19272.67 / 176.45
		{"7", "SEK", "SEK", "7", true},
		{"7", "EUR", "SEK", "", false},
	}
	for _, c := range cases {
		got, ok := october21.Convert(dec(c.amount), c.from, c.to)
		if ok != c.ok || ok && !got.Equal(dec(c.want)) {
			t.Errorf("Convert(%s %s→%s) = %s, %v; want %s, %v", c.amount, c.from, c.to, got, ok, c.want, c.ok)
		}
		if ok && got.Exponent() < -RateDecimals {
			t.Errorf("Convert(%s %s→%s) = %s: more than %d decimals", c.amount, c.from, c.to, got, RateDecimals)
		}
	}
}

func TestRates_ToEURRoundsToTheCent(t *testing.T) {
	cases := []struct{ amount, currency, want string }{
		{"20.00", "CHF", "21.67"},      // 21.6684723727
		{"3529", "JPY", "20"},          // 20.0000 exactly at 176.45
		{"3530", "JPY", "20.01"},       // 20.0056673
		{"1.000", "KWD", "2.81"},       // 2.8066236318
		{"19.99", "EUR", "19.99"},      // euros stay as they are
		{"0.005", "USD", "0"},          // 0.0043077 → 0.00
		{"11.607", "USD", "10.00"},     // exactly 10
		{"11.6128035", "USD", "10.01"}, // exactly 10.005: half-up
	}
	for _, c := range cases {
		got, ok := october21.ToEUR(dec(c.amount), c.currency)
		if !ok || !got.Equal(dec(c.want)) {
			t.Errorf("ToEUR(%s %s) = %s, %v; want %s", c.amount, c.currency, got, ok, c.want)
		}
	}
	if _, ok := october21.ToEUR(dec("1"), "SEK"); ok {
		t.Error("SEK has no rate that day, yet converts")
	}
}

func TestRates_Validate(t *testing.T) {
	many := map[string]decimal.Decimal{}
	for _, c := range strings.Fields("USD JPY BGN CZK DKK GBP HUF PLN RON SEK CHF ISK NOK TRY AUD BRL CAD CNY HKD IDR ILS INR KRW MXN MYR NZD PHP SGD THB ZAR AED SAR QAR KWD BHD OMR JOD TND MAD EGP NGN") {
		many[c] = dec("1.5")
	}
	cases := []struct {
		name  string
		r     Rates
		wants string // "" for valid, else a word of the error
	}{
		{"the ECB's day", october21, ""},
		{"staff", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("1.0823")}}, ""},
		{"no date", Rates{Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("1.0823")}}, "date"},
		{"unknown source", Rates{Date: day("2025-10-21"), Source: "bank", PerEUR: map[string]decimal.Decimal{"USD": dec("1.0823")}}, "source"},
		{"no rate", Rates{Date: day("2025-10-21"), Source: SourceStaff}, "at least one"},
		{"41 currencies", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: many}, "at most 40"},
		{"the euro", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"EUR": dec("1")}}, "pivot"},
		{"unknown currency", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"XYZ": dec("1")}}, "XYZ"},
		{"withdrawn currency", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"FRF": dec("6.55957")}}, "FRF"},
		{"zero rate", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("0")}}, "above zero"},
		{"negative rate", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("-1")}}, "above zero"},
		{"huge rate", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("1e20")}}, "digits"},
		{"tiny rate", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": dec("1e-11")}}, "digits"},
	}
	forty := maps.Clone(many)
	delete(forty, "NGN")
	cases = append(cases, struct {
		name  string
		r     Rates
		wants string
	}{"40 currencies", Rates{Date: day("2025-10-21"), Source: SourceStaff, PerEUR: forty}, ""})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.Validate()
			switch {
			case c.wants == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wants != "" && err == nil:
				t.Fatal("accepted")
			case c.wants != "" && !strings.Contains(err.Error(), c.wants):
				t.Fatalf("error %q does not say %q", err, c.wants)
			}
		})
	}
}

func TestParseRate_PlainPositiveDecimals(t *testing.T) {
	cases := map[string]bool{
		"1.0823": true, "176.45": true, "19272.67": true, "0.86780": true, "1": true, "0.0000000001": true, "999999999.9999999999": true,
		"0": false, "0.000": false, "-1.08": false, "+1.08": false, "1e3": false, "1E3": false, ".5": false, "5.": false,
		"1,08": false, " 1.08": false, "1.08 ": false, "": false, "NaN": false, "Inf": false, "0x10": false,
		"1000000000": false, "0.00000000001": false, "١.٠٨": false,
	}
	for in, ok := range cases {
		d, err := ParseRate("USD", in)
		if (err == nil) != ok {
			t.Errorf("ParseRate(%q) = %s, %v", in, d, err)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "USD") {
			t.Errorf("ParseRate(%q): error %q does not name the currency", in, err)
		}
		if err == nil && !d.Equal(dec(in)) {
			t.Errorf("ParseRate(%q) = %s", in, d)
		}
	}
}

func TestDay_IsTheCalendarDayAtMidnightUTC(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data")
	}
	got := Day(time.Date(2025, 10, 21, 23, 30, 0, 0, paris))
	if want := day("2025-10-21"); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Day = %v, want %v", got, want)
	}
}

func TestParseECB_TheDailyFile(t *testing.T) {
	f, err := os.Open("testdata/eurofxref-daily.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	days, err := ParseECB(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 {
		t.Fatalf("%d days", len(days))
	}
	d := days[0]
	if !d.Date.Equal(day("2025-10-21")) || d.Source != SourceECB || len(d.PerEUR) != 30 {
		t.Fatalf("day %v, source %q, %d currencies", d.Date, d.Source, len(d.PerEUR))
	}
	for c, want := range map[string]string{"USD": "1.1607", "JPY": "176.45", "GBP": "0.8678", "CHF": "0.923", "IDR": "19272.67", "KRW": "1660.38", "PHP": "67.761"} {
		if got := d.PerEUR[c]; !got.Equal(dec(want)) {
			t.Errorf("%s = %s, want %s", c, got, want)
		}
	}
	if err := d.Validate(); err != nil {
		t.Errorf("the parsed day does not validate: %v", err)
	}
}

func TestParseECB_SeveralDaysMostRecentFirst(t *testing.T) {
	b, err := os.ReadFile("testdata/eurofxref-hist-90d.xml")
	if err != nil {
		t.Fatal(err)
	}
	days, err := ParseECB(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2025-10-21", "2025-10-20", "2025-10-17"}
	chf := []string{"0.923", "0.9241", "0.9224"}
	if len(days) != len(want) {
		t.Fatalf("%d days", len(days))
	}
	for i, d := range days {
		if d.Date.Format(time.DateOnly) != want[i] || !d.PerEUR["CHF"].Equal(dec(chf[i])) || len(d.PerEUR) != 30 {
			t.Errorf("day %d: %s CHF %s, %d currencies", i, d.Date.Format(time.DateOnly), d.PerEUR["CHF"], len(d.PerEUR))
		}
	}
}

const envelope = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>%s</Cube>
</gesmes:Envelope>`

func file(cubes string) string { return strings.Replace(envelope, "%s", cubes, 1) }

func TestParseECB_Strict(t *testing.T) {
	usd := `<Cube currency='USD' rate='1.1607'/>`
	many := strings.Builder{}
	for i := range MaxDays + 1 {
		many.WriteString(`<Cube time='` + day("2025-01-01").AddDate(0, 0, i).Format(time.DateOnly) + `'>` + usd + `</Cube>`)
	}
	var currencies strings.Builder
	for _, c := range strings.Fields("USD JPY BGN CZK DKK GBP HUF PLN RON SEK CHF ISK NOK TRY AUD BRL CAD CNY HKD IDR ILS INR KRW MXN MYR NZD PHP SGD THB ZAR AED SAR QAR KWD BHD OMR JOD TND MAD EGP NGN") {
		currencies.WriteString(`<Cube currency='` + c + `' rate='1.5'/>`)
	}
	cases := []struct {
		name, in, wants string
	}{
		{"an unknown currency is named", file(`<Cube time='2025-10-21'>` + usd + `<Cube currency='XYZ' rate='1.2'/></Cube>`), "XYZ"},
		{"a withdrawn currency is named", file(`<Cube time='2025-10-21'><Cube currency='DEM' rate='1.95583'/></Cube>`), "DEM"},
		{"the euro has no rate", file(`<Cube time='2025-10-21'><Cube currency='EUR' rate='1'/></Cube>`), "pivot"},
		{"a lower-case code", file(`<Cube time='2025-10-21'><Cube currency='usd' rate='1.1607'/></Cube>`), "usd"},
		{"a zero rate", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='0'/></Cube>`), "above zero"},
		{"a negative rate", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='-1.1607'/></Cube>`), "USD"},
		{"an exponent", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.16e0'/></Cube>`), "plain decimal"},
		{"a comma", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1,1607'/></Cube>`), "plain decimal"},
		{"a huge rate", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='99999999999999999999'/></Cube>`), "digits"},
		{"no rate attribute", file(`<Cube time='2025-10-21'><Cube currency='USD'/></Cube>`), "rate attribute"},
		{"an extra attribute", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.1' unit='1'/></Cube>`), "unit"},
		{"a currency twice", file(`<Cube time='2025-10-21'>` + usd + usd + `</Cube>`), "twice"},
		{"a day twice", file(`<Cube time='2025-10-21'>` + usd + `</Cube><Cube time='2025-10-21'>` + usd + `</Cube>`), "twice"},
		{"a bad date", file(`<Cube time='21/10/2025'>` + usd + `</Cube>`), "YYYY-MM-DD"},
		{"an impossible date", file(`<Cube time='2025-02-30'>` + usd + `</Cube>`), "YYYY-MM-DD"},
		{"a day without rates", file(`<Cube time='2025-10-21'></Cube>`), "without any rate"},
		{"too many days", file(many.String()), "more than 100 days"},
		{"too many currencies", file(`<Cube time='2025-10-21'>` + currencies.String() + `</Cube>`), "more than 40"},
		{"another element in a cube", file(`<Cube time='2025-10-21'><Rate currency='USD' rate='1.1'/></Cube>`), "Rate"},
		{"a cube inside a currency", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.1'>` + usd + `</Cube></Cube>`), "holds an element"},
		{"text in a cube", file(`<Cube time='2025-10-21'>USD 1.1607</Cube>`), "text"},
		{"no envelope", `<Cube><Cube time='2025-10-21'>` + usd + `</Cube></Cube>`, "gesmes:Envelope"},
		{"an envelope of another namespace", strings.Replace(file(usd), "http://www.gesmes.org/xml/2002-08-01", "urn:other", 1), "gesmes:Envelope"},
		{"cubes of another namespace", strings.Replace(file(`<Cube time='2025-10-21'>`+usd+`</Cube>`), `xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"`, "", 1), "namespace"},
		{"truncated", file(`<Cube time='2025-10-21'>` + usd + `</Cube>`)[:300], "not an ECB"},
		{"not XML", "Date, USD, JPY\n21 October 2025, 1.1607, 176.45", "not an ECB"},
		{"an HTML page", "<html><body>Service unavailable</body></html>", "gesmes:Envelope"},
		{"empty", "", "not an ECB"},
		{"no day", file(""), "no day"},
		{"a document type", `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>` + file(usd), "document type"},
		{"an entity", file(`<Cube time='2025-10-21'><Cube currency='USD' rate='&a;'/></Cube>`), "not an ECB"},
		{"two top-level cubes", strings.Replace(file(`<Cube time='2025-10-21'>`+usd+`</Cube>`), "</gesmes:Envelope>", "<Cube></Cube></gesmes:Envelope>", 1), "more than one"},
		{"something after the envelope", file(`<Cube time='2025-10-21'>`+usd+`</Cube>`) + "<more/>", "follows the envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			days, err := ParseECB(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("accepted: %v", days)
			}
			if !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("error %q does not say %q", err, c.wants)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestParseECB_NoDayIsErrNoRates(t *testing.T) {
	if _, err := ParseECB(strings.NewReader(file(""))); !errors.Is(err, ErrNoRates) {
		t.Fatalf("error %v, want ErrNoRates", err)
	}
}

func TestParseECB_RefusesAFileOverItsBound(t *testing.T) {
	in := file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.1607'/></Cube>` + strings.Repeat("\t", MaxFileBytes))
	if _, err := ParseECB(strings.NewReader(in)); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("error %v, want ErrFileTooLarge", err)
	}
	// Exactly at the bound is read.
	body := file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.1607'/></Cube>`)
	in = strings.Replace(body, "</gesmes:Envelope>", strings.Repeat(" ", MaxFileBytes-len(body))+"</gesmes:Envelope>", 1)
	if len(in) != MaxFileBytes {
		t.Fatalf("built %d bytes", len(in))
	}
	if _, err := ParseECB(strings.NewReader(in)); err != nil {
		t.Fatalf("a file of exactly %d bytes: %v", MaxFileBytes, err)
	}
}

// Whatever the bytes, ParseECB either refuses them or returns days that
// validate.
func FuzzParseECB(f *testing.F) {
	b, err := os.ReadFile("testdata/eurofxref-hist-90d.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(file(`<Cube time='2025-10-21'><Cube currency='USD' rate='1.1607'/></Cube>`))
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseECB(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(days) == 0 || len(days) > MaxDays {
			t.Fatalf("%d days", len(days))
		}
		for _, d := range days {
			if err := d.Validate(); err != nil {
				t.Fatalf("day %v does not validate: %v", d.Date, err)
			}
		}
	})
}
