package vatledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
)

// Status is where an order stands in the ledger.
type Status string

// Order statuses.
const (
	// Placed: the order counts in its year's totals.
	Placed Status = "placed"
	// Cancelled: the order does not count, whether it was cancelled after
	// it was counted or before its placement arrived (a late placement of
	// a cancelled order is ignored).
	Cancelled Status = "cancelled"
)

// MaxEventIDs bounds the event ids an entry keeps.
const MaxEventIDs = 4

// Entry is one order in the ledger: the record that makes the ledger
// idempotent per order, whatever the order in which its events arrive and
// however often.
type Entry struct {
	Order  string `json:"order"`
	Year   int    `json:"year"`
	Status Status `json:"status"`
	// Country is the destination (Destination: FR for Monaco); NetEUR
	// the amount excluding VAT in euros. Both are those of the placement (zero for an order cancelled
	// before its placement arrived).
	Country  string          `json:"country"`
	NetEUR   decimal.Decimal `json:"netEUR"`
	PlacedAt time.Time       `json:"placedAt"`
	// Events are the ids of the events that changed the entry, oldest
	// first.
	Events []string `json:"events"`
}

// Counted reports whether the entry counts in its year's totals.
func (e Entry) Counted() bool { return e.Status == Placed }

// Next applies event ev to the stored entry of its order (nil when the
// ledger has none), for a merchant in time zone loc (a new entry's Year is
// YearIn(placedAt, loc)), and returns the entry to store and the change of the
// totals of (entry's year, entry's country) and (entry's year, EU). changed
// is false when ev changes nothing: a duplicate, a placement of a cancelled
// order, a second cancellation. The caller checks Counts(ev.Order) first.
func Next(stored *Entry, ev orderevent.Event, loc *time.Location) (next Entry, delta decimal.Decimal, changed bool) {
	o := ev.Order
	switch {
	case stored == nil && ev.Type == orderevent.Placed:
		return Entry{Order: o.ID, Year: YearIn(o.PlacedAt, loc), Status: Placed, Country: Destination(o), NetEUR: o.NetEUR, PlacedAt: o.PlacedAt, Events: []string{ev.ID}}, o.NetEUR, true
	case stored == nil:
		return Entry{Order: o.ID, Year: YearIn(o.PlacedAt, loc), Status: Cancelled, Country: Destination(o), NetEUR: decimal.Zero, PlacedAt: o.PlacedAt, Events: []string{ev.ID}}, decimal.Zero, true
	case stored.Status == Placed && ev.Type == orderevent.Cancelled:
		next = *stored
		next.Status = Cancelled
		next.Events = appendEvent(slices.Clone(stored.Events), ev.ID)
		return next, stored.NetEUR.Neg(), true
	}
	return *stored, decimal.Zero, false
}

func appendEvent(ids []string, id string) []string {
	ids = append(ids, id)
	if len(ids) > MaxEventIDs {
		ids = ids[len(ids)-MaxEventIDs:]
	}
	return ids
}

// Sum rebuilds the totals from the entries: per year, per destination and
// EU-wide, the placed orders' amounts. A year or destination whose orders
// were all cancelled has a zero total.
func Sum(entries []Entry) map[int]map[string]decimal.Decimal {
	out := map[int]map[string]decimal.Decimal{}
	for _, e := range entries {
		y := out[e.Year]
		if y == nil {
			y = map[string]decimal.Decimal{}
			out[e.Year] = y
		}
		n := decimal.Zero
		if e.Counted() {
			n = e.NetEUR
		}
		if e.Country != "" {
			y[e.Country] = y[e.Country].Add(n)
		}
		y[EU] = y[EU].Add(n)
	}
	return out
}

// RecomputeType is the type of a recomputation request.
const RecomputeType = "ledger.recompute"

// RecomputeRequest asks the vat-threshold worker to rebuild a merchant's
// totals from its orders (staff, POST /admin/vat/recompute). It travels on
// the vat-threshold queue beside the order events.
type RecomputeRequest struct {
	// Type is RecomputeType.
	Type     string      `json:"type"`
	Merchant merchant.ID `json:"merchant"`
	// RequestedBy names the staff member who asked.
	RequestedBy string `json:"requestedBy"`
	// ID identifies the request (a UUID).
	ID string `json:"id"`
}

// NewRecomputeRequest returns the request of staff member by for merchant
// m, with id.
func NewRecomputeRequest(m merchant.ID, by, id string) RecomputeRequest {
	return RecomputeRequest{Type: RecomputeType, Merchant: m, RequestedBy: by, ID: id}
}

// ErrInvalidRequest is wrapped by the errors of ParseRecomputeRequest.
var ErrInvalidRequest = errors.New("invalid recomputation request")

// ParseRecomputeRequest reads and checks a recomputation request.
func ParseRecomputeRequest(b []byte) (RecomputeRequest, error) {
	var r RecomputeRequest
	if len(b) > orderevent.MaxBytes {
		return r, fmt.Errorf("%w: %d bytes", ErrInvalidRequest, len(b))
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	switch {
	case r.Type != RecomputeType:
		return r, fmt.Errorf("%w: type %q is not %q", ErrInvalidRequest, r.Type, RecomputeType)
	case !catalog.ValidID(string(r.Merchant)):
		return r, fmt.Errorf("%w: merchant is not 1 to 64 printable bytes without spaces, '#' or '/'", ErrInvalidRequest)
	case !catalog.ValidID(r.ID):
		return r, fmt.Errorf("%w: id is not 1 to 64 printable bytes without spaces, '#' or '/'", ErrInvalidRequest)
	case r.RequestedBy == "" || len(r.RequestedBy) > maxByBytes:
		return r, fmt.Errorf("%w: requestedBy must name who asked (1 to %d bytes)", ErrInvalidRequest, maxByBytes)
	}
	return r, nil
}

// Change is one total a recomputation corrected.
type Change struct {
	Year   int             `json:"year"`
	Scope  string          `json:"scope"`
	Before decimal.Decimal `json:"before"`
	After  decimal.Decimal `json:"after"`
}

// Recomputed is what a recomputation found: the orders it read, the totals
// it rebuilt and those it had to correct (none when the incremental ledger
// was right).
type Recomputed struct {
	Orders  int                                `json:"orders"`
	Totals  map[int]map[string]decimal.Decimal `json:"totals"`
	Changes []Change                           `json:"changes"`
}
