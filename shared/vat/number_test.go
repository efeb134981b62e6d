package vat

import "testing"

func TestWellFormed(t *testing.T) {
	cases := []struct {
		number string
		want   bool
	}{
		{"FR40303265045", true},     // SIREN 303265045, key 40
		{"FR 40 303 265 045", true}, // spaces are allowed
		{"FR41303265045", false},    // wrong key
		{"FR4030326504", false},     // too short
		{"BE0403170701", true},
		{"BE0403170702", false},
		{"DE136695976", true},
		{"DE136695977", false},
		{"EL094259216", true}, // Greece uses EL
		{"GR094259216", false},
		{"US123456789", false},
		{"", false},
	}
	for _, c := range cases {
		if got := WellFormed(c.number); got != c.want {
			t.Errorf("WellFormed(%q) = %v, want %v", c.number, got, c.want)
		}
	}
}

func TestFRKey(t *testing.T) {
	// (12 + 3 × (303265045 mod 97)) mod 97 = 40
	if got := FRKey("303265045"); got != 40 {
		t.Fatalf("FRKey = %d, want 40", got)
	}
	if got := FRKey("abc"); got != -1 {
		t.Fatalf("FRKey(abc) = %d, want -1", got)
	}
}

func TestFRKey_Vectors(t *testing.T) {
	cases := []struct {
		siren string
		key   int
	}{
		{"303265045", 40}, // the brief's example
		{"542051180", 59}, // TotalEnergies SE, FR59542051180
		{"404833048", 83}, // FR83404833048, the usual example number
		// Computed with (12 + 3 × (SIREN mod 97)) mod 97:
		{"000000097", 12}, // SIREN mod 97 = 0
		{"000000096", 9},  // one-digit key, written 09
		{"732829320", 44},
		{"552032534", 27},
		{"775665019", 86},
	}
	for _, c := range cases {
		if got := FRKey(c.siren); got != c.key {
			t.Errorf("FRKey(%s) = %d, want %d", c.siren, got, c.key)
		}
	}
	for _, number := range []string{"FR59542051180", "FR83404833048", "FR12000000097", "FR09000000096", "FR44732829320", "FR27552032534", "FR86775665019"} {
		if !WellFormed(number) {
			t.Errorf("WellFormed(%s) = false", number)
		}
	}
	for _, number := range []string{"FR60542051180", "FR9000000096", "FR12 34567890", "FR0112345678", "FRIO303265045"} {
		if WellFormed(number) {
			t.Errorf("WellFormed(%s) = true", number)
		}
	}
}

func TestCountryPrefix_GreeceIsEL(t *testing.T) {
	for iso, prefix := range map[string]string{"GR": "EL", "gr": "EL", "FR": "FR", "be": "BE", "DE": "DE"} {
		if got := CountryPrefix(iso); got != prefix {
			t.Errorf("CountryPrefix(%s) = %s, want %s", iso, got, prefix)
		}
	}
	for prefix, iso := range map[string]string{"EL": "GR", "el": "GR", "FR": "FR", "BE": "BE"} {
		if got := ISOCountry(prefix); got != iso {
			t.Errorf("ISOCountry(%s) = %s, want %s", prefix, got, iso)
		}
	}
	if got := Country(Normalize("el 094 259 216")); got != "EL" {
		t.Errorf("Country(EL…) = %q", got)
	}
	if got := Country("GR094259216"); got != "" {
		t.Errorf("Country(GR…) = %q, want none: Greece's prefix is EL", got)
	}
}
