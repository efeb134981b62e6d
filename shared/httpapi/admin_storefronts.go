package httpapi

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

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
	return writeJSON(w, http.StatusOK, map[string]any{"storefronts": fronts})
}

// putStorefront creates or replaces one of the caller's merchant's
// storefronts. Its host must be under one of the domains the platform gave
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
	return writeJSON(w, createdOr(!created), sf)
}
