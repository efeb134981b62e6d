package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
)

// OrdersAPI serves the orders function: a company's order history, an
// order's detail, its cancellation, its payment received (staff) and the
// merchant's CSV export.
//
// Who sees what: a buyer their company's orders; a rep the orders of the
// customers of their portfolio (a list names the customer); merchant staff
// every order of their merchant. An order the caller may not see is 404,
// as if it did not exist.
type OrdersAPI struct {
	Pipeline *Pipeline
	Orders   order.Store
	History  order.History
	// Accounts reads a customer's account and a rep's profile, to check
	// that the customer is in the rep's portfolio (one BatchGetItem); only
	// reps need it.
	Accounts PortfolioReader
	// Merchants gives the merchant's time zone, the one the days of the
	// from and to filters are read in; nil reads them in
	// merchant.DefaultTimeZone.
	Merchants merchant.Reader
	// Cursors seals the page cursors; nil seals them with a key that lives
	// as long as the process (tests and tools).
	Cursors *cursor.Sealer
	// Now is the clock of cancellations; nil means time.Now.
	Now func() time.Time
}

// PortfolioReader reads a customer's account and, when repID is not empty,
// the rep's profile (nil when unknown); an unknown customer is
// customer.ErrUnknown. dynamo.Pricing reads both in one round trip.
type PortfolioReader interface {
	CustomerTariff(ctx context.Context, m merchant.ID, customerID string, refs []string, repID string) (pricing.CustomerTariff, error)
}

// MaxExportBytes bounds a CSV export: what a function's response may carry,
// with room to spare. A larger export is refused (422 export-too-large):
// the caller narrows the dates.
const MaxExportBytes = 5 << 20

// Routes returns the orders function's router.
func (a *OrdersAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("GET /orders", a.Pipeline.Handle(a.list))
	rt.Handle("GET /orders/export", a.Pipeline.Handle(a.export))
	rt.Handle("GET /orders/{id}", a.Pipeline.Handle(a.detail))
	rt.Handle("POST /orders/{id}/cancel", a.Pipeline.Handle(a.cancel))
	rt.Handle("POST /orders/{id}/paid", a.Pipeline.Handle(a.paid))
	return rt
}

// OrderPage is one page of an order history, newest first.
type OrderPage struct {
	Items []OrderSummaryView `json:"items"`
	// NextCursor, passed as ?cursor=, gives the next page; absent on the
	// last one.
	NextCursor string `json:"nextCursor,omitempty"`
}

// orderFilter is the query of a list or an export, as the caller gave it
// (for the cursor's binding) and as History reads it.
type orderFilter struct {
	q                order.Query
	status, from, to string
}

// list serves GET /orders[?customer=&status=&from=&to=&limit=&cursor=]:
// the orders of the customer the caller may see, newest first.
func (a *OrdersAPI) list(w http.ResponseWriter, r *Request) error {
	params, err := queryParams(r)
	if err != nil {
		return err
	}
	customerID, err := a.listCustomer(r, params.Get("customer"))
	if err != nil {
		return err
	}
	f, err := a.filter(r, params)
	if err != nil {
		return err
	}
	f.q.Customer = customerID
	if f.q.Limit, err = orderPageSize(params.Get("limit")); err != nil {
		return err
	}
	list := []string{"orders", customerID, f.status, f.from, f.to}
	if vals, ok := params["cursor"]; ok {
		if len(vals) != 1 || vals[0] == "" {
			return InvalidCursor()
		}
		pos, err := a.openPosition(r, vals[0], list)
		if err != nil {
			return InvalidCursor()
		}
		f.q.After = pos
	}
	page, err := a.History.List(r.Context(), r.Merchant(), f.q)
	if errors.Is(err, order.ErrBadPosition) {
		// A sealed cursor whose position the list no longer accepts: its
		// month left the months the list walks, or it is of another list.
		return InvalidCursor()
	}
	if err != nil {
		return err
	}
	out := OrderPage{Items: make([]OrderSummaryView, len(page.Orders))}
	for i, o := range page.Orders {
		out.Items[i] = NewOrderSummaryView(o)
	}
	if page.Next != "" {
		if out.NextCursor, err = a.sealPosition(r, page.Next, list); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// listCustomer is the customer whose orders the caller lists: a buyer's
// own company (naming another is 403), the customer a rep must name, in
// their portfolio (403 otherwise), the one staff name or, without one,
// every customer ("").
func (a *OrdersAPI) listCustomer(r *Request, requested string) (string, error) {
	customerID, repID, err := customerFor(r.Caller, requested)
	if err != nil {
		return "", err
	}
	switch r.Caller.Role {
	case identity.Buyer:
		if customerID == "" { // a buyer's token without a company sees none
			return "", Forbidden("your login belongs to no customer account")
		}
		return customerID, nil
	case identity.Staff:
		return customerID, nil
	}
	return customerID, a.checkPortfolio(r, customerID, repID)
}

// checkPortfolio refuses a rep whose portfolio does not hold customerID
// (403; an unknown customer too): one read of the account and the rep.
func (a *OrdersAPI) checkPortfolio(r *Request, customerID, repID string) error {
	ct, err := a.Accounts.CustomerTariff(r.Context(), r.Merchant(), customerID, nil, repID)
	return customerAccess(r.Caller, customerID, ct.Rep, err)
}

// filter reads the status, from and to parameters: a status of the order
// statuses, days YYYY-MM-DD in the merchant's time zone, from no later than
// to, both included.
func (a *OrdersAPI) filter(r *Request, params url.Values) (orderFilter, error) {
	f := orderFilter{status: params.Get("status"), from: params.Get("from"), to: params.Get("to")}
	switch s := order.Status(f.status); s {
	case "", order.AwaitingPayment, order.Accepted, order.Paid, order.Cancelled:
		f.q.Status = s
	default:
		return f, InvalidParameter(fmt.Sprintf("status %s is not one of %s, %s, %s, %s", echo(f.status), order.AwaitingPayment, order.Accepted, order.Paid, order.Cancelled))
	}
	from, err := orderDay("from", f.from)
	if err != nil {
		return f, err
	}
	to, err := orderDay("to", f.to)
	if err != nil {
		return f, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return f, InvalidParameter("to " + f.to + " is before from " + f.from)
	}
	if from.IsZero() && to.IsZero() {
		return f, nil
	}
	loc, err := a.location(r)
	if err != nil {
		return f, err
	}
	if !from.IsZero() {
		f.q.From = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	}
	if !to.IsZero() {
		f.q.To = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	}
	return f, nil
}

// orderDay reads a day parameter (YYYY-MM-DD, from the year 2000 to 9999);
// empty is the zero time.
func orderDay(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || len(v) != len(time.DateOnly) || d.Year() < 2000 {
		return time.Time{}, InvalidParameter(name + " " + echo(v) + " is not a day YYYY-MM-DD from the year 2000")
	}
	return d, nil
}

// location is the merchant's time zone (its record, cached by the reader).
func (a *OrdersAPI) location(r *Request) (*time.Location, error) {
	if a.Merchants == nil {
		return merchant.Merchant{}.Location(), nil
	}
	m, err := a.Merchants.Merchant(r.Context(), r.Merchant())
	if err != nil && !errors.Is(err, merchant.ErrUnknown) {
		return nil, err
	}
	return m.Location(), nil
}

// orderPageSize reads the limit parameter: 1 to order.MaxPage, by default
// order.DefaultPage.
func orderPageSize(s string) (int, error) {
	if s == "" {
		return order.DefaultPage, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > order.MaxPage {
		return 0, InvalidParameter("limit must be a whole number from 1 to " + strconv.Itoa(order.MaxPage))
	}
	return n, nil
}

// detail serves GET /orders/{id}.
func (a *OrdersAPI) detail(w http.ResponseWriter, r *Request) error {
	o, err := a.visibleOrder(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewOrderView(o))
}

// cancel serves POST /orders/{id}/cancel: staff cancel any order of their
// merchant, a buyer or a rep an order they may see while it awaits payment
// or is accepted; its stock goes back, and its amount to the customer's
// outstanding when on account. An order cancelled already, or whose
// status does not allow it, is 409 not-cancellable. A pre-order not
// converted yet may be cancelled, by anyone who may cancel it, until its
// season's last day included (the merchant's today): after it, 409
// pre-order-closed, since the merchant orders from their suppliers with
// the season's totals; a converted one cancels as an ordinary order.
func (a *OrdersAPI) cancel(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	seen, err := a.visibleOrder(r, id)
	if err != nil {
		return err
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	at := now().UTC()
	if p := seen.PreOrder; seen.Kind == order.PreOrderKind && p != nil && p.ConvertedAt == nil && seen.Status != order.Cancelled {
		loc, err := a.location(r)
		if err != nil {
			return err
		}
		y, m, d := at.In(loc).Date()
		if today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); today.After(p.Closes) {
			return problem(http.StatusConflict, "pre-order-closed", "Pre-orders closed",
				"pre-order "+id+" of season "+p.Season+" could be cancelled until "+p.Closes.Format(time.DateOnly)+
					", the season's last day; it is "+today.Format(time.DateOnly)+" in the merchant's time zone").
				With("season", p.Season).With("closes", p.Closes.Format(time.DateOnly))
		}
	}
	o, err := a.Orders.Cancel(r.Context(), r.Merchant(), id, actor(r.Caller), at)
	switch {
	case errors.Is(err, order.ErrNotCancellable):
		return problem(http.StatusConflict, "not-cancellable", "Order not cancellable",
			"order "+id+" is cancelled already, or its status no longer allows a cancellation")
	case errors.Is(err, order.ErrNotFound):
		return NotFound("no order " + id)
	case errors.Is(err, order.ErrBusy):
		return problem(http.StatusServiceUnavailable, "busy", "Busy", "too many concurrent writes on the order's items; retry").RetryAfter(time.Second)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, NewOrderView(o))
}

// paid serves POST /orders/{id}/paid, for merchant staff: the merchant
// received the order's payment; an order on account leaves the customer's
// outstanding. An order paid or cancelled already is 409 not-settleable.
func (a *OrdersAPI) paid(w http.ResponseWriter, r *Request) error {
	c := r.Caller
	switch {
	case c.IsAnonymous() || !c.Role.Valid():
		return Unauthenticated("log in as merchant staff to mark an order paid")
	case c.Role != identity.Staff:
		return Forbidden("only merchant staff mark an order paid")
	}
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no order " + echo(id))
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	o, err := a.Orders.Settle(r.Context(), r.Merchant(), id, actor(c), now().UTC())
	switch {
	case errors.Is(err, order.ErrNotSettleable):
		return problem(http.StatusConflict, "not-settleable", "Order not settleable",
			"order "+id+" is paid or cancelled already; only an order awaiting payment or accepted can be marked paid")
	case errors.Is(err, order.ErrNotFound):
		return NotFound("no order " + id)
	case errors.Is(err, order.ErrBusy):
		return problem(http.StatusServiceUnavailable, "busy", "Busy", "too many concurrent writes on the order's items; retry").RetryAfter(time.Second)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, NewOrderView(o))
}

// actor is who a caller acts as on an order.
func actor(c identity.Caller) order.PlacedBy {
	if c.Role == identity.Rep {
		return order.PlacedBy{Role: string(c.Role), ID: c.Rep}
	}
	return order.PlacedBy{Role: string(c.Role), ID: c.Subject}
}

// visibleOrder reads the order id if the caller may see it: staff any order
// of the merchant, a buyer their company's, a rep one of a customer of
// their portfolio. Any other order is 404, as an unknown one; an anonymous
// caller is 401.
func (a *OrdersAPI) visibleOrder(r *Request, id string) (order.Order, error) {
	c := r.Caller
	if c.IsAnonymous() || !c.Role.Valid() {
		return order.Order{}, Unauthenticated("log in to see orders")
	}
	notFound := NotFound("no order " + id)
	if !catalog.ValidID(id) {
		return order.Order{}, notFound
	}
	o, err := a.Orders.Order(r.Context(), r.Merchant(), id)
	if errors.Is(err, order.ErrNotFound) {
		return order.Order{}, notFound
	}
	if err != nil {
		return order.Order{}, err
	}
	switch c.Role {
	case identity.Staff:
		return o, nil
	case identity.Buyer:
		if c.Customer != "" && o.Customer == c.Customer {
			return o, nil
		}
		return order.Order{}, notFound
	}
	err = a.checkPortfolio(r, o.Customer, c.Rep)
	var prob *Problem
	if errors.As(err, &prob) && (prob.Status == http.StatusForbidden || prob.Status == http.StatusNotFound) {
		return order.Order{}, notFound
	}
	return o, err
}

// export serves GET /orders/export[?from=&to=&status=&customer=], for
// merchant staff: the orders as CSV (order.WriteCSV), newest first, one
// row per line.
func (a *OrdersAPI) export(w http.ResponseWriter, r *Request) error {
	c := r.Caller
	switch {
	case c.IsAnonymous():
		return Unauthenticated("log in as merchant staff to export orders")
	case c.Role != identity.Staff:
		return Forbidden("only merchant staff export orders")
	}
	params, err := queryParams(r)
	if err != nil {
		return err
	}
	f, err := a.filter(r, params)
	if err != nil {
		return err
	}
	if id := params.Get("customer"); id != "" {
		if !catalog.ValidID(id) {
			return InvalidParameter("customer must be a customer id: 1 to 64 printable characters without spaces, '#' or '/'")
		}
		f.q.Customer = id
	}
	f.q.Limit = order.MaxPage
	var orders []order.Order
	// A row is at least ~150 bytes: an export over the bound is known
	// before the orders' rows are all read.
	const maxRows = MaxExportBytes / 150
	rows := 0
	for {
		page, err := a.History.List(r.Context(), r.Merchant(), f.q)
		if err != nil {
			return err
		}
		orders = append(orders, page.Orders...)
		for _, o := range page.Orders {
			rows += max(len(o.Lines), 1)
		}
		if rows > maxRows {
			return exportTooLarge()
		}
		if page.Next == "" {
			break
		}
		f.q.After = page.Next
	}
	var buf bytes.Buffer
	if err := order.WriteCSV(&buf, orders); err != nil {
		return err
	}
	if buf.Len() > MaxExportBytes {
		return exportTooLarge()
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="orders.csv"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// exportTooLarge refuses an export over MaxExportBytes.
func exportTooLarge() *Problem {
	return problem(http.StatusUnprocessableEntity, "export-too-large", "Export too large",
		fmt.Sprintf("the export is over %d MiB: narrow it with from and to, status or customer", MaxExportBytes>>20))
}

// maxCursorParts bounds the sealed parts of an order list's cursor.
const maxCursorParts = 4

// cursorPart is the most position bytes one sealed part carries.
const cursorPart = 127

// sealPosition seals a list position for r's caller and list: in parts of
// up to cursorPart bytes (what one sealed cursor holds), each bound to the
// list, the caller, its index and the number of parts, joined by '.'.
func (a *OrdersAPI) sealPosition(r *Request, pos string, list []string) (string, error) {
	n := (len(pos) + cursorPart - 1) / cursorPart
	if n > maxCursorParts {
		return "", fmt.Errorf("order list position of %d bytes: at most %d", len(pos), maxCursorParts*cursorPart)
	}
	parts := make([]string, n)
	for i := range parts {
		chunk := pos[i*cursorPart : min((i+1)*cursorPart, len(pos))]
		c, err := a.sealer().Seal([]byte(chunk), partBinding(r, list, i, n))
		if err != nil {
			return "", err
		}
		parts[i] = c
	}
	return strings.Join(parts, "."), nil
}

// openPosition opens a cursor sealPosition made for r's caller and list.
func (a *OrdersAPI) openPosition(r *Request, c string, list []string) (string, error) {
	parts := strings.Split(c, ".")
	if len(parts) > maxCursorParts {
		return "", cursor.ErrInvalid
	}
	var pos strings.Builder
	for i, p := range parts {
		chunk, err := a.sealer().Open(p, partBinding(r, list, i, len(parts)))
		if err != nil || len(chunk) == 0 {
			return "", cursor.ErrInvalid
		}
		pos.Write(chunk)
	}
	return pos.String(), nil
}

// partBinding is what part i of n of a cursor is bound to.
func partBinding(r *Request, list []string, i, n int) []byte {
	return cursorBinding(r, append(slices.Clone(list), strconv.Itoa(i), strconv.Itoa(n))...)
}

func (a *OrdersAPI) sealer() *cursor.Sealer {
	if a.Cursors != nil {
		return a.Cursors
	}
	return processSealer()
}
