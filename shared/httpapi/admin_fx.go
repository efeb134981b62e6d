package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// The back office's exchange rate routes (see Routes): the recent days'
// rates, a day's rates set by staff, and the ECB's reference rates file
// imported as it is published.

// ExchangeRatesAdmin stores a merchant's exchange rates, one day at a time
// (dynamo.ExchangeRates).
type ExchangeRatesAdmin interface {
	// Recent returns the n most recent days, newest first.
	Recent(ctx context.Context, m merchant.ID, n int) ([]fx.Rates, error)
	// Put saves a day's rates, replacing that day's.
	Put(ctx context.Context, m merchant.ID, r fx.Rates) error
	// PutDays saves several days, each replacing its day's.
	PutDays(ctx context.Context, m merchant.ID, days []fx.Rates) error
}

// Bounds of the exchange rate routes.
const (
	// defaultRateDays is how many days GET /admin/exchange-rates lists
	// without ?days=.
	defaultRateDays = 30
	// firstRateDay is the first day of the euro's reference rates.
	firstRateDay = "1999-01-04"
)

// ExchangeRatesView is one day's rates as the back office shows them.
type ExchangeRatesView struct {
	// Date is the day, YYYY-MM-DD.
	Date string `json:"date"`
	// Source is "ecb" (imported from the ECB's file) or "staff".
	Source string `json:"source"`
	// Rates maps an ISO 4217 code to the units one euro buys, a decimal
	// string ("1.1607").
	Rates map[string]decimal.Decimal `json:"rates"`
}

func exchangeRatesView(r fx.Rates) ExchangeRatesView {
	return ExchangeRatesView{Date: r.Date.Format(time.DateOnly), Source: r.Source, Rates: r.PerEUR}
}

// ExchangeRatesList is the body of GET /admin/exchange-rates and of
// POST /admin/exchange-rates/ecb: days, newest first.
type ExchangeRatesList struct {
	Days []ExchangeRatesView `json:"days"`
}

func exchangeRatesList(days []fx.Rates) ExchangeRatesList {
	out := ExchangeRatesList{Days: make([]ExchangeRatesView, 0, len(days))}
	for _, d := range days {
		out.Days = append(out.Days, exchangeRatesView(d))
	}
	return out
}

// exchangeRates lists the most recent days' rates (?days=, 1 to 100,
// default 30), newest first. One Query.
func (a *AdminAPI) exchangeRates(w http.ResponseWriter, r *Request) error {
	n := defaultRateDays
	if q := r.URL.Query(); q.Has("days") {
		v, err := strconv.Atoi(q.Get("days"))
		if err != nil || v < 1 || v > fx.MaxDays {
			p := InvalidParameter(fmt.Sprintf("days must be a whole number from 1 to %d", fx.MaxDays))
			p.Errors = []FieldError{{Field: "days", Reason: fmt.Sprintf("a whole number from 1 to %d", fx.MaxDays)}}
			return p
		}
		n = v
	}
	days, err := a.ExchangeRates.Recent(r.Context(), r.Merchant(), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, exchangeRatesList(days))
}

// ExchangeRatesInput is the body of PUT /admin/exchange-rates/days/{date}.
type ExchangeRatesInput struct {
	// Rates maps an ISO 4217 code in use (not EUR) to the units one euro
	// buys, as a plain decimal string: "1.0823". At most 40 currencies.
	Rates map[string]string `json:"rates"`
}

// putExchangeRates sets a day's rates, replacing whatever that day held
// (the ECB's included): the source becomes "staff". Quotes dated that day
// or later (until a newer day) use them within CACHE_TTL. One PutItem.
func (a *AdminAPI) putExchangeRates(w http.ResponseWriter, r *Request) error {
	fe := &fieldErrors{}
	day, ok := a.rateDay(r.PathValue("date"))
	if !ok {
		fe.add("date", fmt.Sprintf("a day as YYYY-MM-DD, from %s to a year from today", firstRateDay))
	}
	var in ExchangeRatesInput
	if err := decodeFields(r.Request, fe, map[string]any{"rates": &in.Rates}); err != nil {
		return err
	}
	if fe.decoding {
		return fe.err()
	}
	rates := fx.Rates{Date: day, Source: fx.SourceStaff, PerEUR: make(map[string]decimal.Decimal, len(in.Rates))}
	switch {
	case fe.has("rates"):
	case len(in.Rates) == 0:
		fe.add("rates", "at least one currency's rate: 1 EUR = x units")
	case len(in.Rates) > fx.MaxCurrencies:
		fe.add("rates", fmt.Sprintf("at most %d currencies", fx.MaxCurrencies))
	default:
		for _, c := range sortedKeys(in.Rates) {
			field := "rates." + c
			switch {
			case c == fx.EUR:
				fe.add(field, "the euro is the pivot (1 EUR = x units): it has no rate")
			case !money.ValidCurrency(c):
				fe.add(field, "not an ISO 4217 currency in use (upper-case code such as USD)")
			default:
				d, err := fx.ParseRate(c, in.Rates[c])
				if err != nil {
					fe.add(field, err.Error())
					continue
				}
				rates.PerEUR[c] = d
			}
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	if err := rates.Validate(); err != nil {
		// The checks above are Validate's; kept so that a drift is a 400.
		return fe.add("rates", err.Error()).err()
	}
	if err := a.ExchangeRates.Put(r.Context(), r.Merchant(), rates); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, exchangeRatesView(rates))
}

// rateDay reads a day of rates: YYYY-MM-DD, from the euro's first day to
// a year from today.
func (a *AdminAPI) rateDay(s string) (time.Time, bool) {
	if len(s) != len(time.DateOnly) {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	first, _ := time.Parse(time.DateOnly, firstRateDay)
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if err != nil || d.Before(first) || d.After(now().UTC().AddDate(1, 0, 0)) {
		return time.Time{}, false
	}
	return d, true
}

// importECB reads the ECB's reference rates file (the daily one, or the
// 90-day one) sent as the body, application/xml or text/xml, and saves
// each day it holds, replacing that day's rates (staff's included). It
// answers with the days imported, newest first. A file that is not the
// ECB's, names a currency that is not in use or holds a rate that is not a
// positive decimal is a 400 naming the fault; nothing is saved then.
// Round trips: one BatchWriteItem per 25 days.
func (a *AdminAPI) importECB(w http.ResponseWriter, r *Request) error {
	if err := xmlBody(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	data, err := readBody(r.Request)
	if err != nil {
		return err
	}
	days, err := fx.ParseECB(bytes.NewReader(data))
	switch {
	case errors.Is(err, fx.ErrFileTooLarge):
		return PayloadTooLarge()
	case err != nil:
		return ecbProblem(err)
	}
	if err := a.ExchangeRates.PutDays(r.Context(), r.Merchant(), days); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, exchangeRatesList(days))
}

// xmlBody refuses a body that is not announced as XML in UTF-8.
func xmlBody(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == "application/xml" || mt == "text/xml") {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return problem(http.StatusBadRequest, "invalid-body", "Invalid body",
		"the body must be the ECB's reference rates file, sent as application/xml or text/xml (UTF-8)")
}

// ecbProblem is the 400 of a file ParseECB refused, with its reason.
func ecbProblem(err error) *Problem {
	p := problem(http.StatusBadRequest, "invalid-body", "Invalid body", "the ECB reference rates file was refused: "+err.Error())
	p.Errors = []FieldError{{Field: "body", Reason: err.Error()}}
	return p
}
