package catalog_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
)

func TestIndexWords_TakesEveryLanguagesFirstWordsUpToTheBound(t *testing.T) {
	long := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s%02d ", prefix, i)
		}
		return b.String()
	}
	cases := []struct {
		name  string
		names map[string]string
		want  []catalog.IndexedWord // nil: only the count and the spread are checked
		count int
	}{
		{"short names, every word", map[string]string{"fr": "Vanne à bille laiton", "en": "Brass ball valve"}, []catalog.IndexedWord{
			{"en", "brass"}, {"fr", "vanne"}, {"en", "ball"}, {"fr", "bille"}, {"en", "valve"}, {"fr", "laiton"},
		}, 6},
		{"repeated words once", map[string]string{"fr": "Joint joint JOINT torique"}, []catalog.IndexedWord{{"fr", "joint"}, {"fr", "torique"}}, 2},
		{"no words", map[string]string{"fr": "à x"}, nil, 0},
		{"languages that cannot be keyed are left out", map[string]string{"": "vanne", "f#r": "vanne", "e n": "valve", "de": "Ventil"}, []catalog.IndexedWord{{"de", "ventil"}}, 1},
		{"one long name is cut at the bound", map[string]string{"fr": long("mot", 60)}, nil, catalog.MaxIndexedWords},
		{"many languages share the bound", map[string]string{"fr": long("fr", 30), "en": long("en", 30), "de": long("de", 30), "nl": long("nl", 30)}, nil, catalog.MaxIndexedWords},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := catalog.IndexWords(catalog.Product{Ref: "R", Names: c.names})
			if len(got) != c.count {
				t.Fatalf("%d entries, want %d: %v", len(got), c.count, got)
			}
			if c.want != nil && fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			perLang := map[string]int{}
			for _, w := range got {
				perLang[w.Language]++
			}
			for l := range c.names {
				if n := perLang[l]; len(c.names) > 1 && c.count == catalog.MaxIndexedWords && n != catalog.MaxIndexedWords/len(c.names) {
					t.Errorf("%s has %d entries: languages should share the bound evenly", l, n)
				}
			}
		})
	}
}

func TestValidQuantity_IsOneToMaxUnits(t *testing.T) {
	for n, want := range map[int]bool{
		1: true, 12: true, catalog.MaxUnits: true,
		0: false, -1: false, catalog.MaxUnits + 1: false, 1 << 62: false, -1 << 63: false,
	} {
		if got := catalog.ValidQuantity(n); got != want {
			t.Errorf("ValidQuantity(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestValidImageURL_IsABoundedAbsoluteHTTPURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://cdn.example/p/vg-100.jpg":                 true,
		"http://cdn.example/a.png?w=300":                   true,
		"https://cdn.example/" + strings.Repeat("a", 1000): true,
		"https://cdn.example/" + strings.Repeat("a", 1010): false,
		"ftp://cdn.example/a.jpg":                          false,
		"/p/a.jpg":                                         false,
		"https:///a.jpg":                                   false,
		"javascript:alert(1)":                              false,
		"https://cdn.example/a b.jpg":                      false,
		"https://cdn.example/a\n.jpg":                      false,
		"https://cdn.example/\u202egpj.exe":                false,
		"":                                                 false,
	} {
		if got := catalog.ValidImageURL(s); got != want {
			t.Errorf("ValidImageURL(%.40q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidAttribute_NamesAndValuesArePlainBoundedText(t *testing.T) {
	names := map[string]bool{
		"diametre": true, "Pression nominale": true, "Ø": true, strings.Repeat("é", 64): true,
		"": false, " diametre": false, "diametre ": false, strings.Repeat("a", 65): false,
		"dia\tmetre": false, "dia\u202emetre": false, "dia\x00": false, "\xff": false,
	}
	for s, want := range names {
		if got := catalog.ValidAttributeName(s); got != want {
			t.Errorf("ValidAttributeName(%.20q) = %v, want %v", s, got, want)
		}
	}
	values := map[string]bool{
		"DN100": true, "": true, strings.Repeat("a", 256): true,
		strings.Repeat("a", 257): false, "PN\n16": false, "PN\u200f16": false,
	}
	for s, want := range values {
		if got := catalog.ValidAttributeValue(s); got != want {
			t.Errorf("ValidAttributeValue(%.20q) = %v, want %v", s, got, want)
		}
	}
}
