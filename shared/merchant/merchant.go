// Package merchant describes the tenants hosted by one Comptoir deployment and
// the storefronts ("boutiques") each of them exposes, one per country domain.
package merchant

import (
	"errors"
	"strings"
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
}

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
