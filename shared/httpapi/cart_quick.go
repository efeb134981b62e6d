package httpapi

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
)

// QuickOrderRequest is the JSON body of POST /cart/quick-order. The same
// route takes text/csv or text/plain pasted from a spreadsheet (see
// cart.ParseQuickOrder), the customer then in ?customer=.
type QuickOrderRequest struct {
	Customer string           `json:"customer,omitempty"`
	Lines    []QuickOrderLine `json:"lines"`
}

// QuickOrderLine is one line of a quick order.
type QuickOrderLine struct {
	Ref       string                `json:"ref"`
	Quantity  int64                 `json:"quantity"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
}

// QuickOrderResult is what one line of a quick order did.
type QuickOrderResult struct {
	// Line is the line's number: its index from 1 in the JSON lines, its
	// line number in the text.
	Line int    `json:"line"`
	Ref  string `json:"ref,omitempty"`
	// Quantity is the quantity asked, in packages of Packaging.
	Quantity  int64                 `json:"quantity,omitempty"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
	// Outcome is added, adjusted, unknown, hidden, not-orderable or
	// invalid.
	Outcome cart.Outcome `json:"outcome"`
	// Detail says why the line was adjusted or refused.
	Detail string `json:"detail,omitempty"`
	// AdjustedTo is the quantity put in the cart instead of the one asked.
	AdjustedTo int64 `json:"adjustedTo,omitempty"`
	// Suggestions are the optional companions of an added product.
	Suggestions []cart.Suggestion `json:"suggestions,omitempty"`
}

// QuickOrderResponse is each line's result and the cart after them.
type QuickOrderResponse struct {
	Results []QuickOrderResult `json:"results"`
	Cart    CartView           `json:"cart"`
}

func (a *CartAPI) quickOrder(w http.ResponseWriter, r *Request) error {
	lines, requested, err := readQuickOrder(r)
	if err != nil {
		return err
	}
	s, err := a.session(r, requested)
	if err != nil {
		return err
	}
	var refs []string
	for _, l := range lines {
		if l.OK() {
			refs = append(refs, l.Ref)
		}
	}
	var results []cart.QuickResult
	st, err := s.change(refs, func(c *cart.Cart) (*cart.Cart, error) {
		results = c.Apply(lines)
		return c, nil
	})
	if err != nil {
		return s.problem(err)
	}
	view, err := s.view(st)
	if err != nil {
		return err
	}
	out := QuickOrderResponse{Results: make([]QuickOrderResult, len(results)), Cart: view}
	for i, res := range results {
		asked := lines[i]
		q := QuickOrderResult{Line: res.Line, Ref: res.Ref, Quantity: asked.Quantity, Packaging: res.Packaging, Outcome: res.Outcome, Detail: res.Message, Suggestions: res.Suggestions}
		if q.Packaging == "" {
			q.Packaging = asked.Packaging
		}
		if res.Outcome == cart.Adjusted {
			q.AdjustedTo = res.Quantity
		}
		out.Results[i] = q
	}
	w.Header().Set("ETag", etag(st.Version))
	return writeJSON(w, http.StatusOK, out)
}

// readQuickOrder reads the lines of a quick order, as JSON or as text, and
// the customer it names.
func readQuickOrder(r *Request) ([]cart.QuickLine, string, error) {
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, "", InvalidParameter("Content-Type must be application/json, text/csv or text/plain")
	}
	switch media {
	case "", "application/json":
		var body QuickOrderRequest
		if err := decodeBody(r.Request, &body); err != nil {
			return nil, "", err
		}
		if len(body.Lines) == 0 || len(body.Lines) > cart.MaxQuickOrderLines {
			return nil, "", InvalidParameter(fmt.Sprintf("lines must hold from 1 to %d lines", cart.MaxQuickOrderLines))
		}
		lines := make([]cart.QuickLine, len(body.Lines))
		for i, l := range body.Lines {
			lines[i] = quickLine(i+1, l)
		}
		return lines, body.Customer, nil
	case "text/csv", "text/plain":
		data, err := readBody(r.Request)
		if err != nil {
			return nil, "", err
		}
		text := string(data)
		if !utf8.ValidString(text) {
			// Spreadsheets on Windows save in Windows-1252 (ANSI).
			if text, err = charmap.Windows1252.NewDecoder().String(text); err != nil {
				return nil, "", invalidBody("the text is neither UTF-8 nor Windows-1252")
			}
		}
		lines, err := cart.ParseQuickOrder(text)
		if errors.Is(err, cart.ErrQuickOrderTooLarge) {
			return nil, "", InvalidParameter(fmt.Sprintf("a quick order holds at most %d lines of %d characters: %v", cart.MaxQuickOrderLines, cart.MaxQuickOrderLineLen, err))
		}
		if err != nil {
			return nil, "", err
		}
		if len(lines) == 0 {
			return nil, "", InvalidParameter("the text holds no line: one line per article, its reference then its quantity")
		}
		return lines, r.URL.Query().Get("customer"), nil
	}
	return nil, "", InvalidParameter("Content-Type must be application/json, text/csv or text/plain")
}

// quickLine checks one JSON line as the text's lines are checked.
func quickLine(n int, l QuickOrderLine) cart.QuickLine {
	q := cart.QuickLine{Line: n, Ref: l.Ref, Quantity: l.Quantity, Packaging: l.Packaging}
	fail := func(problem, format string, args ...any) cart.QuickLine {
		q.Problem, q.Message = problem, fmt.Sprintf("line %d: ", n)+fmt.Sprintf(format, args...)
		return q
	}
	switch {
	case l.Ref == "":
		return fail(cart.ProblemMissingRef, "no reference")
	case !catalog.ValidRef(l.Ref):
		q.Ref = ""
		return fail(cart.ProblemBadRef, "%s is not a product reference", echo(l.Ref))
	case l.Quantity < 1 || l.Quantity > pricing.MaxQuantity:
		return fail(cart.ProblemBadQuantity, "%d is not a quantity from 1 to %d", l.Quantity, pricing.MaxQuantity)
	case !validPackaging(l.Packaging):
		return fail(cart.ProblemBadPackaging, "%s is not a packaging (unit, lot or pallet)", echo(string(l.Packaging)))
	}
	return q
}

// ReorderRequest is the body of POST /cart/reorder.
type ReorderRequest struct {
	// Customer is whose cart: implicit for a buyer; a rep or staff member
	// may leave it out, the order's customer then.
	Customer string `json:"customer,omitempty"`
	// Order is the number of the past order to copy.
	Order string `json:"order"`
}

// Differences of a reordered line from the order.
const (
	// DiffPrice: the unit price today is not the order's.
	DiffPrice = "price"
	// DiffQuantity: the quantity was adjusted to the product's rules.
	DiffQuantity = "quantity"
	// DiffUnavailable: the product is no longer sold.
	DiffUnavailable = "unavailable"
	// DiffHidden: the customer may no longer see the product.
	DiffHidden = "hidden"
	// DiffNotOrderable: the product cannot be ordered now (its rules or
	// its mandatory linked articles).
	DiffNotOrderable = "not-orderable"
)

// ReorderLine is one line of the past order and what the reorder made of
// it.
type ReorderLine struct {
	Ref       string                `json:"ref"`
	Packaging catalog.PackagingKind `json:"packaging"`
	// Quantity is the order's, in packages.
	Quantity int64 `json:"quantity"`
	// Outcome is added, adjusted, unknown, hidden or not-orderable.
	Outcome cart.Outcome `json:"outcome"`
	// Added is the quantity put in the cart.
	Added int64 `json:"added"`
	// Differences lists what changed since the order: price, quantity,
	// unavailable, hidden, not-orderable.
	Differences []string `json:"differences"`
	// UnitPriceThen is the order's unit price (excluding VAT), in
	// CurrencyThen; UnitPriceNow today's for the quantity added, in the
	// cart's currency.
	UnitPriceThen money.Amount  `json:"unitPriceThen"`
	CurrencyThen  string        `json:"currencyThen"`
	UnitPriceNow  *money.Amount `json:"unitPriceNow,omitempty"`
	// LinkedTo are the products the line came with in the order.
	LinkedTo []string `json:"linkedTo,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// ReorderResponse is each line of the order with its differences, and the
// cart after the reorder.
type ReorderResponse struct {
	Order string        `json:"order"`
	Lines []ReorderLine `json:"lines"`
	Cart  CartView      `json:"cart"`
}

func (a *CartAPI) reorder(w http.ResponseWriter, r *Request) error {
	var body ReorderRequest
	if err := decodeBody(r.Request, &body); err != nil {
		return err
	}
	if !catalog.ValidID(body.Order) {
		return InvalidParameter("order must be an order number")
	}
	if r.Caller.IsAnonymous() {
		return Unauthenticated("log in to use a cart")
	}
	noOrder := NotFound("no order " + body.Order)
	ord, err := a.Orders.Order(r.Context(), r.Merchant(), body.Order)
	if errors.Is(err, order.ErrNotFound) {
		return noOrder
	}
	if err != nil {
		return err
	}
	requested, named := body.Customer, body.Customer != ""
	if !named && r.Caller.Role != identity.Buyer {
		requested = ord.Customer
	}
	s, err := a.session(r, requested)
	if err != nil {
		return err
	}
	if ord.Customer != s.customerID {
		return noOrder
	}
	var (
		chosen  []cart.QuickLine
		results []cart.QuickResult
		added   map[int]int64
		refs    []string
	)
	for i, l := range ord.Lines {
		refs = append(refs, l.Ref)
		if len(l.LinkedTo) == 0 {
			chosen = append(chosen, cart.QuickLine{Line: i + 1, Ref: l.Ref, Quantity: l.Quantity, Packaging: l.Packaging})
		}
	}
	st, err := s.change(refs, func(c *cart.Cart) (*cart.Cart, error) {
		before := c.Lines()
		results = c.Apply(chosen)
		added = companionLines(c, ord.Lines, before, results)
		return c, nil
	})
	var pe *Problem
	if !named && errors.As(err, &pe) && (pe.Status == http.StatusForbidden || pe.Status == http.StatusNotFound) {
		// The caller may not see the order's customer: nor the order.
		return noOrder
	}
	if err != nil {
		return s.problem(err)
	}
	view, err := s.view(st)
	if err != nil {
		return err
	}
	out := ReorderResponse{Order: ord.ID, Lines: make([]ReorderLine, len(ord.Lines)), Cart: view}
	byLine := map[int]cart.QuickResult{}
	for _, res := range results {
		byLine[res.Line] = res
	}
	var now []pricing.Line
	var nowIdx []int
	for i, l := range ord.Lines {
		rl := ReorderLine{Ref: l.Ref, Packaging: l.Packaging, Quantity: l.Quantity, UnitPriceThen: money.AmountIn(l.UnitPrice.Decimal, ord.Totals.Currency), CurrencyThen: ord.Totals.Currency, LinkedTo: l.LinkedTo, Differences: []string{}}
		if res, ok := byLine[i+1]; ok {
			rl.Outcome, rl.Detail = res.Outcome, res.Message
			if res.Outcome == cart.Added || res.Outcome == cart.Adjusted {
				rl.Added, rl.Packaging = res.Quantity, res.Packaging
			}
		} else {
			rl.Added = added[i]
			rl.Outcome = cart.Added
			if rl.Added == 0 {
				rl.Outcome, rl.Detail = cart.NotOrderable, "it came with "+fmt.Sprint(l.LinkedTo)+" in the order, and none of them could be added"
			}
		}
		switch rl.Outcome {
		case cart.Adjusted:
			rl.Differences = append(rl.Differences, DiffQuantity)
		case cart.Unknown:
			rl.Differences = append(rl.Differences, DiffUnavailable)
		case cart.Hidden:
			if p, ok := s.products.Product(l.Ref); ok && p.Inactive {
				rl.Differences = append(rl.Differences, DiffUnavailable)
			} else {
				rl.Differences = append(rl.Differences, DiffHidden)
			}
		case cart.NotOrderable:
			rl.Differences = append(rl.Differences, DiffNotOrderable)
		}
		if rl.Added > 0 {
			now = append(now, pricing.Line{Ref: l.Ref, Quantity: rl.Added, Packaging: rl.Packaging})
			nowIdx = append(nowIdx, i)
		}
		out.Lines[i] = rl
	}
	if len(now) > 0 {
		// Today's prices of the lines as reordered, on their own.
		_, priced, err := s.quote(r.Context(), now)
		if err != nil {
			return err
		}
		for j, pl := range priced.Lines {
			if pl.Error != nil {
				continue
			}
			rl := &out.Lines[nowIdx[j]]
			p := pl.UnitPrice
			rl.UnitPriceNow = &p
			if priced.Currency != rl.CurrencyThen || !p.Decimal.Equal(rl.UnitPriceThen.Decimal) {
				rl.Differences = append(rl.Differences, DiffPrice)
			}
		}
	}
	w.Header().Set("ETag", etag(st.Version))
	return writeJSON(w, http.StatusOK, out)
}

// companionLines brings the lines that came with their products in the
// order (mandatory linked articles) to the order's quantity on top of
// what the cart held before, where following their products did not
// already: a companion the buyer had raised is raised again. It returns
// the quantity of each such line (by index in the order) put in the cart.
func companionLines(c *cart.Cart, lines []order.Line, before []cart.Line, results []cart.QuickResult) map[int]int64 {
	in := map[string]bool{}
	for _, res := range results {
		if res.Outcome == cart.Added || res.Outcome == cart.Adjusted {
			in[res.Ref] = true
		}
	}
	quantity := func(lines []cart.Line, ref string, pk catalog.PackagingKind) int64 {
		for _, l := range lines {
			if l.Ref == ref && l.Packaging == pk {
				return l.Quantity
			}
		}
		return 0
	}
	out := map[int]int64{}
	for i, l := range lines {
		if len(l.LinkedTo) == 0 {
			continue
		}
		brought := false
		for _, by := range l.LinkedTo {
			brought = brought || in[by]
		}
		if !brought {
			continue
		}
		was := quantity(before, l.Ref, l.Packaging)
		if target := was + l.Quantity; quantity(c.Lines(), l.Ref, l.Packaging) < target {
			// Refused (rules changed): the line keeps what its products need.
			_, _ = c.SetQuantity(l.Ref, l.Packaging, target)
		}
		out[i] = quantity(c.Lines(), l.Ref, l.Packaging) - was
	}
	return out
}
