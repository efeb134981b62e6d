package erpfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// Bounds of what a row may hold.
const (
	// maxTextLen is the longest name or label, in characters (the back
	// office's bound on names).
	maxTextLen = 200
	// maxQuantity bounds a stock quantity, in units.
	maxQuantity = 1_000_000_000_000
	// maxListItems bounds a list in one cell (packagings, linked articles,
	// a rep's portfolio).
	maxListItems = 1000
	// maxValueBytes is how much of a bad value the report quotes.
	maxValueBytes = 80
)

// row is one row of a file being decoded: its values by field, and the
// first fault found in it.
type row struct {
	line  int
	vals  []string
	l     *layout
	comma bool
	err   *erp.RowError
}

// has says whether the file has the field's column.
func (r *row) has(field string) bool {
	_, ok := r.l.at[field]
	return ok
}

// text is the field's value, spaces around it removed; "" when the file
// has no such column.
func (r *row) text(field string) string {
	i, ok := r.l.at[field]
	if !ok || i >= len(r.vals) {
		return ""
	}
	return strings.TrimSpace(r.vals[i])
}

// fail records a fault of the field, unless the row has one already: a row
// is reported with its first fault.
func (r *row) fail(field, reason string) {
	if r.err != nil {
		return
	}
	col, ok := r.l.header[field]
	if !ok {
		col = field
	}
	r.err = &erp.RowError{Line: r.line, Column: col, Reason: reason, Value: cut(r.text(field))}
}

// cut returns s cut to maxValueBytes, on a character boundary, as valid
// UTF-8 (bytes that are not are replaced), so that the report can quote it.
func cut(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxValueBytes {
		return s
	}
	n := maxValueBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// required returns the field's value, or records that it is missing.
func (r *row) required(field string) string {
	v := r.text(field)
	if v == "" {
		r.fail(field, "is required")
	}
	return v
}

// ref reads a product reference or a customer account number: 1 to 64
// printable characters without spaces or '#' (catalog.ValidRef).
func (r *row) ref(field string, need bool) string {
	v := r.text(field)
	switch {
	case v == "" && need:
		r.fail(field, "is required")
	case v != "" && !catalog.ValidRef(v):
		r.fail(field, "must be 1 to 64 printable characters without spaces or '#'")
	}
	return v
}

// id reads an identifier that becomes a key part (a category, warehouse,
// rep, price category...): 1 to 64 printable characters without spaces,
// '#' or '/' (catalog.ValidID).
func (r *row) id(field string, need bool) string {
	v := r.text(field)
	switch {
	case v == "" && need:
		r.fail(field, "is required")
	case v != "" && !catalog.ValidID(v):
		r.fail(field, "must be 1 to 64 printable characters without spaces, '#' or '/'")
	}
	return v
}

// label reads a name shown to people: plain text (no control characters
// or bidirectional marks) of at most maxTextLen characters.
func (r *row) label(field string, need bool) string {
	v := r.text(field)
	switch {
	case v == "" && need:
		r.fail(field, "is required")
	case !plainLabel(v):
		r.fail(field, fmt.Sprintf("must be plain text of at most %d characters, without control characters or bidirectional marks", maxTextLen))
	}
	return v
}

func plainLabel(s string) bool {
	return catalog.PlainText(s) && utf8.RuneCountInString(s) <= maxTextLen
}

// plain rewrites a decimal as written in the file into the plain form the
// money package reads ("12,50" or "12.50" -> "12.50"), trailing zeros of
// the decimals removed ("12,500000" -> "12.5": Sage writes six decimals).
// A thousands separator is refused: with a decimal comma the point is not
// a decimal mark, and the reverse.
func (r *row) plain(s string) (string, bool) {
	if r.comma {
		if strings.IndexByte(s, '.') >= 0 {
			return "", false
		}
		if i := strings.IndexByte(s, ','); i >= 0 {
			s = s[:i] + "." + s[i+1:]
		}
	} else if strings.ContainsRune(s, ',') {
		return "", false
	}
	if strings.ContainsRune(s, '.') {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s, true
}

// mark is the decimal mark of the file, for the reasons given.
func (r *row) mark() string {
	if r.comma {
		return "a decimal comma, such as 12,50"
	}
	return "a decimal point, such as 12.50"
}

// amount reads an amount of money from zero: digits and the file's decimal
// mark, no sign and no thousands separator, at most money.MaxIntegerDigits
// digits before the mark and money.MaxDecimals after it
// (money.ParseAmount).
func (r *row) amount(field string, need bool) decimal.Decimal {
	v := r.text(field)
	if v == "" {
		if need {
			r.fail(field, "is required")
		}
		return decimal.Zero
	}
	p, ok := r.plain(v)
	d, err := money.ParseAmount(p)
	if !ok || err != nil {
		r.fail(field, fmt.Sprintf("must be an amount from 0 written with %s (no sign, no thousands separator), at most %d digits before the mark and %d after it",
			r.mark(), money.MaxIntegerDigits, money.MaxDecimals))
		return decimal.Zero
	}
	return d
}

// percent reads a percentage from 0 to 100 (money.ParsePercent); a
// trailing "%" is allowed.
func (r *row) percent(field string, need bool) decimal.Decimal {
	v := strings.TrimSpace(strings.TrimSuffix(r.text(field), "%"))
	if v == "" {
		if need {
			r.fail(field, "is required")
		}
		return decimal.Zero
	}
	p, ok := r.plain(v)
	d, err := money.ParsePercent(p)
	if !ok || err != nil {
		r.fail(field, fmt.Sprintf("must be a percentage from 0 to 100 written with %s, at most %d decimals", r.mark(), money.MaxDecimals))
		return decimal.Zero
	}
	return d
}

// whole reads a whole number from lo to hi. Decimals that are zero are
// allowed ("12,000000": Sage writes quantities with decimals).
func (r *row) whole(field string, lo, hi int64, dflt int64) int64 {
	v := r.text(field)
	if v == "" {
		return dflt
	}
	bad := func() int64 {
		r.fail(field, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return dflt
	}
	neg := strings.HasPrefix(v, "-")
	p, ok := r.plain(strings.TrimPrefix(v, "-"))
	if !ok || strings.ContainsRune(p, '.') {
		return bad()
	}
	if n, _, ok := money.PlainDecimal(p); !ok || n > 18 {
		return bad()
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil {
		return bad()
	}
	if neg {
		n = -n
	}
	if n < lo || n > hi {
		return bad()
	}
	return n
}

// flag reads a yes/no value: 1/0, true/false, oui/non, yes/no, o/n, y/n;
// empty is no.
func (r *row) flag(field string) bool {
	switch strings.ToLower(r.text(field)) {
	case "", "0", "false", "non", "no", "n", "faux":
		return false
	case "1", "true", "oui", "yes", "o", "y", "vrai":
		return true
	}
	r.fail(field, "must be 1 or 0 (also true/false, oui/non, yes/no)")
	return false
}

// country reads a country: an ISO 3166-1 alpha-2 code ("FR"), or its name
// in French or English as Sage 100 writes CT_Pays and DE_Pays ("France",
// "Belgique").
func (r *row) country(field string, need bool) string {
	v := r.text(field)
	if v == "" {
		if need {
			r.fail(field, "is required")
		}
		return ""
	}
	if c := strings.ToUpper(v); merchant.KnownCountry(c) {
		return c
	}
	if c, ok := countryNames[foldName(v)]; ok {
		return c
	}
	r.fail(field, "must be an ISO 3166-1 country code such as FR, or a country name such as France")
	return ""
}

// paris is the merchant's time zone, of dates written without one.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Layouts of the dates files hold: Sage 100 writes "2026-12-02 14:05:00"
// (with or without milliseconds), "02/12/2026" or "02/12/2026 14:05:00".
var dateLayouts = []string{
	"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04:05.999999999", "2006-01-02",
	"02/01/2006 15:04:05", "02/01/2006 15:04", "02/01/2006",
}

// parseTime reads a date and time; without a zone it is Europe/Paris.
func parseTime(s string) (time.Time, bool) {
	if len(s) > 19 && s[10] == 'T' && strings.ContainsAny(s[19:], "Z+-") {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, true
		}
	}
	layouts := dateLayouts
	if len(s) > 2 && s[2] == '/' {
		layouts = dateLayouts[4:]
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, paris); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

const dateReason = "must be a date such as 2026-12-02, 02/12/2026, 2026-12-02 14:05:00 or 2026-12-02T14:05:00+01:00"

// when reads a date and time (see parseTime).
func (r *row) when(field string) time.Time {
	v := r.text(field)
	if v == "" {
		return time.Time{}
	}
	t, ok := parseTime(v)
	if !ok || t.Year() < 1900 || t.Year() > 9999 {
		r.fail(field, dateReason)
		return time.Time{}
	}
	return t
}

// day reads a calendar day: the date as written, at midnight UTC.
func (r *row) day(field string) time.Time {
	t := r.when(field)
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// list splits a cell holding a list: items separated by '|'.
func (r *row) list(field string) []string {
	v := r.text(field)
	if v == "" {
		return nil
	}
	items := strings.Split(v, "|")
	if len(items) > maxListItems {
		r.fail(field, fmt.Sprintf("at most %d items", maxListItems))
		return nil
	}
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}

// foldName is a country name folded for lookup: lower case, accents and
// punctuation removed.
func foldName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
		case strings.ContainsRune("àâä", c):
			b.WriteByte('a')
		case strings.ContainsRune("éèêë", c):
			b.WriteByte('e')
		case strings.ContainsRune("îï", c):
			b.WriteByte('i')
		case strings.ContainsRune("ôö", c):
			b.WriteByte('o')
		case strings.ContainsRune("ùûü", c):
			b.WriteByte('u')
		case c == 'ç':
			b.WriteByte('c')
		}
	}
	return b.String()
}

// countryNames are the countries Sage 100 files usually name, by folded
// French and English name.
var countryNames = map[string]string{
	"france": "FR", "belgique": "BE", "belgium": "BE", "allemagne": "DE", "germany": "DE", "luxembourg": "LU",
	"paysbas": "NL", "netherlands": "NL", "hollande": "NL", "suisse": "CH", "switzerland": "CH", "espagne": "ES", "spain": "ES",
	"italie": "IT", "italy": "IT", "portugal": "PT", "autriche": "AT", "austria": "AT", "royaumeuni": "GB",
	"unitedkingdom": "GB", "irlande": "IE", "ireland": "IE", "pologne": "PL", "poland": "PL", "monaco": "MC",
	"danemark": "DK", "denmark": "DK", "suede": "SE", "sweden": "SE", "finlande": "FI", "finland": "FI",
	"grece": "GR", "greece": "GR", "republiquetcheque": "CZ", "tchequie": "CZ", "czechia": "CZ",
	"etatsunis": "US", "unitedstates": "US", "canada": "CA", "maroc": "MA", "morocco": "MA", "tunisie": "TN", "tunisia": "TN",
}
