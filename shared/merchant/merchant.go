// Package merchant describes the tenants hosted by one Comptoir deployment and
// the storefronts ("boutiques") each of them exposes, one per country domain.
package merchant

import (
	"context"
	"errors"
	"strings"

	"github.com/shopspring/decimal"
)

// ID identifies a merchant. Every stored item is keyed under it.
type ID string

// PortalMode says what an anonymous visitor may see on a storefront.
type PortalMode string

const (
	// Closed storefronts are ordering extranets: every request needs a login.
	Closed PortalMode = "closed"
	// PartiallyOpen storefronts can be browsed and indexed, but prices and
	// restricted categories need a login ("site semi-ouvert").
	PartiallyOpen PortalMode = "partially-open"
	// Open storefronts show everything, prices included, to everyone.
	Open PortalMode = "open"
)

// Valid reports whether m is one of the three portal modes.
func (m PortalMode) Valid() bool {
	return m == Closed || m == PartiallyOpen || m == Open
}

// Storefront is one public face of a merchant: a domain, a country, a language
// and a currency, with its own portal mode.
type Storefront struct {
	ID       string     `json:"id"`
	Merchant ID         `json:"merchant"`
	Host     string     `json:"host"`
	Country  string     `json:"country"`
	Language string     `json:"language"`
	Currency string     `json:"currency"`
	Mode     PortalMode `json:"mode"`
	// MerchantLanguage is the merchant's default language, the last step of
	// every language fallback chain.
	MerchantLanguage string `json:"merchantLanguage"`
	// Consumers is set when the storefront also sells to consumers: its
	// anonymous visitors see VAT-inclusive prices (TTC); professionals always
	// see prices excluding VAT (HT).
	Consumers bool `json:"consumers,omitempty"`
	// Warehouse is the warehouse ("dépôt") orders of the storefront are
	// served from first; empty: none is preferred.
	Warehouse string `json:"warehouse,omitempty"`
	// Shipping is what delivery costs, per method and country.
	Shipping Shipping `json:"shipping,omitzero"`
	// PaymentMethods are the methods a buyer may pay with, per delivery
	// country (ISO 3166-1 alpha-2, or "*" for every other country): "card",
	// "transfer". Empty: card and transfer everywhere. Paying on account
	// depends on the customer's terms, not on this list.
	PaymentMethods map[string][]string `json:"paymentMethods,omitempty"`
}

// Shipping is a storefront's delivery rates ("frais de port").
type Shipping struct {
	Methods []ShippingMethod `json:"methods,omitempty"`
	// FreeFrom is the order amount excluding VAT, in the storefront's
	// currency, from which delivery is free ("franco de port"); nil: never.
	FreeFrom *decimal.Decimal `json:"freeFrom,omitempty"`
}

// ShippingMethod is one way of delivering ("messagerie", "affrètement").
type ShippingMethod struct {
	// ID names the method in a checkout ("standard", "express").
	ID   string `json:"id"`
	Name string `json:"name"`
	// Rates are the cost excluding VAT per delivery country; a country
	// without a rate cannot be served by the method.
	Rates []ShippingRate `json:"rates"`
}

// ShippingRate is a method's cost to one country, excluding VAT, in the
// storefront's currency.
type ShippingRate struct {
	// Country is ISO 3166-1 alpha-2, or "*" for every country without a
	// rate of its own.
	Country string          `json:"country"`
	Amount  decimal.Decimal `json:"amount"`
}

// Reader reads a merchant's record: its country is the seller's for VAT,
// its time zone gives the calendar day of its sales. An unknown merchant is
// an error wrapping ErrUnknown.
type Reader interface {
	Merchant(ctx context.Context, m ID) (Merchant, error)
}

// ErrUnknown is returned for a merchant that does not exist.
var ErrUnknown = errors.New("no such merchant")

// ErrUnknownHost is returned when no storefront answers for a host name.
var ErrUnknownHost = errors.New("no storefront for this host")

// NormalizeHost lowercases a Host header value and strips its port, so that
// "Shop.Example.fr:443" and "shop.example.fr" name the same storefront.
func NormalizeHost(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if strings.HasPrefix(host, "[") { // IPv6 literal
		if i := strings.Index(host, "]"); i > 0 {
			return host[:i+1]
		}
		return host
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.TrimSuffix(host, ".")
}

// RequestHost returns the storefront host name that a request's Host header
// names: a DNS name as CanonicalHost accepts it, with an optional port of 1
// to 5 digits. Anything else (an IP literal, a second port, a percent
// escape, a control character, more than MaxHostLen bytes, nothing) is a
// *HostError: no storefront can answer for it, and it need not be looked up.
func RequestHost(header string) (string, error) {
	if len(header) > MaxHostLen+len(".:65535") {
		return "", &HostError{"longer than 253 characters"}
	}
	h := strings.TrimSpace(header)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		if !validPort(h[i+1:]) {
			return "", &HostError{"its port is not a number from 1 to 65535"}
		}
		h = h[:i]
	}
	return CanonicalHost(h)
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n >= 1 && n <= 65535
}

// LanguageChain returns the languages to try, in order, for a text: the
// requested one, then the storefront's, then the merchant's, without repeats.
func (s Storefront) LanguageChain(requested string) []string {
	chain := make([]string, 0, 3)
	for _, l := range []string{requested, s.Language, s.MerchantLanguage} {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" {
			continue
		}
		seen := false
		for _, c := range chain {
			if c == l {
				seen = true
			}
		}
		if !seen {
			chain = append(chain, l)
		}
	}
	return chain
}
