package pricing

import (
	"fmt"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
)

// Bounds of a discount rule. With them, the largest rule stored is a few
// kilobytes, far from DynamoDB's 400 KB per item.
const (
	// MaxTiers is the most breaks a rule may have.
	MaxTiers = 50
	// MaxPriority is the highest priority number; priorities run from 0.
	MaxPriority = 1_000_000
	// MaxRuleName is the most characters of a rule's name.
	MaxRuleName = 200
)

var (
	maxLineUnitsDec = decimal.NewFromInt(MaxLineUnits)
	moneyLimit      = decimal.New(1, money.MaxIntegerDigits)
)

// RuleProblem is one reason a discount rule cannot be stored.
type RuleProblem struct {
	Field  string
	Reason string
}

// RuleText is a discount rule as a merchant writes it, the body of the
// back office's rule route: its decimals are the text typed, which
// ParseRule reads.
type RuleText struct {
	ID       string   `json:"id,omitempty"`
	Name     string   `json:"name,omitempty"`
	Priority int      `json:"priority,omitempty"`
	Stop     bool     `json:"stop,omitempty"`
	Who      Who      `json:"who"`
	Target   Target   `json:"target"`
	Kind     RuleKind `json:"kind"`
	// Percent is a percentage from 0 to 100, such as "12.5".
	Percent string `json:"percent,omitempty"`
	// Tiers are the breaks; see BreakText.
	Tiers []BreakText `json:"tiers,omitempty"`
	// Price is a price above zero, such as "850".
	Price     string                `json:"price,omitempty"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
	Currency  string                `json:"currency,omitempty"`
	Validity  Validity              `json:"validity"`
}

// BreakText is a break as written: From is a whole number of units for
// quantity tiers and net prices, an amount for amount tiers; Value is a
// percentage, or for net prices a price.
type BreakText struct {
	From  string `json:"from"`
	Value string `json:"value"`
}

// ParseRule reads a rule as written and lists every problem with it: its
// decimals must be plain (no exponent, no sign, at most money.MaxDecimals
// decimals and money.MaxIntegerDigits digits), then Validate applies. The
// rule is only meaningful without problems.
func ParseRule(in RuleText) (Rule, []RuleProblem) {
	r := Rule{ID: in.ID, Name: in.Name, Priority: in.Priority, Stop: in.Stop, Who: in.Who, Target: in.Target,
		Kind: in.Kind, Packaging: in.Packaging, Currency: in.Currency, Validity: in.Validity}
	var ps []RuleProblem
	parse := func(field, text string, read func(string) (decimal.Decimal, error)) decimal.Decimal {
		d, err := read(text)
		if err != nil {
			ps = append(ps, RuleProblem{field, err.Error()})
		}
		return d
	}
	switch {
	case in.Percent != "":
		r.Percent = parse("percent", in.Percent, money.ParsePercent)
	case in.Kind == Percent:
		ps = append(ps, RuleProblem{"percent", "required: a percentage from 0 to 100, such as \"12.5\""})
	case in.Kind == PackagingDiscount && in.Price == "":
		ps = append(ps, RuleProblem{"percent", "required: a percentage off, or a price per package"})
	}
	if in.Price != "" {
		r.Price = parse("price", in.Price, money.ParsePrice)
	}
	if len(in.Tiers) > MaxTiers {
		ps = append(ps, RuleProblem{"tiers", fmt.Sprintf("at most %d breaks", MaxTiers)})
	} else {
		from, value := money.ParseAmount, money.ParsePercent
		switch in.Kind {
		case QuantityTiers:
			from = parseUnits
		case NetPrice:
			from, value = parseUnits, money.ParsePrice
		}
		for i, b := range in.Tiers {
			r.Tiers = append(r.Tiers, Break{
				From:  parse(fmt.Sprintf("tiers[%d].from", i), b.From, from),
				Value: parse(fmt.Sprintf("tiers[%d].value", i), b.Value, value),
			})
		}
	}
	for _, p := range r.Validate() {
		if !hasField(ps, p.Field) {
			ps = append(ps, p)
		}
	}
	return r, ps
}

func hasField(ps []RuleProblem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

// parseUnits reads a whole number of units from 0 to MaxLineUnits.
func parseUnits(s string) (decimal.Decimal, error) {
	d, err := money.ParseAmount(s)
	if err != nil || !d.IsInteger() || d.GreaterThan(maxLineUnitsDec) {
		return decimal.Zero, fmt.Errorf("a whole number of units from 0 to %d, written as a JSON string", MaxLineUnits)
	}
	return d, nil
}

// Validate lists what is wrong with a rule, so that a merchant can never
// store one the engine would have to refuse or that could outgrow its
// storage item: a known kind, percentages from 0 to 100, at least one and at
// most MaxTiers breaks for tiered kinds, net prices above zero, amounts and
// prices within money's bounds, quantity breaks in whole units, a packaging
// type for packaging discounts, a currency for rules whose amounts are
// money, a priority from 0 to MaxPriority, a plain-text name of at most
// MaxRuleName characters, valid ids for whom and what the rule is for, and
// a validity that does not end before it starts.
func (r Rule) Validate() []RuleProblem {
	var ps []RuleProblem
	add := func(field, reason string) { ps = append(ps, RuleProblem{field, reason}) }
	percent := func(field string, p decimal.Decimal) {
		if p.IsNegative() || p.GreaterThan(hundred) || !fewDecimals(p) {
			add(field, fmt.Sprintf("a percentage from 0 to 100 with at most %d decimals", money.MaxDecimals))
		}
	}
	price := func(field string, p decimal.Decimal, zero bool) {
		switch {
		case p.IsNegative() || !zero && p.IsZero():
			add(field, "a price above zero")
		case !p.LessThan(moneyLimit) || !fewDecimals(p):
			add(field, fmt.Sprintf("at most %d digits before the decimal point and %d after it", money.MaxIntegerDigits, money.MaxDecimals))
		}
	}
	units := func(field string, q decimal.Decimal) {
		if q.IsNegative() || !q.IsInteger() || q.GreaterThan(maxLineUnitsDec) {
			add(field, fmt.Sprintf("a whole number of units from 0 to %d", MaxLineUnits))
		}
	}
	if !catalog.ValidID(r.ID) {
		add("id", "1 to 64 characters, no spaces, '#' or '/'")
	}
	if utf8.RuneCountInString(r.Name) > MaxRuleName || !catalog.PlainText(r.Name) {
		add("name", fmt.Sprintf("plain text of at most %d characters: no control characters or bidirectional marks", MaxRuleName))
	}
	if r.Priority < 0 || r.Priority > MaxPriority {
		add("priority", fmt.Sprintf("a whole number from 0 to %d", MaxPriority))
	}
	for _, f := range [...]struct{ field, id string }{{"who.customer", r.Who.Customer}, {"who.priceCategory", r.Who.PriceCategory},
		{"who.buyingGroup", r.Who.BuyingGroup}, {"target.ref", r.Target.Ref}} {
		if f.id != "" && !catalog.ValidRef(f.id) {
			add(f.field, "1 to 64 characters, no spaces or '#', or left out")
		}
	}
	if r.Target.Family != "" && !catalog.ValidID(r.Target.Family) {
		add("target.family", "a category id: 1 to 64 characters, no spaces, '#' or '/', or left out")
	}
	money := r.Kind == LineAmountTiers || r.Kind == OrderAmountTiers || r.Kind == NetPrice || r.Kind == PackagingDiscount && r.Price.IsPositive()
	switch {
	case r.Currency == "" && money:
		add("currency", "required: this rule's amounts are money")
	case r.Currency != "" && !validCurrency(r.Currency):
		add("currency", "an ISO 4217 code in use, such as EUR")
	}
	tiers := func() bool {
		switch {
		case len(r.Tiers) == 0 && r.Kind != NetPrice:
			add("tiers", "at least one break")
		case len(r.Tiers) > MaxTiers:
			add("tiers", fmt.Sprintf("at most %d breaks", MaxTiers))
		default:
			return true
		}
		return false
	}
	switch r.Kind {
	case Percent:
		percent("percent", r.Percent)
	case QuantityTiers, LineAmountTiers, OrderAmountTiers:
		if !tiers() {
			break
		}
		for i, b := range r.Tiers {
			if r.Kind == QuantityTiers {
				units(fmt.Sprintf("tiers[%d].from", i), b.From)
			} else {
				price(fmt.Sprintf("tiers[%d].from", i), b.From, true)
			}
			percent(fmt.Sprintf("tiers[%d].value", i), b.Value)
		}
	case NetPrice:
		if len(r.Tiers) == 0 && !r.Price.IsPositive() {
			add("price", "a net price above zero, or tiers")
		} else if !r.Price.IsZero() {
			price("price", r.Price, false)
		}
		if !tiers() {
			break
		}
		for i, b := range r.Tiers {
			units(fmt.Sprintf("tiers[%d].from", i), b.From)
			price(fmt.Sprintf("tiers[%d].value", i), b.Value, false)
		}
	case PackagingDiscount:
		if r.Packaging != catalog.Unit && r.Packaging != catalog.Lot && r.Packaging != catalog.Pallet {
			add("packaging", "unit, lot or pallet")
		}
		price("price", r.Price, true)
		percent("percent", r.Percent)
	default:
		add("kind", "one of percent, quantity-tiers, line-amount-tiers, order-amount-tiers, net-price, packaging")
	}
	if !r.Validity.From.IsZero() && !r.Validity.Until.IsZero() && r.Validity.Until.Before(r.Validity.From) {
		add("validity.until", "on or after validity.from")
	}
	return ps
}

// fewDecimals reports whether d has at most money.MaxDecimals decimals.
func fewDecimals(d decimal.Decimal) bool {
	return d.Exponent() >= -money.MaxDecimals || d.Equal(d.Truncate(money.MaxDecimals))
}

func validCurrency(c string) bool { return money.ValidCurrency(c) }
