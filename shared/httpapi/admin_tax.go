package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vat"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// The back office's tax routes (see Routes): the VAT rate table, the
// distance-selling ledger with its settings, alerts and recomputation, and
// the check of a customer's VAT number.

// TaxRatesAdmin stores a merchant's VAT rate changes over the seed table.
type TaxRatesAdmin interface {
	// Rates is the merchant's table: the seed with its changes laid over.
	Rates(ctx context.Context, m merchant.ID) (*tax.Rates, error)
	// Save stores a change, replacing one of the same country, category
	// and day; created is true when there was none.
	Save(ctx context.Context, m merchant.ID, c tax.RateChange) (created bool, err error)
}

// VATLedgerAdmin is what the back office needs from the distance-selling
// ledger.
type VATLedgerAdmin interface {
	// State is the merchant's settings and totals for a sale on the day on.
	State(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error)
	// UpdateSettings applies update to the stored settings (the defaults
	// when none were saved), validates and saves them over the version
	// read.
	UpdateSettings(ctx context.Context, m merchant.ID, update func(*vatledger.Settings) error) (vatledger.Settings, error)
	// Alerts lists the merchant's threshold alerts.
	Alerts(ctx context.Context, m merchant.ID) ([]vatledger.Alert, error)
}

// QueueSender puts one message, encoded as JSON, on a queue; queue.Sender
// implements it with SQS.
type QueueSender interface {
	SendJSON(ctx context.Context, v any) (messageID string, err error)
}

// CustomerVATAdmin stores the check of a customer's VAT number on the
// customer's account (dynamo.Customers).
type CustomerVATAdmin interface {
	// UpdateVATCheck reads the customer, gets the check of its number from
	// check and stores it only over the account as read; unknown customers
	// are customer.ErrUnknown.
	UpdateVATCheck(ctx context.Context, m merchant.ID, id string, check func(customer.Customer) (vat.Check, error)) (customer.Customer, error)
}

// now is the admin function's clock.
func (a *AdminAPI) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// merchantToday reads merchant m (cached: no round trip warm) and returns
// it with its calendar day at now, in its time zone (merchant.Today): the
// day its quotes are made on and the ledger counts in. A merchant without
// a record, or an API without a merchant reader, is in
// merchant.DefaultTimeZone, with no country.
func (a *AdminAPI) merchantToday(ctx context.Context, m merchant.ID) (time.Time, merchant.Merchant, error) {
	var mr merchant.Merchant
	if a.Merchants != nil {
		var err error
		mr, err = a.Merchants.Merchant(ctx, m)
		switch {
		case errors.Is(err, merchant.ErrUnknown):
			// A merchant set up without its record: the default zone, no
			// country.
			mr = merchant.Merchant{}
		case err != nil:
			return time.Time{}, merchant.Merchant{}, err
		}
	}
	return mr.Today(a.now()), mr, nil
}

// RateView is one entry of the rate table as the back office shows it.
type RateView struct {
	Country  string       `json:"country"`
	Category tax.Category `json:"category"`
	// Percent is the rate as a plain decimal: "5.5" for 5.5 %.
	Percent string `json:"percent"`
	// From is the first day the rate applies (YYYY-MM-DD); absent for a
	// seed rate in force before any day the table knows.
	From string `json:"from,omitempty"`
	// Source is "seed" for the rates Comptoir ships with, "merchant" for
	// the merchant's own changes.
	Source string `json:"source"`
}

func rateView(c tax.RateChange) RateView {
	v := RateView{Country: c.Country, Category: c.Category, Percent: c.Percent.String(), Source: "merchant"}
	if c.Seed {
		v.Source = "seed"
	}
	if !c.From.IsZero() {
		v.From = c.From.Format(time.DateOnly)
	}
	return v
}

// RateTable is the body of GET /admin/tax/rates.
type RateTable struct {
	// On is the day InForce is about (YYYY-MM-DD).
	On string `json:"on"`
	// Rates is every entry, seed and merchant's, by country, category and
	// day.
	Rates []RateView `json:"rates"`
	// InForce is, per country and category, the entry in force on On.
	InForce []RateView `json:"inForce"`
}

// taxRates lists the rate table, optionally of one country (?country=,
// EL read as GR), with the rates in force on a day (?on=YYYY-MM-DD,
// the merchant's today by default, in its time zone).
func (a *AdminAPI) taxRates(w http.ResponseWriter, r *Request) error {
	q := r.URL.Query()
	fe := &fieldErrors{}
	country := strings.ToUpper(q.Get("country"))
	if q.Has("country") {
		country = vat.ISOCountry(country)
		if !merchant.KnownCountry(country) {
			fe.add("country", "an ISO 3166-1 alpha-2 country code such as FR or GR (EL is read as GR)")
		}
	}
	on, _, err := a.merchantToday(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if q.Has("on") {
		d, ok := parseDay(q.Get("on"))
		if !ok {
			fe.add("on", "a day as YYYY-MM-DD")
		}
		on = d
	}
	if err := fe.err(); err != nil {
		return err
	}
	rates, err := a.TaxRates.Rates(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	out := RateTable{On: on.Format(time.DateOnly), Rates: []RateView{}, InForce: []RateView{}}
	// Changes are sorted by country, category and day: the last entry of
	// a run that starts on or before on is the one in force.
	var inForce *tax.RateChange
	flush := func() {
		if inForce != nil {
			out.InForce = append(out.InForce, rateView(*inForce))
			inForce = nil
		}
	}
	for _, c := range rates.Changes() {
		if country != "" && c.Country != country {
			continue
		}
		out.Rates = append(out.Rates, rateView(c))
		if inForce != nil && (inForce.Country != c.Country || inForce.Category != c.Category) {
			flush()
		}
		if !c.From.After(on) {
			c := c
			inForce = &c
		}
	}
	flush()
	return writeJSON(w, http.StatusOK, out)
}

// parseDay reads YYYY-MM-DD.
func parseDay(s string) (time.Time, bool) {
	if len(s) != len(time.DateOnly) {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

// RateInput is the body of PUT /admin/tax/rates/{country}/{category}/{from}.
type RateInput struct {
	// Percent is the rate as a plain decimal string, from 0 to less than
	// 100, at most 4 decimals.
	Percent string `json:"percent"`
}

// putTaxRate creates or replaces the merchant's rate of a country and tax
// category from a day. The change is identified by the path: sending it
// again replaces its percent (200), a new one is 201. Quotes use it
// within CACHE_TTL, for supplies dated on or after its day.
func (a *AdminAPI) putTaxRate(w http.ResponseWriter, r *Request) error {
	var in RateInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{"percent": &in.Percent}); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	country := strings.ToUpper(r.PathValue("country"))
	c, err := tax.ParseRateChange(country, r.PathValue("category"), in.Percent, r.PathValue("from"))
	if err != nil {
		return rateChangeProblem(fe, err)
	}
	created, err := a.TaxRates.Save(r.Context(), r.Merchant(), c)
	if err != nil {
		// ParseRateChange and Validate agree; an invalid change here is a
		// drift between them, still a 400, never a 500.
		return rateChangeProblem(fe, err)
	}
	return writeJSON(w, createdOr(!created), rateView(c))
}

// rateChangeProblem is the 400 listing the invalid fields of a rate change
// (a *tax.InvalidRateChange in err); other errors are returned as they are.
func rateChangeProblem(fe *fieldErrors, err error) error {
	var invalid *tax.InvalidRateChange
	if !errors.As(err, &invalid) {
		return err
	}
	for _, e := range invalid.Errors {
		fe.add(e.Field, e.Reason)
	}
	return fe.err()
}

// VATSettingsView is a merchant's distance-selling settings as the back
// office shows and takes them.
type VATSettingsView struct {
	// EUThreshold is the EU-wide threshold in euros (10000.00 by law).
	EUThreshold money.Amount `json:"euThreshold"`
	// CountryThresholds are per-destination thresholds in euros.
	CountryThresholds map[string]money.Amount `json:"countryThresholds"`
	// OptIn is the option for destination taxation, absent without one.
	OptIn *OptInView `json:"optIn,omitempty"`
}

// OptInView is an option for destination taxation: from which day, and
// which staff member recorded it.
type OptInView struct {
	From string `json:"from"`
	By   string `json:"by"`
}

func eur(d decimal.Decimal) money.Amount { return money.AmountIn(d, "EUR") }

func settingsView(s vatledger.Settings) VATSettingsView {
	v := VATSettingsView{EUThreshold: eur(s.EUThreshold), CountryThresholds: map[string]money.Amount{}}
	for c, t := range s.CountryThresholds {
		v.CountryThresholds[c] = eur(t)
	}
	if s.OptIn != nil {
		v.OptIn = &OptInView{From: s.OptIn.From.Format(time.DateOnly), By: s.OptIn.By}
	}
	return v
}

// VATScopeView is one total the ledger judges against a threshold: the
// EU-wide one, or a destination with its own threshold.
type VATScopeView struct {
	// Scope is "EU" or a member state's ISO code.
	Scope     string       `json:"scope"`
	Threshold money.Amount `json:"threshold"`
	// PreviousYear and CurrentYear are the totals, net of VAT in euros.
	PreviousYear money.Amount `json:"previousYear"`
	CurrentYear  money.Amount `json:"currentYear"`
	// Exceeded is true when either total is over the threshold: B2C
	// sales in the scope are taxed at destination.
	Exceeded bool `json:"exceeded"`
}

// VATCountryView is a destination's totals, net of VAT in euros.
type VATCountryView struct {
	Country      string       `json:"country"`
	PreviousYear money.Amount `json:"previousYear"`
	CurrentYear  money.Amount `json:"currentYear"`
}

// VATLedgerView is the body of GET /admin/vat/ledger.
type VATLedgerView struct {
	// On is the day the state is read for: the merchant's today, in its
	// time zone, whose calendar year is the current one.
	On           string `json:"on"`
	CurrentYear  int    `json:"currentYear"`
	PreviousYear int    `json:"previousYear"`
	// SellerCountry is the merchant's country: its sales there are
	// domestic, never distance sales.
	SellerCountry string          `json:"sellerCountry,omitempty"`
	Settings      VATSettingsView `json:"settings"`
	// Scopes are the totals judged against a threshold: EU first, then
	// each country with its own threshold.
	Scopes []VATScopeView `json:"scopes"`
	// Countries are the totals per destination, by country.
	Countries []VATCountryView `json:"countries"`
	// DestinationTaxed lists the member states where a B2C sale made
	// today is taxed at the destination's rate (the seller's country
	// left out).
	DestinationTaxed []string `json:"destinationTaxed"`
}

func (a *AdminAPI) vatLedger(w http.ResponseWriter, r *Request) error {
	on, mr, err := a.merchantToday(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	st, err := a.VATLedger.State(r.Context(), r.Merchant(), on)
	if err != nil {
		return err
	}
	seller := mr.Country
	y := vatledger.Year(on)
	out := VATLedgerView{
		On: on.Format(time.DateOnly), CurrentYear: y, PreviousYear: y - 1, SellerCountry: seller,
		Settings: settingsView(st.Settings), Scopes: []VATScopeView{}, Countries: []VATCountryView{}, DestinationTaxed: []string{},
	}
	scope := func(name string, limit decimal.Decimal) VATScopeView {
		prev, cur := st.Total(y-1, name), st.Total(y, name)
		return VATScopeView{Scope: name, Threshold: eur(limit), PreviousYear: eur(prev), CurrentYear: eur(cur),
			Exceeded: prev.GreaterThan(limit) || cur.GreaterThan(limit)}
	}
	out.Scopes = append(out.Scopes, scope(vatledger.EU, st.Settings.EUThreshold))
	for _, c := range sortedKeys(st.Settings.CountryThresholds) {
		out.Scopes = append(out.Scopes, scope(c, st.Settings.CountryThresholds[c]))
	}
	var countries []string
	for _, year := range []int{y - 1, y} {
		for c := range st.Totals[year] {
			if c != vatledger.EU && !slices.Contains(countries, c) {
				countries = append(countries, c)
			}
		}
	}
	slices.Sort(countries)
	for _, c := range countries {
		out.Countries = append(out.Countries, VATCountryView{Country: c, PreviousYear: eur(st.Total(y-1, c)), CurrentYear: eur(st.Total(y, c))})
	}
	for _, c := range tax.MemberStates() {
		if c != seller && st.DistanceSale(c, decimal.Zero, on).Destination {
			out.DestinationTaxed = append(out.DestinationTaxed, c)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// VATSettingsInput is the body of PUT /admin/vat/settings: the whole
// settings, each member optional.
type VATSettingsInput struct {
	// EUThreshold is a plain decimal of euros; absent, the legal €10,000.
	EUThreshold *string `json:"euThreshold"`
	// CountryThresholds are plain decimals of euros per member state;
	// absent, none.
	CountryThresholds map[string]string `json:"countryThresholds"`
	// OptIn opts in to destination taxation from its day; absent or
	// null, no option.
	OptIn *OptInInput `json:"optIn"`
}

// OptInInput is the option for destination taxation as staff send it.
type OptInInput struct {
	From string `json:"from"`
}

// maxBy bounds the staff name recorded with an opt-in or a request.
const maxBy = 128

// staffName is the caller's subject, cut to maxBy bytes.
func staffName(r *Request) string {
	s := r.Caller.Subject
	for len(s) > maxBy {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "" {
		s = "staff"
	}
	return s
}

// errOptInBinding refuses to withdraw or move an opt-in during the two
// calendar years it binds the merchant.
type errOptInBinding struct{ until time.Time }

func (e errOptInBinding) Error() string {
	return "the opt-in binds the merchant until " + e.until.Format(time.DateOnly)
}

// optInBindsUntil is the first day an opt-in from from may be withdrawn:
// the option covers at least two calendar years (art. 59c(3)), the year it
// starts and the next.
func optInBindsUntil(from time.Time) time.Time {
	return time.Date(from.Year()+2, time.January, 1, 0, 0, 0, 0, time.UTC)
}

// putVATSettings replaces the merchant's distance-selling settings. An
// opt-in records who sent it (the staff member's subject) and keeps the
// name of whoever first recorded the same day; an opt-in in force cannot
// be withdrawn or moved before the end of its second calendar year (409).
func (a *AdminAPI) putVATSettings(w http.ResponseWriter, r *Request) error {
	var in VATSettingsInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{
		"euThreshold": &in.EUThreshold, "countryThresholds": &in.CountryThresholds, "optIn": &in.OptIn,
	}); err != nil {
		return err
	}
	next := vatledger.DefaultSettings()
	threshold := func(field, s string) decimal.Decimal {
		d, err := money.ParseAmount(s)
		if err != nil {
			fe.add(field, "euros as a plain decimal, such as \"10000\" or \"35000.00\": "+err.Error())
		}
		return d
	}
	if in.EUThreshold != nil && !fe.has("euThreshold") {
		next.EUThreshold = threshold("euThreshold", *in.EUThreshold)
	}
	if n := len(tax.MemberStates()); len(in.CountryThresholds) > n {
		fe.add("countryThresholds", fmt.Sprintf("at most %d member states", n))
	} else if !fe.has("countryThresholds") {
		for _, c := range sortedKeys(in.CountryThresholds) {
			field := "countryThresholds." + c
			iso := vat.ISOCountry(c)
			if c != strings.ToUpper(c) || !tax.InEU(iso) {
				fe.add(field, "not a member state: an ISO code such as BE (GR or EL for Greece)")
				continue
			}
			if _, dup := next.CountryThresholds[iso]; dup {
				fe.add(field, "Greece is named twice (GR and EL)")
				continue
			}
			if next.CountryThresholds == nil {
				next.CountryThresholds = map[string]decimal.Decimal{}
			}
			next.CountryThresholds[iso] = threshold(field, in.CountryThresholds[c])
		}
	}
	if in.OptIn != nil && !fe.has("optIn") {
		d, ok := parseDay(in.OptIn.From)
		if !ok {
			fe.add("optIn.from", "the first day of destination taxation, as YYYY-MM-DD")
		}
		next.OptIn = &vatledger.OptIn{From: d, By: staffName(r)}
	}
	if err := fe.err(); err != nil {
		return err
	}
	// Thresholds: above zero, in euros and cents, below a billion.
	if err := next.Validate(); err != nil {
		return InvalidParameter(strings.TrimPrefix(err.Error(), vatledger.ErrInvalidSettings.Error()+": "))
	}
	today, _, err := a.merchantToday(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	saved, err := a.VATLedger.UpdateSettings(r.Context(), r.Merchant(), func(s *vatledger.Settings) error {
		if old := s.OptIn; old != nil && !old.From.After(today) && today.Before(optInBindsUntil(old.From)) &&
			(next.OptIn == nil || !next.OptIn.From.Equal(old.From)) {
			return errOptInBinding{until: optInBindsUntil(old.From)}
		}
		o := next.OptIn
		if o != nil && s.OptIn != nil && s.OptIn.From.Equal(o.From) {
			kept := *s.OptIn
			o = &kept
		}
		s.EUThreshold, s.CountryThresholds, s.OptIn = next.EUThreshold, next.CountryThresholds, o
		return nil
	})
	var binding errOptInBinding
	switch {
	case errors.As(err, &binding):
		p := Conflict("an opt-in for destination taxation covers at least two calendar years (art. 59c(3)): " + binding.Error())
		p.Errors = []FieldError{{Field: "optIn", Reason: "cannot be withdrawn or moved before " + binding.until.Format(time.DateOnly)}}
		return p
	case errors.Is(err, vatledger.ErrInvalidSettings):
		return InvalidParameter(err.Error())
	case errors.Is(err, vatledger.ErrConflict):
		return Conflict("the settings were being changed by other requests at the same time; try again")
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, settingsView(saved))
}

// AlertView is a threshold alert as the back office lists it.
type AlertView struct {
	ID        string       `json:"id"`
	At        time.Time    `json:"at"`
	Year      int          `json:"year"`
	Scope     string       `json:"scope"`
	Total     money.Amount `json:"total"`
	Threshold money.Amount `json:"threshold"`
	Text      string       `json:"text"`
}

func (a *AdminAPI) vatAlerts(w http.ResponseWriter, r *Request) error {
	alerts, err := a.VATLedger.Alerts(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	out := make([]AlertView, 0, len(alerts))
	for _, al := range alerts {
		out = append(out, AlertView{ID: al.ID, At: al.At.UTC(), Year: al.Year, Scope: al.Scope, Total: eur(al.Total), Threshold: eur(al.Threshold), Text: al.Text})
	}
	slices.SortStableFunc(out, func(x, y AlertView) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// recomputeVATLedger asks the vat-threshold worker to rebuild the
// merchant's ledger from its orders: 202 with the request sent. The
// request has no body (one sent is not read).
func (a *AdminAPI) recomputeVATLedger(w http.ResponseWriter, r *Request) error {
	req := vatledger.NewRecomputeRequest(r.Merchant(), staffName(r), newUUID())
	if a.VATThresholdQueue == nil {
		return errors.New("recompute: no vat-threshold queue configured")
	}
	if _, err := a.VATThresholdQueue.SendJSON(r.Context(), req); err != nil {
		a.Pipeline.Logger.ErrorContext(r.Context(), "recompute request not sent", "error", err.Error())
		return Unavailable("the request could not be handed to the worker; retry", time.Second)
	}
	return writeJSON(w, http.StatusAccepted, req)
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// errNoVATNumber is a customer without a VAT number to check.
var errNoVATNumber = errors.New("the customer has no VAT number")

// checkCustomerVAT checks a customer's VAT number with the configured
// validator (vat.Offline: format and check digits only, and it says so)
// and stores the check on the customer's account: 200 with the check.
func (a *AdminAPI) checkCustomerVAT(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no customer " + echo(id))
	}
	validator := a.VATValidator
	if validator == nil {
		validator = vat.Offline{}
	}
	var validatorErr error
	c, err := a.Customers.UpdateVATCheck(r.Context(), r.Merchant(), id, func(c customer.Customer) (vat.Check, error) {
		if strings.TrimSpace(c.VATNumber) == "" {
			return vat.Check{}, errNoVATNumber
		}
		check, err := validator.Validate(r.Context(), c.VATNumber, a.now())
		if err != nil {
			validatorErr = err
		}
		return check, err
	})
	switch {
	case errors.Is(err, customer.ErrUnknown):
		return NotFound("no customer " + echo(id))
	case errors.Is(err, errNoVATNumber):
		return problem(http.StatusUnprocessableEntity, "no-vat-number", "No VAT number",
			"customer "+strconv.Quote(id)+" has no VAT number to check; set it in the ERP (CT_Identifiant)")
	case errors.Is(err, customer.ErrChanged):
		return Conflict("the customer's account was being changed at the same time; try again")
	case validatorErr != nil && errors.Is(err, validatorErr):
		a.Pipeline.Logger.WarnContext(r.Context(), "VAT number check failed", "error", err.Error())
		return Unavailable("the VAT number cannot be checked now; retry", 5*time.Second)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, c.VATCheck)
}
