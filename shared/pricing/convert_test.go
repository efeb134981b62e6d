package pricing

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/money"
)

// ecbOct21 is a part of the ECB's reference rates of 21 October 2025.
var ecbOct21 = &fx.Rates{Date: time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC), Source: fx.SourceECB, PerEUR: map[string]decimal.Decimal{
	"USD": d("1.1607"), "JPY": d("176.45"), "CHF": d("0.9230"), "GBP": d("0.86780"),
}}

// listPrice is a merchant's list price of a product in a currency.
func listPrice(ref, currency, price string) PriceEntry {
	return PriceEntry{Scope: ScopeBase, Ref: ref, Currency: currency, Price: d(price)}
}

func notApplied(l PricedLine, id string) []NotApplied {
	var out []NotApplied
	for _, n := range l.NotApplied {
		if n.What == "source" && n.ID == id {
			out = append(out, n)
		}
	}
	return out
}

func TestPrice_CHFQuoteOfAEuroOnlyProductIsConvertedAtTheECBRate(t *testing.T) {
	gauge := Product{Ref: "GAUGE", BasePrice: d("12.34"), Currency: "EUR"}
	for _, policy := range []Policy{MostSpecific, BestPrice} {
		q := price(t, Request{Policy: policy, Currency: "CHF", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: 3}, {Ref: "GAUGE", Quantity: 7}}},
			Tariff{Products: products(pump, gauge)})
		pl, gl := q.Lines[0], q.Lines[1]
		if pl.Error != nil || gl.Error != nil {
			t.Fatalf("%s: errors %+v %+v", policy, pl.Error, gl.Error)
		}
		// 100 EUR × 0.9230 = 92.30 CHF; 12.34 × 0.9230 = 11.389820 → 11.3898.
		if pl.Source.Scope != ScopeBase || pl.Source.UnitPrice.String() != "92.30" || pl.Gross.String() != "276.90" {
			t.Errorf("%s: pump %s at %s, gross %s", policy, pl.Source, pl.Source.UnitPrice, pl.Gross)
		}
		if gl.Source.UnitPrice.String() != "11.3898" || gl.Gross.String() != "79.73" || q.Total.String() != "356.63" {
			t.Errorf("%s: gauge at %s, gross %s, total %s", policy, gl.Source.UnitPrice, gl.Gross, q.Total)
		}
		c := pl.Source.Converted
		if c == nil || c.From != "EUR" || c.UnitPrice.String() != "100.00" || !c.Rate.Equal(d("0.923")) || c.Date.Format(time.DateOnly) != "2025-10-21" {
			t.Fatalf("%s: conversion %+v", policy, c)
		}
		if lost := notApplied(pl, "base"); len(lost) != 0 {
			t.Errorf("%s: the converted base price is also explained as lost: %+v", policy, lost)
		}
		b, err := json.Marshal(pl.Source)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"converted":{"from":"EUR","unitPrice":"100.00","rate":"0.923","date":"2025-10-21"}`; !strings.Contains(string(b), want) {
			t.Errorf("%s: source JSON %s, want %s", policy, b, want)
		}
	}
}

func TestPrice_WithoutRatesAPriceInAnotherCurrencyStillDoesNotApply(t *testing.T) {
	q := price(t, Request{Currency: "CHF", Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump)})
	l := q.Lines[0]
	if l.Error == nil || l.Error.Code != ErrNoPrice {
		t.Fatalf("line %+v", l)
	}
	// No rate for SEK that day: the line has no price either, and says why.
	q = price(t, Request{Currency: "SEK", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: 1}}},
		Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {entry(ScopeCustomer, "C1", "PUMP", "80")}}})
	if l := q.Lines[0]; l.Error == nil || l.Error.Code != ErrNoPrice {
		t.Fatalf("SEK line %+v", l)
	}
	q = price(t, Request{Currency: "EUR", Lines: []Line{{Ref: "PUMP", Quantity: 1}}},
		Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {listPrice("PUMP", "CHF", "95")}}})
	lost := notApplied(q.Lines[0], "base")
	if len(lost) != 1 || !strings.HasPrefix(lost[0].Reason, "priced in CHF") || lost[0].Currency != "CHF" || lost[0].UnitPrice.String() != "95.00" {
		t.Errorf("a CHF list price in a EUR quote: %+v", lost)
	}
}

func TestPrice_AListPriceTheMerchantSetInTheQuoteCurrencyWinsOverConversion(t *testing.T) {
	tf := Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {listPrice("PUMP", "CHF", "95"), listPrice("PUMP", "USD", "120")}}}
	for _, policy := range []Policy{MostSpecific, BestPrice} {
		q := price(t, Request{Policy: policy, Currency: "CHF", Rates: ecbOct21, Customer: Customer{ID: "C9"}, Lines: []Line{{Ref: "PUMP", Quantity: 2}}}, tf)
		l := q.Lines[0]
		// Converted, the EUR list price would be 92.30: the merchant's 95 wins.
		if l.Error != nil || l.Source.Scope != ScopeBase || l.Source.Converted != nil || l.Source.UnitPrice.String() != "95.00" || l.Total.String() != "190.00" {
			t.Fatalf("%s: line %+v source %+v", policy, l, l.Source)
		}
		lost := notApplied(l, "base")
		if len(lost) != 2 {
			t.Fatalf("%s: the EUR and USD list prices: %+v", policy, lost)
		}
		for _, n := range lost {
			if !strings.Contains(n.Reason, "a price in CHF is set") || n.Currency == "" || n.UnitPrice == nil {
				t.Errorf("%s: %+v", policy, n)
			}
		}
	}
	// In USD the merchant's USD list price wins; in GBP the EUR price is
	// converted, the product's own currency before the others.
	q := price(t, Request{Currency: "USD", Rates: ecbOct21, Customer: Customer{ID: "C9"}, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
	if s := q.Lines[0].Source; s.UnitPrice.String() != "120.00" || s.Converted != nil {
		t.Errorf("USD: %+v", s)
	}
	q = price(t, Request{Currency: "GBP", Rates: ecbOct21, Customer: Customer{ID: "C9"}, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
	if s := q.Lines[0].Source; s.UnitPrice.String() != "86.78" || s.Converted == nil || s.Converted.From != "EUR" {
		t.Errorf("GBP: %+v %+v", s, s.Converted)
	}
	for _, n := range notApplied(q.Lines[0], "base") {
		if !strings.HasPrefix(n.Reason, "converted from EUR instead") {
			t.Errorf("GBP: %+v", n)
		}
	}
	// A list price out of its validity does not count: the EUR price is
	// converted.
	expired := listPrice("PUMP", "CHF", "95")
	expired.Validity = Validity{Until: day.AddDate(0, 0, -1)}
	q = price(t, Request{Currency: "CHF", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: 1}}},
		Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {expired}}})
	if s := q.Lines[0].Source; s.UnitPrice.String() != "92.30" || s.Converted == nil {
		t.Errorf("expired CHF list price: %+v", s)
	}
}

// Under MostSpecific the most specific source wins, converted or not: the
// customer's own price, set in EUR, converted, wins over the CHF list
// price; under BestPrice the lowest offer wins.
func TestPrice_ACustomerPriceInEuroConvertedAgainstAListPriceInCHF(t *testing.T) {
	cases := []struct {
		customerEUR string
		policy      Policy
		scope       Scope
		unit        string
	}{
		{"80", MostSpecific, ScopeCustomer, "73.84"},
		{"80", BestPrice, ScopeCustomer, "73.84"},
		{"110", MostSpecific, ScopeCustomer, "101.53"}, // dearer than the CHF list price, still the customer's agreement
		{"110", BestPrice, ScopeBase, "95.00"},
	}
	for _, c := range cases {
		tf := Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {entry(ScopeCustomer, "C1", "PUMP", c.customerEUR), listPrice("PUMP", "CHF", "95")}}}
		q := price(t, Request{Policy: c.policy, Currency: "CHF", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
		s := q.Lines[0].Source
		if s.Scope != c.scope || s.UnitPrice.String() != c.unit {
			t.Errorf("customer %s EUR, %s: %s at %s, want %s at %s", c.customerEUR, c.policy, s, s.UnitPrice, c.scope, c.unit)
		}
		if (s.Converted != nil) != (c.scope == ScopeCustomer) {
			t.Errorf("customer %s EUR, %s: conversion %+v", c.customerEUR, c.policy, s.Converted)
		}
	}
}

func TestPrice_APriceCategoryPriceInCHFWinsOverTheSameCategorysEuroPrice(t *testing.T) {
	eur := entry(ScopePriceCategory, "PC1", "PUMP", "85")
	chf := entry(ScopePriceCategory, "PC1", "PUMP", "82")
	chf.Currency = "CHF"
	tf := Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {eur, chf}}}
	q := price(t, Request{Currency: "CHF", Rates: ecbOct21, Customer: Customer{ID: "C9", PriceCategory: "PC1"}, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
	l := q.Lines[0]
	if l.Source.String() != "price-category PC1" || l.Source.UnitPrice.String() != "82.00" || l.Source.Converted != nil {
		t.Fatalf("source %+v", l.Source)
	}
	lost := notApplied(l, "price-category PC1")
	if len(lost) != 1 || lost[0].Currency != "EUR" || !strings.Contains(lost[0].Reason, "wins over conversion") {
		t.Errorf("the EUR category price: %+v", lost)
	}
	// The converted EUR base price is explained as a less specific source.
	if base := notApplied(l, "base"); len(base) != 1 || base[0].UnitPrice.String() != "92.30" || base[0].Currency != "" {
		t.Errorf("base: %+v", base)
	}
}

func TestPrice_AConvertedLineInYenIsRoundedToTheYen(t *testing.T) {
	gauge := Product{Ref: "GAUGE", BasePrice: d("12.34"), Currency: "EUR"}
	valve := Product{Ref: "VALVE", BasePrice: d("10"), Currency: "EUR"}
	swiss := Product{Ref: "SWISS", BasePrice: d("10"), Currency: "CHF"}
	q := price(t, Request{Currency: "JPY", Rates: ecbOct21, Lines: []Line{{Ref: "GAUGE", Quantity: 3}, {Ref: "VALVE", Quantity: 1}, {Ref: "SWISS", Quantity: 1}}},
		Tariff{Products: products(gauge, valve, swiss)})
	cases := []struct{ unit, gross string }{
		{"2177.393", "6532"}, // 12.34 × 176.45; × 3 = 6532.179
		{"1764.5", "1765"},   // half-up to the yen
		{"1911.701", "1912"}, // CHF → JPY through the euro: 10 × 176.45 / 0.9230 = 1911.70097…
	}
	for i, c := range cases {
		l := q.Lines[i]
		if l.Error != nil || l.Source.UnitPrice.String() != c.unit || l.Gross.String() != c.gross || l.Total.String() != c.gross {
			t.Errorf("%s: unit %s gross %s total %s, want %s and %s", l.Ref, l.Source.UnitPrice, l.Gross, l.Total, c.unit, c.gross)
		}
	}
	if q.Total.String() != "10209" {
		t.Errorf("total %s", q.Total)
	}
	if c := q.Lines[2].Source.Converted; c == nil || c.From != "CHF" || !c.Rate.Equal(d("191.1700975081")) {
		t.Errorf("CHF → JPY conversion %+v", c)
	}
}

func TestPrice_AConvertedEntryKeepsItsDiscountSchemeInTheQuoteCurrency(t *testing.T) {
	// A customer price of 80 EUR with 5% from a line of 400 EUR (369.20 CHF).
	e := entry(ScopeCustomer, "C1", "PUMP", "80")
	e.Mode, e.Breaks = AmountDiscount, []Break{{From: d("400"), Value: d("5")}}
	tf := Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {e}}}
	for _, c := range []struct {
		qty      int64
		discount string
	}{{4, "0.00"}, {5, "18.46"}} {
		q := price(t, Request{Currency: "CHF", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: c.qty}}}, tf)
		l := q.Lines[0]
		// 5 × 73.84 = 369.20 CHF, exactly 400 EUR: the break is reached.
		if l.Source.UnitPrice.String() != "73.84" || q.Discount.String() != c.discount {
			t.Errorf("%d units: unit %s, discount %s, want %s; %+v", c.qty, l.Source.UnitPrice, q.Discount, c.discount, l.Discounts)
		}
		if c.discount != "0.00" && (len(l.Discounts) != 1 || !strings.Contains(l.Discounts[0].Reason, "369.20")) {
			t.Errorf("%d units: discounts %+v", c.qty, l.Discounts)
		}
	}
	// A net price by quantity keeps its breaks, converted.
	n := entry(ScopeCustomer, "C1", "PUMP", "80")
	n.Mode, n.Breaks = NetByQuantity, []Break{{From: d("1"), Value: d("80")}, {From: d("10"), Value: d("75")}}
	q := price(t, Request{Currency: "CHF", Rates: ecbOct21, Lines: []Line{{Ref: "PUMP", Quantity: 10}}},
		Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {n}}})
	if s := q.Lines[0].Source; !s.Net || s.UnitPrice.String() != "69.225" || q.Total.String() != "692.25" {
		t.Errorf("net price by quantity: %+v, total %s", s, q.Total)
	}
}

func TestPrice_ADiscountOnlyEntryInTheQuoteCurrencyDiscountsTheConvertedBasePrice(t *testing.T) {
	e := entry(ScopePriceCategory, "PC1", "PUMP", "0")
	e.Currency, e.Discount = "CHF", d("10")
	tf := Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {e}}}
	q := price(t, Request{Currency: "CHF", Rates: ecbOct21, Customer: Customer{ID: "C9", PriceCategory: "PC1"}, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
	l := q.Lines[0]
	if l.Source.String() != "price-category PC1" || l.Source.UnitPrice.String() != "92.30" || l.Total.String() != "83.07" || l.Source.Converted == nil {
		t.Fatalf("source %+v total %s", l.Source, l.Total)
	}
	// With a CHF list price, that one is discounted.
	tf.Entries["PUMP"] = append(tf.Entries["PUMP"], listPrice("PUMP", "CHF", "95"))
	q = price(t, Request{Currency: "CHF", Rates: ecbOct21, Customer: Customer{ID: "C9", PriceCategory: "PC1"}, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, tf)
	if l := q.Lines[0]; l.Source.UnitPrice.String() != "95.00" || l.Total.String() != "85.50" || l.Source.Converted != nil {
		t.Fatalf("source %+v total %s", l.Source, l.Total)
	}
}

func TestShelfPrices_AListPriceInTheStorefrontCurrency(t *testing.T) {
	p := catalog.Product{Ref: "PUMP", BasePrice: d("100"), Currency: "EUR", Tariffs: []PriceEntry{listPrice("PUMP", "CHF", "95")}}
	sp := ShelfPrices([]catalog.Product{p}, Customer{ID: "C9"}, nil, RuleSet{}, "CHF", day, nil)
	if got, ok := sp["PUMP"]; !ok || got.UnitPrice.String() != "95.00" || got.Source != ScopeBase {
		t.Errorf("CHF shelf price %+v, %v", got, ok)
	}
	sp = ShelfPrices([]catalog.Product{p}, Customer{ID: "C9"}, nil, RuleSet{}, "EUR", day, nil)
	if got := sp["PUMP"]; got.UnitPrice.String() != "100.00" {
		t.Errorf("EUR shelf price %+v", got)
	}
}

func TestConversion_DecodesWhatItPrints(t *testing.T) {
	in := Conversion{From: "EUR", UnitPrice: money.AmountIn(decimal.RequireFromString("18.9"), "EUR"),
		Rate: decimal.RequireFromString("0.9312"), Date: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Conversion
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if out.From != in.From || !out.UnitPrice.Equal(in.UnitPrice.Decimal) || !out.Rate.Equal(in.Rate) || !out.Date.Equal(in.Date) {
		t.Errorf("%s decoded as %+v", b, out)
	}
	if err := json.Unmarshal([]byte(`{"from":"EUR","unitPrice":"1","rate":"1","date":"30/11/2026"}`), &out); err == nil {
		t.Error("a date that is not YYYY-MM-DD decoded")
	}
}

func TestShelfPrices_ConvertedForAStorefrontInAnotherCurrency(t *testing.T) {
	euroOnly := catalog.Product{Ref: "VALVE", BasePrice: d("100"), Currency: "EUR"}
	withCHF := catalog.Product{Ref: "PUMP", BasePrice: d("100"), Currency: "EUR", Tariffs: []PriceEntry{listPrice("PUMP", "CHF", "95")}}
	products := []catalog.Product{euroOnly, withCHF}
	if sp := ShelfPrices(products, Customer{ID: "C9"}, nil, RuleSet{}, "CHF", day, nil); len(sp) != 1 {
		t.Errorf("without rates, only the CHF list price shows: %+v", sp)
	}
	sp := ShelfPrices(products, Customer{ID: "C9"}, nil, RuleSet{}, "CHF", day, ecbOct21)
	if got, ok := sp["VALVE"]; !ok || got.UnitPrice.String() != "92.30" {
		t.Errorf("the euro price converted at 0.9230: %+v, %v", got, ok)
	}
	if got := sp["PUMP"]; got.UnitPrice.String() != "95.00" {
		t.Errorf("the CHF list price wins over conversion: %+v", got)
	}
}
