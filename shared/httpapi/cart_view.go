package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
)

// CartView is a cart priced live: the quote of its lines as POST
// /pricing/quote answers it (each line's price source, discounts, what
// did not apply and its VAT; the VAT totals), each line with the products
// that brought it, and the optional companions suggested. A line that can
// no longer be priced (its product gone or hidden) keeps its place with
// its error, and the totals are those of the other lines.
type CartView struct {
	QuoteResponse
	Owner cart.Owner `json:"owner"`
	// Version is the cart's version, also its ETag; 0 for an empty cart
	// never written.
	Version int64 `json:"version"`
	// ExpiresAt is when the cart is deleted if left untouched.
	ExpiresAt *time.Time     `json:"expiresAt,omitempty"`
	Lines     []CartLineView `json:"lines"`
	// Suggestions are the optional companions of the cart's products that
	// the customer may see and the cart does not hold.
	Suggestions []cart.Suggestion `json:"suggestions"`
}

// CartLineView is a cart line priced, with how it came in the cart.
type CartLineView struct {
	QuotedLine
	// BroughtBy are the products whose mandatory links need this line.
	BroughtBy []string `json:"broughtBy,omitempty"`
	// Chosen is true for a line the buyer added or set, false for a line
	// that only follows its products.
	Chosen bool `json:"chosen"`
}

// cartSession is one request on one cart: whose it is, and what the
// request has read, so that the cart rules, the quote and the suggestions
// read each product and the customer's tariff once.
type cartSession struct {
	api        *CartAPI
	r          *Request
	m          merchant.ID
	customerID string
	repID      string
	owner      cart.Owner
	products   *cartProducts
	tariff     *cartTariff

	// Read by prepare.
	prepared    bool
	assortments catalog.Assortments
	customer    customer.Customer
	assortment  *catalog.Assortment
}

// prepare reads, all at once, what the cart rules need for refs: the
// customer's account and tariff (and the rep, for the access check),
// the products, and the assortments; then the linked articles of the
// products, and of theirs. The access is checked before anything is
// told.
func (s *cartSession) prepare(ctx context.Context, refs []string) error {
	var (
		ct               pricing.CustomerTariff
		pErr, tErr, aErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() { pErr = s.products.load(ctx, refs, true) })
	wg.Go(func() { ct, tErr = s.tariff.CustomerTariff(ctx, s.m, s.customerID, refs, s.repID) })
	if !s.prepared {
		wg.Go(func() { s.assortments, aErr = s.api.Assortments.All(ctx, s.m) })
	}
	wg.Wait()
	if err := customerAccess(s.r.Caller, s.customerID, ct.Rep, tErr); err != nil {
		return err
	}
	if err := errors.Join(pErr, aErr); err != nil {
		return err
	}
	if !s.prepared {
		c := ct.Customer
		s.customer, s.assortment, s.prepared = c, s.assortments.For(c.ID, c.BuyingGroup, c.PriceCategory), true
	}
	return s.products.withLinks(ctx)
}

// visible reports whether the customer may see a product, as the catalog
// and the quote decide: active, in their assortment, and not pro-only for
// a consumer.
func (s *cartSession) visible(p catalog.Product) bool {
	return !p.Inactive && s.assortment.Allows(p) && !(p.ProOnly && s.customer.Kind == customer.Consumer)
}

// quoter is the API's quoter reading through the session's memos.
func (s *cartSession) quoter() *pricing.Quoter {
	q := *s.api.Quoter
	q.Products, q.Store = s.products, s.tariff
	q.Assortments = cartAssortments(s.assortments)
	return &q
}

// quote prices lines on the merchant's day. When some cannot be priced,
// the others are priced again on their own, so that the totals and the
// VAT are theirs: priced holds one line per line, the others' with their
// error.
func (s *cartSession) quote(ctx context.Context, lines []pricing.Line) (date time.Time, priced QuoteResponse, err error) {
	if date, err = s.today(ctx); err != nil {
		return date, priced, err
	}
	q := s.quoter()
	in := pricing.QuoteInput{Merchant: s.m, CustomerID: s.customerID, Currency: s.r.Storefront.Currency, Date: date, Lines: lines}
	res, err := q.Quote(ctx, in)
	if err != nil {
		return date, priced, quoteProblem(err, in)
	}
	if res.Quote.Valid() {
		return date, quoteResponse(s.customerID, date, res), nil
	}
	all := res.Quote.Lines
	var ok []pricing.Line
	for i, l := range all {
		if l.Error == nil {
			ok = append(ok, lines[i])
		}
	}
	in.Lines = ok
	if res, err = q.Quote(ctx, in); err != nil {
		return date, priced, quoteProblem(err, in)
	}
	priced = quoteResponse(s.customerID, date, res)
	merged := make([]QuotedLine, 0, len(all))
	next := 0
	for _, l := range all {
		if l.Error != nil || next >= len(priced.Lines) {
			merged = append(merged, QuotedLine{PricedLine: l})
			continue
		}
		merged = append(merged, priced.Lines[next])
		next++
	}
	priced.Lines = merged
	priced.Quote.Lines = nil
	return date, priced, nil
}

// quoteProblem maps the quote's errors as POST /pricing/quote does.
func quoteProblem(err error, in pricing.QuoteInput) error {
	switch {
	case errors.Is(err, pricing.ErrUnknownAddress):
		return problem(http.StatusUnprocessableEntity, "unknown-address", "Unknown delivery address",
			"the customer's default delivery address cannot be used: "+err.Error())
	case errors.Is(err, pricing.ErrNoExchangeRate):
		return problem(http.StatusUnprocessableEntity, "no-exchange-rate", "No exchange rate",
			fmt.Sprintf("no exchange rate of %s on or before %s: merchant staff must set the day's rates", in.Currency, in.Date.Format(time.DateOnly)))
	}
	return err
}

// view prices the cart and shows it.
func (s *cartSession) view(st cart.Stored) (CartView, error) {
	ctx := s.r.Context()
	if err := s.prepare(ctx, lineRefs(st.Lines)); err != nil {
		return CartView{}, err
	}
	lines := make([]pricing.Line, len(st.Lines))
	for i, l := range st.Lines {
		lines[i] = pricing.Line{Ref: l.Ref, Quantity: l.Quantity, Packaging: l.Packaging}
	}
	_, priced, err := s.quote(ctx, lines)
	if err != nil {
		return CartView{}, err
	}
	v := CartView{QuoteResponse: priced, Owner: st.Owner, Version: st.Version, Lines: make([]CartLineView, len(st.Lines)), Suggestions: s.suggestions(st.Lines)}
	v.Customer = s.customerID
	if st.Version > 0 && !st.ExpiresAt.IsZero() {
		at := st.ExpiresAt.UTC()
		v.ExpiresAt = &at
	}
	for i, l := range st.Lines {
		v.Lines[i] = CartLineView{BroughtBy: l.BroughtBy, Chosen: l.Chosen}
		if i < len(priced.Lines) {
			v.Lines[i].QuotedLine = priced.Lines[i]
		}
	}
	return v, nil
}

// suggestions are the optional companions of the cart's products that the
// customer may see and the cart does not hold, each once, in the order of
// the lines.
func (s *cartSession) suggestions(lines []cart.Line) []cart.Suggestion {
	out := []cart.Suggestion{}
	inCart := map[string]bool{}
	for _, l := range lines {
		inCart[l.Ref] = true
	}
	for _, l := range lines {
		p, ok := s.products.Product(l.Ref)
		if !ok || !s.visible(p) {
			continue
		}
		for _, link := range p.Links {
			if link.Kind != catalog.Optional || inCart[link.Ref] {
				continue
			}
			if cp, ok := s.products.Product(link.Ref); !ok || !s.visible(cp) {
				continue
			}
			inCart[link.Ref] = true
			out = append(out, cart.Suggestion{Ref: link.Ref, For: p.Ref, Ratio: link.Ratio})
		}
	}
	return out
}

// cartAssortments serves assortments already read.
type cartAssortments catalog.Assortments

// All returns the assortments read.
func (f cartAssortments) All(context.Context, merchant.ID) (catalog.Assortments, error) {
	return catalog.Assortments(f), nil
}

// maxLinkRounds bounds the reads that follow linked articles: deeper
// links are left to the cart rules, which refuse them (cart.ErrLinkLoop).
const maxLinkRounds = 10

// cartProducts reads products by reference once per request, for the cart
// rules (cart.Products) and the quote (pricing.ProductSource).
type cartProducts struct {
	src pricing.ProductSource
	m   merchant.ID

	mu    sync.Mutex
	got   map[string]catalog.Product
	tried map[string]bool
	// needed are the products the cart holds or may hold (their links are
	// followed); the others were read as suggestions only.
	needed   map[string]bool
	expanded map[string]bool
}

// load reads the refs not read yet (invalid ones are unknown); needed
// marks them as products whose links are followed.
func (p *cartProducts) load(ctx context.Context, refs []string, needed bool) error {
	p.mu.Lock()
	if p.got == nil {
		p.got, p.tried, p.needed, p.expanded = map[string]catalog.Product{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	var missing []string
	for _, ref := range refs {
		if needed {
			p.needed[ref] = true
		}
		if !p.tried[ref] && catalog.ValidRef(ref) {
			p.tried[ref] = true
			missing = append(missing, ref)
		}
	}
	p.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	got, err := p.src.Products(ctx, p.m, missing)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		for _, ref := range missing {
			delete(p.tried, ref)
		}
		return err
	}
	for ref, prod := range got {
		p.got[ref] = prod
	}
	return nil
}

// withLinks reads the linked articles of the needed products: the
// mandatory ones are needed in turn (their own links followed), the
// optional ones are read to be suggested.
func (p *cartProducts) withLinks(ctx context.Context) error {
	for range maxLinkRounds {
		p.mu.Lock()
		var mandatory, optional []string
		for ref := range p.needed {
			prod, ok := p.got[ref]
			if !ok || p.expanded[ref] {
				continue
			}
			p.expanded[ref] = true
			for _, l := range prod.Links {
				if l.Kind == catalog.Mandatory {
					mandatory = append(mandatory, l.Ref)
				} else {
					optional = append(optional, l.Ref)
				}
			}
		}
		p.mu.Unlock()
		if len(mandatory)+len(optional) == 0 {
			return nil
		}
		var wanted []string
		wanted = append(wanted, mandatory...)
		wanted = append(wanted, optional...)
		if err := p.load(ctx, wanted, false); err != nil {
			return err
		}
		p.mu.Lock()
		grew := false
		for _, ref := range mandatory {
			if !p.needed[ref] {
				p.needed[ref], grew = true, true
			}
		}
		p.mu.Unlock()
		if !grew {
			return nil
		}
	}
	return nil
}

// Product returns a product read (cart.Products).
func (p *cartProducts) Product(ref string) (catalog.Product, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prod, ok := p.got[ref]
	return prod, ok
}

// Products returns the products of refs, reading those not read yet
// (pricing.ProductSource).
func (p *cartProducts) Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error) {
	if m != p.m {
		return p.src.Products(ctx, m, refs)
	}
	if err := p.load(ctx, refs, false); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]catalog.Product, len(refs))
	for _, ref := range refs {
		if prod, ok := p.got[ref]; ok {
			out[ref] = prod
		}
	}
	return out, nil
}

// cartTariff reads the customer's tariff once per request, then only the
// price entries of products it has not read yet (pricing.Store).
type cartTariff struct {
	store pricing.Store

	mu   sync.Mutex
	read bool
	ct   pricing.CustomerTariff
	refs map[string]bool
	rep  string
}

// RuleSet returns the merchant's rules (cached by the store).
func (t *cartTariff) RuleSet(ctx context.Context, m merchant.ID) (pricing.RuleSet, error) {
	return t.store.RuleSet(ctx, m)
}

// CustomerTariff returns the customer's tariff for refs, reading what was
// not read yet.
func (t *cartTariff) CustomerTariff(ctx context.Context, m merchant.ID, customerID string, refs []string, repID string) (pricing.CustomerTariff, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var missing []string
	for _, ref := range refs {
		if !t.refs[ref] && catalog.ValidRef(ref) && !slices.Contains(missing, ref) {
			missing = append(missing, ref)
		}
	}
	needRep := repID != "" && t.rep != repID
	if !t.read || len(missing) > 0 || needRep {
		ct, err := t.store.CustomerTariff(ctx, m, customerID, missing, repID)
		if err != nil {
			return ct, err
		}
		if !t.read {
			t.ct.Entries, t.refs = map[string]tariff.Entry{}, map[string]bool{}
		}
		t.ct.Customer, t.read = ct.Customer, true
		if repID != "" {
			t.ct.Rep, t.rep = ct.Rep, repID
		}
		for ref, e := range ct.Entries {
			t.ct.Entries[ref] = e
		}
		for _, ref := range missing {
			t.refs[ref] = true
		}
	}
	out := t.ct
	out.Entries = make(map[string]tariff.Entry, len(refs))
	for _, ref := range refs {
		if e, ok := t.ct.Entries[ref]; ok {
			out.Entries[ref] = e
		}
	}
	return out, nil
}
