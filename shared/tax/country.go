package tax

import (
	"slices"

	"golang.org/x/text/language"

	"github.com/comptoir/comptoir/shared/vat"
)

// memberStates are the 27 EU member states' ISO 3166-1 alpha-2 codes
// (GR for Greece), sorted.
var memberStates = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
	"IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// MemberStates returns the 27 EU member states' ISO 3166-1 alpha-2 codes
// (GR for Greece), sorted; the slice is the caller's.
func MemberStates() []string { return slices.Clone(memberStates) }

// InEU reports whether country (ISO 3166-1 alpha-2, any case; GR for
// Greece, EL accepted too) is an EU member state. Territories with their own
// ISO code (Guadeloupe GP, Réunion RE, Åland AX...) are not.
func InEU(country string) bool {
	_, found := slices.BinarySearch(memberStates, vat.ISOCountry(country))
	return found
}

// withdrawnCountries are ISO 3166-1 codes withdrawn without a single
// successor, which the region data still knows.
var withdrawnCountries = []string{"AN", "CS", "NT", "SU", "YU"}

// KnownCountry reports whether code is an ISO 3166-1 alpha-2 code assigned
// to a country or territory, in upper case ("FR", "GR"): not a deprecated
// alias ("UK" for GB), a withdrawn code, a grouping ("EU") or a private-use
// code ("XK", "ZZ"). The same rule as merchant.KnownCountry, kept here so
// that the tax domain depends on no other domain.
func KnownCountry(code string) bool {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && !r.IsPrivateUse() && r.Canonicalize().String() == code &&
		r.M49() != 0 && r.ISO3() != "ZZZ" && !slices.Contains(withdrawnCountries, code)
}
