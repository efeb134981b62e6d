package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
)

// CartAPI serves the cart routes: each buyer's open cart, and the carts a
// rep or a staff member builds for a customer, with the cart rules
// (quantities, linked articles) applied on every change and the cart
// priced live as POST /pricing/quote prices (same explanation, same VAT).
type CartAPI struct {
	Pipeline *Pipeline
	Carts    cart.Store
	// Quoter prices the cart, as the pricing function's does.
	Quoter *pricing.Quoter
	// Catalog reads the products of the cart, their linked articles and
	// the optional companions suggested.
	Catalog pricing.ProductSource
	// Assortments limit what some customers see, and so may put in a
	// cart.
	Assortments AssortmentReader
	// Orders reads the past orders a reorder copies.
	Orders order.Store
	// Now is the clock of the day prices are taken on; nil means
	// time.Now.
	Now func() time.Time
}

// MaxCartLines bounds the lines of a cart, as a quote's.
const MaxCartLines = MaxQuoteLines

// Routes returns the cart function's router.
func (a *CartAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("GET /cart", a.Pipeline.Handle(a.get))
	rt.Handle("DELETE /cart", a.Pipeline.Handle(a.clear))
	rt.Handle("POST /cart/lines", a.Pipeline.Handle(a.addLine))
	rt.Handle("PUT /cart/lines/{ref}", a.Pipeline.Handle(a.setLine))
	rt.Handle("DELETE /cart/lines/{ref}", a.Pipeline.Handle(a.removeLine))
	rt.Handle("POST /cart/quick-order", a.Pipeline.Handle(a.quickOrder))
	rt.Handle("POST /cart/reorder", a.Pipeline.Handle(a.reorder))
	return rt
}

// CartLineRequest is the body of POST /cart/lines and PUT
// /cart/lines/{ref}.
type CartLineRequest struct {
	// Customer is whose cart: implicit for a buyer, required for a rep
	// (within their portfolio) and for staff.
	Customer string `json:"customer,omitempty"`
	// Ref is the product (POST only; PUT names it in the path).
	Ref string `json:"ref,omitempty"`
	// Quantity is a number of packages: added to the line by POST, the
	// line's new quantity for PUT (0 removes it).
	Quantity int64 `json:"quantity"`
	// Packaging defaults to the product's default packaging.
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
}

func (a *CartAPI) get(w http.ResponseWriter, r *Request) error {
	s, err := a.session(r, r.URL.Query().Get("customer"))
	if err != nil {
		return err
	}
	st, err := a.Carts.Get(r.Context(), r.Merchant(), s.customerID, s.owner)
	if err != nil {
		return err
	}
	return s.respond(w, st)
}

func (a *CartAPI) clear(w http.ResponseWriter, r *Request) error {
	s, err := a.session(r, r.URL.Query().Get("customer"))
	if err != nil {
		return err
	}
	st, err := s.change(nil, func(c *cart.Cart) (*cart.Cart, error) {
		return cart.New(s.products, s.visible), nil
	})
	if err != nil {
		return s.problem(err)
	}
	return s.respond(w, st)
}

func (a *CartAPI) addLine(w http.ResponseWriter, r *Request) error {
	var body CartLineRequest
	if err := decodeBody(r.Request, &body); err != nil {
		return err
	}
	if err := checkLine(body.Ref, body.Packaging); err != nil {
		return err
	}
	s, err := a.session(r, body.Customer)
	if err != nil {
		return err
	}
	st, err := s.change([]string{body.Ref}, func(c *cart.Cart) (*cart.Cart, error) {
		_, err := c.Add(body.Ref, body.Packaging, body.Quantity)
		return c, err
	})
	if err != nil {
		return s.problem(err)
	}
	return s.respond(w, st)
}

func (a *CartAPI) setLine(w http.ResponseWriter, r *Request) error {
	var body CartLineRequest
	if err := decodeBody(r.Request, &body); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if body.Ref != "" && body.Ref != ref {
		return InvalidParameter("ref: the body names another product than the path")
	}
	if err := checkLine(ref, body.Packaging); err != nil {
		return err
	}
	s, err := a.session(r, body.Customer)
	if err != nil {
		return err
	}
	st, err := s.change([]string{ref}, func(c *cart.Cart) (*cart.Cart, error) {
		_, err := c.SetQuantity(ref, body.Packaging, body.Quantity)
		return c, err
	})
	if err != nil {
		return s.problem(err)
	}
	return s.respond(w, st)
}

func (a *CartAPI) removeLine(w http.ResponseWriter, r *Request) error {
	ref, packaging := r.PathValue("ref"), catalog.PackagingKind(r.URL.Query().Get("packaging"))
	if err := checkLine(ref, packaging); err != nil {
		return err
	}
	s, err := a.session(r, r.URL.Query().Get("customer"))
	if err != nil {
		return err
	}
	st, err := s.change([]string{ref}, func(c *cart.Cart) (*cart.Cart, error) {
		return c, c.Remove(ref, packaging)
	})
	if err != nil {
		return s.problem(err)
	}
	return s.respond(w, st)
}

// checkLine refuses a reference or a packaging that cannot be one.
func checkLine(ref string, packaging catalog.PackagingKind) error {
	if !catalog.ValidRef(ref) {
		return InvalidParameter("ref must be a product reference: 1 to 64 printable characters without spaces or '#'")
	}
	if !validPackaging(packaging) {
		return InvalidParameter("packaging must be unit, lot or pallet")
	}
	return nil
}

// validPackaging reports whether k is a packaging kind, or empty (the
// product's default).
func validPackaging(k catalog.PackagingKind) bool {
	return k == "" || k == catalog.Unit || k == catalog.Lot || k == catalog.Pallet
}

// ownerOf is whose cart a caller writes: a buyer's own ("B#<subject>"), a
// rep's for the customer ("R#<rep code>"), a staff member's
// ("S#<subject>").
func ownerOf(c identity.Caller) (cart.Owner, error) {
	var kind, id string
	switch c.Role {
	case identity.Buyer:
		kind, id = "B", c.Subject
	case identity.Rep:
		kind, id = "R", c.Rep
	case identity.Staff:
		kind, id = "S", c.Subject
	default:
		return "", Unauthenticated("log in to use a cart")
	}
	if !catalog.ValidRef(id) {
		return "", Forbidden("your login's identifier cannot hold a cart: it must be 1 to 64 printable characters without spaces or '#'")
	}
	return cart.Owner(kind + "#" + id), nil
}

// session starts a request on the caller's cart for the customer they
// name (customerFor: the access itself is checked once the customer is
// read).
func (a *CartAPI) session(r *Request, requested string) (*cartSession, error) {
	customerID, repID, err := customerFor(r.Caller, requested)
	if err != nil {
		return nil, err
	}
	owner, err := ownerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	if customerID == "" {
		return nil, InvalidParameter("customer is required: merchant staff build a cart for a customer they name")
	}
	return &cartSession{
		api: a, r: r, m: r.Merchant(), customerID: customerID, repID: repID, owner: owner,
		products: &cartProducts{src: a.Catalog, m: r.Merchant()},
		tariff:   &cartTariff{store: a.Quoter.Store},
	}, nil
}

// errUnchanged aborts a cart write that would change nothing.
var errUnchanged = errors.New("the cart is unchanged")

// change applies op to the caller's cart and writes the result under the
// request's If-Match (see ifMatch), reading first what the cart rules need:
// the customer (and the access check), the products of the cart and of
// refs, and their linked articles. op may run more than once: a write
// that lost a race without If-Match runs it again on the newer cart. A
// change that leaves the lines as they were writes nothing.
func (s *cartSession) change(refs []string, op func(*cart.Cart) (*cart.Cart, error)) (cart.Stored, error) {
	expected, mustBeNew, err := ifMatch(s.r.Request)
	if err != nil {
		return cart.Stored{}, err
	}
	ctx := s.r.Context()
	var unchanged cart.Stored
	st, err := s.api.Carts.Update(ctx, s.m, s.customerID, s.owner, expected, func(st *cart.Stored) error {
		if mustBeNew && st.Version != 0 {
			return &cart.VersionError{Expected: 0, Current: *st}
		}
		if err := s.prepare(ctx, append(lineRefs(st.Lines), refs...)); err != nil {
			return err
		}
		c, err := op(cart.New(s.products, s.visible, st.Lines...))
		if err != nil {
			return err
		}
		next := c.Lines()
		if len(next) > MaxCartLines {
			return InvalidParameter(fmt.Sprintf("the cart would hold %d lines: a cart holds at most %d", len(next), MaxCartLines))
		}
		if sameLines(next, st.Lines) {
			unchanged = *st
			return errUnchanged
		}
		st.Lines = next
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return unchanged, nil
	}
	return st, err
}

// sameLines reports whether two carts hold the same lines.
func sameLines(a, b []cart.Line) bool {
	return slices.EqualFunc(a, b, func(x, y cart.Line) bool {
		return x.Ref == y.Ref && x.Packaging == y.Packaging && x.Quantity == y.Quantity && x.Chosen == y.Chosen && slices.Equal(x.BroughtBy, y.BroughtBy)
	})
}

// lineRefs are the references of a cart's lines.
func lineRefs(lines []cart.Line) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, l.Ref)
	}
	return out
}

// ifMatch reads the If-Match header of a cart write: `"<version>"` is the
// version the client saw (ETag); none, or `*`, lets the write merge with
// whatever the cart holds. `"0"` (an empty cart never written) holds only
// while the cart is still unwritten: mustBeNew.
func ifMatch(r *http.Request) (expected int64, mustBeNew bool, err error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, false, nil
	}
	v = strings.TrimPrefix(v, "W/")
	bad := InvalidParameter(`If-Match must be the cart's ETag: a version in double quotes, such as "3"`)
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0, false, bad
	}
	n, perr := strconv.ParseInt(v[1:len(v)-1], 10, 64)
	if perr != nil || n < 0 {
		return 0, false, bad
	}
	return n, n == 0, nil
}

// etag is the ETag of a cart at a version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// NearestQuantities are the valid quantities nearest a refused one, in
// packages: the largest below, the smallest above (absent when there is
// none).
type NearestQuantities struct {
	Below int64 `json:"below,omitempty"`
	Above int64 `json:"above,omitempty"`
}

// problem maps the errors of a cart change to problems; a version
// conflict answers with the cart as it stands.
func (s *cartSession) problem(err error) error {
	var (
		qe *cart.QuantityError
		ne *cart.NotOrderableError
		ce *cart.CompanionError
		ve *cart.VersionError
	)
	switch {
	case errors.As(err, &ve):
		view, verr := s.view(ve.Current)
		if verr != nil {
			return verr
		}
		return problem(http.StatusConflict, "cart-version-mismatch", "Cart changed",
			fmt.Sprintf("the cart is at version %d, not %d: nothing was written; see cart for the cart as it stands, and send its version in If-Match", ve.Current.Version, ve.Expected)).
			With("cart", view)
	case errors.As(err, &qe):
		return problem(http.StatusUnprocessableEntity, "invalid-quantity", "Invalid quantity", qe.Error()).
			With("nearest", NearestQuantities{Below: qe.Below, Above: qe.Above})
	case errors.Is(err, cart.ErrUnknownProduct):
		return problem(http.StatusUnprocessableEntity, "unknown-product", "Unknown product", err.Error())
	case errors.Is(err, cart.ErrHidden):
		return problem(http.StatusUnprocessableEntity, "product-hidden", "Product not available", err.Error())
	case errors.As(err, &ne), errors.Is(err, cart.ErrLinkLoop):
		return problem(http.StatusUnprocessableEntity, "not-orderable", "Product cannot be ordered", err.Error())
	case errors.As(err, &ce):
		return problem(http.StatusUnprocessableEntity, "mandatory-companion", "Mandatory linked article", ce.Error())
	case errors.Is(err, cart.ErrNotInCart):
		return NotFound("the cart has no such line")
	case errors.Is(err, cart.ErrBusy):
		return problem(http.StatusServiceUnavailable, "busy", "Busy", "the cart is being changed by other requests: nothing was written; retry").
			RetryAfter(time.Second)
	}
	return err
}

// respond answers the cart as it stands, with its version as ETag.
func (s *cartSession) respond(w http.ResponseWriter, st cart.Stored) error {
	view, err := s.view(st)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(st.Version))
	return writeJSON(w, http.StatusOK, view)
}

// today is the merchant's calendar day, the day a cart is priced on
// (merchant.Merchant.Today; the merchant is cached per function).
func (s *cartSession) today(ctx context.Context) (time.Time, error) {
	now := time.Now
	if s.api.Now != nil {
		now = s.api.Now
	}
	if s.api.Quoter.Tax == nil {
		return merchant.Merchant{}.Today(now()), nil
	}
	m, err := s.api.Quoter.Tax.Merchant(ctx, s.m)
	if err != nil {
		return time.Time{}, err
	}
	return m.Today(now()), nil
}
