// Package benchdata generates a merchant tariff at the scale the pricing
// benchmarks are stated for: 1,000 products in 10 families, each product
// with a base price and 10 price-category entries, 100 customers each with
// its own price for every product, and about 20 discount rules of every
// kind. The same seed always gives the same data, so that the in-process
// engine benchmark (go test -bench) and scripts/bench price the same tariff.
package benchdata

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Scale of the generated tariff.
const (
	Families          = 10
	ProductsPerFamily = 100
	Products          = Families * ProductsPerFamily
	PriceCategories   = 10
	Customers         = 100
	// CartLines is the size of the benchmarked cart.
	CartLines = 100
	// Currency of every price.
	Currency = "EUR"
)

// Data is a generated tariff.
type Data struct {
	// Categories are the families and, below each, one sub-family holding
	// its products.
	Categories []catalog.Category
	// Products carry their families and their price-category entries.
	Products  []catalog.Product
	Customers []customer.Customer
	// CustomerPrices are the customer entries, by customer id, one per
	// product.
	CustomerPrices map[string][]tariff.Entry
	Rules          pricing.RuleSet
}

// Family is the id of family i (0-based); SubFamily the category its
// products are in.
func Family(i int) string { return fmt.Sprintf("FAM%02d", i+1) }

// SubFamily is the category that holds the products of family i.
func SubFamily(i int) string { return Family(i) + "-A" }

// Ref is the reference of product i (0-based).
func Ref(i int) string { return fmt.Sprintf("BP-%04d", i+1) }

// CustomerID is the id of customer i (0-based).
func CustomerID(i int) string { return fmt.Sprintf("K%03d", i+1) }

func cents(n int) decimal.Decimal { return decimal.New(int64(n), -2) }

func pct(n int) decimal.Decimal { return decimal.NewFromInt(int64(n)) }

// Generate builds the tariff from seed.
func Generate(seed uint64) Data {
	r := rand.New(rand.NewPCG(seed, 0x70726963))
	d := Data{CustomerPrices: map[string][]tariff.Entry{}}
	for f := range Families {
		d.Categories = append(d.Categories,
			catalog.Category{ID: Family(f), Names: map[string]string{"fr": "Famille " + strconv.Itoa(f+1), "en": "Family " + strconv.Itoa(f+1)}, Position: f},
			catalog.Category{ID: SubFamily(f), ParentID: Family(f), Names: map[string]string{"fr": "Gamme A", "en": "Range A"}})
	}
	for i := range Products {
		f := i / ProductsPerFamily
		base := cents(500 + r.IntN(49_500)) // 5.00 to 499.99
		p := catalog.Product{
			Ref: Ref(i), CategoryID: SubFamily(f), Families: []string{SubFamily(f), Family(f)},
			Names:       map[string]string{"fr": "Article " + Ref(i), "en": "Item " + Ref(i)},
			Packagings:  []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Lot, Units: 10}, {Kind: catalog.Pallet, Units: 200}},
			MinOrderQty: 1, OrderMultiple: 1, TaxCategory: "standard",
			BasePrice: base, Currency: Currency,
			NoDiscount: i%50 == 49, // "hors remise"
		}
		for c := 1; c <= PriceCategories; c++ {
			p.Tariffs = append(p.Tariffs, categoryEntry(r, p.Ref, strconv.Itoa(c), base))
		}
		d.Products = append(d.Products, p)
	}
	for c := range Customers {
		cu := customer.Customer{ID: CustomerID(c), Name: "Client " + CustomerID(c), Kind: customer.Pro, Country: "FR",
			PriceCategory: strconv.Itoa(c%PriceCategories + 1), CreditLimit: decimal.NewFromInt(50_000)}
		if c%4 == 0 {
			cu.BuyingGroup = "BG1"
		}
		d.Customers = append(d.Customers, cu)
		entries := make([]tariff.Entry, 0, Products)
		for i, p := range d.Products {
			entries = append(entries, customerEntry(r, cu.ID, p.Ref, p.BasePrice, i))
		}
		d.CustomerPrices[cu.ID] = entries
	}
	d.Rules = rules()
	return d
}

// categoryEntry is one price category's entry for a product, cycling
// through every entry mode.
func categoryEntry(r *rand.Rand, ref, cat string, base decimal.Decimal) tariff.Entry {
	e := tariff.Entry{Scope: tariff.PriceCategory, ScopeID: cat, Ref: ref, Currency: Currency}
	off := func(lo, hi int) decimal.Decimal { // base less lo..hi percent
		return base.Mul(decimal.NewFromInt(int64(100 - lo - r.IntN(hi-lo+1)))).Div(decimal.NewFromInt(100)).Round(2)
	}
	switch n, _ := strconv.Atoi(cat); {
	case n <= 4: // own price and AC_Remise
		e.Price, e.Discount = off(2, 15), pct(r.IntN(4))
	case n <= 6: // discount-only entry on the base price
		e.Discount = pct(5 + r.IntN(11))
	case n <= 8: // percentage by quantity break
		e.Price, e.Mode = off(0, 10), tariff.QuantityDiscount
		e.Breaks = []tariff.Break{{From: pct(10), Value: pct(3)}, {From: pct(50), Value: pct(6)}}
	case n == 9: // percentage by line amount break
		e.Price, e.Mode = off(0, 10), tariff.AmountDiscount
		e.Breaks = []tariff.Break{{From: pct(500), Value: pct(2)}, {From: pct(2000), Value: pct(4)}}
	default: // net price by quantity, final
		e.Price, e.Mode = off(8, 12), tariff.NetByQuantity
		e.Breaks = []tariff.Break{{From: pct(1), Value: e.Price}, {From: pct(20), Value: off(13, 16)}}
	}
	return e
}

// customerEntry is a customer's own price for product i: mostly a price
// with a discount, some with quantity breaks, some net by quantity, some
// discount-only.
func customerEntry(r *rand.Rand, id, ref string, base decimal.Decimal, i int) tariff.Entry {
	e := tariff.Entry{Scope: tariff.Customer, ScopeID: id, Ref: ref, Currency: Currency,
		Price: base.Mul(decimal.NewFromInt(int64(75 + r.IntN(21)))).Div(decimal.NewFromInt(100)).Round(2)}
	switch {
	case i%13 == 0:
		e.Mode = tariff.NetByQuantity
		e.Breaks = []tariff.Break{{From: pct(1), Value: e.Price}, {From: pct(100), Value: e.Price.Mul(decimal.RequireFromString("0.95")).Round(2)}}
	case i%7 == 0:
		e.Mode = tariff.QuantityDiscount
		e.Breaks = []tariff.Break{{From: pct(10), Value: pct(5)}, {From: pct(50), Value: pct(10)}}
	case i%11 == 0:
		e.Price, e.Discount = decimal.Zero, pct(10+r.IntN(10))
	default:
		e.Discount = pct(r.IntN(3))
	}
	return e
}

// rules are 20 discount rules covering every kind, for everyone, a family,
// a product, a price category, a buying group or one customer, with a
// stop, a past validity and currencies.
func rules() pricing.RuleSet {
	tiers := func(kv ...int) []pricing.Break {
		var out []pricing.Break
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, pricing.Break{From: pct(kv[i]), Value: pct(kv[i+1])})
		}
		return out
	}
	past := pricing.Validity{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)}
	return pricing.RuleSet{Policy: pricing.MostSpecific, Rules: []pricing.Rule{
		{ID: "P01", Name: "Famille 1", Priority: 10, Target: pricing.Target{Family: Family(0)}, Kind: pricing.Percent, Percent: pct(5)},
		{ID: "P02", Name: "Famille 2, catégorie 3", Priority: 10, Who: pricing.Who{PriceCategory: "3"}, Target: pricing.Target{Family: Family(1)}, Kind: pricing.Percent, Percent: pct(7)},
		{ID: "P03", Name: "Centrale BG1", Priority: 12, Who: pricing.Who{BuyingGroup: "BG1"}, Kind: pricing.Percent, Percent: pct(2)},
		{ID: "P04", Name: "Client K001 famille 4", Priority: 8, Stop: true, Who: pricing.Who{Customer: CustomerID(0)}, Target: pricing.Target{Family: Family(3)}, Kind: pricing.Percent, Percent: pct(8)},
		{ID: "P05", Name: "Ancienne promotion", Priority: 5, Kind: pricing.Percent, Percent: pct(20), Validity: past},
		{ID: "Q01", Name: "Paliers famille 5", Priority: 20, Target: pricing.Target{Family: Family(4)}, Kind: pricing.QuantityTiers, Tiers: tiers(20, 3, 100, 6)},
		{ID: "Q02", Name: "Paliers famille 6", Priority: 20, Target: pricing.Target{Family: SubFamily(5)}, Kind: pricing.QuantityTiers, Tiers: tiers(10, 2, 50, 4, 200, 8)},
		{ID: "Q03", Name: "Paliers catégorie 7", Priority: 21, Who: pricing.Who{PriceCategory: "7"}, Kind: pricing.QuantityTiers, Tiers: tiers(30, 2)},
		{ID: "L01", Name: "Montant de ligne famille 7", Priority: 25, Target: pricing.Target{Family: Family(6)}, Kind: pricing.LineAmountTiers, Tiers: tiers(1000, 2, 5000, 4), Currency: Currency},
		{ID: "L02", Name: "Montant de ligne", Priority: 26, Kind: pricing.LineAmountTiers, Tiers: tiers(10000, 1), Currency: Currency},
		{ID: "L03", Name: "Montant de ligne en dollars", Priority: 27, Kind: pricing.LineAmountTiers, Tiers: tiers(100, 5), Currency: "USD"},
		{ID: "N01", Name: "Prix net BP-0002", Priority: 3, Target: pricing.Target{Ref: Ref(1)}, Kind: pricing.NetPrice, Price: decimal.RequireFromString("3.5"), Currency: Currency},
		{ID: "N02", Name: "Prix net par quantité famille 8", Priority: 4, Target: pricing.Target{Family: Family(7)}, Who: pricing.Who{PriceCategory: "8"}, Kind: pricing.NetPrice,
			Tiers: []pricing.Break{{From: pct(100), Value: decimal.RequireFromString("1.25")}}, Currency: Currency},
		{ID: "N03", Name: "Prix net client K002", Priority: 4, Who: pricing.Who{Customer: CustomerID(1)}, Target: pricing.Target{Ref: Ref(10)}, Kind: pricing.NetPrice, Price: decimal.RequireFromString("9.99"), Currency: Currency},
		{ID: "K01", Name: "Remise palette", Priority: 30, Kind: pricing.PackagingDiscount, Packaging: catalog.Pallet, Percent: pct(4)},
		{ID: "K02", Name: "Lot famille 9", Priority: 31, Target: pricing.Target{Family: Family(8)}, Kind: pricing.PackagingDiscount, Packaging: catalog.Lot, Price: decimal.RequireFromString("25"), Currency: Currency},
		{ID: "K03", Name: "Remise lot", Priority: 32, Kind: pricing.PackagingDiscount, Packaging: catalog.Lot, Percent: pct(1)},
		{ID: "O01", Name: "Montant de commande", Priority: 90, Kind: pricing.OrderAmountTiers, Tiers: tiers(5000, 1, 20000, 2, 50000, 3), Currency: Currency},
		{ID: "O02", Name: "Montant de commande centrale", Priority: 91, Who: pricing.Who{BuyingGroup: "BG1"}, Kind: pricing.OrderAmountTiers, Tiers: tiers(10000, 1), Currency: Currency},
		{ID: "O03", Name: "Montant de commande catégorie 10", Priority: 92, Who: pricing.Who{PriceCategory: "10"}, Kind: pricing.OrderAmountTiers, Tiers: tiers(30000, 2), Currency: Currency},
	}}
}

// Cart is a cart of n lines on distinct random products: quantities of 1
// to 60 packages, one line in eight by the lot, one in twenty by the
// pallet.
func Cart(r *rand.Rand, n int) []pricing.Line {
	lines := make([]pricing.Line, 0, n)
	for _, i := range r.Perm(Products)[:min(n, Products)] {
		l := pricing.Line{Ref: Ref(i), Quantity: int64(1 + r.IntN(60))}
		switch k := r.IntN(40); {
		case k < 2:
			l.Packaging = catalog.Pallet
		case k < 7:
			l.Packaging = catalog.Lot
		}
		lines = append(lines, l)
	}
	return lines
}

// Request is a pricing request of the cart for customer c, priced on day.
func (d Data) Request(c int, cart []pricing.Line, day time.Time) pricing.Request {
	cu := d.Customers[c]
	return pricing.Request{
		Customer: pricing.Customer{ID: cu.ID, PriceCategory: cu.PriceCategory, BuyingGroup: cu.BuyingGroup},
		Currency: Currency, Date: day, Policy: d.Rules.Policy, Lines: cart,
	}
}

// Tariff is what the engine reads to price the cart for customer c: the
// cart's products, the customer's entries for them and the rules, as the
// quoter assembles them after its reads.
func (d Data) Tariff(c int, cart []pricing.Line) pricing.Tariff {
	products := make(map[string]catalog.Product, len(cart))
	entries := make(map[string]tariff.Entry, len(cart))
	own := d.CustomerPrices[d.Customers[c].ID]
	for _, l := range cart {
		var i int
		if _, err := fmt.Sscanf(l.Ref, "BP-%04d", &i); err != nil || i < 1 || i > Products {
			continue
		}
		products[l.Ref] = d.Products[i-1]
		entries[l.Ref] = own[i-1]
	}
	return pricing.BuildTariff(products, entries, d.Rules.Rules)
}
