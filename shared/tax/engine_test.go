package tax

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/vat"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var d = decimal.RequireFromString

// march is an ordinary day of supply for the cases.
var march = day("2026-03-16")

func viesCheck(number string, valid bool) *vat.Check {
	return &vat.Check{Number: number, At: day("2026-03-01"), Method: vat.VIES, Valid: valid}
}

func TestDecide_EachCaseWithRealCountryPairs(t *testing.T) {
	const (
		beValid   = "BE0403170701" // check digits right
		beInvalid = "BE0403170702" // check digits wrong
		deValid   = "DE136695976"
		frValid   = "FR40303265045"
		elValid   = "EL094259216"
	)
	below := DistanceSale{Reason: "EU-wide total €6,000.00 under the €10,000 threshold"}
	at := DistanceSale{Reason: "EU-wide total €10,000.00 reaches but does not exceed the €10,000 threshold"}
	above := DistanceSale{Destination: true, Reason: "EU-wide total €10,412.50 over the €10,000 threshold"}
	optIn := DistanceSale{Destination: true, Reason: "opted in on 2026-01-01"}
	cases := []struct {
		name        string
		s           Situation
		regime      Regime
		country     string
		rate        string
		mention     string
		reasonHas   []string
		reasonLacks string
	}{
		{name: "FR→FR pro: French VAT",
			s:      Situation{Seller: "FR", ShipTo: "FR", Buyer: Buyer{Pro: true, VATNumber: frValid}, Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{"pro in FR"}},
		{name: "FR→FR consumer: French VAT",
			s:      Situation{Seller: "FR", ShipTo: "FR", Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{"consumer in FR"}},
		{name: "FR→MC consumer: Monaco is France for VAT",
			s:      Situation{Seller: "FR", ShipTo: "MC", Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20"},
		{name: "FR→BE pro with a VAT number valid on VIES: exempt, reverse charge",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: "be 0403.170.701", Check: viesCheck(beValid, true)}, Category: Standard, Date: march},
			regime: IntraEUExempt, rate: "0", mention: MentionIntraEU + " – " + MentionReverseCharge,
			reasonHas: []string{beValid, "VIES on 2026-03-01", "262 ter I", "reverse charge"}, reasonLacks: "format"},
		{name: "FR→BE pro with a well-formed number never checked: exempt, only the format checked",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: beValid}, Category: Standard, Date: march},
			regime: IntraEUExempt, rate: "0", mention: MentionIntraEU + " – " + MentionReverseCharge,
			reasonHas: []string{"only its format was checked"}},
		{name: "FR→BE pro whose check was for another number: the format is checked again",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: beInvalid, Check: viesCheck(beValid, true)}, Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{beInvalid, "did not pass validation", "only its format", "domestic"}},
		{name: "FR→BE pro with an invalid VAT number: domestic, reason shown",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: beInvalid}, Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{beInvalid, "did not pass validation", "treated as a domestic sale"}},
		{name: "FR→BE pro whose well-formed number VIES denies: domestic",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: beValid, Check: viesCheck(beValid, false)}, Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{"did not pass validation", "VIES"}},
		{name: "FR→BE pro without a VAT number: domestic, reason shown",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true}, Category: Reduced, Date: march},
			regime: Domestic, country: "FR", rate: "5.5", reasonHas: []string{"without a VAT number", "domestic"}},
		{name: "FR→BE pro with a French number: domestic",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: frValid}, Category: Standard, Date: march},
			regime: Domestic, country: "FR", rate: "20", reasonHas: []string{"seller's own member state"}},
		{name: "FR→BE pro with a German number: exempt, the mismatch said",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{Pro: true, VATNumber: deValid, Check: viesCheck(deValid, true)}, Category: Standard, Date: march},
			regime: IntraEUExempt, rate: "0", mention: MentionIntraEU + " – " + MentionReverseCharge,
			reasonHas: []string{"from DE while the goods go to BE"}},
		{name: "FR→GR pro with an EL number: exempt",
			s:      Situation{Seller: "FR", ShipTo: "GR", Buyer: Buyer{Pro: true, VATNumber: elValid}, Category: Standard, Date: march},
			regime: IntraEUExempt, rate: "0", mention: MentionIntraEU + " – " + MentionReverseCharge, reasonLacks: "while the goods go"},
		{name: "FR→BE consumer below the threshold: French VAT",
			s:      Situation{Seller: "FR", ShipTo: "BE", Category: Standard, Date: march, DistanceSale: below},
			regime: DistanceSaleOrigin, country: "FR", rate: "20", reasonHas: []string{"under the distance-selling threshold", below.Reason}},
		{name: "FR→BE consumer at the threshold (reached, not exceeded): French VAT",
			s:      Situation{Seller: "FR", ShipTo: "BE", Category: Standard, Date: march, DistanceSale: at},
			regime: DistanceSaleOrigin, country: "FR", rate: "20", reasonHas: []string{at.Reason}},
		{name: "FR→BE consumer above the threshold: Belgian VAT",
			s:      Situation{Seller: "FR", ShipTo: "BE", Category: Standard, Date: march, DistanceSale: above},
			regime: DistanceSaleDestination, country: "BE", rate: "21", reasonHas: []string{"at destination", above.Reason}},
		{name: "FR→BE consumer with an invalid VAT number below the threshold: a consumer all the same",
			s:      Situation{Seller: "FR", ShipTo: "BE", Buyer: Buyer{VATNumber: beInvalid}, Category: Standard, Date: march, DistanceSale: below},
			regime: DistanceSaleOrigin, country: "FR", rate: "20"},
		{name: "FR→DE consumer after opt-in: German VAT",
			s:      Situation{Seller: "FR", ShipTo: "DE", Category: Standard, Date: march, DistanceSale: optIn},
			regime: DistanceSaleDestination, country: "DE", rate: "19", reasonHas: []string{"opted in"}},
		{name: "FR→DE pro, the threshold state is ignored",
			s:      Situation{Seller: "FR", ShipTo: "DE", Buyer: Buyer{Pro: true, VATNumber: deValid}, Category: Standard, Date: march, DistanceSale: above},
			regime: IntraEUExempt, rate: "0", mention: MentionIntraEU + " – " + MentionReverseCharge},
		{name: "FR→FI consumer above the threshold: Finland's rate of the day",
			s:      Situation{Seller: "FR", ShipTo: "FI", Category: Standard, Date: march, DistanceSale: above},
			regime: DistanceSaleDestination, country: "FI", rate: "25.5"},
		{name: "FR→EL consumer above the threshold: Greece by its VAT prefix",
			s:      Situation{Seller: "FR", ShipTo: "EL", Category: Standard, Date: march, DistanceSale: above},
			regime: DistanceSaleDestination, country: "GR", rate: "24"},
		{name: "FR→CH pro: export, exempt",
			s:      Situation{Seller: "FR", ShipTo: "CH", Buyer: Buyer{Pro: true, VATNumber: "CHE-116.281.710 MWST"}, Category: Standard, Date: march},
			regime: Export, rate: "0", mention: MentionExport, reasonHas: []string{"CH, outside the EU", "262 I"}},
		{name: "FR→US consumer: export, exempt",
			s:      Situation{Seller: "FR", ShipTo: "us", Category: Reduced, Date: march, DistanceSale: above},
			regime: Export, rate: "0", mention: MentionExport},
		{name: "FR→GP consumer: Guadeloupe is outside the EU's VAT territory",
			s:      Situation{Seller: "FR", ShipTo: "GP", Category: Standard, Date: march},
			regime: Export, rate: "0", mention: MentionExport},
		{name: "FR→FR pro, intermediate", s: Situation{Seller: "FR", ShipTo: "FR", Buyer: Buyer{Pro: true}, Category: Intermediate, Date: march},
			regime: Domestic, country: "FR", rate: "10"},
		{name: "FR→FR consumer, reduced", s: Situation{Seller: "FR", ShipTo: "FR", Category: Reduced, Date: march},
			regime: Domestic, country: "FR", rate: "5.5"},
		{name: "FR→FR consumer, super-reduced", s: Situation{Seller: "FR", ShipTo: "FR", Category: SuperReduced, Date: march},
			regime: Domestic, country: "FR", rate: "2.1"},
		{name: "FR→FR consumer, no category: standard", s: Situation{Seller: "fr", ShipTo: "fr", Date: march},
			regime: Domestic, country: "FR", rate: "20"},
		{name: "FR→BE consumer below the threshold, reduced: France's reduced rate",
			s:      Situation{Seller: "FR", ShipTo: "BE", Category: Reduced, Date: march, DistanceSale: below},
			regime: DistanceSaleOrigin, country: "FR", rate: "5.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DefaultRates().Decide(c.s)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			wantCat := c.s.Category
			if wantCat == "" {
				wantCat = Standard
			}
			exempt := c.regime == IntraEUExempt || c.regime == Export
			if got.Regime != c.regime || got.Country != c.country || !got.Rate.Equal(d(c.rate)) ||
				got.Mention != c.mention || got.Exempt != exempt || got.Category != wantCat {
				t.Errorf("Decide = %+v\nwant regime %s country %q rate %s mention %q exempt %v", got, c.regime, c.country, c.rate, c.mention, exempt)
			}
			if got.Reason == "" {
				t.Error("no reason")
			}
			for _, part := range c.reasonHas {
				if !strings.Contains(got.Reason, part) {
					t.Errorf("reason %q lacks %q", got.Reason, part)
				}
			}
			if c.reasonLacks != "" && strings.Contains(got.Reason, c.reasonLacks) {
				t.Errorf("reason %q says %q", got.Reason, c.reasonLacks)
			}
		})
	}
}

func TestDecide_ARateChangeAtMidnightAppliesByTheOrdersDate(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	// A merchant records a (hypothetical) Belgian rate change on 1 July 2026.
	rates := DefaultRates().With([]RateChange{{Country: "BE", Category: Standard, Percent: d("22"), From: day("2026-07-01")}})
	consumerInBE := func(on time.Time) Situation {
		return Situation{Seller: "FR", ShipTo: "BE", Category: Standard, Date: on, DistanceSale: DistanceSale{Destination: true}}
	}
	cases := []struct {
		name  string
		rates *Rates
		s     Situation
		want  string
	}{
		{"the day before, one second to midnight in Brussels", rates, consumerInBE(time.Date(2026, 6, 30, 23, 59, 59, 0, brussels)), "21"},
		{"the day of, at midnight in Brussels (22:00 UTC the day before)", rates, consumerInBE(time.Date(2026, 7, 1, 0, 0, 0, 0, brussels)), "22"},
		{"the day after", rates, consumerInBE(day("2026-07-02")), "22"},
		{"the seed is unchanged", DefaultRates(), consumerInBE(day("2026-07-02")), "21"},
		{"seed: Estonia the day before its change", DefaultRates(), Situation{Seller: "FR", ShipTo: "EE", Date: day("2025-06-30"), DistanceSale: DistanceSale{Destination: true}}, "22"},
		{"seed: Estonia the day of its change", DefaultRates(), Situation{Seller: "FR", ShipTo: "EE", Date: day("2025-07-01"), DistanceSale: DistanceSale{Destination: true}}, "24"},
		{"seed: Romania the day before its change", DefaultRates(), Situation{Seller: "RO", ShipTo: "RO", Buyer: Buyer{Pro: true}, Date: day("2025-07-31")}, "19"},
		{"seed: Romania the day of its change", DefaultRates(), Situation{Seller: "RO", ShipTo: "RO", Buyer: Buyer{Pro: true}, Date: day("2025-08-01")}, "21"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.rates.Decide(c.s)
			if err != nil || !got.Rate.Equal(d(c.want)) {
				t.Errorf("Decide on %s = %s, %v; want %s", c.s.Date, got.Rate, err, c.want)
			}
		})
	}
}

func TestDecide_NoRateForACategoryACountryLacks(t *testing.T) {
	cases := []struct {
		name    string
		s       Situation
		country string
		cat     Category
	}{
		{"FR→BE consumer above the threshold, reduced", Situation{Seller: "FR", ShipTo: "BE", Category: Reduced, Date: march, DistanceSale: DistanceSale{Destination: true}}, "BE", Reduced},
		{"FR→DE consumer after opt-in, super-reduced", Situation{Seller: "FR", ShipTo: "DE", Category: SuperReduced, Date: march, DistanceSale: DistanceSale{Destination: true}}, "DE", SuperReduced},
		{"DE→DE pro, intermediate", Situation{Seller: "DE", ShipTo: "DE", Buyer: Buyer{Pro: true}, Category: Intermediate, Date: march}, "DE", Intermediate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DefaultRates().Decide(c.s)
			var nr *NoRateError
			if !errors.Is(err, ErrNoRate) || !errors.As(err, &nr) {
				t.Fatalf("Decide error = %v, want ErrNoRate", err)
			}
			if nr.Country != c.country || nr.Category != c.cat || !nr.Day.Equal(march) {
				t.Errorf("NoRateError = %+v", nr)
			}
			for _, part := range []string{c.country, string(c.cat), "2026-03-16"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %q", err, part)
				}
			}
		})
	}
	// Once the merchant sets Belgium's reduced rate, the same line is taxed.
	rates := DefaultRates().With([]RateChange{{Country: "BE", Category: Reduced, Percent: d("6"), From: day("2026-01-01")}})
	got, err := rates.Decide(cases[0].s)
	if err != nil || !got.Rate.Equal(d("6")) || got.Country != "BE" {
		t.Errorf("after the merchant's change: %+v, %v", got, err)
	}
	// Before the change's day, still none.
	s := cases[0].s
	s.Date = day("2025-12-31")
	if _, err := rates.Decide(s); !errors.Is(err, ErrNoRate) {
		t.Errorf("before the change's day: %v, want ErrNoRate", err)
	}
}

func TestDecide_RefusesAnIncompleteSituation(t *testing.T) {
	cases := map[string]Situation{
		"unknown category":       {Seller: "FR", ShipTo: "FR", Category: "luxury", Date: march},
		"seller outside the EU":  {Seller: "CH", ShipTo: "FR", Date: march},
		"no seller":              {ShipTo: "FR", Date: march},
		"no ship-to":             {Seller: "FR", Date: march},
		"ship-to not a country":  {Seller: "FR", ShipTo: "EU", Date: march},
		"ship-to a former alias": {Seller: "FR", ShipTo: "UK", Date: march},
		"no date":                {Seller: "FR", ShipTo: "FR"},
	}
	for name, s := range cases {
		if _, err := DefaultRates().Decide(s); !errors.Is(err, ErrSituation) {
			t.Errorf("%s: err = %v, want ErrSituation", name, err)
		}
	}
}

func TestDecision_Mentions(t *testing.T) {
	cases := []struct {
		regime Regime
		want   []string
	}{
		{IntraEUExempt, []string{"Exonération de TVA, article 262 ter I du CGI", "Autoliquidation"}},
		{Export, []string{"Exonération de TVA, article 262 I du CGI"}},
		{Domestic, nil},
		{DistanceSaleDestination, nil},
	}
	for _, c := range cases {
		if got := (Decision{Regime: c.regime}).Mentions(); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s mentions = %q, want %q", c.regime, got, c.want)
		}
	}
}

func TestPricesIncludeTax_HTForProsTTCForConsumers(t *testing.T) {
	if PricesIncludeTax(Buyer{Pro: true, VATNumber: "BE0403170701"}) {
		t.Error("a pro is shown prices including VAT")
	}
	if !PricesIncludeTax(Buyer{}) {
		t.Error("a consumer is shown prices excluding VAT")
	}
}

func TestInEU(t *testing.T) {
	for c, want := range map[string]bool{
		"FR": true, "be": true, "GR": true, "EL": true, "HR": true, "CY": true,
		"CH": false, "US": false, "GB": false, "NO": false, "MC": false, "GP": false, "": false, "EU": false,
	} {
		if got := InEU(c); got != want {
			t.Errorf("InEU(%q) = %v, want %v", c, got, want)
		}
	}
	if n := len(memberStates); n != 27 {
		t.Errorf("%d member states, want 27", n)
	}
}
