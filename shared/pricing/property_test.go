package pricing

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
)

// randomTariff builds a random but well-formed tariff for the properties.
func randomTariff(r *rand.Rand) (Tariff, []Line) {
	kinds := []RuleKind{Percent, QuantityTiers, LineAmountTiers, OrderAmountTiers, NetPrice, PackagingDiscount}
	pct := func() decimal.Decimal { return decimal.New(int64(r.IntN(5000)), -2) } // 0..49.99 %
	amount := func() decimal.Decimal { return decimal.New(int64(r.IntN(100000)+1), -2) }
	t := Tariff{Products: map[string]Product{}, Entries: map[string][]PriceEntry{}}
	var lines []Line
	for i := range 1 + r.IntN(6) {
		ref := "P" + string(rune('A'+i))
		t.Products[ref] = Product{Ref: ref, Families: []string{"F" + string(rune('0'+r.IntN(3)))}, BasePrice: amount(), Currency: "EUR",
			NoDiscount: r.IntN(6) == 0, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Pallet, Units: 1 + r.IntN(40)}}}
		for _, s := range []Scope{ScopeCustomer, ScopeBuyingGroup, ScopePriceCategory} {
			if r.IntN(2) == 0 {
				continue
			}
			id := map[Scope]string{ScopeCustomer: "C1", ScopeBuyingGroup: "BG1", ScopePriceCategory: "PC1"}[s]
			e := PriceEntry{Scope: s, ScopeID: id, Ref: ref, Currency: "EUR", Price: amount(), Discount: pct(), Mode: EntryMode(r.IntN(4))}
			for range r.IntN(3) {
				e.Breaks = append(e.Breaks, Break{From: decimal.NewFromInt(int64(r.IntN(50))), Value: pct()})
			}
			t.Entries[ref] = append(t.Entries[ref], e)
		}
		pk := catalog.Unit
		if r.IntN(3) == 0 {
			pk = catalog.Pallet
		}
		lines = append(lines, Line{Ref: ref, Quantity: int64(1 + r.IntN(60)), Packaging: pk})
	}
	for i := range r.IntN(8) {
		rule := Rule{ID: "R" + string(rune('a'+i)), Priority: r.IntN(5), Stop: r.IntN(4) == 0, Kind: kinds[r.IntN(len(kinds))], Percent: pct(), Packaging: catalog.Pallet}
		if r.IntN(3) == 0 {
			rule.Target.Family = "F" + string(rune('0'+r.IntN(3)))
		}
		for range 1 + r.IntN(3) {
			rule.Tiers = append(rule.Tiers, Break{From: decimal.NewFromInt(int64(r.IntN(2000))), Value: pct()})
		}
		if rule.Kind == NetPrice || rule.Kind == PackagingDiscount && r.IntN(2) == 0 {
			rule.Price = amount()
			for j := range rule.Tiers {
				rule.Tiers[j].Value = amount()
			}
		}
		t.Rules = append(t.Rules, rule)
	}
	return t, lines
}

func TestProperty_AmountsAddUpAndNeverGoNegative(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		tf, lines := randomTariff(r)
		for _, pol := range []Policy{MostSpecific, BestPrice} {
			q := Price(Request{Customer: cust, Currency: "EUR", Date: day, Policy: pol, Lines: lines}, tf)
			checkInvariants(t, q)
			if t.Failed() {
				t.Fatalf("case %d, policy %s", i, pol)
			}
		}
	}
}

func TestProperty_BestPriceNeverRisesWhenARuleIsAdded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		tf, lines := randomTariff(r)
		if len(tf.Rules) == 0 {
			continue
		}
		req := Request{Customer: cust, Currency: "EUR", Date: day, Policy: BestPrice, Lines: lines}
		fewer := tf
		fewer.Rules = tf.Rules[:len(tf.Rules)-1]
		before, after := Price(req, fewer), Price(req, tf)
		for j := range lines {
			if after.Lines[j].Total.GreaterThan(before.Lines[j].Total.Decimal) {
				t.Fatalf("case %d line %d: adding rule %+v raised %s to %s", i, j, tf.Rules[len(tf.Rules)-1], before.Lines[j].Total, after.Lines[j].Total)
			}
		}
	}
}

func TestProperty_HorsRemiseLinesPayTheirSourcePrice(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		tf, lines := randomTariff(r)
		q := Price(Request{Customer: cust, Currency: "EUR", Date: day, Lines: lines}, tf)
		for j, l := range q.Lines {
			if tf.Products[lines[j].Ref].NoDiscount && (len(l.Discounts) != 0 || !l.Total.Equal(l.Gross.Decimal)) {
				t.Fatalf("hors remise line discounted: %+v", l)
			}
		}
	}
}

func FuzzPrice(f *testing.F) {
	f.Add("PUMP", int64(3), "unit", "10", "5", uint8(1))
	f.Add("PUMP", int64(-1), "pallet", "-5", "1000", uint8(4))
	f.Add("", int64(0), "lot", "abc", "0.0000001", uint8(200))
	f.Fuzz(func(t *testing.T, ref string, qty int64, packaging, percent, threshold string, kind uint8) {
		pct, err := decimal.NewFromString(percent)
		if err != nil {
			pct = decimal.Zero
		}
		from, err := decimal.NewFromString(threshold)
		if err != nil {
			from = decimal.Zero
		}
		kinds := []RuleKind{Percent, QuantityTiers, LineAmountTiers, OrderAmountTiers, NetPrice, PackagingDiscount, "bogus"}
		rule := Rule{ID: "F", Kind: kinds[int(kind)%len(kinds)], Percent: pct, Price: pct, Packaging: catalog.PackagingKind(packaging),
			Tiers: []Break{{From: from, Value: pct}}}
		q := Price(Request{Customer: cust, Currency: "EUR", Date: day, Lines: []Line{{Ref: ref, Quantity: qty, Packaging: catalog.PackagingKind(packaging)}}},
			Tariff{Products: products(pump, oring, hors), Rules: []Rule{rule}})
		if len(q.Lines) != 1 {
			t.Fatalf("lines %d", len(q.Lines))
		}
		l := q.Lines[0]
		if l.Error == nil {
			sum := decimal.Zero
			for _, a := range l.Discounts {
				sum = sum.Add(a.Amount.Decimal)
			}
			if !l.Gross.Sub(sum).Equal(l.Total.Decimal) {
				t.Fatalf("amounts do not add up: %+v", l)
			}
			if l.Total.IsNegative() {
				t.Fatalf("negative total %s for %+v", l.Total, rule)
			}
		}
	})
}
