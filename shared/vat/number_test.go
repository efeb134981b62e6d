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
