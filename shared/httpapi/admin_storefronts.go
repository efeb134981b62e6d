package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// StorefrontInput is the body of PUT /admin/storefronts/{id}. The merchant
// is always the caller's.
type StorefrontInput struct {
	Host      string              `json:"host"`
	Country   string              `json:"country"`
	Language  string              `json:"language"`
	Currency  string              `json:"currency"`
	Mode      merchant.PortalMode `json:"mode"`
	Consumers bool                `json:"consumers,omitempty"`
	// Warehouse is the warehouse orders are served from first: one of the
	// merchant's; absent or "": none.
	Warehouse string `json:"warehouse,omitempty"`
	// Shipping are the delivery rates; absent: none (no shipping method
	// can be chosen at checkout).
	Shipping *ShippingInput `json:"shipping,omitempty"`
	// PaymentMethods are the methods offered per delivery country (ISO
	// code or "*"): "card", "transfer"; absent: both everywhere.
	PaymentMethods map[string][]string `json:"paymentMethods,omitempty"`
}

// ShippingInput is a storefront's delivery rates as staff send them.
type ShippingInput struct {
	Methods []ShippingMethodInput `json:"methods"`
	// FreeFrom is the order amount excluding VAT from which delivery is
	// free ("franco de port"), a plain decimal in the storefront's
	// currency; absent or null: never.
	FreeFrom *string `json:"freeFrom"`
}

// ShippingMethodInput is one delivery method with its rates.
type ShippingMethodInput struct {
	ID    string              `json:"id"`
	Name  string              `json:"name"`
	Rates []ShippingRateInput `json:"rates"`
}

// ShippingRateInput is a method's cost to a country ("*": every country
// without a rate of its own), excluding VAT.
type ShippingRateInput struct {
	Country string `json:"country"`
	Amount  string `json:"amount"`
}

// Bounds of a storefront's shipping and payment settings.
const (
	maxShippingMethods = 20
	// maxCountryEntries is every ISO country once, and "*".
	maxCountryEntries = 300
)

// StorefrontView is a storefront as the back office shows it: its shipping
// amounts printed with the currency's minor units.
type StorefrontView struct {
	merchant.Storefront
	Shipping *ShippingView `json:"shipping,omitempty"`
}

// ShippingView is a storefront's delivery rates.
type ShippingView struct {
	Methods  []ShippingMethodView `json:"methods"`
	FreeFrom *money.Amount        `json:"freeFrom,omitempty"`
}

// ShippingMethodView is one delivery method with its rates.
type ShippingMethodView struct {
	ID    string             `json:"id"`
	Name  string             `json:"name"`
	Rates []ShippingRateView `json:"rates"`
}

// ShippingRateView is a method's cost to a country, excluding VAT.
type ShippingRateView struct {
	Country string       `json:"country"`
	Amount  money.Amount `json:"amount"`
}

func storefrontView(sf merchant.Storefront) StorefrontView {
	v := StorefrontView{Storefront: sf}
	sh := sf.Shipping
	if len(sh.Methods) == 0 && sh.FreeFrom == nil {
		return v
	}
	v.Shipping = &ShippingView{Methods: make([]ShippingMethodView, 0, len(sh.Methods))}
	for _, m := range sh.Methods {
		mv := ShippingMethodView{ID: m.ID, Name: m.Name, Rates: make([]ShippingRateView, 0, len(m.Rates))}
		for _, r := range m.Rates {
			mv.Rates = append(mv.Rates, ShippingRateView{Country: r.Country, Amount: money.AmountIn(r.Amount, sf.Currency)})
		}
		v.Shipping.Methods = append(v.Shipping.Methods, mv)
	}
	if sh.FreeFrom != nil {
		f := money.AmountIn(*sh.FreeFrom, sf.Currency)
		v.Shipping.FreeFrom = &f
	}
	return v
}

// countryOrAny reports whether c is an ISO 3166-1 alpha-2 code or "*".
func countryOrAny(c string) bool { return c == "*" || merchant.KnownCountry(c) }

// shipping checks a storefront's delivery rates: method ids bounded like
// every id and unique, a name, at least one rate, rates per ISO country or
// "*" once each, amounts of zero or more with at most the currency's minor
// units (currency "" when it is itself invalid: amounts are then checked
// as plain decimals only).
func (fe *fieldErrors) shipping(in *ShippingInput, currency string) merchant.Shipping {
	var out merchant.Shipping
	if in == nil || fe.has("shipping") {
		return out
	}
	if currency == "" {
		currency = "EUR"
	}
	if len(in.Methods) > maxShippingMethods {
		fe.add("shipping.methods", fmt.Sprintf("at most %d methods", maxShippingMethods))
		return out
	}
	var ids []string
	for i, m := range in.Methods {
		field := fmt.Sprintf("shipping.methods[%d]", i)
		switch {
		case !catalog.ValidID(m.ID):
			fe.add(field+".id", "must be 1 to 64 printable characters without spaces, '#' or '/', such as standard")
		case slices.Contains(ids, m.ID):
			fe.add(field+".id", "another method has this id")
		}
		ids = append(ids, m.ID)
		switch {
		case strings.TrimSpace(m.Name) == "":
			fe.add(field+".name", "is required: the name the buyer chooses, such as Messagerie 48 h")
		case !catalog.PlainText(m.Name) || utf8.RuneCountInString(m.Name) > maxNameLen:
			fe.add(field+".name", fmt.Sprintf("plain text of at most %d characters", maxNameLen))
		}
		sm := merchant.ShippingMethod{ID: m.ID, Name: m.Name}
		switch {
		case len(m.Rates) == 0:
			fe.add(field+".rates", "at least one rate: a method without a rate serves no country")
		case len(m.Rates) > maxCountryEntries:
			fe.add(field+".rates", fmt.Sprintf("at most %d rates", maxCountryEntries))
		}
		var countries []string
		for j, r := range m.Rates {
			rf := fmt.Sprintf("%s.rates[%d]", field, j)
			switch {
			case !countryOrAny(r.Country):
				fe.add(rf+".country", "an ISO 3166-1 alpha-2 country code in capitals such as FR, or * for every other country")
			case slices.Contains(countries, r.Country):
				fe.add(rf+".country", "the method has another rate for this country")
			}
			countries = append(countries, r.Country)
			sm.Rates = append(sm.Rates, merchant.ShippingRate{Country: r.Country, Amount: parseAmountIn(fe, rf+".amount", r.Amount, currency)})
		}
		out.Methods = append(out.Methods, sm)
	}
	if in.FreeFrom != nil {
		d := parseAmountIn(fe, "shipping.freeFrom", *in.FreeFrom, currency)
		out.FreeFrom = &d
	}
	return out
}

// paymentMethods checks the methods offered per delivery country: ISO
// codes or "*", each with card and/or transfer, each once.
func (fe *fieldErrors) paymentMethods(in map[string][]string) map[string][]string {
	if len(in) == 0 || fe.has("paymentMethods") {
		return nil
	}
	if len(in) > maxCountryEntries {
		fe.add("paymentMethods", fmt.Sprintf("at most %d countries", maxCountryEntries))
		return nil
	}
	out := map[string][]string{}
	for _, c := range sortedKeys(in) {
		field := "paymentMethods." + c
		if !countryOrAny(c) {
			fe.add(field, "not an ISO 3166-1 alpha-2 country code in capitals such as FR, nor * for every other country")
			continue
		}
		if len(in[c]) == 0 {
			fe.add(field, "at least one of card and transfer (paying on account depends on the customer's terms, not on this list)")
			continue
		}
		if len(in[c]) > maxMethods {
			fe.add(field, fmt.Sprintf("at most %d entries: card and transfer, each once", maxMethods))
			continue
		}
		for _, m := range parseMethods(fe, field, in[c]) {
			out[c] = append(out[c], string(m))
		}
	}
	return out
}

func (a *AdminAPI) storefronts(w http.ResponseWriter, r *Request) error {
	fronts, err := a.Storefronts.List(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if fronts == nil {
		fronts = []merchant.Storefront{}
	}
	sort.Slice(fronts, func(i, j int) bool { return fronts[i].ID < fronts[j].ID })
	views := make([]StorefrontView, 0, len(fronts))
	for _, sf := range fronts {
		views = append(views, storefrontView(sf))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"storefronts": views})
}

// putStorefront creates or replaces one of the caller's merchant's
// storefronts, its warehouse, shipping rates and payment methods included
// (absent ones are removed). Its host must be under one of the domains the platform gave
// the merchant (403 otherwise), and is unique across the deployment: one
// held by another storefront, of this merchant or another, is refused with
// 409. The storefront and the claim of its host are saved in one atomic
// write (merchant.StorefrontStore).
func (a *AdminAPI) putStorefront(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	fe := &fieldErrors{}
	if !catalog.ValidID(id) {
		fe.add("id", "must be 1 to 64 printable characters without spaces, '#' or '/'")
	}
	var in StorefrontInput
	if err := decodeFields(r.Request, fe, map[string]any{
		"host": &in.Host, "country": &in.Country, "language": &in.Language, "currency": &in.Currency,
		"mode": &in.Mode, "consumers": &in.Consumers,
		"warehouse": &in.Warehouse, "shipping": &in.Shipping, "paymentMethods": &in.PaymentMethods,
	}); err != nil {
		return err
	}
	host, hostErr := merchant.CanonicalHost(in.Host)
	var he *merchant.HostError
	if !fe.has("host") && errors.As(hostErr, &he) {
		fe.add("host", "is required: a host name without scheme, port or path, such as shop.example.fr; this one is "+he.Reason)
	}
	in.Country, in.Language, in.Currency = strings.ToUpper(in.Country), strings.ToLower(in.Language), strings.ToUpper(in.Currency)
	if !fe.has("country") && !merchant.KnownCountry(in.Country) {
		fe.add("country", "is required: an ISO 3166-1 alpha-2 country code such as FR")
	}
	if !fe.has("language") && !catalog.KnownLanguage(in.Language) {
		fe.add("language", "is required: an ISO 639 language code such as fr")
	}
	if !fe.has("currency") && !money.ValidCurrency(in.Currency) {
		fe.add("currency", "is required: an ISO 4217 currency code such as EUR")
	}
	if !fe.has("mode") && !in.Mode.Valid() {
		fe.add("mode", "must be closed, partially-open or open")
	}
	currency := in.Currency
	if fe.has("currency") {
		currency = ""
	}
	shipping := fe.shipping(in.Shipping, currency)
	payments := fe.paymentMethods(in.PaymentMethods)
	if err := a.knownWarehouse(r.Context(), r.Merchant(), fe, "warehouse", in.Warehouse); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	sf, created, err := a.Storefronts.UpdateStorefront(r.Context(), r.Merchant(), id, func(sf *merchant.Storefront, exists bool, owner merchant.Merchant) error {
		if !owner.Owns(host) {
			p := Forbidden("the host must be one of the merchant's domains or a name below one; the platform operator sets the domains")
			p.Errors = []FieldError{{Field: "host", Reason: "not under the merchant's domains (" + strings.Join(owner.Domains, ", ") + ")"}}
			return p
		}
		sf.Host, sf.Country, sf.Language, sf.Currency, sf.Mode, sf.Consumers = host, in.Country, in.Language, in.Currency, in.Mode, in.Consumers
		sf.Warehouse, sf.Shipping, sf.PaymentMethods = in.Warehouse, shipping, payments
		// The merchant's language is the same on all its storefronts.
		switch {
		case owner.DefaultLanguage != "":
			sf.MerchantLanguage = owner.DefaultLanguage
		case !exists || sf.MerchantLanguage == "":
			sf.MerchantLanguage = in.Language
		}
		return nil
	})
	switch {
	case errors.Is(err, merchant.ErrHostTaken):
		p := Conflict("host " + strconv.Quote(host) + " already answers for another storefront")
		p.Errors = []FieldError{{Field: "host", Reason: "already used by another storefront"}}
		return p
	case errors.Is(err, merchant.ErrConflict):
		return Conflict("the storefront was being changed by other requests at the same time; try again")
	case err != nil:
		return err
	}
	return writeJSON(w, createdOr(!created), storefrontView(sf))
}
