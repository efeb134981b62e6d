package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Pricing stores customer prices and discount rules, and reads what pricing
// one customer needs.
//
// Keys:
//
//	customer price    PK=M#<m>#C#<customer>  SK=PRICE#<ref>
//	discount rule     PK=M#<m>#RULES         SK=RULE#<id>
//	pricing settings  PK=M#<m>#RULES         SK=SETTINGS
//
// Price-category and buying-group entries are inside the product item (see
// catalog.Product.Tariffs).
type Pricing struct {
	Table Table
	// TTL is how long a merchant's rules stay cached in this process; zero
	// disables the cache.
	TTL time.Duration

	cache ttlCache[merchant.ID, pricing.RuleSet]
}

var _ pricing.Store = (*Pricing)(nil)

const (
	typeCustomerPrice = "CustomerPrice"
	typeRule          = "DiscountRule"
	typeSettings      = "PricingSettings"
)

// settings is the stored precedence setting.
type settings struct {
	Policy pricing.Policy `json:"policy"`
}

// RuleSet returns the merchant's rules and policy with one Query, cached for
// TTL: a warm function prices without reading them.
func (p *Pricing) RuleSet(ctx context.Context, m merchant.ID) (pricing.RuleSet, error) {
	if rs, ok := p.cache.get(m); ok {
		return rs, nil
	}
	pk, err := rulesPK(m)
	if err != nil {
		return pricing.RuleSet{}, err
	}
	rs := pricing.RuleSet{Policy: pricing.MostSpecific}
	items, err := p.Table.partition(ctx, pk, "")
	if err != nil {
		return pricing.RuleSet{}, fmt.Errorf("rules of %s: %w", m, err)
	}
	for _, av := range items {
		switch str(av, AttrType) {
		case typeSettings:
			var s settings
			if err := decodeDoc(av, &s); err != nil {
				return pricing.RuleSet{}, err
			}
			if s.Policy == pricing.BestPrice {
				rs.Policy = s.Policy
			}
		case typeRule:
			var r pricing.Rule
			if err := decodeDoc(av, &r); err != nil {
				return pricing.RuleSet{}, err
			}
			rs.Rules = append(rs.Rules, r)
		}
	}
	p.cache.put(m, rs, p.TTL)
	return rs, nil
}

// CustomerTariff reads the customer's account, its price entries for refs
// and the rep repID. With fewer than 100 keys it is one BatchGetItem; beyond,
// one Query of the price entries and the account in the customer's
// partition (and a GetItem for the rep).
func (p *Pricing) CustomerTariff(ctx context.Context, m merchant.ID, customerID string, refs []string, repID string) (pricing.CustomerTariff, error) {
	cpk, err := customerPK(m, customerID)
	if err != nil || customerID == "" || strings.ContainsAny(customerID, "#") {
		return pricing.CustomerTariff{}, pricing.ErrUnknownCustomer
	}
	ct := pricing.CustomerTariff{Entries: map[string]tariff.Entry{}}
	wanted := make(map[string]bool, len(refs))
	for _, r := range refs {
		wanted[r] = true
	}
	rpk := ""
	if repID != "" {
		if rpk, err = repPK(m, repID); err != nil {
			return ct, err
		}
	}
	var items []map[string]types.AttributeValue
	if len(refs)+2 <= batchGetLimit {
		keys := []map[string]string{keyOf(cpk, skProfile)}
		for _, r := range refs {
			keys = append(keys, keyOf(cpk, skCustomerPrice+r))
		}
		if rpk != "" {
			keys = append(keys, keyOf(rpk, skProfile))
		}
		got, err := p.Table.batchGet(ctx, keys)
		if err != nil {
			return ct, fmt.Errorf("read tariff of %s: %w", customerID, err)
		}
		for _, av := range got {
			items = append(items, av)
		}
	} else {
		var wg sync.WaitGroup
		var qErr, rErr error
		// The price entries ("PRICE#<ref>") and the account ("PROFILE")
		// sort next to each other: the customer's carts, orders' credit
		// and other items of the partition are not read.
		wg.Go(func() { items, qErr = p.Table.partitionBetween(ctx, cpk, skCustomerPrice, skProfile) })
		if rpk != "" {
			wg.Go(func() {
				var rep customer.Rep
				found, err := p.Table.get(ctx, rpk, skProfile, &rep)
				if rErr = err; found {
					ct.Rep = &rep
				}
			})
		}
		wg.Wait()
		if err := errors.Join(qErr, rErr); err != nil {
			return ct, fmt.Errorf("read tariff of %s: %w", customerID, err)
		}
	}
	found := false
	for _, av := range items {
		pk, sk := str(av, AttrPK), str(av, AttrSK)
		switch {
		case pk == cpk && sk == skProfile:
			if err := decodeDoc(av, &ct.Customer); err != nil {
				return ct, err
			}
			found = true
		case pk == cpk && strings.HasPrefix(sk, skCustomerPrice) && wanted[strings.TrimPrefix(sk, skCustomerPrice)]:
			var e tariff.Entry
			if err := decodeDoc(av, &e); err != nil {
				return ct, err
			}
			ct.Entries[e.Ref] = e
		case pk == rpk && sk == skProfile:
			var rep customer.Rep
			if err := decodeDoc(av, &rep); err != nil {
				return ct, err
			}
			ct.Rep = &rep
		}
	}
	if !found {
		return ct, pricing.ErrUnknownCustomer
	}
	return ct, nil
}

// SaveCustomerPrices writes customer price entries (scope customer).
func (p *Pricing) SaveCustomerPrices(ctx context.Context, m merchant.ID, entries []tariff.Entry) error {
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		if e.Scope != tariff.Customer || e.ScopeID == "" {
			return fmt.Errorf("customer price for %s: scope %q/%q is not a customer", e.Ref, e.Scope, e.ScopeID)
		}
		pk, err := customerPK(m, e.ScopeID)
		if err != nil {
			return err
		}
		items = append(items, item{PK: pk, SK: skCustomerPrice + e.Ref, Type: typeCustomerPrice, Doc: e})
	}
	return p.Table.put(ctx, items)
}

// SaveRuleSet writes the policy and the rules (it does not delete rules
// absent from rs).
func (p *Pricing) SaveRuleSet(ctx context.Context, m merchant.ID, rs pricing.RuleSet) error {
	pk, err := rulesPK(m)
	if err != nil {
		return err
	}
	items := []item{{PK: pk, SK: "SETTINGS", Type: typeSettings, Doc: settings{Policy: rs.Policy}}}
	for _, r := range rs.Rules {
		if r.ID == "" {
			return errors.New("a discount rule needs an id")
		}
		items = append(items, item{PK: pk, SK: "RULE#" + r.ID, Type: typeRule, Doc: r})
	}
	if err := p.Table.put(ctx, items); err != nil {
		return err
	}
	p.cache.drop(m)
	return nil
}

// SavePolicy stores the merchant's precedence policy.
func (p *Pricing) SavePolicy(ctx context.Context, m merchant.ID, policy pricing.Policy) error {
	pk, err := rulesPK(m)
	if err != nil {
		return err
	}
	if err := p.Table.put(ctx, []item{{PK: pk, SK: "SETTINGS", Type: typeSettings, Doc: settings{Policy: policy}}}); err != nil {
		return err
	}
	p.cache.drop(m)
	return nil
}

// SaveRule creates or replaces one discount rule.
func (p *Pricing) SaveRule(ctx context.Context, m merchant.ID, r pricing.Rule) error {
	pk, err := rulesPK(m)
	if err != nil {
		return err
	}
	if err := p.Table.put(ctx, []item{{PK: pk, SK: "RULE#" + r.ID, Type: typeRule, Doc: r}}); err != nil {
		return err
	}
	p.cache.drop(m)
	return nil
}

// DeleteRule removes one discount rule; found is false when there was none.
func (p *Pricing) DeleteRule(ctx context.Context, m merchant.ID, id string) (found bool, err error) {
	pk, err := rulesPK(m)
	if err != nil {
		return false, err
	}
	found, err = p.Table.remove(ctx, pk, "RULE#"+id)
	if err != nil {
		return false, fmt.Errorf("delete rule %s: %w", id, err)
	}
	p.cache.drop(m)
	return found, nil
}
