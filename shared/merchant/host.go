package merchant

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/comptoir/comptoir/shared/payment"

	"golang.org/x/text/language"
)

// Merchant is a tenant of the deployment as the platform sets it up. The
// merchant's own staff cannot change it: in particular Domains, the domains
// its storefronts may answer for.
type Merchant struct {
	ID              ID     `json:"id"`
	Name            string `json:"name"`
	Country         string `json:"country"`
	DefaultLanguage string `json:"defaultLanguage"`
	Currency        string `json:"currency"`
	// Domains are the domain names the merchant holds: a storefront of the
	// merchant may answer for one of them or any name below one
	// ("shop.example.fr" below "example.fr").
	Domains []string `json:"domains,omitempty"`
	// TimeZone is the IANA name of the merchant's time zone
	// ("Europe/Paris"), whose calendar day dates its sales; empty is
	// DefaultTimeZone (see Location).
	TimeZone string `json:"timeZone,omitempty"`
	// MonthEnd is how the merchant counts payment terms "fin de mois"
	// (payment.MonthEndMethod): a merchant setting, with no default; an
	// order on such terms cannot be placed until it is set.
	MonthEnd payment.MonthEndMethod `json:"monthEnd,omitempty"`
}

// Owns reports whether host is one of the merchant's domains or a name
// below one of them. Both are compared as given: normalize host first
// (CanonicalHost).
func (m Merchant) Owns(host string) bool {
	return host != "" && slices.ContainsFunc(m.Domains, func(d string) bool {
		return d != "" && (host == d || strings.HasSuffix(host, "."+d))
	})
}

// MaxHostLen is the longest host name DNS allows, in bytes.
const MaxHostLen = 253

// ErrInvalidHost is wrapped by the errors of CanonicalHost.
var ErrInvalidHost = errors.New("invalid host name")

// HostError says why a host name cannot be a storefront's.
type HostError struct{ Reason string }

func (e *HostError) Error() string { return "invalid host name: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidHost) true.
func (e *HostError) Is(target error) bool { return target == ErrInvalidHost }

// CanonicalHost returns the storefront host name that host names, in lower
// case and without the final dot of a fully qualified name, or a *HostError:
// a storefront answers for a DNS name of at least two labels, each of 1 to 63
// letters, digits or hyphens (not at either end), 253 bytes in all, whose
// last label is not all digits. IP addresses, ports, schemes, paths and
// non-ASCII names (give their xn-- form) are refused.
func CanonicalHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	if h == "" {
		return "", &HostError{"empty"}
	}
	if isIP(h) {
		return "", &HostError{"an IP address; give a domain name"}
	}
	h = strings.TrimSuffix(h, ".")
	if len(h) > MaxHostLen {
		return "", &HostError{"longer than 253 characters"}
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", &HostError{"a single label; give a domain name such as shop.example.fr"}
	}
	for _, l := range labels {
		if reason := labelProblem(l); reason != "" {
			return "", &HostError{reason}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", &HostError{"its last label is all digits"}
	}
	return h, nil
}

func isIP(h string) bool {
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil {
		return true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil && ap.Addr().IsValid() {
		return true
	}
	return false
}

func labelProblem(l string) string {
	switch {
	case l == "":
		return "an empty label (two dots in a row, or a dot at the start)"
	case len(l) > 63:
		return "a label longer than 63 characters"
	case l[0] == '-' || l[len(l)-1] == '-':
		return "a label starting or ending with a hyphen"
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		case c == ':' || c == '/' || c == '@':
			return "not a bare host name: no scheme, port, path or user"
		case c >= 0x80:
			return "not ASCII: give the xn-- form of an international name"
		default:
			return "a character other than letters, digits, hyphens and dots"
		}
	}
	return ""
}

// withdrawnCountries are ISO 3166-1 codes withdrawn without a single
// successor, which the region data still knows.
var withdrawnCountries = []string{"AN", "CS", "NT", "SU", "YU"}

// KnownCountry reports whether code is an ISO 3166-1 alpha-2 code assigned
// to a country or territory, in upper case ("FR", "BE"): not a deprecated
// alias ("UK" for GB), a withdrawn code, a grouping ("EU", "UN") or a
// private-use code ("XK", "ZZ").
func KnownCountry(code string) bool {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && !r.IsPrivateUse() && r.Canonicalize().String() == code &&
		r.M49() != 0 && r.ISO3() != "ZZZ" && !slices.Contains(withdrawnCountries, code)
}

// Errors of storefront writes; the HTTP layer maps them to problems.
var (
	// ErrHostTaken: another storefront, of this merchant or another,
	// answers for the host.
	ErrHostTaken = errors.New("host already used by another storefront")
	// ErrConflict: other writes kept changing the storefront while it was
	// being saved, and the save gave up. Trying again later may succeed.
	ErrConflict = errors.New("the storefront was changed concurrently")
)

// StorefrontStore is the storage port of storefront writes.
type StorefrontStore interface {
	// UpdateStorefront reads storefront id of merchant m (exists is false
	// when there is none: sf then holds only its id and merchant) and the
	// merchant, lets update change the storefront, and saves it with the
	// claim of its host in one atomic write: a host is held by one
	// storefront at most, and a storefront that changes host releases its
	// former one. When a concurrent save got in between, it reads again
	// and calls update again, a bounded number of times, then fails with
	// ErrConflict. An error from update aborts and is returned as is;
	// update may change neither the id nor the merchant. Errors:
	// ErrHostTaken, ErrConflict.
	UpdateStorefront(ctx context.Context, m ID, id string, update func(sf *Storefront, exists bool, owner Merchant) error) (saved Storefront, created bool, err error)
}
