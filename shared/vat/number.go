// Package vat checks EU VAT identification numbers ("numéro de TVA
// intracommunautaire"): the country prefix, the national pattern and, where
// the country publishes one, the check digits. It cannot tell whether a
// number is registered: that is VIES's job, behind a pluggable validator.
package vat

import (
	"regexp"
	"strconv"
	"strings"
)

// patterns holds each member state's national format after the prefix.
// Greece uses the prefix EL, not GR.
var patterns = map[string]*regexp.Regexp{
	"AT": regexp.MustCompile(`^U\d{8}$`),
	"BE": regexp.MustCompile(`^[01]\d{9}$`),
	"BG": regexp.MustCompile(`^\d{9,10}$`),
	"CY": regexp.MustCompile(`^\d{8}[A-Z]$`),
	"CZ": regexp.MustCompile(`^\d{8,10}$`),
	"DE": regexp.MustCompile(`^\d{9}$`),
	"DK": regexp.MustCompile(`^\d{8}$`),
	"EE": regexp.MustCompile(`^\d{9}$`),
	"EL": regexp.MustCompile(`^\d{9}$`),
	"ES": regexp.MustCompile(`^[0-9A-Z]\d{7}[0-9A-Z]$`),
	"FI": regexp.MustCompile(`^\d{8}$`),
	"FR": regexp.MustCompile(`^[0-9A-HJ-NP-Z]{2}\d{9}$`),
	"HR": regexp.MustCompile(`^\d{11}$`),
	"HU": regexp.MustCompile(`^\d{8}$`),
	"IE": regexp.MustCompile(`^\d{7}[A-W][A-I]?$|^\d[A-Z+*]\d{5}[A-W]$`),
	"IT": regexp.MustCompile(`^\d{11}$`),
	"LT": regexp.MustCompile(`^\d{9}$|^\d{12}$`),
	"LU": regexp.MustCompile(`^\d{8}$`),
	"LV": regexp.MustCompile(`^\d{11}$`),
	"MT": regexp.MustCompile(`^\d{8}$`),
	"NL": regexp.MustCompile(`^\d{9}B\d{2}$`),
	"PL": regexp.MustCompile(`^\d{10}$`),
	"PT": regexp.MustCompile(`^\d{9}$`),
	"RO": regexp.MustCompile(`^\d{2,10}$`),
	"SE": regexp.MustCompile(`^\d{10}01$`),
	"SI": regexp.MustCompile(`^\d{8}$`),
	"SK": regexp.MustCompile(`^\d{10}$`),
}

// Normalize uppercases a VAT number and removes spaces, dots and dashes.
func Normalize(number string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(number) {
		if r != ' ' && r != '.' && r != '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Country returns the member-state prefix of a normalized number ("EL" for
// Greece), or "" when the prefix is not an EU one.
func Country(number string) string {
	if len(number) < 3 {
		return ""
	}
	if _, ok := patterns[number[:2]]; ok {
		return number[:2]
	}
	return ""
}

// WellFormed reports whether number matches its member state's format and,
// for FR, BE and DE, its check digits.
func WellFormed(number string) bool {
	number = Normalize(number)
	cc := Country(number)
	if cc == "" {
		return false
	}
	body := number[2:]
	if !patterns[cc].MatchString(body) {
		return false
	}
	switch cc {
	case "FR":
		key, err := strconv.Atoi(body[:2])
		if err != nil { // alphabetic keys (new-style numbers) are not checked
			return true
		}
		return FRKey(body[2:]) == key
	case "BE":
		n, _ := strconv.Atoi(body[:8])
		check, _ := strconv.Atoi(body[8:])
		return 97-n%97 == check
	case "DE":
		return deCheckDigit(body[:8]) == int(body[8]-'0')
	}
	return true
}

// FRKey is the numeric key of a French VAT number for a 9-digit SIREN:
// (12 + 3 × (SIREN mod 97)) mod 97.
func FRKey(siren string) int {
	n, err := strconv.Atoi(siren)
	if err != nil {
		return -1
	}
	return (12 + 3*(n%97)) % 97
}

// deCheckDigit is the ISO 7064 MOD 11,10 check digit of a German number.
func deCheckDigit(digits string) int {
	product := 10
	for _, d := range digits {
		sum := (int(d-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = (2 * sum) % 11
	}
	check := 11 - product
	if check == 10 {
		return 0
	}
	return check
}

// DECheckDigit exposes the German check digit for data generators and tests.
func DECheckDigit(first8 string) int { return deCheckDigit(first8) }

// CountryPrefix returns the VAT number prefix of an ISO 3166-1 alpha-2
// country: the code itself, upper-cased, except Greece, whose VAT numbers
// start with EL while its ISO code is GR.
func CountryPrefix(iso string) string {
	iso = strings.ToUpper(iso)
	if iso == "GR" {
		return "EL"
	}
	return iso
}

// ISOCountry returns the ISO 3166-1 alpha-2 country of a VAT number prefix:
// the prefix itself, upper-cased, except EL, which is Greece (GR).
func ISOCountry(prefix string) string {
	prefix = strings.ToUpper(prefix)
	if prefix == "EL" {
		return "GR"
	}
	return prefix
}
