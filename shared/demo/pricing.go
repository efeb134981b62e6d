package demo

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Rule identifiers of the demo tariff.
const (
	RuleFamilyValvesC0001 = "FAM-C0001-VANNES"
	RuleORingTiers        = "QTY-TORIQUES"
	RulePallet            = "PALETTE"
	RuleOrder             = "COMMANDE"
	RuleNetPumpC0004      = "NET-C0004-POMPE"
	RuleFilterPromo       = "PROMO-FILTRATION"
)

func pct(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// hydroTariffs fills the products' families and shared tariffs (price
// categories 1 and 2, buying group ACHATPRO), and returns the customer
// prices and the discount rules of the demo.
func hydroTariffs(cats []catalog.Category, products []catalog.Product) ([]catalog.Product, []tariff.Entry, pricing.RuleSet) {
	out := make([]catalog.Product, len(products))
	var customerPrices []tariff.Entry
	for i, p := range products {
		p.Families = catalog.Lineage(cats, p.CategoryID)
		top := p.Families[len(p.Families)-1]
		// Price category 1, resellers: 12% off pumps and valves (a
		// discount-only entry: the base price with AC_Remise).
		if top == "POMPES" || top == "VANNES" {
			p.Tariffs = append(p.Tariffs, tariff.Entry{Scope: tariff.PriceCategory, ScopeID: "1", Ref: p.Ref, Currency: "EUR", Discount: pct("12")})
		}
		// Price category 2, installers: their own price list, 7% under list.
		p.Tariffs = append(p.Tariffs, tariff.Entry{Scope: tariff.PriceCategory, ScopeID: "2", Ref: p.Ref, Currency: "EUR",
			Price: p.BasePrice.Mul(pct("0.93")).Round(2)})
		// Buying group Achat-Pro: net prices by quantity on centrifugal pumps.
		if p.CategoryID == "POMPES-CENTRI" {
			p.Tariffs = append(p.Tariffs, tariff.Entry{Scope: tariff.BuyingGroup, ScopeID: "ACHATPRO", Ref: p.Ref, Currency: "EUR",
				Price: p.BasePrice.Mul(pct("0.85")).Round(2), Mode: tariff.NetByQuantity,
				Breaks: []tariff.Break{{From: decimal.NewFromInt(1), Value: p.BasePrice.Mul(pct("0.85")).Round(2)}, {From: decimal.NewFromInt(5), Value: p.BasePrice.Mul(pct("0.80")).Round(2)}}})
		}
		// Plomberie Lyonnaise (C0001) has its own prices on ball valves, with
		// a quantity discount on top.
		if p.CategoryID == "VANNES-BILLE" && i%2 == 0 {
			customerPrices = append(customerPrices, tariff.Entry{Scope: tariff.Customer, ScopeID: "C0001", Ref: p.Ref, Currency: "EUR",
				Price: p.BasePrice.Mul(pct("0.82")).Round(2), Mode: tariff.QuantityDiscount,
				Breaks: []tariff.Break{{From: decimal.NewFromInt(10), Value: pct("5")}, {From: decimal.NewFromInt(50), Value: pct("10")}}})
		}
		if p.Ref == FilterRef {
			p.NoDiscount = true // "hors remise"
		}
		out[i] = p
	}
	year := time.Now().UTC().Year()
	rules := pricing.RuleSet{Policy: pricing.MostSpecific, Rules: []pricing.Rule{
		{ID: RuleNetPumpC0004, Name: "Prix net Hydrobel pompe acide", Priority: 5, Who: pricing.Who{Customer: "C0004"},
			Target: pricing.Target{Ref: PumpRef}, Kind: pricing.NetPrice, Price: pct("1650"), Currency: "EUR"},
		{ID: RuleFamilyValvesC0001, Name: "Remise famille vannes (F_FAMCLIENT)", Priority: 10, Who: pricing.Who{Customer: "C0001"},
			Target: pricing.Target{Family: "VANNES"}, Kind: pricing.Percent, Percent: pct("5")},
		{ID: RuleFilterPromo, Name: "Promotion filtration fin d'année", Priority: 15, Stop: true,
			Target: pricing.Target{Family: "FILTRE"}, Kind: pricing.Percent, Percent: pct("10"),
			Validity: pricing.Validity{From: time.Date(year, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}},
		{ID: RuleORingTiers, Name: "Paliers joints toriques", Priority: 20, Target: pricing.Target{Family: "ETANCH-TORIQUES"},
			Kind: pricing.QuantityTiers, Tiers: []pricing.Break{{From: decimal.NewFromInt(500), Value: pct("5")}, {From: decimal.NewFromInt(2000), Value: pct("10")}}},
		{ID: RulePallet, Name: "Remise palette", Priority: 30, Kind: pricing.PackagingDiscount, Packaging: catalog.Pallet, Percent: pct("4")},
		{ID: RuleOrder, Name: "Remise sur montant de commande", Priority: 90, Kind: pricing.OrderAmountTiers, Currency: "EUR",
			Tiers: []pricing.Break{{From: decimal.NewFromInt(5000), Value: pct("2")}, {From: decimal.NewFromInt(15000), Value: pct("3")}}},
	}}
	return out, customerPrices, rules
}
