package pricing

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
)

func TestPrice_LineUnitsAreBoundedNeverWrapped(t *testing.T) {
	huge := Product{Ref: "HUGE", Families: []string{"F"}, BasePrice: d("1"), Currency: "EUR",
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Lot, Units: 1_000}, {Kind: catalog.Pallet, Units: math.MaxInt64}}}
	cases := []struct {
		name      string
		line      Line
		units     int64
		errorCode string
	}{
		{"two pallets of 2^63−1 units", Line{Ref: "HUGE", Quantity: 2, Packaging: catalog.Pallet}, 0, ErrInvalidQuantity},
		{"one pallet of 2^63−1 units", Line{Ref: "HUGE", Quantity: 1, Packaging: catalog.Pallet}, 0, ErrInvalidQuantity},
		{"a billion units", Line{Ref: "HUGE", Quantity: MaxQuantity}, MaxLineUnits, ""},
		{"a million lots of a thousand", Line{Ref: "HUGE", Quantity: 1_000_000, Packaging: catalog.Lot}, 1_000_000_000, ""},
		{"one lot too many", Line{Ref: "HUGE", Quantity: 1_000_001, Packaging: catalog.Lot}, 0, ErrInvalidQuantity},
		{"a quantity of 2^63−1", Line{Ref: "HUGE", Quantity: math.MaxInt64}, 0, ErrInvalidQuantity},
		{"a quantity of −2^63", Line{Ref: "HUGE", Quantity: math.MinInt64}, 0, ErrInvalidQuantity},
		{"a quantity of zero", Line{Ref: "HUGE", Quantity: 0}, 0, ErrInvalidQuantity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := price(t, Request{Lines: []Line{c.line}}, Tariff{Products: products(huge)})
			l := q.Lines[0]
			switch {
			case c.errorCode == "" && l.Error != nil:
				t.Fatalf("error %+v", l.Error)
			case c.errorCode != "" && (l.Error == nil || l.Error.Code != c.errorCode):
				t.Fatalf("error %+v, want %s; units %d, gross %s", l.Error, c.errorCode, l.Units, l.Gross)
			case l.Units != c.units:
				t.Fatalf("units %d, want %d", l.Units, c.units)
			}
			if q.Gross.IsNegative() || q.Total.IsNegative() {
				t.Fatalf("negative quote: gross %s total %s", q.Gross, q.Total)
			}
		})
	}
}

func TestPrice_RulePrioritiesAtTheEndsOfTheRangeKeepTheirOrder(t *testing.T) {
	first := Rule{ID: "Z-FIRST", Priority: math.MinInt, Kind: Percent, Percent: d("10"), Stop: true}
	last := Rule{ID: "A-LAST", Priority: math.MaxInt, Kind: Percent, Percent: d("50")}
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump), Rules: []Rule{last, first}})
	l := q.Lines[0]
	if len(l.Discounts) != 1 || l.Discounts[0].Rule != first.ID || !l.Total.Equal(d("90")) {
		t.Fatalf("discounts %+v, total %s: the lowest priority must apply first and stop", l.Discounts, l.Total)
	}
}

func TestPrice_NetPriceRuleNeverRaisesAPrice(t *testing.T) {
	above := Rule{ID: "NET-ABOVE", Kind: NetPrice, Price: d("120"), Currency: "EUR"}
	below := Rule{ID: "NET-BELOW", Kind: NetPrice, Price: d("70"), Currency: "EUR"}
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 2}}}, Tariff{Products: products(pump), Rules: []Rule{above}})
	l := q.Lines[0]
	if len(l.Discounts) != 0 || !l.Total.Equal(d("200")) || !strings.Contains(notAppliedReason(l, "NET-ABOVE"), "above the source price 100.00") {
		t.Fatalf("a net price above the list price applied: total %s, discounts %+v, not applied %+v", l.Total, l.Discounts, l.NotApplied)
	}
	q = price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 2}}}, Tariff{Products: products(pump), Rules: []Rule{below}})
	if l := q.Lines[0]; !l.Total.Equal(d("140")) || !l.Net {
		t.Fatalf("a net price below the list price: total %s net %v", l.Total, l.Net)
	}
}

func notAppliedReason(l PricedLine, id string) string {
	for _, n := range l.NotApplied {
		if n.ID == id {
			return n.Reason
		}
	}
	return ""
}

func TestPrice_ExplanationGivesEveryCandidateSourcesUnitPrice(t *testing.T) {
	usd := entry(ScopePriceCategory, "PC1", "PUMP", "95")
	usd.Currency = "USD"
	expired := entry(ScopeBuyingGroup, "BG1", "PUMP", "82.5")
	expired.Validity = Validity{Until: day.AddDate(0, 0, -1)}
	discountOnly := entry(ScopeBuyingGroup, "BG1", "PUMP", "0")
	discountOnly.Discount = d("5")
	netByQty := entry(ScopePriceCategory, "PC1", "PUMP", "99")
	netByQty.Mode, netByQty.Breaks = NetByQuantity, []Break{{From: d("1"), Value: d("91.25")}}
	entries := []PriceEntry{entry(ScopeCustomer, "C1", "PUMP", "80"), discountOnly, netByQty, usd, expired}
	for _, policy := range []Policy{MostSpecific, BestPrice} {
		t.Run(string(policy), func(t *testing.T) {
			q := price(t, Request{Policy: policy, Lines: []Line{{Ref: "PUMP", Quantity: 2}}},
				Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": entries}})
			l := q.Lines[0]
			if l.Source.Scope != ScopeCustomer {
				t.Fatalf("source %s", l.Source)
			}
			want := map[string]string{
				"buying-group BG1":   "100.00 ", // discount-only: the base price, before its own discount
				"price-category PC1": "91.25 ",  // the net break reached
				"base":               "100.00 ",
			}
			got := map[string]string{}
			var lost []NotApplied
			for _, n := range l.NotApplied {
				if n.What != "source" {
					continue
				}
				if n.UnitPrice == nil {
					t.Errorf("%s (%s) has no unit price", n.ID, n.Reason)
					continue
				}
				if strings.HasPrefix(n.Reason, "priced in") || strings.HasPrefix(n.Reason, "not valid") {
					lost = append(lost, n)
					continue
				}
				got[n.ID] = n.UnitPrice.String() + " " + n.Currency
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("%s offered %q, want %q", id, got[id], w)
				}
			}
			if len(lost) != 2 {
				t.Fatalf("the USD and expired entries: %+v", lost)
			}
			for _, n := range lost {
				switch {
				case strings.HasPrefix(n.Reason, "priced in") && (n.UnitPrice.String() != "95.00" || n.Currency != "USD"):
					t.Errorf("USD entry: %s %s", n.UnitPrice, n.Currency)
				case strings.HasPrefix(n.Reason, "not valid") && (n.UnitPrice.String() != "82.50" || n.Currency != ""):
					t.Errorf("expired entry: %s %s", n.UnitPrice, n.Currency)
				}
			}
			b, err := json.Marshal(l.NotApplied)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"id":"base","reason":`) || !strings.Contains(string(b), `"unitPrice":"100.00"`) {
				t.Errorf("JSON explanation: %s", b)
			}
		})
	}
}

func TestPrice_AmountsCarryTheQuoteCurrencysMinorUnits(t *testing.T) {
	cases := []struct {
		currency, base, gross, unit string
	}{
		{"EUR", "404.2", `"gross":"808.40"`, `"unitPrice":"404.20"`},
		{"JPY", "404", `"gross":"808"`, `"unitPrice":"404"`},
		{"KWD", "404.2", `"gross":"808.400"`, `"unitPrice":"404.200"`},
		{"EUR", "0.3125", `"gross":"0.63"`, `"unitPrice":"0.315"`},
	}
	for _, c := range cases {
		p := Product{Ref: "X", BasePrice: d(c.base), Currency: c.currency, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}}
		q := price(t, Request{Currency: c.currency, Lines: []Line{{Ref: "X", Quantity: 2}}}, Tariff{Products: products(p)})
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.gross, c.unit} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s %s ×2: no %s in %s", c.base, c.currency, want, b)
			}
		}
	}
}

// extremeInt64 draws from the values that break careless arithmetic as
// well as from ordinary ones.
func extremeInt64(r *rand.Rand) int64 {
	switch r.IntN(8) {
	case 0:
		return []int64{math.MaxInt64, math.MinInt64, math.MaxInt32, -1, 0, 1, MaxQuantity, MaxQuantity + 1, 1 << 32, 3037000500}[r.IntN(10)]
	case 1:
		return r.Int64()
	case 2:
		return -r.Int64N(1000)
	}
	return 1 + r.Int64N(1000)
}

// extremeDecimal draws prices, percentages and thresholds, sensible or not.
func extremeDecimal(r *rand.Rand) decimal.Decimal {
	switch r.IntN(8) {
	case 0:
		return decimal.New(1, 9999) // what "1e9999" decodes to
	case 1:
		return decimal.New(-r.Int64N(1_000_000), -int32(r.IntN(5)))
	case 2:
		return decimal.Zero
	case 3:
		return decimal.New(r.Int64(), -int32(r.IntN(30)))
	}
	return decimal.New(r.Int64N(100_000), -2)
}

// TestProperty_NoQuoteHasANegativeOrOverflowingAmount prices random lines
// of any quantity over products of any packaging units, with rules and
// price entries of any values: every line is either refused with a line
// error or priced with units equal to the exact product of its quantity
// and packaging units, within MaxLineUnits, and amounts that add up, are
// rounded and never go negative (see checkInvariants).
func TestProperty_NoQuoteHasANegativeOrOverflowingAmount(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	kinds := []RuleKind{Percent, QuantityTiers, LineAmountTiers, OrderAmountTiers, NetPrice, PackagingDiscount}
	kindsOfPackaging := []catalog.PackagingKind{catalog.Unit, catalog.Lot, catalog.Pallet}
	for i := range 3000 {
		tf, lines := randomTariff(r)
		for ref, p := range tf.Products {
			for j := range p.Packagings {
				if r.IntN(2) == 0 {
					p.Packagings[j].Units = int(extremeInt64(r))
				}
			}
			if r.IntN(4) == 0 {
				p.BasePrice = extremeDecimal(r)
			}
			tf.Products[ref] = p
			for j := range tf.Entries[ref] {
				e := &tf.Entries[ref][j]
				e.Price, e.Discount = extremeDecimal(r), extremeDecimal(r)
				for k := range e.Breaks {
					e.Breaks[k] = Break{From: extremeDecimal(r), Value: extremeDecimal(r)}
				}
			}
		}
		for j := range lines {
			lines[j].Quantity = extremeInt64(r)
			lines[j].Packaging = kindsOfPackaging[r.IntN(3)]
		}
		for range r.IntN(4) {
			rule := Rule{ID: "X" + string(rune('a'+r.IntN(26))), Priority: int(extremeInt64(r)), Stop: r.IntN(3) == 0,
				Kind: kinds[r.IntN(len(kinds))], Percent: extremeDecimal(r), Price: extremeDecimal(r), Packaging: kindsOfPackaging[r.IntN(3)]}
			for range r.IntN(4) {
				rule.Tiers = append(rule.Tiers, Break{From: extremeDecimal(r), Value: extremeDecimal(r)})
			}
			tf.Rules = append(tf.Rules, rule)
		}
		for _, pol := range []Policy{MostSpecific, BestPrice} {
			q := Price(Request{Customer: cust, Currency: "EUR", Date: day, Policy: pol, Lines: lines}, tf)
			checkInvariants(t, q)
			for j, l := range q.Lines {
				if l.Error != nil {
					continue
				}
				per, _ := packagingUnits(tf.Products[l.Ref], l.Packaging)
				exact := new(big.Int).Mul(big.NewInt(lines[j].Quantity), big.NewInt(per))
				if !exact.IsInt64() || exact.Int64() != l.Units || l.Units > MaxLineUnits {
					t.Errorf("line %d: %d × %d units priced as %d units", j, lines[j].Quantity, per, l.Units)
				}
			}
			if t.Failed() {
				t.Fatalf("case %d, policy %s: %+v", i, pol, lines)
			}
		}
	}
}

func TestShelfPrice_IncludingVATRoundsEachUnitPrice(t *testing.T) {
	ht := ShelfPrice{UnitPrice: money.AmountIn(d("1663.2"), "EUR"), Source: ScopePriceCategory,
		Breaks: []PriceBreak{{MinQuantity: 10, UnitPrice: money.AmountIn(d("0.3125"), "EUR")}}}
	ttc := ht.IncludingVAT(d("20"), "EUR")
	if ttc.UnitPrice.String() != "1995.84" || ttc.Breaks[0].UnitPrice.String() != "0.38" || ttc.Breaks[0].MinQuantity != 10 || ttc.Source != ScopePriceCategory {
		t.Errorf("TTC %+v", ttc)
	}
	if ht.UnitPrice.String() != "1663.20" || ht.Breaks[0].UnitPrice.String() != "0.3125" {
		t.Errorf("the price excluding VAT changed: %+v", ht)
	}
	if yen := (ShelfPrice{UnitPrice: money.AmountIn(d("333"), "JPY")}).IncludingVAT(d("10"), "JPY"); yen.UnitPrice.String() != "366" || yen.Breaks != nil {
		t.Errorf("JPY TTC %+v", yen)
	}
}

func TestPrice_LineErrorsDoNotEchoWhatTheCallerSent(t *testing.T) {
	long := strings.Repeat("x", 3000)
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1, Packaging: catalog.PackagingKind(long)}, {Ref: long, Quantity: 1}, {Ref: "PUMP", Quantity: 1, Packaging: catalog.Lot}}},
		Tariff{Products: products(pump)})
	for i, want := range []string{ErrUnknownPackaging, ErrUnknownReference, ErrUnknownPackaging} {
		l := q.Lines[i]
		if l.Error == nil || l.Error.Code != want || len(l.Error.Detail) > 200 {
			t.Errorf("line %d: %+v", i, l.Error)
		}
	}
	if d := q.Lines[2].Error.Detail; d != "PUMP is not sold by lot" {
		t.Errorf("a known packaging the product lacks: %q", d)
	}
}
