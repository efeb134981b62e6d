package catalog

import "testing"

func TestPlainTextRefusesControlAndBidiCharacters(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		plain      bool
		paragraphs bool
	}{
		{"empty", "", true, true},
		{"ascii", "Vanne à bille DN25", true, true},
		{"accents and CJK", "Électrovanne 电磁阀 Ωμέγα", true, true},
		{"arabic letters", "صمام", true, true},
		{"emoji", "Pompe 💧", true, true},
		{"no-break space", "DN 25", true, true},
		{"NUL", "a\x00b", false, false},
		{"bell", "a\ab", false, false},
		{"escape", "a\x1b[31mb", false, false},
		{"line feed", "a\nb", false, true},
		{"carriage return", "a\rb", false, true},
		{"tab", "a\tb", false, true},
		{"DEL", "a\x7fb", false, false},
		{"C1 next line", "a\u0085b", false, false},
		{"C1 CSI", "a\u009bb", false, false},
		{"LRE", "a\u202ab", false, false},
		{"RLO", "gpj\u202eexe", false, false},
		{"PDF", "a\u202cb", false, false},
		{"LRI", "a\u2066b", false, false},
		{"PDI", "a\u2069b", false, false},
		{"LRM", "a\u200eb", false, false},
		{"RLM", "a\u200fb", false, false},
		{"ALM", "a\u061cb", false, false},
		{"invalid UTF-8", "a\xffb", false, false},
		{"truncated UTF-8", "a\xe2\x82", false, false},
		{"surrogate half", "a\xed\xa0\x80", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.plain {
				t.Errorf("PlainText(%q) = %v, want %v", tt.in, got, tt.plain)
			}
			if got := PlainParagraphs(tt.in); got != tt.paragraphs {
				t.Errorf("PlainParagraphs(%q) = %v, want %v", tt.in, got, tt.paragraphs)
			}
		})
	}
}

func TestKnownLanguageAcceptsOnlyRegisteredCodes(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"fr", true}, {"nl", true}, {"de", true}, {"en", true}, {"gsw", true}, {"frr", true},
		{"xx", false}, {"zz", false}, {"", false}, {"f", false}, {"fren", false},
		{"FR", false}, {"fr-BE", false}, {"und", false}, {"mul", false}, {"zxx", false},
		{"mis", false}, {"qaa", false}, {"qtz", false}, {"root", false}, {"é", false},
	}
	for _, tt := range tests {
		if got := KnownLanguage(tt.code); got != tt.want {
			t.Errorf("KnownLanguage(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}
