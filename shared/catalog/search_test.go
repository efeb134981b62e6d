package catalog_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
)

func TestWords_FoldsAccentsSplitsAndDropsShortWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Pompe doseuse électromagnétique", []string{"pompe", "doseuse", "electromagnetique"}},
		{"Vanne à bille inox 316 DN15 PN10", []string{"vanne", "bille", "inox", "316", "dn15", "pn10"}},
		{"Pompe hydraulique d'extraction d'acide", []string{"pompe", "hydraulique", "extraction", "acide"}},
		{"Clapet anti-retour à ressort", []string{"clapet", "anti", "retour", "ressort"}},
		{"Coude inox 90°", []string{"coude", "inox", "90"}},
		{"ŒUVRE Straße Façade", []string{"oeuvre", "strasse", "facade"}},
		{"e\u0301lectrique", []string{"electrique"}}, // decomposed accent
		{"pompe POMPE Pompé", []string{"pompe"}},
		{"a b c - / ,", nil},
	}
	for _, c := range cases {
		if got := catalog.Words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseQuery_TellsReferencesEANsAndWordsApart(t *testing.T) {
	cases := []struct {
		in               string
		refLike, eanLike bool
		names            bool
		err              error
	}{
		{"PMP-ACID", true, false, true, nil},
		{"  inox ", true, false, true, nil},
		{"3769990001004", true, true, false, nil},
		{"pompe centrifuge", false, false, true, nil},
		{"X", true, false, false, nil},
		{"à é", false, false, false, catalog.ErrEmptyQuery},
		{"   ", false, false, false, catalog.ErrEmptyQuery},
	}
	for _, c := range cases {
		q, err := catalog.ParseQuery(c.in)
		if !errors.Is(err, c.err) {
			t.Errorf("%q: err = %v, want %v", c.in, err, c.err)
			continue
		}
		if err == nil && (q.RefLike != c.refLike || q.EANLike != c.eanLike || q.SearchesNames() != c.names) {
			t.Errorf("%q: %+v, searches names %v", c.in, q, q.SearchesNames())
		}
	}
}

func TestQuery_MatchesNameInTheShownLanguageOnly(t *testing.T) {
	p := catalog.Product{Ref: "P-1", Names: map[string]string{"fr": "Vanne à bille laiton", "en": "Brass ball valve"}}
	frOnly := catalog.Product{Ref: "P-2", Names: map[string]string{"fr": "Vanne papillon"}}
	q, _ := catalog.ParseQuery("VANNE Bille")
	if !q.MatchesName(p, []string{"fr"}) {
		t.Error("French words should match the French name")
	}
	if q.MatchesName(p, []string{"en", "fr"}) {
		t.Error("French words should not match when the name is shown in English")
	}
	v, _ := catalog.ParseQuery("vanne")
	if !v.MatchesName(frOnly, []string{"en", "fr"}) {
		t.Error("a product without an English name is searched in the next language of the chain")
	}
	and, _ := catalog.ParseQuery("vanne inox")
	if and.MatchesName(p, []string{"fr"}) {
		t.Error("every word must be in the name")
	}
}
