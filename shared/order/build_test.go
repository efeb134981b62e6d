package order

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestNewID(t *testing.T) {
	day := time.Date(2026, 12, 2, 23, 30, 0, 0, time.FixedZone("Paris", 3600))
	cases := []struct {
		name   string
		random []byte
		want   string
	}{
		{"all zero bits", []byte{0, 0, 0, 0, 0}, "20261202-00000000"},
		{"all one bits", []byte{0xff, 0xff, 0xff, 0xff, 0xff}, "20261202-ZZZZZZZZ"},
		// 0x0842108421 = 00001 00001 00001 ... : every character is 1.
		{"five bits per character", []byte{0x08, 0x42, 0x10, 0x84, 0x21}, "20261202-11111111"},
		// 10 = A, 18 = J (I is skipped), 31 = Z.
		{"Crockford letters", []byte{0x54, 0xbe, 0x00, 0x00, 0x00}, "20261202-AJZ00000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NewID(day, bytes.NewReader(c.random))
			if err != nil || got != c.want {
				t.Errorf("NewID = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if _, err := NewID(day, bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("a short random source gave a number")
	}
	if _, err := NewID(day, iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Error("a failing random source gave a number")
	}
	shape := regexp.MustCompile(`^\d{8}-[0-9A-HJKMNP-TV-Z]{8}$`)
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		id, err := NewID(day, nil2rand(i))
		if err != nil || !shape.MatchString(id) || seen[id] {
			t.Fatalf("id %q, %v (seen %v)", id, err, seen[id])
		}
		seen[id] = true
	}
}

// nil2rand is a deterministic random source that differs per i.
func nil2rand(i int) *bytes.Reader {
	return bytes.NewReader([]byte{byte(i), byte(i >> 8), byte(i * 7), byte(i * 13), byte(i * 31)})
}

func level(ref, wh string, onHand, reserved, siteOrders int64) stock.Level {
	return stock.Level{Ref: ref, Warehouse: wh, OnHand: onHand, Reserved: reserved, SiteOrders: siteOrders}
}

func TestAllocate(t *testing.T) {
	levels := map[string][]stock.Level{
		"A": {level("A", "LYON", 5, 0, 0), level("A", "PARIS", 10, 2, 1), level("A", "MARS", 7, 0, 0)},
		"B": {level("B", "LYON", 3, 0, 0), level("B", "PARIS", 3, 0, 0)},
		"C": {level("C", "LYON", 2, 0, 0)},
		"D": {level("D", "ZED", 4, 0, 0), level("D", "ALPHA", 4, 0, 0)},
	}
	products := map[string]Product{"A": {Ref: "A"}, "B": {Ref: "B"}, "C": {Ref: "C", Backorder: true}, "D": {Ref: "D"}}
	al := func(pairs ...any) []Allocation {
		var out []Allocation
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, Allocation{Warehouse: pairs[i].(string), Units: int64(pairs[i+1].(int))})
		}
		return out
	}
	cases := []struct {
		name   string
		lines  []Request
		prefer []string
		want   []Served
		short  []Shortage
	}{
		{"preferred warehouse serves all", []Request{{"A", 4}}, []string{"LYON"},
			[]Served{{Allocations: al("LYON", 4)}}, nil},
		{"no preference: most available first (PARIS 7 = MARS 7, tie by id)", []Request{{"A", 4}}, nil,
			[]Served{{Allocations: al("MARS", 4)}}, nil},
		{"split over preferred then most available", []Request{{"A", 15}}, []string{"LYON"},
			[]Served{{Allocations: al("LYON", 5, "MARS", 7, "PARIS", 3)}}, nil},
		{"customer's then storefront's warehouse", []Request{{"A", 8}}, []string{"PARIS", "LYON"},
			[]Served{{Allocations: al("PARIS", 7, "LYON", 1)}}, nil},
		{"unknown preferred warehouse is ignored", []Request{{"B", 2}}, []string{"NOWHERE", ""},
			[]Served{{Allocations: al("LYON", 2)}}, nil},
		{"ties by warehouse id", []Request{{"D", 5}}, nil,
			[]Served{{Allocations: al("ALPHA", 4, "ZED", 1)}}, nil},
		{"lines of the same product share its stock", []Request{{"B", 4}, {"B", 2}}, []string{"PARIS"},
			[]Served{{Allocations: al("PARIS", 3, "LYON", 1)}, {Allocations: al("LYON", 2)}}, nil},
		{"backorder when the product allows", []Request{{"C", 5}}, nil,
			[]Served{{Allocations: al("LYON", 2), Backordered: 3}}, nil},
		{"backorder of a product without stock", []Request{{"C", 2}, {"C", 1}}, nil,
			[]Served{{Allocations: al("LYON", 2)}, {Backordered: 1}}, nil},
		{"all of a product's stock exactly", []Request{{"A", 19}}, nil,
			[]Served{{Allocations: al("MARS", 7, "PARIS", 7, "LYON", 5)}}, nil},
		{"one unit more than stock", []Request{{"A", 20}}, nil, nil,
			[]Shortage{{Ref: "A", Requested: 20, Available: 19}}},
		{"every short line is listed, nothing is served", []Request{{"A", 2}, {"B", 7}, {"C", 9}, {"X", 1}, {"B", 1}}, nil, nil,
			[]Shortage{{Ref: "B", Requested: 7, Available: 6}, {Ref: "X", Requested: 1, Available: 0}, {Ref: "B", Requested: 1, Available: 0}}},
		{"a line of no units", []Request{{"A", 0}}, nil, []Served{{}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Allocate(c.lines, levels, products, c.prefer)
			if c.short != nil {
				var se *ShortageError
				if !errors.As(err, &se) || !errors.Is(err, ErrOutOfStock) {
					t.Fatalf("error %v, want a ShortageError", err)
				}
				if got != nil {
					t.Errorf("served %v on a shortage", got)
				}
				if !reflect.DeepEqual(se.Lines, c.short) {
					t.Errorf("shortages %+v, want %+v", se.Lines, c.short)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("served %+v, want %+v", got, c.want)
			}
			for i, s := range got {
				sum := s.Backordered
				for _, a := range s.Allocations {
					sum += a.Units
				}
				if sum != c.lines[i].Units {
					t.Errorf("line %d: %d units served or backordered, want %d", i, sum, c.lines[i].Units)
				}
			}
		})
	}
	// The levels given are left as they were.
	if levels["A"][0].Available() != 5 {
		t.Error("Allocate changed the levels")
	}
}

func TestShippingCost(t *testing.T) {
	free := dec("500")
	s := merchant.Shipping{FreeFrom: &free, Methods: []merchant.ShippingMethod{
		{ID: "standard", Rates: []merchant.ShippingRate{{Country: "FR", Amount: dec("12.504")}, {Country: "*", Amount: dec("30")}}},
		{ID: "pickup", Rates: []merchant.ShippingRate{{Country: "FR", Amount: dec("0")}}},
	}}
	cases := []struct {
		name, method, country, goods string
		want                         string
		free                         bool
		err                          error
	}{
		{"country rate, rounded", "standard", "FR", "100", "12.50", false, nil},
		{"other countries", "standard", "BE", "100", "30", false, nil},
		{"one cent below the threshold", "standard", "FR", "499.99", "12.50", false, nil},
		{"at the threshold", "standard", "FR", "500", "0", true, nil},
		{"above the threshold, other country", "standard", "DE", "800", "0", true, nil},
		{"zero rate", "pickup", "FR", "1", "0", true, nil},
		{"method does not deliver there", "pickup", "BE", "1", "", false, ErrNoShippingRate},
		{"unknown method", "drone", "FR", "1", "", false, ErrUnknownShippingMethod},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cost, isFree, err := ShippingCost(s, c.method, c.country, dec(c.goods), "EUR")
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || !cost.Equal(dec(c.want)) || isFree != c.free {
				t.Errorf("cost %s free %v err %v; want %s %v", cost, isFree, err, c.want, c.free)
			}
		})
	}
	// No threshold: never free; a currency without decimals rounds to units.
	cost, isFree, err := ShippingCost(merchant.Shipping{Methods: s.Methods}, "standard", "FR", dec("100000"), "JPY")
	if err != nil || !cost.Equal(dec("13")) || isFree {
		t.Errorf("JPY cost %s free %v err %v", cost, isFree, err)
	}
}

func lineTax(regime tax.Regime, rate, base string, exempt bool, mention string) tax.LineTax {
	d := tax.Decision{Regime: regime, Country: "FR", Category: tax.Standard, Rate: dec(rate), Exempt: exempt, Mention: mention}
	return tax.TaxLine(d, dec(base), "EUR")
}

func TestShippingTax(t *testing.T) {
	cases := []struct {
		name       string
		goods      []tax.LineTax
		cost       string
		wantBases  []string
		wantVATs   []string
		wantGrosss []string
	}{
		{"one rate", []tax.LineTax{lineTax(tax.Domestic, "20", "100", false, ""), lineTax(tax.Domestic, "20", "50", false, "")},
			"15", []string{"15"}, []string{"3"}, []string{"18"}},
		{"two rates in proportion", []tax.LineTax{lineTax(tax.Domestic, "20", "300", false, ""), lineTax(tax.Domestic, "5.5", "100", false, "")},
			"10", []string{"7.5", "2.5"}, []string{"1.5", "0.14"}, []string{"9", "2.64"}},
		{"thirds: the last part takes the remainder",
			[]tax.LineTax{lineTax(tax.Domestic, "20", "100", false, ""), lineTax(tax.Domestic, "10", "100", false, ""), lineTax(tax.Domestic, "5.5", "100", false, "")},
			"10", []string{"3.33", "3.33", "3.34"}, []string{"0.67", "0.33", "0.18"}, []string{"4", "3.66", "3.52"}},
		{"exempt goods give no VAT", []tax.LineTax{lineTax(tax.IntraEUExempt, "0", "80", true, "Exonération TVA, article 262 ter I du CGI"), lineTax(tax.Domestic, "20", "20", false, "")},
			"9.99", []string{"7.99", "2"}, []string{"0", "0.4"}, []string{"7.99", "2.4"}},
		{"free delivery", []tax.LineTax{lineTax(tax.Domestic, "20", "100", false, "")}, "0", nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := ShippingTax(c.goods, dec(c.cost), "EUR")
			if len(parts) != len(c.wantBases) {
				t.Fatalf("%d parts, want %d: %+v", len(parts), len(c.wantBases), parts)
			}
			sum := decimal.Zero
			for i, p := range parts {
				if !p.Base.Equal(dec(c.wantBases[i])) || !p.VAT.Equal(dec(c.wantVATs[i])) || !p.Gross.Equal(dec(c.wantGrosss[i])) {
					t.Errorf("part %d: base %s vat %s gross %s, want %s %s %s", i, p.Base, p.VAT, p.Gross, c.wantBases[i], c.wantVATs[i], c.wantGrosss[i])
				}
				if p.Exempt && p.Mention == "" {
					t.Errorf("part %d: exempt without its mention", i)
				}
				sum = sum.Add(p.Base)
			}
			if len(parts) > 0 && !sum.Equal(dec(c.cost)) {
				t.Errorf("parts add up to %s, want %s", sum, c.cost)
			}
		})
	}
}

func TestPaymentMethods(t *testing.T) {
	terms := payment.ThirtyDaysEndOfMonth
	perCountry := map[string][]string{"FR": {"transfer", "card"}, "*": {"card"}}
	cases := []struct {
		name       string
		storefront map[string][]string
		country    string
		account    customer.PaymentAccount
		want       []payment.Method
	}{
		{"no setting: card and transfer", nil, "FR", customer.PaymentAccount{}, []payment.Method{payment.Card, payment.Transfer}},
		{"the country's list, in its order", perCountry, "FR", customer.PaymentAccount{}, []payment.Method{payment.Transfer, payment.Card}},
		{"other countries", perCountry, "DE", customer.PaymentAccount{}, []payment.Method{payment.Card}},
		{"no list for the country", map[string][]string{"FR": {"card"}}, "DE", customer.PaymentAccount{}, []payment.Method{}},
		{"narrowed by the customer", perCountry, "FR", customer.PaymentAccount{Methods: []payment.Method{payment.Transfer}}, []payment.Method{payment.Transfer}},
		{"on account with terms", perCountry, "DE", customer.PaymentAccount{Terms: &terms}, []payment.Method{payment.Card, payment.OnAccount}},
		{"only on account", perCountry, "DE", customer.PaymentAccount{Methods: []payment.Method{payment.Transfer}, Terms: &terms}, []payment.Method{payment.OnAccount}},
		{"on account is never the storefront's to offer", map[string][]string{"*": {"on-account", "bitcoin", "card", "card"}}, "FR", customer.PaymentAccount{}, []payment.Method{payment.Card}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PaymentMethods(c.storefront, c.country, c.account); !reflect.DeepEqual(got, c.want) {
				t.Errorf("methods %v, want %v", got, c.want)
			}
		})
	}
}

// sampleOrder is a placed order of two lines in currency.
func sampleOrder(currency string) Order {
	placed := time.Date(2026, 12, 2, 9, 15, 30, 123000000, time.UTC)
	a := func(s string) money.Amount { return money.AmountIn(dec(s), currency) }
	l1 := tax.TaxLine(tax.Decision{Regime: tax.Domestic, Country: "FR", Category: tax.Standard, Rate: dec("20")}, dec("120"), currency)
	l2 := tax.TaxLine(tax.Decision{Regime: tax.Domestic, Country: "FR", Category: tax.Reduced, Rate: dec("5.5")}, dec("10.5"), currency)
	ship := ShippingTax([]tax.LineTax{l1, l2}, dec("9.9"), currency)
	all := append([]tax.LineTax{l1, l2}, ship...)
	due := payment.Due{Day: time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC)}
	terms := payment.ThirtyDaysEndOfMonth
	o := Order{
		ID: "20261202-K3M9Q2TX", Merchant: "m1", Customer: "C001", CustomerKind: "pro", CustomerName: `Dupont, "Fils" & Cie`,
		PlacedBy: PlacedBy{Role: "rep", ID: "R7"}, PlacedAt: placed, Status: Accepted, Reference: "PO-77",
		Storefront: "fr", ShipFrom: "FR",
		Lines: []Line{
			{PricedLine: pricing.PricedLine{Ref: "A", Quantity: 2, Packaging: "box", Units: 12, UnitPrice: a("10"), Gross: a("120"), Total: a("120")},
				Name: "Vis, inox", Tax: l1, Allocations: []Allocation{{"LYON", 10}, {"PARIS", 2}}},
			{PricedLine: pricing.PricedLine{Ref: "B", Quantity: 3, Packaging: "unit", Units: 3, UnitPrice: a("3.5"), Gross: a("10.5"), Total: a("10.5")},
				Name: "Colle", Tax: l2, Allocations: []Allocation{{"LYON", 1}}, Backordered: 2},
		},
		Shipping: Shipping{Method: "standard", Country: "BE", Cost: dec("9.9"), Tax: ship},
		Payment:  Payment{Method: payment.OnAccount, Terms: &terms, Due: &due},
		Totals:   Totals{Currency: currency, Goods: dec("130.5"), Shipping: dec("9.9"), Tax: tax.Summarize(all)},
	}
	if currency == "EUR" {
		o.Totals.NetEUR = o.Totals.Tax.Net
	} else {
		o.Totals.ExchangeRate = &pricing.ExchangeRate{Rate: dec("0.9412"), Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		o.Totals.NetEUR = money.Round(o.Totals.Tax.Net.Div(dec("0.9412")), "EUR")
	}
	return o
}

func TestOrderEvents(t *testing.T) {
	for _, currency := range []string{"EUR", "GBP"} {
		o := sampleOrder(currency)
		cancelled := o
		at := o.PlacedAt.Add(26 * time.Hour)
		cancelled.Status, cancelled.CancelledAt = Cancelled, &at
		for _, c := range []struct {
			ev       orderevent.Event
			id       string
			typ      orderevent.Type
			occurred time.Time
		}{
			{PlacedEvent(o), o.ID + ".placed", orderevent.Placed, o.PlacedAt},
			{CancelledEvent(cancelled), o.ID + ".cancelled", orderevent.Cancelled, at},
		} {
			t.Run(currency+" "+string(c.typ), func(t *testing.T) {
				for name, marshal := range map[string]func(orderevent.Event) ([]byte, error){
					"json.Marshal":       func(e orderevent.Event) ([]byte, error) { return json.Marshal(e) },
					"orderevent.Marshal": orderevent.Marshal,
				} {
					b, err := marshal(c.ev)
					if err != nil {
						t.Fatal(err)
					}
					got, err := orderevent.Parse(b)
					if err != nil {
						t.Fatalf("%s: the event does not parse: %v\n%s", name, err, b)
					}
					if got.ID != c.id || got.Type != c.typ || !got.OccurredAt.Equal(c.occurred) || got.Merchant != "m1" {
						t.Errorf("%s: event %s %s at %s", name, got.ID, got.Type, got.OccurredAt)
					}
					g := got.Order
					if !g.PlacedAt.Equal(o.PlacedAt) || g.ShipTo != "BE" || g.ShipFrom != "FR" || g.Customer != "C001" || g.CustomerKind != orderevent.Pro {
						t.Errorf("%s: order %+v", name, g)
					}
					if !g.Net.Equal(o.Totals.Tax.Net) || !g.VAT.Equal(o.Totals.Tax.VAT) || !g.Gross.Equal(o.Totals.Tax.Gross) || !g.NetEUR.Equal(o.Totals.NetEUR) {
						t.Errorf("%s: amounts %s %s %s %s", name, g.Net, g.VAT, g.Gross, g.NetEUR)
					}
					if (g.ExchangeRate != nil) != (currency != "EUR") {
						t.Errorf("%s: exchange rate %v", name, g.ExchangeRate)
					}
				}
			})
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	jpy := sampleOrder("JPY")
	jpy.ID = "20261202-00000001"
	if err := WriteCSV(&buf, []Order{sampleOrder("EUR"), jpy}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v\n%s", err, buf.String())
	}
	if len(rows) != 5 || !reflect.DeepEqual(rows[0], CSVHeader) {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	col := func(row []string, name string) string {
		for i, h := range CSVHeader {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	want := map[string]string{
		"order": "20261202-K3M9Q2TX", "placed_at": "2026-12-02T09:15:30Z", "status": "accepted", "customer": "C001",
		"customer_name": `Dupont, "Fils" & Cie`, "reference": "PO-77", "placed_by": "rep:R7", "currency": "EUR", "ship_to": "BE",
		"shipping_method": "standard", "shipping_cost": "9.90", "payment_method": "on-account", "due_date": "2027-01-30",
		"line": "2", "ref": "B", "name": "Colle", "quantity": "3", "packaging": "unit", "units": "3",
		"unit_price": "3.50", "line_net": "10.50", "vat_rate": "5.5", "line_vat": "0.58", "warehouses": "LYON:1", "backordered": "2",
	}
	for name, v := range want {
		if got := col(rows[2], name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if got := col(rows[1], "warehouses"); got != "LYON:10|PARIS:2" {
		t.Errorf("warehouse split %q", got)
	}
	if got := col(rows[1], "order_gross"); got != money.AmountIn(sampleOrder("EUR").Totals.Tax.Gross, "EUR").String() || !strings.Contains(got, ".") {
		t.Errorf("order gross %q", got)
	}
	if got := col(rows[3], "unit_price"); got != "10" {
		t.Errorf("JPY unit price %q, want 10", got)
	}
	if !strings.Contains(buf.String(), `"Dupont, ""Fils"" & Cie"`) {
		t.Errorf("a name with a comma and quotes is not quoted:\n%s", buf.String())
	}
}

// A text cell a spreadsheet would run as a formula gets a leading
// apostrophe; amounts (a negative one included) are written as they are.
func TestWriteCSV_NeutralisesFormulas(t *testing.T) {
	cases := []struct {
		name, column, value, want string
		set                       func(o *Order, v string)
	}{
		{"equals in the name", "customer_name", "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")", func(o *Order, v string) { o.CustomerName = v }},
		{"plus in the reference", "reference", "+33 1 23", "'+33 1 23", func(o *Order, v string) { o.Reference = v }},
		{"minus in the reference", "reference", "-2+3", "'-2+3", func(o *Order, v string) { o.Reference = v }},
		{"at in the product name", "name", "@SUM(A1:A9)", "'@SUM(A1:A9)", func(o *Order, v string) { o.Lines[1].Name = v }},
		{"tab in the ref", "ref", "\t=1+1", "'\t=1+1", func(o *Order, v string) { o.Lines[1].Ref = v }},
		{"carriage return in the shipping method", "shipping_method", "\r=1", "'\r=1", func(o *Order, v string) { o.Shipping.Method = v }},
		{"placer's id", "placed_by", "", "'=cmd:R7", func(o *Order, v string) { o.PlacedBy.Role = "=cmd" }},
		{"a plain name stays", "customer_name", "Dupont = Fils", "Dupont = Fils", func(o *Order, v string) { o.CustomerName = v }},
		{"an empty reference stays", "reference", "", "", func(o *Order, v string) { o.Reference = v }},
	}
	index := func(name string) int {
		for i, h := range CSVHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := sampleOrder("EUR")
			c.set(&o, c.value)
			var buf bytes.Buffer
			if err := WriteCSV(&buf, []Order{o}); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := rows[2][index(c.column)]; got != c.want {
				t.Errorf("%s = %q, want %q", c.column, got, c.want)
			}
		})
	}
	o := sampleOrder("EUR")
	o.Shipping.Cost = o.Shipping.Cost.Neg()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Order{o}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[1][index("shipping_cost")]; got != "-9.90" {
		t.Errorf("a negative amount is written %q, want -9.90", got)
	}
}

func TestClaimedOutcome(t *testing.T) {
	cases := []struct {
		name          string
		c             Claimed
		request, cart string
		want          Outcome
	}{
		{"started", Claimed{State: Started, RequestHash: "r", CartHash: "c"}, "r", "c", Place},
		{"completed, same request and cart", Claimed{State: Completed, RequestHash: "r", CartHash: "c"}, "r", "c", Replay},
		{"completed, the order consumed the cart", Claimed{State: Completed, RequestHash: "r", CartHash: "c"}, "r", "", Replay},
		{"completed, another cart", Claimed{State: Completed, RequestHash: "r", CartHash: "c"}, "r", "c2", KeyReused},
		{"completed, another request", Claimed{State: Completed, RequestHash: "r", CartHash: "c"}, "r2", "c", KeyReused},
		{"completed, another request, empty cart", Claimed{State: Completed, RequestHash: "r", CartHash: "c"}, "r2", "", KeyReused},
		{"in flight, same hashes", Claimed{State: InFlight, RequestHash: "r", CartHash: "c"}, "r", "c", Wait},
		{"in flight, another cart", Claimed{State: InFlight, RequestHash: "r", CartHash: "c"}, "r", "c2", KeyReused},
		{"in flight, empty cart", Claimed{State: InFlight, RequestHash: "r", CartHash: "c"}, "r", "", KeyReused},
		{"in flight, another request", Claimed{State: InFlight, RequestHash: "r", CartHash: "c"}, "r2", "c", KeyReused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Outcome(c.request, c.cart); got != c.want {
				t.Errorf("outcome %s, want %s", got, c.want)
			}
		})
	}
}

func TestRequestHash(t *testing.T) {
	h := RequestHash("ab", "c")
	if len(h) != 64 || h != RequestHash("ab", "c") {
		t.Errorf("hash %q is not a stable SHA-256 in hex", h)
	}
	for _, other := range [][]string{{"a", "bc"}, {"abc"}, {"ab", "c", ""}, {"c", "ab"}} {
		if RequestHash(other...) == h {
			t.Errorf("%q digests like [ab c]", other)
		}
	}
}
