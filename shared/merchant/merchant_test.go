package merchant

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeHost(t *testing.T) {
	cases := map[string]string{
		"Shop.Example.FR:443":  "shop.example.fr",
		"shop.example.fr.":     "shop.example.fr",
		" hydro-fr.localhost ": "hydro-fr.localhost",
		"[::1]:3000":           "[::1]",
		"":                     "",
	}
	for in, want := range cases {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLanguageChain(t *testing.T) {
	s := Storefront{Language: "de", MerchantLanguage: "fr"}
	cases := []struct {
		requested string
		want      []string
	}{
		{"en", []string{"en", "de", "fr"}},
		{"", []string{"de", "fr"}},
		{"DE", []string{"de", "fr"}},
		{"fr", []string{"fr", "de"}},
	}
	for _, c := range cases {
		if got := s.LanguageChain(c.requested); !reflect.DeepEqual(got, c.want) {
			t.Errorf("LanguageChain(%q) = %v, want %v", c.requested, got, c.want)
		}
	}
}

func TestRequestHost_AcceptsOnlyADNSNameAndAPort(t *testing.T) {
	long := strings.Repeat("a", 100<<10)
	cases := []struct {
		in, want string // want "" for an error
	}{
		{"hydro-fr.localhost", "hydro-fr.localhost"},
		{"hydro-fr.localhost:3300", "hydro-fr.localhost"},
		{"Shop.Example.FR:443", "shop.example.fr"},
		{"shop.example.fr.", "shop.example.fr"},
		{"shop.example.fr.:8443", "shop.example.fr"},
		{"[::1]:3300", ""},
		{"[::1]", ""},
		{"127.0.0.1:3300", ""},
		{"127.0.0.1", ""},
		{"hydro-fr.localhost:3300:80", ""},
		{"hydro%2dfr.localhost", ""},
		{"hydro-fr.localhost%00", ""},
		{"hydro-fr.localhost\x00", ""},
		{"hydro-fr.localhost:", ""},
		{"hydro-fr.localhost:0", ""},
		{"hydro-fr.localhost:65536", ""},
		{"hydro-fr.localhost:80a", ""},
		{"localhost:3300", ""},
		{long + ".localhost", ""},
		{long, ""},
		{"", ""},
		{":3300", ""},
		{"user@hydro-fr.localhost", ""},
		{"hydro-fr.localhost/x", ""},
		{"été.fr", ""},
	}
	for _, c := range cases {
		got, err := RequestHost(c.in)
		name := c.in
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		switch {
		case c.want == "" && err == nil:
			t.Errorf("RequestHost(%q) = %q, want an error", name, got)
		case c.want == "" && !errors.Is(err, ErrInvalidHost):
			t.Errorf("RequestHost(%q) error %v is not ErrInvalidHost", name, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("RequestHost(%q) = %q, %v; want %q", name, got, err, c.want)
		}
	}
}
