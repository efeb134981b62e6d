package pricing

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
)

// lineCtx is one valid line being priced.
type lineCtx struct {
	req Request
	// day is the request date as text, for explanations.
	day string
	// minor is the quote currency's minor units.
	minor     int32
	product   Product
	line      Line
	packaging catalog.PackagingKind
	units     int64
	unitsDec  decimal.Decimal
	// gross0 is the line's gross amount at its most specific source.
	gross0     decimal.Decimal
	orderGross decimal.Decimal
	// ruleBlock holds, per rule (sorted), why it cannot apply to any line
	// of the request, or "".
	ruleBlock []string
	// lost are the price entries that could not be used, explained.
	lost []NotApplied
	// quiet skips building explanations (see say).
	quiet bool
	// orderWhy memoises, per rule, the explanation of an order-amount
	// tier, the same for every line of the request.
	orderWhy map[string]orderTier
}

// orderTier is the tier an order-amount rule reached, or why none was.
type orderTier struct {
	b      Break
	found  bool
	reason string
}

// result is a priced line before it is copied into the quote.
type result struct {
	source     Source
	gross      decimal.Decimal
	total      decimal.Decimal
	applied    []Applied
	notApplied []NotApplied
	net        bool
}

func (l *lineCtx) round(d decimal.Decimal) decimal.Decimal { return d.Round(l.minor) }

// amount is d as an amount of the quote's currency.
func (l *lineCtx) amount(d decimal.Decimal) money.Amount { return money.NewAmount(d, l.minor) }

// money writes an amount of the quote's currency for an explanation.
func (l *lineCtx) money(d decimal.Decimal) string { return l.amount(d).String() }

// matches reports whether a rule is for this customer and this product.
func (l *lineCtx) matches(r Rule) bool {
	c := l.req.Customer
	if r.Who.Customer != "" && r.Who.Customer != c.ID ||
		r.Who.PriceCategory != "" && r.Who.PriceCategory != c.PriceCategory ||
		r.Who.BuyingGroup != "" && r.Who.BuyingGroup != c.BuyingGroup {
		return false
	}
	if r.Target.Ref != "" && r.Target.Ref != l.product.Ref {
		return false
	}
	if r.Target.Family != "" && !slices.Contains(l.product.Families, r.Target.Family) {
		return false
	}
	return true
}

// blocker says why matching rule number i cannot apply to this line at all,
// or "".
func (l *lineCtx) blocker(i int, r Rule) string {
	if why := l.ruleBlock[i]; why != "" {
		return why
	}
	if r.Kind == PackagingDiscount && r.Packaging != l.packaging {
		return "for " + string(r.Packaging) + " packaging; this line is by " + string(l.packaging)
	}
	return ""
}

// percentStep takes pct percent off current.
func (l *lineCtx) percentStep(id, name, kind string, pct, current decimal.Decimal, reason string) (Applied, decimal.Decimal) {
	pct = clampPercent(pct)
	amount := l.round(percentOf(current, pct))
	return Applied{Rule: id, Name: name, Kind: kind, Percent: pct, Amount: l.amount(amount), Reason: reason}, current.Sub(amount)
}

// say returns the explanation f builds, or "" while the line is priced
// quietly (best-price offers that may lose: only the winner is explained).
func (l *lineCtx) say(f func() string) string {
	if l.quiet {
		return ""
	}
	return f()
}

// ruleStep computes what rule r does to a line amount of current. For a net
// price it returns the net total and net=true. ok is false, with a reason,
// when the rule's condition is not met.
func (l *lineCtx) ruleStep(r Rule, gross, current decimal.Decimal) (a Applied, total decimal.Decimal, net bool, reason string, ok bool) {
	units := l.unitsDec
	switch r.Kind {
	case Percent:
		a, total = l.percentStep(r.ID, r.Name, string(r.Kind), r.Percent, current, l.say(func() string { return r.Percent.String() + "% off" }))
		return a, total, false, "", true
	case QuantityTiers:
		b, found := pickBreak(r.Tiers, units)
		if !found {
			return a, current, false, l.say(func() string { return strconv.FormatInt(l.units, 10) + " units is below the first quantity break" }), false
		}
		a, total = l.percentStep(r.ID, r.Name, string(r.Kind), b.Value, current, l.say(func() string { return b.Value.String() + "% from " + b.From.String() + " units" }))
		return a, total, false, "", true
	case LineAmountTiers:
		b, found := pickBreak(r.Tiers, current)
		if !found {
			return a, current, false, l.say(func() string { return "line amount " + l.money(current) + " is below the first amount break" }), false
		}
		a, total = l.percentStep(r.ID, r.Name, string(r.Kind), b.Value, current, l.say(func() string { return b.Value.String() + "% for a line of " + l.money(b.From) + " or more" }))
		return a, total, false, "", true
	case OrderAmountTiers:
		t, ok := l.orderWhy[r.ID]
		if !ok {
			t.b, t.found = pickBreak(r.Tiers, l.orderGross)
			if t.found {
				t.reason = t.b.Value.String() + "% for an order of " + l.money(t.b.From) + " or more (order gross " + l.money(l.orderGross) + ")"
			} else {
				t.reason = "order amount " + l.money(l.orderGross) + " is below the first amount break"
			}
			if l.orderWhy != nil {
				l.orderWhy[r.ID] = t
			}
		}
		if !t.found {
			return a, current, false, t.reason, false
		}
		a, total = l.percentStep(r.ID, r.Name, string(r.Kind), t.b.Value, current, t.reason)
		return a, total, false, "", true
	case NetPrice:
		netUnit, from := r.Price, ""
		if len(r.Tiers) > 0 {
			b, found := pickBreak(r.Tiers, units)
			switch {
			case found:
				netUnit, from = b.Value, b.From.String()
			case r.Price.IsZero():
				return a, current, false, l.say(func() string { return strconv.FormatInt(l.units, 10) + " units is below the first net price break" }), false
			}
		}
		if netUnit.IsNegative() || netUnit.IsZero() && len(r.Tiers) == 0 {
			return a, current, false, "net price rule without a price", false
		}
		total = l.round(netUnit.Mul(units))
		if total.GreaterThan(gross) {
			// A discount rule never raises a price.
			return a, current, false, l.say(func() string {
				return "the net price " + l.money(netUnit) + " per unit is above the source price " + l.money(gross.DivRound(units, 4)) + " per unit"
			}), false
		}
		why := l.say(func() string {
			if from != "" {
				return "net price from " + from + " units " + l.money(netUnit) + " per unit, final"
			}
			return "net price " + l.money(netUnit) + " per unit, final"
		})
		return Applied{Rule: r.ID, Name: r.Name, Kind: string(r.Kind), Amount: l.amount(gross.Sub(total)), Reason: why}, total, true, "", true
	case PackagingDiscount:
		if r.Price.IsPositive() {
			total = l.round(r.Price.Mul(decimal.NewFromInt(l.line.Quantity)))
			if !total.LessThan(current) {
				return a, current, false, l.say(func() string {
					return "the " + string(r.Packaging) + " price " + l.money(r.Price) + " is not lower than the line amount"
				}), false
			}
			why := l.say(func() string { return string(r.Packaging) + " priced " + l.money(r.Price) + " each" })
			return Applied{Rule: r.ID, Name: r.Name, Kind: string(r.Kind), Amount: l.amount(current.Sub(total)), Reason: why}, total, false, "", true
		}
		a, total = l.percentStep(r.ID, r.Name, string(r.Kind), r.Percent, current, l.say(func() string { return r.Percent.String() + "% off by " + string(r.Packaging) }))
		return a, total, false, "", true
	}
	return a, current, false, fmt.Sprintf("unknown rule kind %q", r.Kind), false
}

// sourceDiscount is the winning source's own discount (AC_Remise or its
// quantity or amount breaks), if it has one.
func (l *lineCtx) sourceDiscount(s Source, current decimal.Decimal) (Applied, decimal.Decimal, bool) {
	e := s.entry
	if e == nil || s.Net {
		return Applied{}, current, false
	}
	name := s.String() + " discount"
	switch e.Mode {
	case Simple:
		if e.Discount.IsPositive() {
			a, t := l.percentStep("source", name, "source-percent", e.Discount, current, l.say(func() string { return e.Discount.String() + "% off the " + s.String() + " price" }))
			return a, t, true
		}
	case QuantityDiscount:
		if b, ok := pickBreak(e.Breaks, l.unitsDec); ok && b.Value.IsPositive() {
			a, t := l.percentStep("source", name, "source-quantity-break", b.Value, current, l.say(func() string { return b.Value.String() + "% from " + b.From.String() + " units (" + s.String() + ")" }))
			return a, t, true
		}
	case AmountDiscount:
		if b, ok := pickBreak(e.Breaks, current); ok && b.Value.IsPositive() {
			a, t := l.percentStep("source", name, "source-amount-break", b.Value, current, l.say(func() string {
				return b.Value.String() + "% for a line of " + l.money(b.From) + " or more (" + s.String() + ")"
			}))
			return a, t, true
		}
	}
	return Applied{}, current, false
}

// mostSpecific prices the line with the most specific source, then the
// source's discount, then the rules in priority order until one stops.
func (l *lineCtx) mostSpecific(sources []Source, rules []Rule) result {
	src := sources[0]
	gross := l.gross0
	r := result{source: src, gross: gross, total: gross, net: src.Net,
		applied: make([]Applied, 0, 4), notApplied: append(make([]NotApplied, 0, len(l.lost)+len(sources)+4), l.lost...)}
	if len(sources) > 1 {
		why := "a more specific price applies (" + src.String() + ")"
		for i := range sources[1:] {
			r.notApplied = append(r.notApplied, sourceNotApplied(&sources[1+i], why))
		}
	}
	skipAll := func(reason string) result {
		for _, rule := range rules {
			if l.matches(rule) {
				r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, reason))
			}
		}
		return r
	}
	if src.Net {
		return skipAll("the " + src.String() + " net price is final: no other discount applies")
	}
	if l.product.NoDiscount {
		if src.entry != nil && (src.entry.Discount.IsPositive() || len(src.entry.Breaks) > 0) {
			r.notApplied = append(r.notApplied, ruleNotApplied("source", "the product is hors remise: excluded from every discount"))
		}
		return skipAll("the product is hors remise: excluded from every discount")
	}
	if a, t, ok := l.sourceDiscount(src, r.total); ok {
		r.applied, r.total = append(r.applied, a), t
	}
	stoppedBy, final := "", ""
	for i, rule := range rules {
		if !l.matches(rule) {
			continue
		}
		if final != "" {
			r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, "net price rule "+final+" is final"))
			continue
		}
		if stoppedBy != "" {
			r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, "rule "+stoppedBy+" stops the rules after it"))
			continue
		}
		if why := l.blocker(i, rule); why != "" {
			r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, why))
			continue
		}
		a, total, net, why, ok := l.ruleStep(rule, gross, r.total)
		if !ok {
			r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, why))
			continue
		}
		if net {
			for _, prev := range r.applied {
				r.notApplied = append(r.notApplied, ruleNotApplied(prev.Rule, "superseded by net price rule "+rule.ID))
			}
			r.applied, r.total, r.net, final = []Applied{a}, total, true, rule.ID
			continue
		}
		r.applied, r.total = append(r.applied, a), total
		if rule.Stop {
			stoppedBy = rule.ID
		}
	}
	return r
}

// rulePercent returns the rate a percentage rule takes off a line of amount
// gross: isPct is false for rules that set a price (net price, price per
// package), ok is false when the rule's condition is not met.
func (l *lineCtx) rulePercent(r Rule, gross decimal.Decimal) (pct decimal.Decimal, ok, isPct bool) {
	switch r.Kind {
	case Percent:
		return r.Percent, true, true
	case QuantityTiers:
		b, found := pickBreak(r.Tiers, l.unitsDec)
		return b.Value, found, true
	case LineAmountTiers:
		b, found := pickBreak(r.Tiers, gross)
		return b.Value, found, true
	case OrderAmountTiers:
		b, found := pickBreak(r.Tiers, l.orderGross)
		return b.Value, found, true
	case PackagingDiscount:
		if !r.Price.IsPositive() {
			return r.Percent, true, true
		}
	}
	return decimal.Zero, false, false
}

// offer is one candidate price under the best-price policy: a source alone,
// or a source with a single discount (its own, or rule number rule).
type offer struct {
	source int
	// rule is the rule's index, noRule for the source alone, ownDiscount
	// for the source's own discount.
	rule  int
	gross decimal.Decimal
	total decimal.Decimal
	net   bool
}

const (
	noRule      = -1
	ownDiscount = -2
)

// bestPrice prices the line with the lowest offer; discounts never stack.
// Offers are compared quietly; only the winner's discount is explained.
func (l *lineCtx) bestPrice(sources []Source, rules []Rule) result {
	offers := make([]offer, 0, 4*len(sources))
	produced := make([]bool, len(rules))
	l.quiet = true
	for si, s := range sources {
		gross := grossOf(s, l.units, l.req.Currency)
		offers = append(offers, offer{source: si, rule: noRule, gross: gross, total: gross, net: s.Net})
		if s.Net || l.product.NoDiscount {
			continue
		}
		if _, t, ok := l.sourceDiscount(s, gross); ok {
			offers = append(offers, offer{source: si, rule: ownDiscount, gross: gross, total: t})
		}
		// Percentage rules on the same gross are compared by their rate: the
		// highest rate gives the lowest total, so only it is computed.
		bestPct, bestRule := decimal.Zero, noRule
		for i, rule := range rules {
			if !l.matches(rule) || l.blocker(i, rule) != "" {
				continue
			}
			if pct, ok, isPct := l.rulePercent(rule, gross); isPct {
				if ok {
					produced[i] = true
					if bestRule == noRule || pct.GreaterThan(bestPct) {
						bestPct, bestRule = pct, i
					}
				}
				continue
			}
			if _, t, net, _, ok := l.ruleStep(rule, gross, gross); ok {
				offers = append(offers, offer{source: si, rule: i, gross: gross, total: t, net: net})
				produced[i] = true
			}
		}
		if bestRule != noRule {
			offers = append(offers, offer{source: si, rule: bestRule, gross: gross, total: gross.Sub(l.round(percentOf(gross, clampPercent(bestPct))))})
		}
	}
	l.quiet = false
	best := 0
	for i, o := range offers[1:] {
		if o.total.LessThan(offers[best].total) {
			best = i + 1
		}
	}
	win := offers[best]
	src := sources[win.source]
	r := result{source: src, gross: win.gross, total: win.total, net: win.net, notApplied: l.lost}
	describe := src.String() + " at " + l.money(win.total)
	switch win.rule {
	case ownDiscount:
		a, _, _ := l.sourceDiscount(src, win.gross)
		r.applied = []Applied{a}
		describe = src.String() + " with its own discount at " + l.money(win.total)
	case noRule:
	default:
		a, _, _, _, _ := l.ruleStep(rules[win.rule], win.gross, win.gross)
		r.applied = []Applied{a}
		describe = src.String() + " with " + rules[win.rule].ID + " at " + l.money(win.total)
	}
	for si := range sources {
		if si != win.source {
			r.notApplied = append(r.notApplied, sourceNotApplied(&sources[si], "best price: the lowest offer is "+describe))
		}
	}
	for i, rule := range rules {
		if i == win.rule || !l.matches(rule) {
			continue
		}
		var why string
		switch {
		case l.product.NoDiscount:
			why = "the product is hors remise: excluded from every discount"
		case l.blocker(i, rule) != "":
			why = l.blocker(i, rule)
		case produced[i]:
			why = "best price: discounts do not stack; the lowest offer is " + describe
		case src.Net:
			why = "the net price is final"
		default:
			_, _, _, why, _ = l.ruleStep(rule, win.gross, win.gross)
		}
		if why != "" {
			r.notApplied = append(r.notApplied, ruleNotApplied(rule.ID, why))
		}
	}
	return r
}
