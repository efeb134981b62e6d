package merchant

import (
	"reflect"
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
