package catalog

import (
	"errors"
	"time"
)

// PreOrder is what merchant staff set on a product taken on pre-order
// ("précommande"): its season or collection, the days pre-orders are
// taken, the day the goods are expected, and optional limits. A line of
// such a product never consumes stock: it goes into a pre-order of its
// season, counted in the season's totals until staff convert the
// season's pre-orders into ordinary orders once the goods are in.
type PreOrder struct {
	// Season names the season or collection ("PE2027", "jardin-2027"):
	// an id (ValidID). The season's totals are read by this name.
	Season string `json:"season"`
	// Opens and Closes are the first and the last day pre-orders are
	// taken, in the merchant's time zone (dates at midnight UTC).
	Opens  time.Time `json:"opens"`
	Closes time.Time `json:"closes"`
	// AvailableFrom is the day the goods are expected, not before Closes.
	AvailableFrom time.Time `json:"availableFrom"`
	// Cap, when positive, is the most units all pre-orders of the product
	// may hold together; it is never exceeded.
	Cap int64 `json:"cap,omitempty"`
	// MinQuantity, when positive, is the fewest units one pre-order line
	// may hold.
	MinQuantity int64 `json:"minQuantity,omitempty"`
}

// Errors of pre-order settings and of pre-ordering.
var (
	// ErrInvalidPreOrder: the settings do not hold together (see Check).
	ErrInvalidPreOrder = errors.New("invalid pre-order settings")
	// ErrPreOrderClosed: the day is outside the pre-order's days.
	ErrPreOrderClosed = errors.New("pre-orders are not taken on this day")
)

// MaxPreOrderCap bounds a pre-order's cap and its minimum, in units.
const MaxPreOrderCap = 1_000_000_000

// Check reports whether the settings hold together: a valid season id,
// Opens on or before Closes, Closes on or before AvailableFrom, a cap and
// a minimum between 0 and MaxPreOrderCap, the minimum within the cap.
func (p PreOrder) Check() error {
	panic("not implemented")
}

// Open reports whether pre-orders are taken on day (a date in the
// merchant's time zone, at midnight UTC): Opens <= day <= Closes. A day
// outside is ErrPreOrderClosed.
func (p PreOrder) Open(day time.Time) error {
	panic("not implemented")
}
