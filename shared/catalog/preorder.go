package catalog

import (
	"errors"
	"fmt"
	"strings"
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

// PreOrderProblem is one setting of a PreOrder that is wrong: Field is
// its JSON name ("season", "opens", "closes", "availableFrom", "cap",
// "minQuantity"), Reason says why.
type PreOrderProblem struct {
	Field  string
	Reason string
}

// InvalidPreOrderError lists every wrong setting of a PreOrder. It wraps
// ErrInvalidPreOrder.
type InvalidPreOrderError struct {
	Problems []PreOrderProblem
}

func (e *InvalidPreOrderError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidPreOrder.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + " " + p.Reason)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidPreOrder) true.
func (e *InvalidPreOrderError) Unwrap() error { return ErrInvalidPreOrder }

// Check reports whether the settings hold together: a valid season id,
// Opens on or before Closes, Closes on or before AvailableFrom, a cap and
// a minimum between 0 and MaxPreOrderCap, the minimum within the cap.
// The three days are dates: midnight UTC. It returns nil or an
// *InvalidPreOrderError naming every wrong setting (a setting found wrong
// on its own is not compared with the others).
func (p PreOrder) Check() error {
	var e InvalidPreOrderError
	bad := func(field, format string, a ...any) {
		e.Problems = append(e.Problems, PreOrderProblem{Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	if !ValidID(p.Season) {
		bad("season", "must be an id: 1 to 64 bytes of printable characters without spaces, '#' or '/'")
	}
	days := []struct {
		field string
		day   time.Time
		ok    bool
	}{{field: "opens", day: p.Opens}, {field: "closes", day: p.Closes}, {field: "availableFrom", day: p.AvailableFrom}}
	for i, d := range days {
		switch {
		case d.day.IsZero():
			bad(d.field, "is missing")
		case !isDate(d.day):
			bad(d.field, "must be a date (midnight UTC), not %s", d.day.Format(time.RFC3339Nano))
		default:
			days[i].ok = true
		}
	}
	opens, closes, from := days[0], days[1], days[2]
	if opens.ok && closes.ok && p.Closes.Before(p.Opens) {
		bad("closes", "(%s) is before opens (%s)", p.Closes.Format(time.DateOnly), p.Opens.Format(time.DateOnly))
	}
	if closes.ok && from.ok && p.AvailableFrom.Before(p.Closes) {
		bad("availableFrom", "(%s) is before closes (%s)", p.AvailableFrom.Format(time.DateOnly), p.Closes.Format(time.DateOnly))
	}
	capOK, minOK := p.Cap >= 0 && p.Cap <= MaxPreOrderCap, p.MinQuantity >= 0 && p.MinQuantity <= MaxPreOrderCap
	if !capOK {
		bad("cap", "must be between 0 (no cap) and %d, not %d", MaxPreOrderCap, p.Cap)
	}
	if !minOK {
		bad("minQuantity", "must be between 0 (no minimum) and %d, not %d", MaxPreOrderCap, p.MinQuantity)
	}
	if capOK && minOK && p.Cap > 0 && p.MinQuantity > p.Cap {
		bad("minQuantity", "(%d) is above the cap (%d)", p.MinQuantity, p.Cap)
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

// isDate reports whether t is a date: midnight UTC (shown at offset 0, so
// that its calendar day reads the same everywhere it is printed).
func isDate(t time.Time) bool {
	_, offset := t.Zone()
	return offset == 0 && t.Equal(asDate(t))
}

// asDate returns the calendar day of t, read in t's own location, as a
// date at midnight UTC.
func asDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Open reports whether pre-orders are taken on day (a date in the
// merchant's time zone, at midnight UTC): Opens <= day <= Closes. A day
// outside is ErrPreOrderClosed. Only day's calendar date counts, read in
// day's own location, so a merchant's local time gives its local day.
func (p PreOrder) Open(day time.Time) error {
	d := asDate(day)
	if d.Before(asDate(p.Opens)) || d.After(asDate(p.Closes)) {
		return fmt.Errorf("%w: season %s takes pre-orders from %s to %s, not on %s", ErrPreOrderClosed,
			p.Season, p.Opens.Format(time.DateOnly), p.Closes.Format(time.DateOnly), d.Format(time.DateOnly))
	}
	return nil
}
