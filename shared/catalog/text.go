package catalog

import (
	"unicode/utf8"

	"golang.org/x/text/language"
)

// PlainText reports whether s is valid UTF-8 free of control characters (C0,
// DEL and C1, line breaks and tabs included) and of the invisible marks that
// reorder or hide text (bidirectional embeddings, overrides and isolates, the
// left-to-right, right-to-left and Arabic letter marks). Names, labels and
// attribute keys shown to buyers must be plain text: a right-to-left
// override makes "gpj.exe" read "exe.jpg".
func PlainText(s string) bool {
	return plain(s, false)
}

// PlainParagraphs is PlainText that also accepts line feeds, carriage
// returns and tabs, for descriptions written over several lines.
func PlainParagraphs(s string) bool {
	return plain(s, true)
}

func plain(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\r' || r == '\t'):
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return false
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c:
			return false
		}
	}
	return true
}

// KnownLanguage reports whether code is a registered ISO 639 language code
// of two or three lowercase letters ("fr", "nl", "gsw"), as the languages of
// a name or a storefront are given. The special codes that name no language
// (und, mul, mis, zxx) and the private-use range qaa–qtz are refused.
func KnownLanguage(code string) bool {
	if len(code) < 2 || len(code) > 3 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 'a' || code[i] > 'z' {
			return false
		}
	}
	switch code {
	case "und", "mul", "mis", "zxx":
		return false
	}
	if len(code) == 3 && code[0] == 'q' && code[1] >= 'a' && code[1] <= 't' {
		return false
	}
	base, err := language.ParseBase(code)
	return err == nil && base.String() == code
}
