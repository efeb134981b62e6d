package merchant

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalHost(t *testing.T) {
	long := strings.Repeat("a", 63)
	cases := []struct {
		in, want string // want "" when refused
		reason   string
	}{
		{"hydro-fr.localhost", "hydro-fr.localhost", ""},
		{" Shop.Example.FR ", "shop.example.fr", ""},
		{"shop.example.fr.", "shop.example.fr", ""},
		{"xn--jardin-dt-d9a.fr", "xn--jardin-dt-d9a.fr", ""},
		{"3com.example", "3com.example", ""},
		{long + ".example.fr", long + ".example.fr", ""},
		{strings.Repeat("a.", 125) + "fr", strings.Repeat("a.", 125) + "fr", ""},
		{"", "", "empty"},
		{"localhost", "", "single label"},
		{"127.0.0.1", "", "IP address"},
		{"::1", "", "IP address"},
		{"[::1]", "", "IP address"},
		{"[::1]:3300", "", "IP address"},
		{"127.0.0.1:80", "", "IP address"},
		{"10.0.0.300", "", "all digits"},
		{"shop.example.fr:8443", "", "port"},
		{"https://shop.example.fr", "", "scheme"},
		{"shop.example.fr/path", "", "path"},
		{"shop..example.fr", "", "empty label"},
		{".example.fr", "", "empty label"},
		{"shop.example.fr..", "", "empty label"},
		{"-shop.example.fr", "", "hyphen"},
		{"shop-.example.fr", "", "hyphen"},
		{long + "a.example.fr", "", "63"},
		{strings.Repeat("a.", 126) + "fr", "", "253"},
		{"hydro%2dfr.localhost", "", "character"},
		{"hydro-fr.localhost\x00", "", "character"},
		{"hydro_fr.localhost", "", "character"},
		{"jardin-été.fr", "", "xn--"},
	}
	for _, c := range cases {
		got, err := CanonicalHost(c.in)
		if c.want != "" {
			if err != nil || got != c.want {
				t.Errorf("CanonicalHost(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidHost) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("CanonicalHost(%q) = %q, %v; want an error about %q", c.in, got, err, c.reason)
		}
	}
}

func TestMerchant_Owns(t *testing.T) {
	hydro := Merchant{ID: "hydro", Domains: []string{"hydro-fr.localhost", "hydrotech.fr"}}
	cases := []struct {
		host string
		want bool
	}{
		{"hydro-fr.localhost", true},
		{"shop.hydro-fr.localhost", true},
		{"hydrotech.fr", true},
		{"b2b.eu.hydrotech.fr", true},
		{"hydro-be.localhost", false},
		{"jardin-be.localhost", false},
		{"nothydrotech.fr", false},
		{"hydrotech.fr.evil.example", false},
		{"fr", false},
		{"", false},
	}
	for _, c := range cases {
		if got := hydro.Owns(c.host); got != c.want {
			t.Errorf("Owns(%q) = %v", c.host, got)
		}
	}
	if (Merchant{Domains: []string{""}}).Owns("example.fr") {
		t.Error("an empty domain owns everything")
	}
	if (Merchant{}).Owns("example.fr") {
		t.Error("a merchant without domains owns a host")
	}
}

func TestKnownCountry(t *testing.T) {
	for code, want := range map[string]bool{
		"FR": true, "BE": true, "DE": true, "GB": true, "CH": true, "AQ": true, "SS": true, "CW": true,
		"fr": false, "F": false, "FRA": false, "": false, "É1": false,
		"UK": false, "DD": false, "ZR": false, "FX": false, // aliases of GB, DE, CD, FR
		"EU": false, "UN": false, "EZ": false, "QO": false, // groupings
		"ZZ": false, "AA": false, "XK": false, "XA": false, // private use
		"YU": false, "SU": false, "CS": false, "AN": false, // withdrawn
	} {
		if got := KnownCountry(code); got != want {
			t.Errorf("KnownCountry(%q) = %v", code, got)
		}
	}
}
