package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

// CheckoutAPI serves the checkout: it turns the caller's cart into an
// order. The cart is priced and taxed by the quote's engine, the delivery
// and the payment are chosen among the storefront's and the customer's,
// each line is allocated across the warehouses (or backordered), and the
// order is written with its stock, its cart and its idempotency record in
// one conditional write (order.Store.Place), so that no unit is sold twice.
// A cart's pre-order lines become pre-orders of their seasons, linked to
// the ordinary order and written in the same write, counted in their
// seasons' totals and within their products' caps, with no stock taken.
type CheckoutAPI struct {
	Pipeline *Pipeline
	Carts    cart.Store
	// Quoter prices the cart. Its Tax source is required: the merchant
	// (time zone, country, month-end method) is read through it, cached.
	// The products it reads (the backorder setting, the names) are kept
	// for the order: the checkout reads no product twice.
	Quoter      *pricing.Quoter
	Orders      order.Store
	Idempotency order.IdempotencyStore
	Stock       order.StockReader
	Payments    payment.Provider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Random feeds the order numbers; nil means crypto/rand.
	Random io.Reader
}

// Limits and timings of a checkout.
const (
	// MaxOrderReference bounds the customer's own order reference, in
	// characters.
	MaxOrderReference = 64
	// MaxIdempotencyKey bounds an Idempotency-Key header, in bytes.
	MaxIdempotencyKey = 64
	// maxStaleRetries is how many times an order whose stock was taken by
	// another one meanwhile is allocated again before the checkout gives
	// up with 503 busy.
	maxStaleRetries = 20
	// maxBusyRetries is how many times an order the store could not write
	// through its own retries of transaction conflicts (order.ErrBusy) is
	// tried again, stock read afresh, before 503 busy: each try is itself
	// several transactions with backoff, within the function's timeout.
	maxBusyRetries = 2
	// claimLease is how long an idempotency claim keeps other requests
	// with the same key waiting: longer than the function's timeout, so
	// that only a checkout that died loses it.
	claimLease = 30 * time.Second
	// inFlightWait is how long a request waits for another request with
	// the same key to finish before answering 409 checkout-in-progress.
	inFlightWait = 10 * time.Second
	// checkoutBudget is the checkout function's timeout: the retries of an
	// order on contended stock never run past it, even when the request
	// carries no deadline.
	checkoutBudget = 15 * time.Second
	// retryMargin is the time kept, before the request's deadline (or the
	// end of checkoutBudget), for one more write and the answer: no retry
	// starts within it, the buyer gets 503 busy instead.
	retryMargin = 2 * time.Second
)

// IdempotencyKeyHeader names the header that makes a retried checkout
// return the same order; ReplayedHeader marks the answer of a retry.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	ReplayedHeader       = "Idempotent-Replayed"
)

// Routes returns the checkout function's router.
func (a *CheckoutAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("POST /checkout", a.Pipeline.Handle(a.checkout))
	return rt
}

// CheckoutRequest is the body of POST /checkout.
type CheckoutRequest struct {
	// Customer is the account to order for: implicit for a buyer, required
	// for a rep (within their portfolio) and for merchant staff.
	Customer string `json:"customer,omitempty"`
	// DeliveryAddress is one of the customer's delivery addresses; by
	// default the customer's default one, else the account address.
	DeliveryAddress string `json:"deliveryAddress,omitempty"`
	// OrderReference is the customer's own order reference, at most
	// MaxOrderReference printable characters.
	OrderReference string `json:"orderReference,omitempty"`
	// RequestedDelivery (YYYY-MM-DD) is the day the customer asks to be
	// delivered, not before today in the merchant's time zone.
	RequestedDelivery string `json:"requestedDelivery,omitempty"`
	// ShippingMethod is one of the storefront's shipping methods.
	ShippingMethod string `json:"shippingMethod"`
	// PaymentMethod is "card", "transfer" or "on-account".
	PaymentMethod string `json:"paymentMethod"`
}

// ShortageView is an out-of-stock problem's line: what it asked for and
// what all the warehouses hold, in units.
type ShortageView = order.Shortage

// CreditView is a credit-limit problem's figures, in the merchant's
// currency: the limit, what the customer owes already, and this order
// including VAT.
type CreditView struct {
	Limit       money.Amount `json:"limit"`
	Outstanding money.Amount `json:"outstanding"`
	Order       money.Amount `json:"order"`
	Currency    string       `json:"currency"`
}

// checkoutInput is a checked request: who orders, for whom, and what they
// chose.
type checkoutInput struct {
	body       CheckoutRequest
	customerID string
	repID      string
	owner      cart.Owner
	placedBy   order.PlacedBy
	method     payment.Method
	key        string
	seller     merchant.Merchant
	now, today time.Time
	requested  *time.Time
}

func (a *CheckoutAPI) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *CheckoutAPI) checkout(w http.ResponseWriter, r *Request) error {
	in, err := a.readInput(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	m := r.Merchant()
	stored, err := a.Carts.Get(ctx, m, in.customerID, in.owner)
	if err != nil {
		return err
	}
	lines := make([]pricing.Line, len(stored.Lines))
	for i, l := range stored.Lines {
		lines[i] = pricing.Line{Ref: l.Ref, Quantity: l.Quantity, Packaging: l.Packaging}
	}
	refs := uniqueRefs(lines)
	id, err := order.NewID(in.today, a.random())
	if err != nil {
		return err
	}
	claim := order.Claim{RequestHash: requestHash(in), CartHash: cartHash(stored.Lines), OrderID: id, Now: in.now, Lease: claimLease}
	ikey := order.IdempotencyKey{Customer: in.customerID, Key: in.key}

	// The quote (which reads the customer) and the stock levels are read
	// at once. The idempotency claim waits for the quote: a caller who may
	// not see the customer takes no claim and learns nothing of their
	// orders, addresses or stock. The claim is then taken while the levels
	// may still be on their way.
	var (
		res       pricing.QuoteResult
		levels    map[string][]stock.Level
		quoteErr  error
		levelsErr error
		products  = &productMemo{src: a.Quoter.Products}
		levelsWG  sync.WaitGroup
	)
	if len(refs) > 0 {
		levelsWG.Go(func() { levels, levelsErr = a.Stock.Levels(ctx, m, refs) })
	}
	quoter := *a.Quoter
	quoter.Products = products
	res, quoteErr = quoter.Quote(ctx, pricing.QuoteInput{
		Merchant: m, CustomerID: in.customerID, RepID: in.repID, Currency: r.Storefront.Currency,
		Date: in.today, Lines: lines, ShipTo: in.body.DeliveryAddress,
	})
	accessErr := quoteErr
	if errors.Is(quoteErr, pricing.ErrUnknownAddress) || errors.Is(quoteErr, pricing.ErrNoExchangeRate) {
		accessErr = nil
	}
	if err := customerAccess(r.Caller, in.customerID, res.Rep, accessErr); err != nil {
		levelsWG.Wait()
		return err
	}
	claimed := order.Claimed{State: order.Started, OrderID: id}
	if in.key != "" {
		claimed, err = a.Idempotency.Begin(ctx, m, ikey, claim)
	}
	levelsWG.Wait()
	if err != nil {
		return err
	}
	switch claimed.Outcome(claim.RequestHash, claim.CartHash) {
	case order.KeyReused:
		return keyReused()
	case order.Replay:
		return a.replay(w, r, claimed.OrderID)
	case order.Wait:
		if claimed, err = a.waitInFlight(ctx, m, ikey, claim); err != nil {
			return err
		}
		if claimed.State == order.Completed {
			return a.replay(w, r, claimed.OrderID)
		}
	}
	// The claim started: every refusal from here on releases it, so that
	// the key may be used again once the cause is fixed.
	o, err := a.place(r, in, stored, res, quoteErr, levelsErr, levels, products.read(), claimed.OrderID)
	if err != nil {
		a.release(ctx, r, ikey, claimed, err)
		return err
	}
	if claimed.OrderID != id {
		// The claim took over an earlier attempt's order number (its
		// holder died or outlived its lease): that attempt may have
		// placed the order meanwhile, and the store then accepts this
		// write as the same order without writing it. The stored order
		// is the answer: a replay when it is not the one built here.
		stored, err := a.Orders.Order(ctx, m, o.ID)
		if err != nil {
			return fmt.Errorf("order %s of a checkout taken over: %w", o.ID, err)
		}
		if !stored.PlacedAt.Equal(o.PlacedAt) {
			w.Header().Set(ReplayedHeader, "true")
			w.Header().Set("Location", "/orders/"+stored.ID)
			return writeJSON(w, http.StatusOK, NewOrderView(stored))
		}
		o = stored
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	return writeJSON(w, http.StatusCreated, NewOrderView(o))
}

// readInput checks the body, the header and the caller before any read
// but the merchant's (cached).
func (a *CheckoutAPI) readInput(r *Request) (checkoutInput, error) {
	var in checkoutInput
	if err := decodeBody(r.Request, &in.body); err != nil {
		return in, err
	}
	b := &in.body
	fe := &fieldErrors{}
	if b.DeliveryAddress != "" && !catalog.ValidID(b.DeliveryAddress) {
		fe.add("deliveryAddress", "a delivery address id: 1 to 64 printable characters without spaces, '#' or '/'")
	}
	if !catalog.ValidID(b.ShippingMethod) {
		fe.add("shippingMethod", "required: the id of one of the storefront's shipping methods")
	}
	method, err := payment.ParseMethod(b.PaymentMethod)
	if err != nil {
		fe.add("paymentMethod", "required: card, transfer or on-account")
	}
	in.method = method
	if !validOrderReference(b.OrderReference) {
		fe.add("orderReference", fmt.Sprintf("at most %d printable characters", MaxOrderReference))
	}
	if b.RequestedDelivery != "" {
		d, err := time.Parse(time.DateOnly, b.RequestedDelivery)
		if err != nil {
			fe.add("requestedDelivery", "a day, YYYY-MM-DD")
		} else {
			in.requested = &d
		}
	}
	if err := fe.err(); err != nil {
		return in, err
	}
	keys := r.Header.Values(IdempotencyKeyHeader)
	if len(keys) > 1 || len(keys) == 1 && !validIdempotencyKey(keys[0]) {
		return in, InvalidParameter(fmt.Sprintf("%s must be 1 to %d printable ASCII characters without spaces, '#' or '/', given once", IdempotencyKeyHeader, MaxIdempotencyKey))
	}
	if len(keys) == 1 {
		in.key = keys[0]
	}
	customerID, repID, err := customerFor(r.Caller, b.Customer)
	if err != nil {
		return in, err
	}
	if customerID == "" {
		return in, InvalidParameter("customer is required: name the customer to order for")
	}
	in.customerID, in.repID = customerID, repID
	if in.owner, in.placedBy, err = checkoutOwner(r.Caller); err != nil {
		return in, err
	}
	if a.Quoter.Tax == nil {
		return in, errors.New("checkout: the quoter has no tax source")
	}
	if in.seller, err = a.Quoter.Tax.Merchant(r.Context(), r.Merchant()); err != nil {
		return in, err
	}
	in.now = a.now().UTC()
	in.today = in.seller.Today(in.now)
	if in.requested != nil && in.requested.Before(in.today) {
		return in, InvalidParameter("requestedDelivery " + echo(b.RequestedDelivery) + " is before today, " + in.today.Format(time.DateOnly) + " in the merchant's time zone")
	}
	return in, nil
}

// checkoutOwner is the caller's cart among the customer's, as the cart
// routes name it (ownerOf: a login whose identifier cannot be part of a
// key is refused there and here alike), and who the order is placed by.
func checkoutOwner(c identity.Caller) (cart.Owner, order.PlacedBy, error) {
	owner, err := ownerOf(c)
	if err != nil {
		return "", order.PlacedBy{}, err
	}
	by := order.PlacedBy{Role: string(c.Role), ID: c.Subject}
	if c.Role == identity.Rep {
		by.ID = c.Rep
	}
	return owner, by, nil
}

// validOrderReference: at most MaxOrderReference printable characters.
func validOrderReference(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxOrderReference {
		return false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// validIdempotencyKey: 1 to MaxIdempotencyKey printable ASCII characters,
// without space, '#' or '/' (the key is part of a table key).
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' || c == '#' || c == '/' {
			return false
		}
	}
	return true
}

// requestHash digests what the checkout was asked (order.RequestHash):
// the customer, the caller's cart and the body's choices.
func requestHash(in checkoutInput) string {
	b := in.body
	return order.RequestHash(in.customerID, string(in.owner), b.DeliveryAddress, b.OrderReference, b.RequestedDelivery, b.ShippingMethod, string(in.method))
}

// cartHash digests a cart's lines; empty for an empty cart.
func cartHash(lines []cart.Line) string {
	if len(lines) == 0 {
		return ""
	}
	parts := make([]string, 0, 3*len(lines))
	for _, l := range lines {
		parts = append(parts, l.Ref, string(l.Packaging), strconv.FormatInt(l.Quantity, 10))
	}
	return order.RequestHash(parts...)
}

func uniqueRefs(lines []pricing.Line) []string {
	refs := make([]string, 0, len(lines))
	for _, l := range lines {
		if !slices.Contains(refs, l.Ref) && catalog.ValidRef(l.Ref) {
			refs = append(refs, l.Ref)
		}
	}
	return refs
}

func (a *CheckoutAPI) random() io.Reader {
	if a.Random != nil {
		return a.Random
	}
	return rand.Reader
}

// keyReused is the answer to a key used before for another request or
// another cart.
func keyReused() *Problem {
	return problem(http.StatusConflict, "idempotency-key-reused", "Idempotency key reused",
		"this Idempotency-Key was used for another checkout request or another cart: use a new key for a new order")
}

// replay answers a retried checkout with the order its key placed.
func (a *CheckoutAPI) replay(w http.ResponseWriter, r *Request, id string) error {
	o, err := a.Orders.Order(r.Context(), r.Merchant(), id)
	if err != nil {
		return fmt.Errorf("order %s of a completed checkout: %w", id, err)
	}
	w.Header().Set(ReplayedHeader, "true")
	w.Header().Set("Location", "/orders/"+o.ID)
	return writeJSON(w, http.StatusOK, NewOrderView(o))
}

// waitInFlight waits for another request holding the same key: it claims
// again every 100 to 200 ms, up to inFlightWait. It returns the claim once
// completed (the order to answer with) or started (the other request gave
// up, or died and its lease ran out: this one places the order), else 409
// checkout-in-progress.
func (a *CheckoutAPI) waitInFlight(ctx context.Context, m merchant.ID, k order.IdempotencyKey, claim order.Claim) (order.Claimed, error) {
	deadline := time.Now().Add(inFlightWait)
	for {
		if time.Now().After(deadline) {
			return order.Claimed{}, problem(http.StatusConflict, "checkout-in-progress", "Checkout in progress",
				"another request with this Idempotency-Key is placing the order; retry shortly").RetryAfter(time.Second)
		}
		t := time.NewTimer(100*time.Millisecond + mathrand.N(100*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return order.Claimed{}, ctx.Err()
		case <-t.C:
		}
		claim.Now = a.now().UTC()
		claimed, err := a.Idempotency.Begin(ctx, m, k, claim)
		if err != nil {
			return claimed, err
		}
		switch claimed.Outcome(claim.RequestHash, claim.CartHash) {
		case order.KeyReused:
			return claimed, keyReused()
		case order.Place, order.Replay:
			return claimed, nil
		}
	}
}

// release gives up a started claim after a refusal (a problem: nothing
// was written), so that the key may be used again. After any other error
// the order may have been written: the claim stays, and a retry after its
// lease finds the order.
func (a *CheckoutAPI) release(ctx context.Context, r *Request, k order.IdempotencyKey, claimed order.Claimed, cause error) {
	var p *Problem
	if k.Key == "" || claimed.State != order.Started || !errors.As(cause, &p) {
		return
	}
	if err := a.Idempotency.Release(ctx, r.Merchant(), k, claimed.OrderID); err != nil {
		a.Pipeline.Logger.WarnContext(ctx, "idempotency claim not released", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
	}
}

// productMemo keeps the products a quote read, for the order.
type productMemo struct {
	src pricing.ProductSource
	mu  sync.Mutex
	got map[string]catalog.Product
}

// Products reads through src and keeps a copy: the quoter drops the
// products the customer may not see from the map it is given.
func (p *productMemo) Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error) {
	got, err := p.src.Products(ctx, m, refs)
	if err == nil {
		p.mu.Lock()
		p.got = maps.Clone(got)
		p.mu.Unlock()
	}
	return got, err
}

func (p *productMemo) read() map[string]catalog.Product {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got
}

// place builds the orders from the quote and writes them, allocating the
// ordinary order's lines again while other orders take the stock first.
// The lines of products taken on pre-order form one pre-order per season
// (splitCart), which takes no stock; every order links to the others and
// is written in the same write. It returns the primary order: the
// ordinary one, else the first pre-order. Every refusal is a *Problem,
// returned before anything is written.
func (a *CheckoutAPI) place(r *Request, in checkoutInput, stored cart.Stored, res pricing.QuoteResult, quoteErr, levelsErr error,
	levels map[string][]stock.Level, products map[string]catalog.Product, id string) (order.Order, error) {
	ctx := r.Context()
	sf := r.Storefront
	currency := sf.Currency
	if len(stored.Lines) == 0 {
		return order.Order{}, problem(http.StatusUnprocessableEntity, "empty-cart", "Empty cart", "the cart holds no line to order")
	}
	switch {
	case errors.Is(quoteErr, pricing.ErrUnknownAddress):
		return order.Order{}, problem(http.StatusUnprocessableEntity, "unknown-address", "Unknown delivery address",
			"deliveryAddress "+echo(in.body.DeliveryAddress)+" is not one of the customer's delivery addresses")
	case errors.Is(quoteErr, pricing.ErrNoExchangeRate):
		return order.Order{}, problem(http.StatusUnprocessableEntity, "no-exchange-rate", "No exchange rate",
			fmt.Sprintf("no exchange rate of %s on or before %s: merchant staff must set the day's rates", currency, in.today.Format(time.DateOnly)))
	case quoteErr != nil:
		return order.Order{}, quoteErr
	case levelsErr != nil:
		return order.Order{}, levelsErr
	case !res.Quote.Valid() || res.Tax == nil:
		p := problem(http.StatusUnprocessableEntity, "invalid-lines", "Invalid lines", "some lines of the cart cannot be ordered now; see errors")
		for i, l := range res.Quote.Lines {
			if l.Error != nil {
				p.Errors = append(p.Errors, FieldError{Field: fmt.Sprintf("lines[%d]", i), Reason: l.Ref + ": " + l.Error.Code + ": " + l.Error.Detail})
			}
		}
		return order.Order{}, p
	}
	q, qt, c := res.Quote, res.Tax, res.Customer
	if err := c.CanOrder(); err != nil {
		return order.Order{}, Forbidden(err.Error()) // dormant in the ERP (CT_Sommeil)
	}
	country := qt.ShipTo.Country

	// Pre-orders: the lines of products taken on pre-order form one
	// pre-order per season, the others the ordinary order.
	split, err := splitCart(q.Lines, products, in.today)
	if err != nil {
		return order.Order{}, err
	}

	// Delivery: each order pays its own, on its own goods.
	drafts := make([]orderDraft, 0, 1+len(split.seasons))
	if len(split.ordinary) > 0 {
		drafts = append(drafts, orderDraft{lines: split.ordinary})
	}
	for _, s := range split.seasons {
		drafts = append(drafts, orderDraft{lines: s.lines, season: s})
	}
	for i := range drafts {
		d := &drafts[i]
		for _, j := range d.lines {
			d.goods = d.goods.Add(q.Lines[j].Total.Decimal)
		}
		if d.cost, d.free, err = order.ShippingCost(sf.Shipping, in.body.ShippingMethod, country, d.goods, currency); err != nil {
			return order.Order{}, shippingRefusal(err, sf, in.body.ShippingMethod, country)
		}
	}

	// Payment: one method for every order.
	pay, credit, err := a.payment(in, sf.PaymentMethods, c, country, currency)
	if err != nil {
		return order.Order{}, err
	}

	// The orders: the first keeps the checkout's order number, the others
	// draw their own; each links to the others.
	orders := make([]order.Order, len(drafts))
	requests, allocating := []order.Request(nil), map[string]order.Product{}
	caps := map[string]int64{}
	for i, d := range drafts {
		oid := id
		if i > 0 {
			if oid, err = order.NewID(in.today, a.random()); err != nil {
				return order.Order{}, err
			}
		}
		orders[i] = a.buildOrder(r, in, res, products, stored, d, oid, pay)
		if d.season == nil {
			for _, j := range d.lines {
				requests = append(requests, order.Request{Ref: q.Lines[j].Ref, Units: q.Lines[j].Units})
				allocating[q.Lines[j].Ref] = order.ProductOf(products[q.Lines[j].Ref])
			}
			continue
		}
		maps.Copy(caps, d.season.caps)
	}
	for i := range orders {
		for j, other := range orders {
			if j != i {
				orders[i].Linked = append(orders[i].Linked, other.ID)
			}
		}
	}

	prefer := make([]string, 0, 2)
	for _, w := range []string{c.PreferredWarehouse, sf.Warehouse} {
		if w != "" && !slices.Contains(prefer, w) {
			prefer = append(prefer, w)
		}
	}
	placement := order.Placement{
		Cart:   order.CartRef{Customer: in.customerID, Owner: string(in.owner), Version: stored.Version},
		Credit: credit,
	}
	if len(caps) > 0 {
		placement.Caps = caps
	}
	if in.key != "" {
		placement.Idempotency = &order.IdempotencyKey{Customer: in.customerID, Key: in.key}
	}
	// No retry starts within retryMargin of the request's deadline or of
	// the function's timeout, counted from now.
	stopRetries := time.Now().Add(checkoutBudget - retryMargin)
	if d, ok := ctx.Deadline(); ok && d.Add(-retryMargin).Before(stopRetries) {
		stopRetries = d.Add(-retryMargin)
	}
	ordinary := split.ordinary != nil
	started, busyTries := false, 0
	for attempt := 0; ; attempt++ {
		if ordinary {
			served, err := order.Allocate(requests, levels, allocating, prefer)
			var short *order.ShortageError
			if errors.As(err, &short) {
				return order.Order{}, problem(http.StatusUnprocessableEntity, "out-of-stock", "Out of stock",
					"stock cannot serve some lines; see lines for what is available").With("lines", short.Lines)
			}
			if err != nil {
				return order.Order{}, err
			}
			// The ordinary order is the first; its lines are the requests'.
			for i, s := range served {
				orders[0].Lines[i].Allocations, orders[0].Lines[i].Backordered = s.Allocations, s.Backordered
			}
		}
		if !started && pay.Method.AwaitsPayment() {
			// Started once stock is known to serve the order: a refusal
			// for stock starts no payment. Each order is paid on its own.
			for i := range orders {
				o := &orders[i]
				st, err := a.Payments.Start(ctx, payment.Request{Order: o.ID, Method: pay.Method, Amount: o.Totals.Tax.Gross, Currency: currency, Customer: in.customerID})
				if err != nil {
					return order.Order{}, fmt.Errorf("starting the payment of order %s: %w", o.ID, err)
				}
				o.Payment.Reference, o.Payment.Instructions = st.Reference, st.Instructions
			}
			started = true
		}
		placement.Order, placement.PreOrders = orders[0], orders[1:]
		err = a.Orders.Place(ctx, placement)
		var stale *order.StaleStockError
		var ce *payment.CreditLimitError
		var capErr *order.CapError
		switch {
		case err == nil:
			return orders[0], nil
		case errors.As(err, &stale):
			if attempt >= maxStaleRetries || time.Now().After(stopRetries) {
				return order.Order{}, busy()
			}
			if levels, err = a.Stock.Levels(ctx, r.Merchant(), uniqueRequestRefs(requests)); err != nil {
				return order.Order{}, err
			}
		case errors.As(err, &capErr):
			return order.Order{}, problem(http.StatusUnprocessableEntity, "pre-order-cap-reached", "Pre-order cap reached",
				"some pre-order lines would take their product past its pre-order cap: nothing was ordered; see lines for what remains").
				With("lines", capErr.Lines)
		case errors.Is(err, order.ErrTooLarge):
			lines := 0
			for _, o := range orders {
				lines += len(o.Lines)
			}
			return order.Order{}, problem(http.StatusUnprocessableEntity, "order-too-large", "Order too large",
				fmt.Sprintf("this order of %d lines is more than one order can hold: nothing was ordered; split the cart into several orders", lines))
		case errors.Is(err, order.ErrCartChanged):
			return order.Order{}, problem(http.StatusConflict, "cart-changed", "Cart changed",
				"the cart changed during checkout: nothing was ordered; check the cart and order again")
		case errors.As(err, &ce):
			return order.Order{}, problem(http.StatusUnprocessableEntity, "credit-limit-exceeded", "Credit limit exceeded",
				fmt.Sprintf("this order of %s %s on account would take the outstanding of %s %s past the credit limit of %s %s",
					money.AmountIn(ce.Order, currency).String(), currency, money.AmountIn(ce.Outstanding, currency).String(), currency,
					money.AmountIn(ce.Limit, currency).String(), currency)).
				With("credit", CreditView{Limit: money.AmountIn(ce.Limit, currency), Outstanding: money.AmountIn(ce.Outstanding, currency),
					Order: money.AmountIn(ce.Order, currency), Currency: currency})
		case errors.Is(err, order.ErrBusy):
			// Transaction conflicts outlasted the store's retries: other
			// orders are taking the same stock (or the same capped count).
			// Read it again and try again, a few times, before the buyer
			// sees 503.
			if busyTries++; busyTries > maxBusyRetries || attempt >= maxStaleRetries || time.Now().After(stopRetries) {
				return order.Order{}, busy()
			}
			if ordinary {
				if levels, err = a.Stock.Levels(ctx, r.Merchant(), uniqueRequestRefs(requests)); err != nil {
					return order.Order{}, err
				}
			}
		default:
			return order.Order{}, err
		}
	}
}

// shippingRefusal is the answer to a shipping method or a delivery country
// the storefront cannot ship with.
func shippingRefusal(err error, sf merchant.Storefront, method, country string) error {
	switch {
	case errors.Is(err, order.ErrUnknownShippingMethod):
		methods := make([]string, 0, len(sf.Shipping.Methods))
		for _, sm := range sf.Shipping.Methods {
			methods = append(methods, sm.ID)
		}
		return problem(http.StatusUnprocessableEntity, "unknown-shipping-method", "Unknown shipping method",
			"shippingMethod "+echo(method)+" is not one of the storefront's").With("methods", methods)
	case errors.Is(err, order.ErrNoShippingRate):
		return problem(http.StatusUnprocessableEntity, "no-shipping-rate", "No shipping rate",
			"shipping method "+echo(method)+" does not deliver to "+country)
	}
	return err
}

// orderDraft is one order of a checkout before it is built: the indexes
// of its quote lines, its goods excluding VAT and its delivery; season is
// set for a pre-order.
type orderDraft struct {
	lines  []int
	season *seasonLines
	goods  decimal.Decimal
	cost   decimal.Decimal
	free   bool
}

// buildOrder builds one order of the checkout from its quote lines: the
// lines with their names, VAT and linked articles, its delivery's cost and
// VAT, its totals over its own lines and its legal mentions; a pre-order
// also its kind and its season. Allocations are the caller's.
func (a *CheckoutAPI) buildOrder(r *Request, in checkoutInput, res pricing.QuoteResult, products map[string]catalog.Product,
	stored cart.Stored, d orderDraft, id string, pay order.Payment) order.Order {
	sf := r.Storefront
	currency := sf.Currency
	q, qt, c := res.Quote, res.Tax, res.Customer
	taxLines := make([]tax.LineTax, 0, len(d.lines))
	for _, j := range d.lines {
		taxLines = append(taxLines, qt.Lines[j])
	}
	shippingTax := order.ShippingTax(taxLines, d.cost, currency)
	o := order.Order{
		ID: id, Merchant: r.Merchant(), Customer: in.customerID, CustomerKind: string(c.Kind), CustomerName: c.Name,
		PlacedBy: in.placedBy, PlacedAt: in.now, Status: order.AwaitingPayment,
		Reference: in.body.OrderReference, RequestedDelivery: in.requested, Storefront: sf.ID, ShipFrom: qt.Seller,
		Lines:    make([]order.Line, len(d.lines)),
		Shipping: order.Shipping{Method: in.body.ShippingMethod, AddressID: qt.ShipTo.AddressID, Country: qt.ShipTo.Country, Cost: d.cost, Free: d.free, Tax: shippingTax},
		Payment:  pay,
	}
	if pay.Method == payment.OnAccount {
		o.Status = order.Accepted
	}
	chain := sf.LanguageChain("")
	for k, j := range d.lines {
		l := q.Lines[j]
		name, _ := catalog.Text(products[l.Ref].Names, chain)
		// The order keeps the price and its discounts (Source, Discounts,
		// Net), not the quote's explanation of what did not apply: it
		// would weigh on every stored order for nothing.
		l.NotApplied = nil
		o.Lines[k] = order.Line{PricedLine: l, Name: name, Tax: qt.Lines[j]}
		if j < len(stored.Lines) && stored.Lines[j].Ref == l.Ref {
			o.Lines[k].LinkedTo = stored.Lines[j].BroughtBy
		}
	}
	taxLines = append(taxLines, shippingTax...)
	net := d.goods.Add(d.cost)
	o.Totals = order.Totals{Currency: currency, Goods: d.goods, Shipping: d.cost, Tax: tax.Summarize(taxLines), NetEUR: net}
	if qt.ExchangeRate != nil {
		rate := *qt.ExchangeRate
		o.Totals.ExchangeRate = &rate
		o.Totals.NetEUR = money.Round(net.DivRound(rate.Rate, fx.RateDecimals), fx.EUR)
	}
	o.Mentions = mentions(o.Totals.Tax, pay.Method == payment.OnAccount && c.Kind == customer.Pro)
	if s := d.season; s != nil {
		o.Kind = order.PreOrderKind
		o.PreOrder = &order.PreOrderInfo{Season: s.season, Closes: s.closes, AvailableFrom: s.availableFrom,
			Shard: mathrand.N(order.TotalsShards), Capped: slices.Sorted(maps.Keys(s.caps))}
	}
	return o
}

// seasonLines are the pre-order lines of one season: the indexes of their
// quote lines, the season's last day and the day the goods are expected
// (the earliest close and the latest availability among its products'),
// and the caps of its capped products, by reference.
type seasonLines struct {
	season        string
	lines         []int
	closes        time.Time
	availableFrom time.Time
	caps          map[string]int64
}

// cartSplit is a cart's quote lines split into the ordinary order's (nil
// when none) and each season's pre-order, seasons in name order.
type cartSplit struct {
	ordinary []int
	seasons  []*seasonLines
}

// PreOrderClosedLine is a pre-order line whose season does not take
// pre-orders today: the season's first and last days, YYYY-MM-DD.
type PreOrderClosedLine struct {
	Ref    string `json:"ref"`
	Season string `json:"season"`
	Opens  string `json:"opens"`
	Closes string `json:"closes"`
}

// PreOrderMinimumLine is a pre-order line below its product's minimum, in
// units.
type PreOrderMinimumLine struct {
	Ref       string `json:"ref"`
	Requested int64  `json:"requested"`
	Minimum   int64  `json:"minimum"`
}

// splitCart splits a cart's quote lines: a line of a product taken on
// pre-order (PreOrder set) goes to its season's pre-order, on the
// conditions that its season takes pre-orders today (422
// pre-order-closed, with the seasons' days) and that it holds at least
// the product's minimum (422 pre-order-minimum); every other line goes to
// the ordinary order.
func splitCart(lines []pricing.PricedLine, products map[string]catalog.Product, today time.Time) (cartSplit, error) {
	var (
		out     cartSplit
		bySeas  = map[string]*seasonLines{}
		closed  []PreOrderClosedLine
		minimum []PreOrderMinimumLine
	)
	for j, l := range lines {
		pre := products[l.Ref].PreOrder
		if pre == nil {
			out.ordinary = append(out.ordinary, j)
			continue
		}
		if pre.Open(today) != nil {
			closed = append(closed, PreOrderClosedLine{Ref: l.Ref, Season: pre.Season,
				Opens: pre.Opens.Format(time.DateOnly), Closes: pre.Closes.Format(time.DateOnly)})
		}
		if pre.MinQuantity > 0 && l.Units < pre.MinQuantity {
			minimum = append(minimum, PreOrderMinimumLine{Ref: l.Ref, Requested: l.Units, Minimum: pre.MinQuantity})
		}
		s := bySeas[pre.Season]
		if s == nil {
			s = &seasonLines{season: pre.Season, closes: pre.Closes, availableFrom: pre.AvailableFrom, caps: map[string]int64{}}
			bySeas[pre.Season] = s
			out.seasons = append(out.seasons, s)
		}
		s.lines = append(s.lines, j)
		if pre.Closes.Before(s.closes) {
			s.closes = pre.Closes
		}
		if pre.AvailableFrom.After(s.availableFrom) {
			s.availableFrom = pre.AvailableFrom
		}
		if pre.Cap > 0 {
			s.caps[l.Ref] = pre.Cap
		}
	}
	switch {
	case len(closed) > 0:
		return cartSplit{}, problem(http.StatusUnprocessableEntity, "pre-order-closed", "Pre-orders closed",
			"some lines are pre-orders of a season that does not take pre-orders today, "+today.Format(time.DateOnly)+
				" in the merchant's time zone: nothing was ordered; see lines for the seasons' days").With("lines", closed)
	case len(minimum) > 0:
		return cartSplit{}, problem(http.StatusUnprocessableEntity, "pre-order-minimum", "Pre-order minimum",
			"some pre-order lines hold fewer units than their product's minimum: nothing was ordered; see lines").With("lines", minimum)
	}
	slices.SortFunc(out.seasons, func(a, b *seasonLines) int { return strings.Compare(a.season, b.season) })
	return out, nil
}

// busy is the answer when concurrent orders kept taking the same stock
// through every retry: nothing was written.
func busy() *Problem {
	return problem(http.StatusServiceUnavailable, "busy", "Busy",
		"many orders are taking the same products at this moment: nothing was ordered; retry shortly").RetryAfter(time.Second)
}

func uniqueRequestRefs(rs []order.Request) []string {
	refs := make([]string, 0, len(rs))
	for _, r := range rs {
		if !slices.Contains(refs, r.Ref) {
			refs = append(refs, r.Ref)
		}
	}
	return refs
}

// payment checks the payment method chosen and sets the order's payment:
// on account with its terms, its due date and the credit to check; card or
// transfer awaiting payment (the provider starts it once stock is
// allocated).
func (a *CheckoutAPI) payment(in checkoutInput, storefront map[string][]string, c customer.Customer, country, currency string) (order.Payment, *order.Credit, error) {
	offered := order.PaymentMethods(storefront, country, c.Payment)
	refused := func(detail string) error {
		return problem(http.StatusUnprocessableEntity, "payment-method-refused", "Payment method refused", detail).With("methods", offered)
	}
	if !slices.Contains(offered, in.method) {
		return order.Payment{}, nil, refused(fmt.Sprintf("%s is not offered to this customer for a delivery to %s", in.method, country))
	}
	pay := order.Payment{Method: in.method}
	if in.method != payment.OnAccount {
		return pay, nil, nil
	}
	if c.Payment.Terms == nil {
		return order.Payment{}, nil, refused("the customer has no payment terms")
	}
	if currency != in.seller.Currency {
		return order.Payment{}, nil, refused(fmt.Sprintf("an order on account is in the merchant's currency, %s, not %s", in.seller.Currency, currency))
	}
	terms := *c.Payment.Terms
	if terms.Basis == payment.EndOfMonth && in.seller.MonthEnd == "" {
		return order.Payment{}, nil, problem(http.StatusUnprocessableEntity, "payment-terms-unavailable", "Payment terms unavailable",
			"the customer's terms, "+terms.Label()+", need the merchant's end-of-month computation, which is not set: merchant staff must set it")
	}
	dates := payment.Dates{Invoice: in.today}
	if in.requested != nil {
		dates.RequestedDelivery = *in.requested
	}
	due, err := payment.DueDate(terms, in.seller.MonthEnd, dates)
	if err != nil {
		return order.Payment{}, nil, problem(http.StatusUnprocessableEntity, "payment-terms-unavailable", "Payment terms unavailable",
			"no due date can be computed for the customer's terms: "+err.Error())
	}
	pay.Terms, pay.Due = &terms, &due
	return pay, &order.Credit{Limit: c.CreditLimit}, nil
}

// mentions are the order's legal mentions: the VAT mentions of its rates,
// then the recovery indemnity of a pro's order on account.
func mentions(s tax.Summary, indemnity bool) []string {
	var out []string
	for _, r := range s.PerRate {
		if r.Mention != "" && !slices.Contains(out, r.Mention) {
			out = append(out, r.Mention)
		}
	}
	if indemnity {
		out = append(out, payment.RecoveryIndemnityMention)
	}
	return out
}
