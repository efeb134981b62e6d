package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Bounds of a product, so that no quantity overflows when multiplied and a
// product with its search entries is written in one storage transaction.
const (
	// MaxUnits is the largest number of units a packaging holds, and the
	// largest minimum order quantity or order multiple: with order
	// quantities bounded the same way, quantity × units stays far from
	// overflowing.
	MaxUnits = 1_000_000
	// MaxIndexedWords is the most search entries a product's names make, in
	// all languages together (see IndexWords). A save writes the product, its
	// EAN claim, the release of a former EAN, the counts of its former and
	// new categories, its entries and the deletion of its former ones: at
	// most 5 + 2 × 40 = 85 writes, within DynamoDB's 100 per transaction.
	MaxIndexedWords = 40
	// MaxProductBytes is the largest JSON document of a product, tariffs
	// included. The product is stored with a copy per search entry and one
	// for its EAN: (2 + MaxIndexedWords) × 90 KiB ≈ 3.9 MB, within the 4 MB
	// of a DynamoDB transaction.
	MaxProductBytes = 90 << 10
	// MaxImageURLLen is the longest image URL, in bytes.
	MaxImageURLLen = 1024
	// MaxAttributeNameLen and MaxAttributeValueLen bound an attribute
	// ("diametre": "DN100"), in characters and bytes.
	MaxAttributeNameLen  = 64
	MaxAttributeValueLen = 256
)

// Errors of product writes; the HTTP layer maps them to problems.
var (
	// ErrConflict: other writes kept changing the product while it was
	// being saved, and the save gave up. Trying again later may succeed.
	ErrConflict = errors.New("the product was changed concurrently")
	// ErrNoCategory: the product is filed in a category that does not exist.
	ErrNoCategory = errors.New("no such category")
	// ErrTooLarge: the product's document exceeds MaxProductBytes.
	ErrTooLarge = errors.New("product too large")
	// ErrEANTaken: another product of the merchant has the EAN. Errors
	// wrapping it are EANTakenError values.
	ErrEANTaken = errors.New("EAN already used")
)

// EANTakenError says which product holds an EAN another one asked for.
type EANTakenError struct {
	EAN string
	// Owner is the reference of the product that holds it.
	Owner string
}

func (e *EANTakenError) Error() string {
	return fmt.Sprintf("EAN %s is already the EAN of product %s", e.EAN, e.Owner)
}

// Is makes errors.Is(err, ErrEANTaken) true.
func (e *EANTakenError) Is(target error) bool { return target == ErrEANTaken }

// ProductStore is the storage port of product writes.
type ProductStore interface {
	// UpdateProduct reads the product ref (exists is false when there is
	// none: p then holds only its reference), lets update change it, and
	// saves the result with its search entries, its EAN claim and its
	// category's count in one atomic write, conditioned on the product
	// being unchanged since the read. When a concurrent save got in
	// between, it reads again and calls update again (so update must only
	// depend on p and on what it captured), a bounded number of times,
	// then fails with ErrConflict. An error from update aborts and is
	// returned as is; update may not change the reference. A product
	// that update leaves as stored is not written again. Errors:
	// ErrNoCategory, ErrTooLarge, an EANTakenError, ErrConflict.
	UpdateProduct(ctx context.Context, m merchant.ID, ref string, update func(p *Product, exists bool) error) (saved Product, created bool, err error)
}

// ValidQuantity reports whether n can be a packaging's units, a minimum
// order quantity or an order multiple: 1 to MaxUnits.
func ValidQuantity(n int) bool { return n >= 1 && n <= MaxUnits }

// ValidImageURL reports whether s can be a product image: an absolute http
// or https URL with a host, of at most MaxImageURLLen bytes of plain text
// without spaces.
func ValidImageURL(s string) bool {
	if len(s) > MaxImageURLLen || !PlainText(s) || strings.ContainsRune(s, ' ') {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// ValidAttributeName reports whether s can name an attribute: 1 to
// MaxAttributeNameLen characters of plain text without surrounding spaces.
func ValidAttributeName(s string) bool {
	return s != "" && utf8.RuneCountInString(s) <= MaxAttributeNameLen && strings.TrimSpace(s) == s && PlainText(s)
}

// ValidAttributeValue reports whether s can be an attribute's value: plain
// text of at most MaxAttributeValueLen bytes.
func ValidAttributeValue(s string) bool {
	return len(s) <= MaxAttributeValueLen && PlainText(s)
}

// IndexedWord is one search entry of a product: a word of its name in one
// language.
type IndexedWord struct {
	Language string
	Word     string
}

// IndexWords returns what the search index holds for a product: the
// distinct words (see Words) of its name in each language, at most
// MaxIndexedWords in all. Languages take turns, in language-code order, so
// that when names are too long for the bound every language keeps its
// first words. Languages that cannot be part of a key (empty, or holding
// '#' or a space) are left out.
func IndexWords(p Product) []IndexedWord {
	langs := make([]string, 0, len(p.Names))
	words := make(map[string][]string, len(p.Names))
	for lang, name := range p.Names {
		if lang == "" || strings.ContainsAny(lang, "# ") {
			continue
		}
		if w := Words(name); len(w) > 0 {
			langs = append(langs, lang)
			words[lang] = w
		}
	}
	slices.Sort(langs)
	var out []IndexedWord
	for i := 0; len(out) < MaxIndexedWords; i++ {
		added := false
		for _, l := range langs {
			if i < len(words[l]) && len(out) < MaxIndexedWords {
				out = append(out, IndexedWord{Language: l, Word: words[l][i]})
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}
