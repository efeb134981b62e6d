// Package payment holds how a B2B order is paid: the payment methods, the
// payment terms ("délais de paiement") of pros buying on account with the
// due date they give, the credit limit ("encours autorisé") an on-account
// order must stay within, and the late-payment mention of the invoice.
//
// # Payment terms and the law
//
// The Code de commerce (article L441-10) sets the default term at 30 days
// after delivery, and caps an agreed term at 60 days from the invoice date,
// or 45 days end of month ("45 jours fin de mois"). Terms beyond those caps
// are refused by [ParseTerms] and [Terms.Validate]; a delivery-based term is
// capped at 60 days too, the invoice being issued on delivery.
//
// # The two "fin de mois" computations
//
// "N jours fin de mois" has two accepted readings. Which one applies is a
// merchant setting, [MonthEndMethod], and the order always prints the
// actual due date, never just the words:
//
//   - [EndOfMonthThenDays]: go to the end of the invoice's month, then add
//     N days;
//   - [DaysThenEndOfMonth]: add N days to the invoice date, then go to the
//     end of that month.
//
// Worked example, "45 jours fin de mois" for an invoice of 15 January 2027
// (February 2027 has 28 days):
//
//   - EndOfMonthThenDays: end of month is 31 January; 31 January + 45 days
//     = 17 March 2027;
//   - DaysThenEndOfMonth: 15 January + 45 days = 1 March; end of that month
//     = 31 March 2027.
//
// The same invoice in the leap year 2028 is due on 16 March 2028 (31
// January + 45 days, February having 29 days) or 29 February 2028 (15
// January + 45 days = 29 February, already a month end).
//
// Dates are civil days: a time.Time at midnight UTC, as elsewhere in
// Comptoir; any time of day given is dropped, the day being read in the
// time's own location.
package payment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Method is how an order is paid.
type Method string

const (
	// Card is paid by card through the payment provider; the order awaits
	// the provider's confirmation.
	Card Method = "card"
	// Transfer is paid by bank transfer ("virement"); the order is recorded
	// as awaiting payment until the transfer is received.
	Transfer Method = "transfer"
	// OnAccount is paid on the customer's account ("paiement à terme"), by
	// the due date its Terms give; for approved pros within their credit
	// limit only.
	OnAccount Method = "on-account"
)

// ErrUnknownMethod is a payment method id that is none of the Method
// constants.
var ErrUnknownMethod = errors.New("unknown payment method")

// ParseMethod reads a payment method from its id: "card", "transfer" or
// "on-account".
func ParseMethod(id string) (Method, error) {
	switch m := Method(id); m {
	case Card, Transfer, OnAccount:
		return m, nil
	}
	return "", fmt.Errorf("%w %q (card, transfer or on-account)", ErrUnknownMethod, id)
}

// AwaitsPayment tells whether an order paid this way is recorded as
// awaiting payment when placed: card and transfer are, an on-account order
// is not (it is due at its due date).
func (m Method) AwaitsPayment() bool { return m == Card || m == Transfer }

// Label is the method's French name, as printed on the order.
func (m Method) Label() string {
	switch m {
	case Card:
		return "Carte bancaire"
	case Transfer:
		return "Virement"
	case OnAccount:
		return "Paiement à terme"
	}
	return string(m)
}

// Basis is what a payment term counts from.
type Basis string

const (
	// EndOfMonth counts "N jours fin de mois" from the invoice date, by
	// the merchant's MonthEndMethod.
	EndOfMonth Basis = "eom"
	// Net counts N days from the invoice date ("N jours net").
	Net Basis = "net"
	// AfterDelivery counts N days from the delivery date.
	AfterDelivery Basis = "after-delivery"
)

// Legal maximums of agreed terms (Code de commerce L441-10).
const (
	// MaxNetDays is the longest term from the invoice date: 60 days.
	MaxNetDays = 60
	// MaxEndOfMonthDays is the longest "fin de mois" term: 45 days.
	MaxEndOfMonthDays = 45
	// MaxAfterDeliveryDays is the longest term from delivery: 60 days,
	// the invoice being issued on delivery.
	MaxAfterDeliveryDays = 60
)

// Terms are a pro's payment terms: a number of days counted from a Basis.
// Their stable id is "<days>-<basis>", e.g. "45-eom"; the zero value is no
// terms at all and does not validate.
type Terms struct {
	Days  int
	Basis Basis
}

// The terms offered to approved pros.
var (
	// ThirtyDaysEndOfMonth is "30 jours fin de mois" ("30-eom").
	ThirtyDaysEndOfMonth = Terms{Days: 30, Basis: EndOfMonth}
	// FortyFiveDaysEndOfMonth is "45 jours fin de mois" ("45-eom").
	FortyFiveDaysEndOfMonth = Terms{Days: 45, Basis: EndOfMonth}
	// SixtyDaysNet is "60 jours net", from the invoice date ("60-net").
	SixtyDaysNet = Terms{Days: 60, Basis: Net}
	// ThirtyDaysAfterDelivery is "30 jours après livraison", the legal
	// default ("30-after-delivery").
	ThirtyDaysAfterDelivery = Terms{Days: 30, Basis: AfterDelivery}
)

// ErrInvalidTerms is a terms id that cannot be read, or terms of no days.
var ErrInvalidTerms = errors.New("invalid payment terms")

// ErrBeyondLegalMaximum is terms longer than Code de commerce L441-10
// allows: 60 days from the invoice date, or 45 days end of month.
var ErrBeyondLegalMaximum = errors.New("payment terms beyond the legal maximum (Code de commerce L441-10)")

// ParseTerms reads terms from their stable id, "<days>-eom", "<days>-net"
// or "<days>-after-delivery" (days in plain decimal, no sign or leading
// zero), and validates them: the error wraps ErrInvalidTerms or
// ErrBeyondLegalMaximum.
func ParseTerms(id string) (Terms, error) {
	days, basis, ok := strings.Cut(id, "-")
	n, err := strconv.Atoi(days)
	if !ok || err != nil || strconv.Itoa(n) != days {
		return Terms{}, fmt.Errorf("%w %q: want <days>-eom, <days>-net or <days>-after-delivery", ErrInvalidTerms, id)
	}
	t := Terms{Days: n, Basis: Basis(basis)}
	if err := t.Validate(); err != nil {
		return Terms{}, err
	}
	return t, nil
}

// Validate checks the terms: a known basis, at least one day, and no more
// than the legal maximum of that basis. The error wraps ErrInvalidTerms or
// ErrBeyondLegalMaximum.
func (t Terms) Validate() error {
	var max int
	switch t.Basis {
	case EndOfMonth:
		max = MaxEndOfMonthDays
	case Net:
		max = MaxNetDays
	case AfterDelivery:
		max = MaxAfterDeliveryDays
	default:
		return fmt.Errorf("%w: unknown basis %q (eom, net or after-delivery)", ErrInvalidTerms, t.Basis)
	}
	if t.Days < 1 {
		return fmt.Errorf("%w %q: at least one day", ErrInvalidTerms, t.String())
	}
	if t.Days > max {
		return fmt.Errorf("%w: %s, at most %d days", ErrBeyondLegalMaximum, t.Label(), max)
	}
	return nil
}

// String is the terms' stable id, e.g. "45-eom".
func (t Terms) String() string { return strconv.Itoa(t.Days) + "-" + string(t.Basis) }

// MarshalText stores the terms as their stable id.
func (t Terms) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads terms from their stable id, as ParseTerms does.
func (t *Terms) UnmarshalText(b []byte) error {
	p, err := ParseTerms(string(b))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// Label is the terms' French wording, as printed on the order and the
// invoice, e.g. "45 jours fin de mois".
func (t Terms) Label() string {
	days := "jours"
	if t.Days == 1 {
		days = "jour"
	}
	switch t.Basis {
	case EndOfMonth:
		return fmt.Sprintf("%d %s fin de mois", t.Days, days)
	case Net:
		return fmt.Sprintf("%d %s net", t.Days, days)
	case AfterDelivery:
		return fmt.Sprintf("%d %s après livraison", t.Days, days)
	}
	return t.String()
}

// MonthEndMethod is the merchant's reading of "N jours fin de mois". It
// has no default: a merchant offering end-of-month terms chooses one.
type MonthEndMethod string

const (
	// EndOfMonthThenDays goes to the end of the invoice's month, then adds
	// N days.
	EndOfMonthThenDays MonthEndMethod = "eom-then-days"
	// DaysThenEndOfMonth adds N days to the invoice date, then goes to the
	// end of that month.
	DaysThenEndOfMonth MonthEndMethod = "days-then-eom"
)

// ErrUnknownMonthEndMethod is a month-end method that is neither
// EndOfMonthThenDays nor DaysThenEndOfMonth.
var ErrUnknownMonthEndMethod = errors.New("unknown end-of-month computation")

// ParseMonthEndMethod reads the setting from its id, "eom-then-days" or
// "days-then-eom".
func ParseMonthEndMethod(id string) (MonthEndMethod, error) {
	m := MonthEndMethod(id)
	if err := m.Validate(); err != nil {
		return "", err
	}
	return m, nil
}

// Validate checks the setting is one of the two methods.
func (m MonthEndMethod) Validate() error {
	if m == EndOfMonthThenDays || m == DaysThenEndOfMonth {
		return nil
	}
	return fmt.Errorf("%w %q (eom-then-days or days-then-eom)", ErrUnknownMonthEndMethod, string(m))
}

// Label is the method's French wording, for the merchant's settings page.
func (m MonthEndMethod) Label() string {
	switch m {
	case EndOfMonthThenDays:
		return "Fin de mois, puis N jours"
	case DaysThenEndOfMonth:
		return "N jours, puis fin de mois"
	}
	return string(m)
}

// Dates are the days a due date counts from.
type Dates struct {
	// Invoice is the invoice date (at checkout, the order day).
	Invoice time.Time
	// Delivered is the day the goods were delivered; zero until then.
	Delivered time.Time
	// RequestedDelivery is the delivery day the buyer asked for at
	// checkout; zero when none was given.
	RequestedDelivery time.Time
}

// Due is a due date ("date d'échéance").
type Due struct {
	// Day is the due date, a civil day (midnight UTC).
	Day time.Time
	// Estimated marks a due date counted from a delivery that has not
	// happened yet: from the requested delivery day, or the invoice date
	// when none was asked for. It is computed again from Delivered once
	// the goods are delivered.
	Estimated bool
}

// ErrNoInvoiceDate is a due date asked for without an invoice date.
var ErrNoInvoiceDate = errors.New("no invoice date to count the payment terms from")

// DueDate is the day payment under terms is due. End-of-month terms count
// by method (which must be valid for them, and is ignored otherwise); net
// terms count from the invoice date; delivery terms count from Delivered,
// or, while the goods are not delivered, from RequestedDelivery, else the
// invoice date, and the due date is then Estimated. The terms must be
// valid.
func DueDate(terms Terms, method MonthEndMethod, d Dates) (Due, error) {
	if err := terms.Validate(); err != nil {
		return Due{}, err
	}
	if d.Invoice.IsZero() {
		return Due{}, ErrNoInvoiceDate
	}
	invoice := Day(d.Invoice)
	switch terms.Basis {
	case EndOfMonth:
		switch method {
		case EndOfMonthThenDays:
			return Due{Day: endOfMonth(invoice).AddDate(0, 0, terms.Days)}, nil
		case DaysThenEndOfMonth:
			return Due{Day: endOfMonth(invoice.AddDate(0, 0, terms.Days))}, nil
		}
		return Due{}, method.Validate()
	case Net:
		return Due{Day: invoice.AddDate(0, 0, terms.Days)}, nil
	}
	switch {
	case !d.Delivered.IsZero():
		return Due{Day: Day(d.Delivered).AddDate(0, 0, terms.Days)}, nil
	case !d.RequestedDelivery.IsZero():
		return Due{Day: Day(d.RequestedDelivery).AddDate(0, 0, terms.Days), Estimated: true}, nil
	}
	return Due{Day: invoice.AddDate(0, 0, terms.Days), Estimated: true}, nil
}

// Day is the civil day of t, read in t's own location, at midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// endOfMonth is the last day of day's month.
func endOfMonth(day time.Time) time.Time {
	y, m, _ := day.Date()
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
}
