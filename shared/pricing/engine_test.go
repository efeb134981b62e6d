package pricing

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var (
	day   = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cust  = Customer{ID: "C1", PriceCategory: "PC1", BuyingGroup: "BG1"}
	pump  = Product{Ref: "PUMP", Families: []string{"POMPES-CHIMIE", "POMPES"}, BasePrice: d("100"), Currency: "EUR", Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Pallet, Units: 10}}}
	oring = Product{Ref: "ORING", Families: []string{"JOINTS"}, BasePrice: d("0.35"), Currency: "EUR", Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Lot, Units: 50}}}
	hors  = Product{Ref: "HORS", Families: []string{"POMPES"}, BasePrice: d("50"), Currency: "EUR", NoDiscount: true, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}}
)

func products(ps ...Product) map[string]Product {
	m := map[string]Product{}
	for _, p := range ps {
		m[p.Ref] = p
	}
	return m
}

func entry(scope Scope, id, ref, price string) PriceEntry {
	return PriceEntry{Scope: scope, ScopeID: id, Ref: ref, Currency: "EUR", Price: d(price)}
}

func price(t *testing.T, req Request, tf Tariff) Quote {
	t.Helper()
	if req.Currency == "" {
		req.Currency = "EUR"
	}
	if req.Date.IsZero() {
		req.Date = day
	}
	if req.Customer.ID == "" {
		req.Customer = cust
	}
	q := Price(req, tf)
	checkInvariants(t, q)
	return q
}

// checkInvariants holds for every quote: amounts add up, are rounded to
// the currency's minor unit and never go negative, and a line's units are
// its quantity times its packaging's units, never a wrapped product.
func checkInvariants(t *testing.T, q Quote) {
	t.Helper()
	gross, total := decimal.Zero, decimal.Zero
	minor := money.MinorUnits(q.Currency)
	amount := func(what string, a money.Amount) {
		t.Helper()
		if a.IsNegative() {
			t.Errorf("%s: negative amount %s", what, a)
		}
		if !a.Equal(a.Round(minor)) {
			t.Errorf("%s: %s is not rounded to the %s minor unit", what, a, q.Currency)
		}
	}
	for i, l := range q.Lines {
		if l.Error != nil {
			if l.Units < 0 || l.Units > MaxLineUnits || l.Source != nil || !l.Total.IsZero() {
				t.Errorf("line %d: an error and amounts: %+v", i, l)
			}
			continue
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity || l.Units < l.Quantity || l.Units > MaxLineUnits || l.Units%l.Quantity != 0 {
			t.Errorf("line %d: %d units for %d packages", i, l.Units, l.Quantity)
		}
		sum := decimal.Zero
		for _, a := range l.Discounts {
			amount(fmt.Sprintf("line %d discount %s", i, a.Rule), a.Amount)
			sum = sum.Add(a.Amount.Decimal)
		}
		if !l.Gross.Sub(sum).Equal(l.Total.Decimal) {
			t.Errorf("line %d: gross %s − discounts %s ≠ total %s", i, l.Gross, sum, l.Total)
		}
		amount(fmt.Sprintf("line %d gross", i), l.Gross)
		amount(fmt.Sprintf("line %d total", i), l.Total)
		if l.UnitPrice.IsNegative() || l.Source.UnitPrice.IsNegative() {
			t.Errorf("line %d: negative unit price %s, source %s", i, l.UnitPrice, l.Source.UnitPrice)
		}
		for _, n := range l.NotApplied {
			if n.UnitPrice != nil && n.UnitPrice.IsNegative() {
				t.Errorf("line %d: %s offers a negative unit price %s", i, n.ID, n.UnitPrice)
			}
		}
		gross, total = gross.Add(l.Gross.Decimal), total.Add(l.Total.Decimal)
	}
	if !gross.Equal(q.Gross.Decimal) || !total.Equal(q.Total.Decimal) || !q.Gross.Sub(q.Discount.Decimal).Equal(q.Total.Decimal) {
		t.Errorf("quote totals: gross %s/%s total %s/%s discount %s", gross, q.Gross, total, q.Total, q.Discount)
	}
	amount("quote gross", q.Gross)
	amount("quote discount", q.Discount)
	amount("quote total", q.Total)
	amount("quote order gross", q.OrderGross)
}

func TestPrice_Sources(t *testing.T) {
	all := []PriceEntry{
		entry(ScopeCustomer, "C1", "PUMP", "80"),
		entry(ScopeBuyingGroup, "BG1", "PUMP", "85"),
		entry(ScopePriceCategory, "PC1", "PUMP", "90"),
		entry(ScopePriceCategory, "PC2", "PUMP", "70"), // another category's: never seen
		entry(ScopeCustomer, "C2", "PUMP", "60"),       // another customer's: never seen
	}
	cases := []struct {
		name    string
		entries []PriceEntry
		cust    Customer
		scope   Scope
		total   string
	}{
		{"customer beats everything", all, cust, ScopeCustomer, "160"},
		{"buying group beats price category", all[1:], cust, ScopeBuyingGroup, "170"},
		{"price category beats base", all[2:], cust, ScopePriceCategory, "180"},
		{"base when nothing else", nil, cust, ScopeBase, "200"},
		{"another category's price is not seen", all[3:], Customer{ID: "C1", PriceCategory: "PC1"}, ScopeBase, "200"},
		{"ten price categories, the customer's one wins", func() []PriceEntry {
			var es []PriceEntry
			for i := 1; i <= 10; i++ {
				es = append(es, entry(ScopePriceCategory, "PC"+string(rune('0'+i%10)), "PUMP", decimal.NewFromInt(int64(100-i)).String()))
			}
			return es
		}(), Customer{ID: "C9", PriceCategory: "PC7"}, ScopePriceCategory, "186"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := price(t, Request{Customer: c.cust, Lines: []Line{{Ref: "PUMP", Quantity: 2}}},
				Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": c.entries}})
			l := q.Lines[0]
			if l.Source.Scope != c.scope || !l.Total.Equal(d(c.total)) {
				t.Fatalf("source %s total %s, want %s %s", l.Source, l.Total, c.scope, c.total)
			}
		})
	}
}

func TestPrice_ValidityAndCurrency(t *testing.T) {
	expired := entry(ScopeCustomer, "C1", "PUMP", "10")
	expired.Validity = Validity{Until: day.AddDate(0, 0, -1)}
	future := entry(ScopeBuyingGroup, "BG1", "PUMP", "20")
	future.Validity = Validity{From: day.AddDate(0, 0, 1)}
	lastDay := entry(ScopePriceCategory, "PC1", "PUMP", "30")
	lastDay.Validity = Validity{From: day.AddDate(0, -1, 0), Until: day} // inclusive
	usd := entry(ScopeCustomer, "C1", "PUMP", "5")
	usd.Currency = "USD"
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1}}},
		Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {expired, future, lastDay, usd}}})
	l := q.Lines[0]
	if l.Source.Scope != ScopePriceCategory || !l.Total.Equal(d("30")) {
		t.Fatalf("source %s total %s", l.Source, l.Total)
	}
	if len(l.NotApplied) < 3 {
		t.Errorf("expired, future and USD entries should be explained: %+v", l.NotApplied)
	}
	// A rule outside its validity does not apply either.
	r := Rule{ID: "R", Kind: Percent, Percent: d("10"), Validity: Validity{From: day.AddDate(0, 1, 0)}}
	q = price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump), Rules: []Rule{r}})
	if !q.Total.Equal(d("100")) || len(q.Lines[0].NotApplied) != 1 {
		t.Errorf("future rule applied: %s %+v", q.Total, q.Lines[0].NotApplied)
	}
	// No price at all in the quote's currency is a line error.
	q = price(t, Request{Currency: "CHF", Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump)})
	if q.Lines[0].Error == nil || q.Lines[0].Error.Code != ErrNoPrice {
		t.Errorf("CHF line: %+v", q.Lines[0].Error)
	}
}

func TestPrice_DiscountTypes(t *testing.T) {
	tiers := func(pairs ...string) []Break {
		var bs []Break
		for i := 0; i+1 < len(pairs); i += 2 {
			bs = append(bs, Break{From: d(pairs[i]), Value: d(pairs[i+1])})
		}
		return bs
	}
	cases := []struct {
		name  string
		line  Line
		rules []Rule
		total string
		net   bool
	}{
		{"simple percentage", Line{Ref: "PUMP", Quantity: 3}, []Rule{{ID: "A", Kind: Percent, Percent: d("10")}}, "270", false},
		{"quantity tiers, below the first", Line{Ref: "PUMP", Quantity: 4}, []Rule{{ID: "Q", Kind: QuantityTiers, Tiers: tiers("5", "5", "10", "8")}}, "400", false},
		{"quantity tiers, first break", Line{Ref: "PUMP", Quantity: 5}, []Rule{{ID: "Q", Kind: QuantityTiers, Tiers: tiers("5", "5", "10", "8")}}, "475", false},
		{"quantity tiers, second break", Line{Ref: "PUMP", Quantity: 12}, []Rule{{ID: "Q", Kind: QuantityTiers, Tiers: tiers("10", "8", "5", "5")}}, "1104", false},
		{"quantity tiers count units of a pallet", Line{Ref: "PUMP", Quantity: 1, Packaging: catalog.Pallet}, []Rule{{ID: "Q", Kind: QuantityTiers, Tiers: tiers("10", "8")}}, "920", false},
		{"line amount tiers", Line{Ref: "PUMP", Quantity: 6}, []Rule{{ID: "L", Kind: LineAmountTiers, Currency: "EUR", Tiers: tiers("500", "3", "1000", "6")}}, "582", false},
		{"order amount tiers", Line{Ref: "PUMP", Quantity: 11}, []Rule{{ID: "O", Kind: OrderAmountTiers, Currency: "EUR", Tiers: tiers("1000", "2")}}, "1078", false},
		{"net price", Line{Ref: "PUMP", Quantity: 2}, []Rule{{ID: "A", Kind: Percent, Percent: d("50"), Priority: 1}, {ID: "N", Kind: NetPrice, Price: d("77.5"), Priority: 2}}, "155", true},
		{"net price by quantity break", Line{Ref: "PUMP", Quantity: 20}, []Rule{{ID: "N", Kind: NetPrice, Tiers: tiers("1", "90", "20", "75")}}, "1500", true},
		{"net price rule is final for later rules", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "N", Kind: NetPrice, Price: d("60"), Priority: 1}, {ID: "Z", Kind: Percent, Percent: d("10"), Priority: 2}}, "60", true},
		{"pallet discount", Line{Ref: "PUMP", Quantity: 2, Packaging: catalog.Pallet}, []Rule{{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Percent: d("12")}}, "1760", false},
		{"pallet discount does not touch units", Line{Ref: "PUMP", Quantity: 2}, []Rule{{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Percent: d("12")}}, "200", false},
		{"pallet with its own price", Line{Ref: "PUMP", Quantity: 2, Packaging: catalog.Pallet}, []Rule{{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Price: d("850")}}, "1700", false},
		{"lot of 50 cheap parts rounds per line", Line{Ref: "ORING", Quantity: 3, Packaging: catalog.Lot}, []Rule{{ID: "A", Kind: Percent, Percent: d("3.3")}}, "50.77", false},
		{"stop ends the chain", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "A", Kind: Percent, Percent: d("10"), Priority: 1, Stop: true}, {ID: "B", Kind: Percent, Percent: d("20"), Priority: 2}}, "90", false},
		{"priorities order the chain and compound", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "B", Kind: Percent, Percent: d("20"), Priority: 2}, {ID: "A", Kind: Percent, Percent: d("10"), Priority: 1}}, "72", false},
		{"family rule matches a parent family", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "F", Kind: Percent, Percent: d("15"), Target: Target{Family: "POMPES"}}}, "85", false},
		{"family rule for another family", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "F", Kind: Percent, Percent: d("15"), Target: Target{Family: "VANNES"}}}, "100", false},
		{"rule for another customer", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "F", Kind: Percent, Percent: d("15"), Who: Who{Customer: "C2"}}}, "100", false},
		{"rule for the customer's price category", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "F", Kind: Percent, Percent: d("15"), Who: Who{PriceCategory: "PC1"}}}, "85", false},
		{"rule for the customer's buying group", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "F", Kind: Percent, Percent: d("15"), Who: Who{BuyingGroup: "BG1"}}}, "85", false},
		{"percentage above 100 is refused", Line{Ref: "PUMP", Quantity: 1}, []Rule{{ID: "X", Kind: Percent, Percent: d("150")}}, "100", false},
		{"hors remise takes no rule", Line{Ref: "HORS", Quantity: 2}, []Rule{{ID: "A", Kind: Percent, Percent: d("10")}, {ID: "N", Kind: NetPrice, Price: d("1")}}, "100", false},
		{"hors remise takes no order discount", Line{Ref: "HORS", Quantity: 30}, []Rule{{ID: "O", Kind: OrderAmountTiers, Tiers: tiers("0", "5")}}, "1500", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := price(t, Request{Lines: []Line{c.line}}, Tariff{Products: products(pump, oring, hors), Rules: c.rules})
			l := q.Lines[0]
			if l.Error != nil {
				t.Fatalf("error %+v", l.Error)
			}
			if !l.Total.Equal(d(c.total)) || l.Net != c.net {
				t.Fatalf("total %s net %v, want %s net %v; discounts %+v; not applied %+v", l.Total, l.Net, c.total, c.net, l.Discounts, l.NotApplied)
			}
		})
	}
}

func TestPrice_SourceOwnDiscounts(t *testing.T) {
	simple := entry(ScopeCustomer, "C1", "PUMP", "0") // discount only: base price
	simple.Discount = d("7.5")
	qty := entry(ScopePriceCategory, "PC1", "PUMP", "90")
	qty.Mode, qty.Breaks = QuantityDiscount, []Break{{From: d("10"), Value: d("5")}}
	amount := entry(ScopePriceCategory, "PC1", "PUMP", "90")
	amount.Mode, amount.Breaks = AmountDiscount, []Break{{From: d("500"), Value: d("4")}}
	netQty := entry(ScopeCustomer, "C1", "PUMP", "95")
	netQty.Mode, netQty.Breaks = NetByQuantity, []Break{{From: d("1"), Value: d("95")}, {From: d("10"), Value: d("88")}}
	cases := []struct {
		name  string
		e     PriceEntry
		qty   int64
		rules []Rule
		total string
		net   bool
	}{
		{"simple discount on the base price", simple, 2, nil, "185", false},
		{"quantity break reached", qty, 10, nil, "855", false},
		{"quantity break not reached", qty, 9, nil, "810", false},
		{"amount break", amount, 6, nil, "518.4", false},
		{"net by quantity, second break", netQty, 12, []Rule{{ID: "A", Kind: Percent, Percent: d("10")}}, "1056", true},
		{"net by quantity, first break", netQty, 3, nil, "285", true},
		{"source discount then rules", simple, 1, []Rule{{ID: "A", Kind: Percent, Percent: d("10")}}, "83.25", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: c.qty}}},
				Tariff{Products: products(pump), Entries: map[string][]PriceEntry{"PUMP": {c.e}}, Rules: c.rules})
			l := q.Lines[0]
			if !l.Total.Equal(d(c.total)) || l.Net != c.net {
				t.Fatalf("total %s net %v, want %s %v: %+v", l.Total, l.Net, c.total, c.net, l.Discounts)
			}
		})
	}
}

func TestPrice_HorsRemiseIsOutOfOrderDiscountsAndThreshold(t *testing.T) {
	rules := []Rule{{ID: "O", Kind: OrderAmountTiers, Tiers: []Break{{From: d("1000"), Value: d("10")}}}}
	// 600 of pump + 1000 of hors remise: the order gross counts only the pump.
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 6}, {Ref: "HORS", Quantity: 20}}}, Tariff{Products: products(pump, hors), Rules: rules})
	if !q.OrderGross.Equal(d("600")) || !q.Lines[0].Total.Equal(d("600")) || !q.Lines[1].Total.Equal(d("1000")) {
		t.Fatalf("order gross %s, lines %s %s", q.OrderGross, q.Lines[0].Total, q.Lines[1].Total)
	}
	q = price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 10}, {Ref: "HORS", Quantity: 20}}}, Tariff{Products: products(pump, hors), Rules: rules})
	if !q.Lines[0].Total.Equal(d("900")) || !q.Lines[1].Total.Equal(d("1000")) {
		t.Fatalf("lines %s %s", q.Lines[0].Total, q.Lines[1].Total)
	}
}

func TestPrice_BestPricePolicy(t *testing.T) {
	entries := map[string][]PriceEntry{"PUMP": {entry(ScopeCustomer, "C1", "PUMP", "95"), entry(ScopePriceCategory, "PC1", "PUMP", "92")}}
	rules := []Rule{
		{ID: "A", Kind: Percent, Percent: d("5"), Priority: 1},
		{ID: "B", Kind: Percent, Percent: d("8"), Priority: 2},
	}
	q := price(t, Request{Policy: BestPrice, Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump), Entries: entries, Rules: rules})
	l := q.Lines[0]
	// Lowest offer: the category price 92 with the 8% rule = 84.64; never stacked.
	if l.Source.Scope != ScopePriceCategory || !l.Total.Equal(d("84.64")) || len(l.Discounts) != 1 || l.Discounts[0].Rule != "B" {
		t.Fatalf("best price: %s %s %+v", l.Source, l.Total, l.Discounts)
	}
	// Most specific: the customer's 95, then 5% and 8% in priority order.
	q = price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump), Entries: entries, Rules: rules})
	if l := q.Lines[0]; l.Source.Scope != ScopeCustomer || !l.Total.Equal(d("83.03")) {
		t.Fatalf("most specific: %s %s", l.Source, l.Total)
	}
}

func TestPrice_LineErrors(t *testing.T) {
	q := price(t, Request{Lines: []Line{
		{Ref: "NOPE", Quantity: 1},
		{Ref: "PUMP", Quantity: 0},
		{Ref: "PUMP", Quantity: -3},
		{Ref: "PUMP", Quantity: 1, Packaging: catalog.Lot},
		{Ref: "PUMP", Quantity: 1},
	}}, Tariff{Products: products(pump)})
	want := []string{ErrUnknownReference, ErrInvalidQuantity, ErrInvalidQuantity, ErrUnknownPackaging, ""}
	for i, w := range want {
		got := ""
		if q.Lines[i].Error != nil {
			got = q.Lines[i].Error.Code
		}
		if got != w {
			t.Errorf("line %d: error %q, want %q", i, got, w)
		}
	}
	if q.Valid() || !q.Total.Equal(d("100")) {
		t.Errorf("valid %v total %s", q.Valid(), q.Total)
	}
}

func TestPrice_ExplainsWhatDidNotApply(t *testing.T) {
	entries := map[string][]PriceEntry{"PUMP": {entry(ScopeCustomer, "C1", "PUMP", "80"), entry(ScopePriceCategory, "PC1", "PUMP", "90")}}
	rules := []Rule{
		{ID: "STOP", Kind: Percent, Percent: d("2"), Priority: 1, Stop: true},
		{ID: "LATER", Kind: Percent, Percent: d("30"), Priority: 2},
		{ID: "TIERS", Kind: QuantityTiers, Priority: 0, Tiers: []Break{{From: d("100"), Value: d("5")}}},
	}
	q := price(t, Request{Lines: []Line{{Ref: "PUMP", Quantity: 1}}}, Tariff{Products: products(pump), Entries: entries, Rules: rules})
	reasons := map[string]string{}
	for _, n := range q.Lines[0].NotApplied {
		reasons[n.ID] = n.Reason
	}
	for _, id := range []string{"price-category PC1", "base", "LATER", "TIERS"} {
		if reasons[id] == "" {
			t.Errorf("no reason for %s: %+v", id, q.Lines[0].NotApplied)
		}
	}
	if len(q.Lines[0].Discounts) != 1 || q.Lines[0].Discounts[0].Rule != "STOP" {
		t.Errorf("discounts %+v", q.Lines[0].Discounts)
	}
}

func TestPrice_RoundsPerCurrency(t *testing.T) {
	yen := Product{Ref: "Y", BasePrice: d("333.5"), Currency: "JPY", Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}}
	q := price(t, Request{Currency: "JPY", Lines: []Line{{Ref: "Y", Quantity: 3}}}, Tariff{Products: products(yen),
		Rules: []Rule{{ID: "A", Kind: Percent, Percent: d("10")}}})
	// 1000.5 → 1001 (half-up, 0 decimals); 10% = 100.1 → 100; total 901.
	if l := q.Lines[0]; !l.Gross.Equal(d("1001")) || !l.Total.Equal(d("901")) {
		t.Fatalf("gross %s total %s", l.Gross, l.Total)
	}
}
