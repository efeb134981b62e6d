package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strconv"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
)

// PricingAdmin stores a merchant's discount rules and precedence policy.
type PricingAdmin interface {
	RuleSet(ctx context.Context, m merchant.ID) (pricing.RuleSet, error)
	SavePolicy(ctx context.Context, m merchant.ID, policy pricing.Policy) error
	SaveRule(ctx context.Context, m merchant.ID, r pricing.Rule) error
	DeleteRule(ctx context.Context, m merchant.ID, id string) (bool, error)
}

// The back office's tariff routes (see Routes) change the precedence policy
// and the discount rules; the pricing and catalog functions see a change
// within CACHE_TTL.

func (a *AdminAPI) pricingSettings(w http.ResponseWriter, r *Request) error {
	rs, err := a.Pricing.RuleSet(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if rs.Rules == nil {
		rs.Rules = []pricing.Rule{}
	}
	sort.Slice(rs.Rules, func(i, j int) bool {
		if rs.Rules[i].Priority != rs.Rules[j].Priority {
			return rs.Rules[i].Priority < rs.Rules[j].Priority
		}
		return rs.Rules[i].ID < rs.Rules[j].ID
	})
	return writeJSON(w, http.StatusOK, rs)
}

// PolicyInput is the body of PUT /admin/pricing/policy.
type PolicyInput struct {
	Policy pricing.Policy `json:"policy"`
}

func (a *AdminAPI) putPolicy(w http.ResponseWriter, r *Request) error {
	var in PolicyInput
	if err := decodeBody(r.Request, &in); err != nil {
		return err
	}
	if in.Policy != pricing.MostSpecific && in.Policy != pricing.BestPrice {
		p := InvalidParameter("policy must be most-specific or best-price")
		p.Errors = []FieldError{{Field: "policy", Reason: "most-specific or best-price"}}
		return p
	}
	if err := a.Pricing.SavePolicy(r.Context(), r.Merchant(), in.Policy); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in)
}

// ruleFields are the members of a rule body (pricing.RuleText).
func ruleFields(in *pricing.RuleText) map[string]any {
	return map[string]any{
		"id": &in.ID, "name": &in.Name, "priority": &in.Priority, "stop": &in.Stop, "who": &in.Who, "target": &in.Target,
		"kind": &in.Kind, "percent": &in.Percent, "tiers": &in.Tiers, "price": &in.Price, "packaging": &in.Packaging,
		"currency": &in.Currency, "validity": &in.Validity,
	}
}

// putRule creates or replaces the rule named in the path. Its decimals are
// JSON strings read by pricing.ParseRule: plain, within bounds.
func (a *AdminAPI) putRule(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	var in pricing.RuleText
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, ruleFields(&in)); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	if in.ID != "" && in.ID != id {
		p := InvalidParameter("the rule's id is the one in the path")
		p.Errors = []FieldError{{Field: "id", Reason: "must be " + strconv.Quote(id) + " or left out"}}
		return p
	}
	in.ID = id
	rule, ps := pricing.ParseRule(in)
	for _, rp := range ps {
		fe.add(rp.Field, rp.Reason)
	}
	if err := fe.err(); err != nil {
		return err
	}
	existing, err := a.Pricing.RuleSet(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	existed := false
	for _, old := range existing.Rules {
		existed = existed || old.ID == id
	}
	if err := a.Pricing.SaveRule(r.Context(), r.Merchant(), rule); err != nil {
		return err
	}
	return writeJSON(w, createdOr(existed), rule)
}

func (a *AdminAPI) deleteRule(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no rule " + strconv.Quote(id))
	}
	found, err := a.Pricing.DeleteRule(r.Context(), r.Merchant(), id)
	if err != nil {
		return err
	}
	if !found {
		return NotFound("no rule " + strconv.Quote(id))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
