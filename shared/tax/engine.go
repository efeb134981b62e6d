package tax

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/vat"
)

// Legal mentions an invoice carries for an exempt line.
const (
	// MentionIntraEU: an intra-EU supply of goods to a buyer identified
	// for VAT in another member state (CGI art. 262 ter I).
	MentionIntraEU = "Exonération de TVA, article 262 ter I du CGI"
	// MentionReverseCharge: the customer owes the VAT (reverse charge).
	MentionReverseCharge = "Autoliquidation"
	// MentionExport: goods shipped outside the EU (CGI art. 262 I).
	MentionExport = "Exonération de TVA, article 262 I du CGI"
)

// mentionIntraEUReverseCharge is the Mention of an intra-EU exempt line:
// both mentions, as the invoice prints them.
const mentionIntraEUReverseCharge = MentionIntraEU + " – " + MentionReverseCharge

// Mentions returns the legal mentions of d one by one (an invoice may print
// them on separate lines): the exemption and "Autoliquidation" for an
// intra-EU exempt line, the export exemption for an export, none otherwise.
func (d Decision) Mentions() []string {
	switch d.Regime {
	case IntraEUExempt:
		return []string{MentionIntraEU, MentionReverseCharge}
	case Export:
		return []string{MentionExport}
	}
	return nil
}

// PricesIncludeTax is the display rule: prices are shown excluding VAT (HT)
// to pros and including VAT (TTC) to consumers.
func PricesIncludeTax(b Buyer) bool { return !b.Pro }

// NoRateError says which rate is missing; it wraps ErrNoRate.
type NoRateError struct {
	Country  string
	Category Category
	Day      time.Time
}

// Error names the country, category and day without a rate.
func (e *NoRateError) Error() string {
	return fmt.Sprintf("%s: %s has no %s rate on %s; merchant staff must set one", ErrNoRate, e.Country, e.Category, e.Day.Format(time.DateOnly))
}

// Unwrap makes errors.Is(err, ErrNoRate) hold.
func (e *NoRateError) Unwrap() error { return ErrNoRate }

// ErrSituation is wrapped by Decide's errors about its input (a missing or
// unknown country, category or date), as opposed to ErrNoRate.
var ErrSituation = errors.New("tax situation")

// VATCountry is the country whose VAT rules apply to an ISO 3166-1 alpha-2
// code, upper-cased: EL is Greece (GR), and Monaco (MC) is France, since
// Directive 2006/112/EC art. 7 treats supplies to or from Monaco as supplies
// to or from France. Other codes are returned upper-cased.
func VATCountry(country string) string {
	c := vat.ISOCountry(country)
	if c == "MC" {
		return "FR"
	}
	return c
}

// Decide decides one line's VAT; the package documentation explains each
// rule. Errors: ErrNoRate (as a *NoRateError) when the country whose VAT
// applies has no rate for the category on the supply's day; ErrSituation
// when the input is incomplete.
func (r *Rates) Decide(s Situation) (Decision, error) {
	seller, shipTo := VATCountry(s.Seller), VATCountry(s.ShipTo)
	cat := s.Category
	if cat == "" {
		cat = Standard
	}
	switch {
	case !cat.Valid():
		return Decision{}, fmt.Errorf("%w: unknown tax category %q", ErrSituation, s.Category)
	case !InEU(seller):
		return Decision{}, fmt.Errorf("%w: the seller's country %q is not an EU member state", ErrSituation, s.Seller)
	case !merchant.KnownCountry(shipTo):
		return Decision{}, fmt.Errorf("%w: the ship-to country %q is not an ISO 3166-1 alpha-2 code", ErrSituation, s.ShipTo)
	case s.Date.IsZero():
		return Decision{}, fmt.Errorf("%w: the supply's date is missing", ErrSituation)
	}
	d := Decision{Category: cat}

	// Goods leaving the EU: exempt, pro or consumer.
	if !InEU(shipTo) {
		d.Regime, d.Exempt, d.Rate, d.Mention = Export, true, decimal.Zero, MentionExport
		d.Reason = fmt.Sprintf("shipped to %s, outside the EU: export, exempt under CGI art. 262 I", shipTo)
		return d, nil
	}

	switch {
	case shipTo == seller && s.Buyer.Pro:
		return r.taxed(d, Domestic, seller, s.Date, fmt.Sprintf("sold to a pro in %s, the seller's country: %s VAT", seller, seller))
	case shipTo == seller:
		return r.taxed(d, Domestic, seller, s.Date, fmt.Sprintf("sold to a consumer in %s, the seller's country: %s VAT", seller, seller))
	case s.Buyer.Pro:
		ok, why := intraEUNumber(seller, shipTo, s.Buyer)
		if !ok {
			return r.taxed(d, Domestic, seller, s.Date, why+"; treated as a domestic sale: "+seller+" VAT")
		}
		d.Regime, d.Exempt, d.Rate, d.Mention = IntraEUExempt, true, decimal.Zero, mentionIntraEUReverseCharge
		d.Reason = why + ": intra-EU supply exempt under CGI art. 262 ter I, the buyer accounts for the VAT (reverse charge)"
		return d, nil
	case s.DistanceSale.Destination:
		return r.taxed(d, DistanceSaleDestination, shipTo, s.Date, withReason(
			fmt.Sprintf("distance sale to a consumer in %s taxed at destination: %s VAT", shipTo, shipTo), s.DistanceSale.Reason))
	default:
		return r.taxed(d, DistanceSaleOrigin, seller, s.Date, withReason(
			fmt.Sprintf("distance sale to a consumer in %s under the distance-selling threshold: %s VAT", shipTo, seller), s.DistanceSale.Reason))
	}
}

// taxed fills d with country's rate for d's category on day.
func (r *Rates) taxed(d Decision, regime Regime, country string, day time.Time, reason string) (Decision, error) {
	rate, ok := r.Rate(country, d.Category, day)
	if !ok {
		return Decision{}, &NoRateError{Country: country, Category: d.Category, Day: calendarDay(day)}
	}
	d.Regime, d.Country, d.Rate, d.Reason = regime, country, rate, reason
	return d, nil
}

func withReason(reason, why string) string {
	if why == "" {
		return reason
	}
	return reason + " (" + why + ")"
}

// intraEUNumber decides whether a pro buyer in another member state than
// the seller's gives a VAT number that allows the intra-EU exemption, and
// says why in words. The number must pass validation (the buyer's Check,
// when it is about this number; otherwise the offline format check, and the
// reason says that only the format was checked) and belong to a member
// state other than the seller's. A number of a third member state (neither
// the seller's nor the ship-to's) is accepted, as the exemption asks for a
// number "from another member state", and the reason says so.
func intraEUNumber(seller, shipTo string, b Buyer) (bool, string) {
	number := vat.Normalize(b.VATNumber)
	if number == "" {
		return false, fmt.Sprintf("a pro in %s without a VAT number: no intra-EU exemption", shipTo)
	}
	var valid bool
	var how string
	if b.Check.For(number) {
		valid = b.Check.Valid
		switch b.Check.Method {
		case vat.VIES:
			how = "checked on VIES on " + b.Check.At.UTC().Format(time.DateOnly)
		default:
			how = "only its format was checked, on " + b.Check.At.UTC().Format(time.DateOnly)
		}
	} else {
		valid = vat.WellFormed(number)
		how = "only its format was checked (no online check on record)"
	}
	if !valid {
		return false, fmt.Sprintf("VAT number %s did not pass validation (%s): no intra-EU exemption", number, how)
	}
	prefix := vat.Country(number)
	country := vat.ISOCountry(prefix)
	if country == seller {
		return false, fmt.Sprintf("VAT number %s is from %s, the seller's own member state: no intra-EU exemption", number, seller)
	}
	why := fmt.Sprintf("VAT number %s valid (%s)", number, how)
	if country != shipTo {
		why += fmt.Sprintf("; it is from %s while the goods go to %s", country, shipTo)
	}
	return true, why
}
