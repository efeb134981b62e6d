package pricing

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
)

// RuleProblem is one reason a discount rule cannot be stored.
type RuleProblem struct {
	Field  string
	Reason string
}

// Validate lists what is wrong with a rule, so that a merchant can never
// store one the engine would have to refuse: a known kind, percentages from
// 0 to 100, at least one break for tiered kinds, positive net prices, a
// packaging type for packaging discounts, a currency for rules whose amounts
// are money, and a validity that does not end before it starts.
func (r Rule) Validate() []RuleProblem {
	var ps []RuleProblem
	add := func(field, reason string) { ps = append(ps, RuleProblem{field, reason}) }
	percent := func(field string, p decimal.Decimal) {
		if p.IsNegative() || p.GreaterThan(hundred) {
			add(field, "a percentage from 0 to 100")
		}
	}
	if !catalog.ValidID(r.ID) {
		add("id", "1 to 64 characters, no spaces, '#' or '/'")
	}
	if len(r.Name) > 200 {
		add("name", "at most 200 characters")
	}
	money := r.Kind == LineAmountTiers || r.Kind == OrderAmountTiers || r.Kind == NetPrice || r.Kind == PackagingDiscount && r.Price.IsPositive()
	switch {
	case r.Currency == "" && money:
		add("currency", "required: this rule's amounts are money")
	case r.Currency != "" && !validCurrency(r.Currency):
		add("currency", "an ISO 4217 code such as EUR")
	}
	switch r.Kind {
	case Percent:
		percent("percent", r.Percent)
	case QuantityTiers, LineAmountTiers, OrderAmountTiers:
		if len(r.Tiers) == 0 {
			add("tiers", "at least one break")
		}
		for i, b := range r.Tiers {
			if b.From.IsNegative() {
				add(fmt.Sprintf("tiers[%d].from", i), "zero or more")
			}
			percent(fmt.Sprintf("tiers[%d].value", i), b.Value)
		}
	case NetPrice:
		if len(r.Tiers) == 0 && !r.Price.IsPositive() {
			add("price", "a net price above zero, or tiers")
		}
		for i, b := range r.Tiers {
			if b.From.IsNegative() {
				add(fmt.Sprintf("tiers[%d].from", i), "zero or more")
			}
			if !b.Value.IsPositive() {
				add(fmt.Sprintf("tiers[%d].value", i), "a net unit price above zero")
			}
		}
	case PackagingDiscount:
		if r.Packaging != catalog.Unit && r.Packaging != catalog.Lot && r.Packaging != catalog.Pallet {
			add("packaging", "unit, lot or pallet")
		}
		if r.Price.IsNegative() {
			add("price", "zero or more")
		}
		percent("percent", r.Percent)
	default:
		add("kind", "one of percent, quantity-tiers, line-amount-tiers, order-amount-tiers, net-price, packaging")
	}
	if !r.Validity.From.IsZero() && !r.Validity.Until.IsZero() && r.Validity.Until.Before(r.Validity.From) {
		add("validity.until", "on or after validity.from")
	}
	return ps
}

func validCurrency(c string) bool { return money.ValidCurrency(c) }
