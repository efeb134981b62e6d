package pricing_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vat"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// memStore is a pricing store over a few customers, without rules or
// customer prices.
type memStore struct{ customers map[string]customer.Customer }

func (s memStore) RuleSet(context.Context, merchant.ID) (pricing.RuleSet, error) {
	return pricing.RuleSet{Policy: pricing.MostSpecific}, nil
}

func (s memStore) CustomerTariff(_ context.Context, _ merchant.ID, id string, _ []string, _ string) (pricing.CustomerTariff, error) {
	c, ok := s.customers[id]
	if !ok {
		return pricing.CustomerTariff{}, pricing.ErrUnknownCustomer
	}
	return pricing.CustomerTariff{Customer: c}, nil
}

// memProducts holds products by reference.
type memProducts map[string]catalog.Product

func (p memProducts) Products(_ context.Context, _ merchant.ID, refs []string) (map[string]catalog.Product, error) {
	out := map[string]catalog.Product{}
	for _, r := range refs {
		if v, ok := p[r]; ok {
			out[r] = v
		}
	}
	return out, nil
}

// memTax is a TaxSource that counts what it is asked.
type memTax struct {
	seller  string
	ledger  vatledger.State
	fx      *fx.Rates
	fxErr   error // the store failing, when set
	states  atomic.Int32
	fxReads atomic.Int32
}

func (m *memTax) Merchant(_ context.Context, id merchant.ID) (merchant.Merchant, error) {
	return merchant.Merchant{ID: id, Country: m.seller, Currency: "EUR"}, nil
}

func (m *memTax) Rates(context.Context, merchant.ID) (*tax.Rates, error) {
	return tax.DefaultRates(), nil
}

func (m *memTax) VATState(context.Context, merchant.ID, time.Time) (vatledger.State, error) {
	m.states.Add(1)
	return m.ledger, nil
}

func (m *memTax) ExchangeRates(_ context.Context, _ merchant.ID, day time.Time) (fx.Rates, error) {
	m.fxReads.Add(1)
	if m.fxErr != nil {
		return fx.Rates{}, m.fxErr
	}
	if m.fx == nil || m.fx.Date.After(day) {
		return fx.Rates{}, fx.ErrNoRates
	}
	return *m.fx, nil
}

var taxDay = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func taxCustomers() map[string]customer.Customer {
	beNumber := "BE0403170701"
	check := vat.Check{Number: beNumber, At: taxDay, Method: vat.VIES, Valid: true}
	return map[string]customer.Customer{
		"FR-PRO": {ID: "FR-PRO", Kind: customer.Pro, Country: "FR", VATNumber: "FR44732829320", Address: customer.Address{Country: "FR"}},
		"BE-PRO": {ID: "BE-PRO", Kind: customer.Pro, Country: "BE", VATNumber: beNumber, VATCheck: &check, Address: customer.Address{Country: "BE"},
			DeliveryAddresses: []customer.DeliveryAddress{{ID: "gent", Default: true, Address: customer.Address{Country: "BE"}}, {ID: "lyon", Address: customer.Address{Country: "FR"}}}},
		"BE-CONS": {ID: "BE-CONS", Kind: customer.Consumer, Country: "BE", Address: customer.Address{Country: "BE"}},
		"FR-CONS": {ID: "FR-CONS", Kind: customer.Consumer, Country: "FR", Address: customer.Address{Country: "FR"}},
		"US-CONS": {ID: "US-CONS", Kind: customer.Consumer, Country: "US", Address: customer.Address{Country: "US"}},
		"NOWHERE": {ID: "NOWHERE", Kind: customer.Consumer, Country: "", Address: customer.Address{Country: "ZZ"}},
	}
}

func taxProducts() memProducts {
	p := func(ref, cat, price string) catalog.Product {
		return catalog.Product{Ref: ref, CategoryID: "C", TaxCategory: cat, BasePrice: decimal.RequireFromString(price), Currency: "EUR",
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1}
	}
	return memProducts{"STD": p("STD", "standard", "100.00"), "RED": p("RED", "reduced", "10.00"), "ODD": p("ODD", "zero-rated", "5.00"),
		"NOCAT": p("NOCAT", "", "1.00")}
}

func TestQuoter_TaxOfEachCase(t *testing.T) {
	crossed := vatledger.State{Settings: vatledger.DefaultSettings(), Totals: map[int]map[string]decimal.Decimal{2026: {vatledger.EU: decimal.NewFromInt(10_000)}}}
	cases := []struct {
		name      string
		customer  string
		shipTo    string
		ledger    vatledger.State
		lines     []pricing.Line
		regimes   string // each line's regime and rate
		vat       string
		shipCtry  string
		ttc       bool
		ledgerHit bool
	}{
		{"FR pro, two categories", "FR-PRO", "", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 1}, {Ref: "RED", Quantity: 3}},
			"domestic FR 20,domestic FR 5.5", "21.65", "FR", false, false},
		{"a line without category is standard", "FR-PRO", "", vatledger.State{}, []pricing.Line{{Ref: "NOCAT", Quantity: 1}},
			"domestic FR 20", "0.20", "FR", false, false},
		{"BE pro, checked number", "BE-PRO", "", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 1}},
			"intra-eu-exempt  0", "0", "BE", false, false},
		{"BE pro shipping to its French site", "BE-PRO", "lyon", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 1}},
			"domestic FR 20", "20.00", "FR", false, false},
		{"BE consumer below the threshold", "BE-CONS", "", vatledger.State{Settings: vatledger.DefaultSettings()}, []pricing.Line{{Ref: "STD", Quantity: 1}},
			"distance-sale-origin FR 20", "20.00", "BE", true, true},
		{"BE consumer, the threshold reached: this quote goes over it", "BE-CONS", "", crossed, []pricing.Line{{Ref: "STD", Quantity: 1}},
			"distance-sale-destination BE 21", "21.00", "BE", true, true},
		{"FR consumer", "FR-CONS", "", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 1}}, "domestic FR 20", "20.00", "FR", true, false},
		{"US consumer", "US-CONS", "", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 1}}, "export  0", "0", "US", true, false},
		{"list prices without a customer", "", "", vatledger.State{}, []pricing.Line{{Ref: "STD", Quantity: 2}}, "domestic FR 20", "40.00", "FR", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := &memTax{seller: "FR", ledger: c.ledger}
			q := &pricing.Quoter{Store: memStore{taxCustomers()}, Products: taxProducts(), Tax: src}
			res, err := q.Quote(context.Background(), pricing.QuoteInput{Merchant: "m", CustomerID: c.customer, Currency: "EUR", Date: taxDay, Lines: c.lines, ShipTo: c.shipTo})
			if err != nil || res.Tax == nil || !res.Quote.Valid() {
				t.Fatalf("%v, tax %v, lines %+v", err, res.Tax, res.Quote.Lines)
			}
			var got []string
			for _, l := range res.Tax.Lines {
				got = append(got, string(l.Regime)+" "+l.Country+" "+l.Rate.String())
			}
			if strings.Join(got, ",") != c.regimes || !res.Tax.Summary.VAT.Equal(decimal.RequireFromString(c.vat)) {
				t.Errorf("lines %v VAT %s, want %s and %s", got, res.Tax.Summary.VAT, c.regimes, c.vat)
			}
			if res.Tax.ShipTo.Country != c.shipCtry || res.Tax.PricesIncludeTax != c.ttc || res.Tax.ExchangeRate != nil || res.Tax.VATEUR != nil {
				t.Errorf("ship-to %+v TTC %v rate %v", res.Tax.ShipTo, res.Tax.PricesIncludeTax, res.Tax.ExchangeRate)
			}
			if hit := src.states.Load() > 0; hit != c.ledgerHit || src.states.Load() > 1 {
				t.Errorf("the ledger was read %d times", src.states.Load())
			}
			if src.fxReads.Load() != 0 {
				t.Errorf("a euro quote of euro prices read the exchange rates %d times", src.fxReads.Load())
			}
		})
	}
}

func TestQuoter_TaxRefusals(t *testing.T) {
	ctx := context.Background()
	src := &memTax{seller: "FR"}
	q := &pricing.Quoter{Store: memStore{taxCustomers()}, Products: taxProducts(), Tax: src}
	in := func(customerID, shipTo, currency string, refs ...string) pricing.QuoteInput {
		var lines []pricing.Line
		for _, r := range refs {
			lines = append(lines, pricing.Line{Ref: r, Quantity: 1})
		}
		return pricing.QuoteInput{Merchant: "m", CustomerID: customerID, ShipTo: shipTo, Currency: currency, Date: taxDay, Lines: lines}
	}
	// A ship-to that is not the customer's: the customer is still
	// returned, for the caller's access check.
	res, err := q.Quote(ctx, in("BE-PRO", "paris", "EUR", "STD"))
	if !errors.Is(err, pricing.ErrUnknownAddress) || res.Customer.ID != "BE-PRO" {
		t.Errorf("unknown address: %v, customer %q", err, res.Customer.ID)
	}
	// A category the table does not know, and one with no rate.
	res, err = q.Quote(ctx, in("FR-PRO", "", "EUR", "STD", "ODD"))
	if err != nil || res.Quote.Valid() || res.Tax != nil || res.Quote.Lines[1].Error == nil || res.Quote.Lines[1].Error.Code != pricing.ErrTaxSituation {
		t.Errorf("unknown category: %v %+v", err, res.Quote.Lines)
	}
	crossed := vatledger.State{Settings: vatledger.DefaultSettings(), Totals: map[int]map[string]decimal.Decimal{2026: {vatledger.EU: decimal.NewFromInt(20_000)}}}
	src.ledger = crossed
	res, err = q.Quote(ctx, in("BE-CONS", "", "EUR", "STD", "RED"))
	if err != nil || res.Quote.Valid() || res.Quote.Lines[0].Error != nil || res.Quote.Lines[1].Error == nil || res.Quote.Lines[1].Error.Code != pricing.ErrNoTaxRate ||
		!strings.Contains(res.Quote.Lines[1].Error.Detail, "BE") {
		t.Errorf("no Belgian reduced rate: %v %+v", err, res.Quote.Lines)
	}
	// A ship-to country that is not a country.
	res, err = q.Quote(ctx, in("NOWHERE", "", "EUR", "STD"))
	if err != nil || res.Quote.Valid() || res.Quote.Lines[0].Error.Code != pricing.ErrTaxSituation {
		t.Errorf("ship-to ZZ: %v %+v", err, res.Quote.Lines)
	}
	// Another currency without rates: nothing prices in it.
	res, err = q.Quote(ctx, in("FR-PRO", "", "CHF", "STD"))
	if err != nil || res.Quote.Valid() {
		t.Errorf("CHF without rates: %v %+v", err, res.Quote.Lines)
	}
	// Without a TaxSource, a quote has no VAT.
	res, err = (&pricing.Quoter{Store: memStore{taxCustomers()}, Products: taxProducts()}).Quote(ctx, in("FR-PRO", "", "EUR", "STD"))
	if err != nil || res.Tax != nil || !res.Quote.Valid() {
		t.Errorf("no tax source: %v %v", err, res.Tax)
	}
}

func TestQuoter_TaxOfAQuoteInAnotherCurrency(t *testing.T) {
	ctx := context.Background()
	rates := &fx.Rates{Date: taxDay.AddDate(0, 0, -1), PerEUR: map[string]decimal.Decimal{"CHF": decimal.RequireFromString("0.9315")}, Source: fx.SourceStaff}
	// 9,950 EUR of distance sales: a quote of 100 EUR converted to CHF
	// takes the total over the threshold, counted in euros.
	ledger := vatledger.State{Settings: vatledger.DefaultSettings(), Totals: map[int]map[string]decimal.Decimal{2026: {vatledger.EU: decimal.NewFromInt(9_950)}}}
	src := &memTax{seller: "FR", fx: rates, ledger: ledger}
	q := &pricing.Quoter{Store: memStore{taxCustomers()}, Products: taxProducts(), Tax: src}
	res, err := q.Quote(ctx, pricing.QuoteInput{Merchant: "m", CustomerID: "BE-CONS", Currency: "CHF", Date: taxDay, Lines: []pricing.Line{{Ref: "STD", Quantity: 1}}})
	if err != nil || res.Tax == nil {
		t.Fatalf("%v %+v", err, res.Quote.Lines)
	}
	qt := res.Tax
	if qt.ExchangeRate == nil || !qt.ExchangeRate.Rate.Equal(rates.PerEUR["CHF"]) || !qt.ExchangeRate.Date.Equal(rates.Date) {
		t.Fatalf("exchange rate %+v", qt.ExchangeRate)
	}
	// 100 EUR = 93.15 CHF; BE 21%: 19.56 CHF of VAT, 21.00 EUR.
	if !res.Quote.Total.Equal(decimal.RequireFromString("93.15")) || !qt.NetEUR.Equal(decimal.RequireFromString("100")) ||
		!qt.Summary.VAT.Equal(decimal.RequireFromString("19.56")) || qt.VATEUR == nil || !qt.VATEUR.Equal(decimal.RequireFromString("21.00")) {
		t.Errorf("total %s CHF, net %s EUR, VAT %s CHF = %v EUR", res.Quote.Total, qt.NetEUR, qt.Summary.VAT, qt.VATEUR)
	}
	if qt.Lines[0].Regime != tax.DistanceSaleDestination {
		t.Errorf("the quote that takes the total over the threshold: %+v", qt.Lines[0])
	}
	// Before any rates: the quote cannot state its VAT in euros.
	src.fx = nil
	q = &pricing.Quoter{Store: memStore{taxCustomers()}, Products: memProducts{"CHF": {Ref: "CHF", CategoryID: "C", TaxCategory: "standard", BasePrice: decimal.NewFromInt(50), Currency: "CHF",
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1}}, Tax: src}
	if _, err := q.Quote(ctx, pricing.QuoteInput{Merchant: "m", CustomerID: "FR-PRO", Currency: "CHF", Date: taxDay, Lines: []pricing.Line{{Ref: "CHF", Quantity: 1}}}); !errors.Is(err, pricing.ErrNoExchangeRate) {
		t.Errorf("CHF without rates: %v", err)
	}
}

// A store that fails reading the exchange rates is not a merchant without
// rates: its error comes back as it is (a server error), never as
// ErrNoExchangeRate (a 422 telling staff to set the day's rates).
func TestQuoter_ExchangeRatesStoreErrorIsNotNoExchangeRate(t *testing.T) {
	ctx := context.Background()
	outage := errors.New("exchange rates table unreachable")
	chf := catalog.Product{Ref: "CHF", CategoryID: "C", TaxCategory: "standard", BasePrice: decimal.NewFromInt(50), Currency: "CHF",
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1}
	for _, c := range []struct {
		name     string
		currency string
		products memProducts
	}{
		{"a quote in CHF", "CHF", taxProducts()},
		{"a euro quote of a product priced in CHF only", "EUR", memProducts{"CHF": chf}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref := "STD"
			if c.currency == "EUR" {
				ref = "CHF"
			}
			q := &pricing.Quoter{Store: memStore{taxCustomers()}, Products: c.products, Tax: &memTax{seller: "FR", fxErr: outage}}
			_, err := q.Quote(ctx, pricing.QuoteInput{Merchant: "m", CustomerID: "FR-PRO", Currency: c.currency, Date: taxDay, Lines: []pricing.Line{{Ref: ref, Quantity: 1}}})
			if !errors.Is(err, outage) || errors.Is(err, pricing.ErrNoExchangeRate) {
				t.Errorf("got %v, want the store's error and not ErrNoExchangeRate", err)
			}
		})
	}
}

// countingLedger answers a state holding the number of the read.
type countingLedger struct{ reads atomic.Int32 }

func (c *countingLedger) State(_ context.Context, m merchant.ID, on time.Time) (vatledger.State, error) {
	n := c.reads.Add(1)
	if m == "broken" {
		return vatledger.State{}, errors.New("ledger unreachable")
	}
	return vatledger.State{Totals: map[int]map[string]decimal.Decimal{on.Year(): {vatledger.EU: decimal.NewFromInt32(n)}}}, nil
}

func TestDisplayLedger_KeepsAMerchantsStateOfADayForTTL(t *testing.T) {
	ctx := context.Background()
	src := &countingLedger{}
	clock := taxDay.Add(10 * time.Hour)
	d := &pricing.DisplayLedger{Ledger: src, TTL: time.Minute, Now: func() time.Time { return clock }}
	read := func(m merchant.ID, on time.Time) int64 {
		t.Helper()
		st, err := d.State(ctx, m, on)
		if err != nil {
			t.Fatal(err)
		}
		return st.Total(on.Year(), vatledger.EU).IntPart()
	}
	steps := []struct {
		name    string
		m       merchant.ID
		on      time.Time
		advance time.Duration
		want    int64 // the read whose state is returned
	}{
		{"cold", "m", taxDay, 0, 1},
		{"warm, the same day", "m", taxDay.Add(15 * time.Hour), 30 * time.Second, 1},
		{"another merchant", "n", taxDay, 0, 2},
		{"the next day", "m", taxDay.AddDate(0, 0, 1), 0, 3},
		{"after TTL", "m", taxDay.AddDate(0, 0, 1), time.Minute, 4},
		{"the other merchant, expired too", "n", taxDay, 0, 5},
		{"the other merchant, cached again", "n", taxDay, 59 * time.Second, 5},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		if got := read(s.m, s.on); got != s.want {
			t.Errorf("%s: state of read %d, want %d", s.name, got, s.want)
		}
	}
	if _, err := d.State(ctx, "broken", taxDay); err == nil {
		t.Error("a ledger error was not returned")
	}
	if _, err := d.State(ctx, "broken", taxDay); err == nil || src.reads.Load() != 7 {
		t.Errorf("an error was cached: %v after %d reads", err, src.reads.Load())
	}
	// Without TTL, every call reads.
	nocache := &pricing.DisplayLedger{Ledger: src}
	for range 2 {
		if _, err := nocache.State(ctx, "m", taxDay); err != nil {
			t.Fatal(err)
		}
	}
	if src.reads.Load() != 9 {
		t.Errorf("%d reads without TTL", src.reads.Load())
	}
}
