package httpapi

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

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

var (
	hostName    = lazyRegexp(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	countryCode = lazyRegexp(`^[A-Z]{2}$`)
	langCode    = lazyRegexp(`^[a-z]{2,3}$`)
)

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
// storefronts. A host is unique across the deployment: one held by another
// storefront, of this merchant or another, is refused with 409. The check
// reads the host index and then writes: two requests racing for one new
// host can both pass it.
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
	host := strings.ToLower(strings.TrimSpace(in.Host))
	if !fe.has("host") && (len(host) > 253 || !hostName().MatchString(host)) {
		fe.add("host", "is required: a host name without scheme, port or path, such as shop.example.fr")
	}
	in.Country, in.Language, in.Currency = strings.ToUpper(in.Country), strings.ToLower(in.Language), strings.ToUpper(in.Currency)
	if !fe.has("country") && !countryCode().MatchString(in.Country) {
		fe.add("country", "is required: an ISO 3166 alpha-2 code such as FR")
	}
	if !fe.has("language") && !langCode().MatchString(in.Language) {
		fe.add("language", "is required: a language code such as fr")
	}
	if !fe.has("currency") && !money.ValidCurrency(in.Currency) {
		fe.add("currency", "is required: an ISO 4217 code such as EUR")
	}
	if !fe.has("mode") && !in.Mode.Valid() {
		fe.add("mode", "must be closed, partially-open or open")
	}
	if err := fe.err(); err != nil {
		return err
	}
	var (
		fronts          []merchant.Storefront
		owner           merchant.Storefront
		held            bool
		listErr, ownErr error
		wg              sync.WaitGroup
	)
	wg.Go(func() { fronts, listErr = a.Storefronts.List(r.Context(), r.Merchant()) })
	wg.Go(func() { owner, held, ownErr = a.Storefronts.HostOwner(r.Context(), host) })
	wg.Wait()
	if err := errors.Join(listErr, ownErr); err != nil {
		return err
	}
	if held && (owner.Merchant != r.Merchant() || owner.ID != id) {
		p := Conflict("host " + strconv.Quote(host) + " already answers for another storefront")
		p.Errors = []FieldError{{Field: "host", Reason: "already used by another storefront"}}
		return p
	}
	sf := merchant.Storefront{ID: id, Merchant: r.Merchant(), Host: host, Country: in.Country, Language: in.Language,
		Currency: in.Currency, Mode: in.Mode, Consumers: in.Consumers, MerchantLanguage: in.Language}
	var old *merchant.Storefront
	for i, f := range fronts {
		if f.ID == id {
			old = &fronts[i]
		}
	}
	// The merchant's language is the same on all its storefronts.
	switch {
	case old != nil && old.MerchantLanguage != "":
		sf.MerchantLanguage = old.MerchantLanguage
	case len(fronts) > 0 && fronts[0].MerchantLanguage != "":
		sf.MerchantLanguage = fronts[0].MerchantLanguage
	}
	if err := a.Storefronts.Save(r.Context(), []merchant.Storefront{sf}); err != nil {
		return err
	}
	a.Storefronts.Forget(host)
	if old != nil {
		a.Storefronts.Forget(old.Host)
	}
	return writeJSON(w, createdOr(old != nil), sf)
}
