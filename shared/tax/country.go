package tax

import (
	"slices"

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

// BetweenMemberStates reports whether goods shipped from one country to
// another go between two different member states, each country read as VAT
// reads it (VATCountry: Monaco is France). Sold to a consumer, such a sale
// is a distance sale, which the distance-selling threshold decides.
func BetweenMemberStates(from, to string) bool {
	f, t := VATCountry(from), VATCountry(to)
	return f != t && InEU(f) && InEU(t)
}
