package catalog

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/merchant"
)

// MaxQueryLen is the longest search text accepted, in characters.
const MaxQueryLen = 100

// MinWordLen is the shortest word that counts in a search: shorter ones
// ("à", "d'", "x") are dropped from names and queries alike.
const MinWordLen = 2

// ErrEmptyQuery is returned for a search text with nothing to search for.
var ErrEmptyQuery = errors.New("empty search")

// Query is a parsed search ("recherche"): the text as typed and what can be
// looked up with it.
type Query struct {
	// Text is the search text, trimmed.
	Text string
	// Words are the normalized words of Text (see Words); a product matches
	// by name when its name holds every one of them.
	Words []string
	// RefLike is true when Text could be a reference or an EAN (one token
	// that is a valid reference): reference-prefix and EAN matches are then
	// listed before name matches.
	RefLike bool
	// EANLike is true when Text is a GTIN (8, 12, 13 or 14 digits): it is then
	// looked up as an exact EAN and as a reference prefix, not as a word.
	EANLike bool
}

// ParseQuery parses a search text. It returns ErrEmptyQuery when the text
// holds neither a possible reference nor a word of MinWordLen characters.
func ParseQuery(text string) (Query, error) {
	text = strings.TrimSpace(text)
	q := Query{Text: text, Words: Words(text)}
	q.RefLike = !strings.ContainsFunc(text, unicode.IsSpace) && ValidRef(text)
	q.EANLike = q.RefLike && isGTIN(text)
	if !q.RefLike && len(q.Words) == 0 {
		return q, ErrEmptyQuery
	}
	return q, nil
}

// SearchesNames reports whether the query looks products up by the words of
// their name.
func (q Query) SearchesNames() bool { return len(q.Words) > 0 && !q.EANLike }

// MatchesCode reports whether p is found by reference or EAN: its reference
// starts with the query (ignoring case) or its EAN is the query.
func (q Query) MatchesCode(p Product) bool {
	if !q.RefLike {
		return false
	}
	return strings.HasPrefix(strings.ToUpper(p.Ref), strings.ToUpper(q.Text)) || q.EANLike && p.EAN == q.Text
}

// MatchesName reports whether p's name, in the language the chain shows it in
// (see Text), holds every word of the query. A product is searched in the
// language its name is shown in: the chain falls back only for a product
// without any name in the requested language.
func (q Query) MatchesName(p Product, chain []string) bool {
	if len(q.Words) == 0 {
		return false
	}
	name, _ := Text(p.Names, chain)
	have := Words(name)
	for _, w := range q.Words {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Words normalizes a text into its distinct search words, in order of first
// appearance: lower case, accents folded ("é" → "e", "œ" → "oe"), split on
// anything that is not a letter or a digit, words shorter than MinWordLen
// dropped.
func Words(text string) []string {
	var (
		out  []string
		seen = map[string]bool{}
		cur  strings.Builder
	)
	flush := func() {
		w := cur.String()
		cur.Reset()
		if utf8.RuneCountInString(w) < MinWordLen || seen[w] {
			return
		}
		seen[w] = true
		out = append(out, w)
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r): // a combining accent of decomposed text
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := folds[r]; ok {
				cur.WriteString(f)
			} else {
				cur.WriteRune(r)
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// folds maps the accented letters of the languages the merchants write in to
// their plain form.
var folds = func() map[rune]string {
	m := map[rune]string{'æ': "ae", 'œ': "oe", 'ß': "ss", 'ø': "o", 'đ': "d", 'ł': "l", 'ı': "i"}
	for plain, accented := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥ",
		"i": "ìíîïĩīĭįİ", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = plain
		}
	}
	return m
}()

// isGTIN reports whether s is 8, 12, 13 or 14 digits.
func isGTIN(s string) bool {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Searcher finds products by reference, EAN or name words.
type Searcher interface {
	// SearchProducts reads up to limit candidate products for q from a
	// position of the search's list (the zero Position to start): first
	// exact-EAN and reference-prefix matches when q is RefLike, then name
	// matches, each part in reference order. Candidates are not filtered for
	// the caller's visibility. A position that cannot belong to q's list is
	// ErrInvalidCursor.
	SearchProducts(ctx context.Context, m merchant.ID, q Query, chain []string, limit int, from Position) (Page, error)
}
