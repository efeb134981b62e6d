package httpapi

import (
	"net/url"
	"strings"
	"sync"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/cursor"
)

// Page cursors. Storage deals in plain positions (catalog.Position); a caller
// only ever sees them sealed (package cursor), bound to the merchant, the
// storefront, the list (a category, or a search's text and language chain)
// and the caller (anonymous, or role, subject, customer account, rep code and
// the customer whose view they asked for). The page size is not bound: a
// position does not depend on it.

// processSealer seals cursors for a CatalogAPI built without Cursors (tests
// and tools): its key lives as long as the process.
var processSealer = sync.OnceValue(func() *cursor.Sealer {
	key, _ := cursor.ParseKey(cursor.NewKey())
	s, _ := cursor.New(key)
	return s
})

func (a *CatalogAPI) sealer() *cursor.Sealer {
	if a.Cursors != nil {
		return a.Cursors
	}
	return processSealer()
}

// cursorBinding is what a cursor of list, served to r, is bound to.
func cursorBinding(r *Request, list ...string) []byte {
	c := r.Caller
	parts := append([]string{"comptoir page v1", string(r.Merchant()), r.Storefront.ID}, list...)
	if c.IsAnonymous() {
		parts = append(parts, "anonymous")
	} else {
		parts = append(parts, string(c.Role), c.Subject, c.Customer, c.Rep, r.URL.Query().Get("customer"))
	}
	return cursor.Binding(parts...)
}

// openCursor returns the position a page's cursor parameter holds: the start
// of the list without one, catalog.ErrInvalidCursor for a cursor that was not
// issued by this deployment for this list and this caller.
func (a *CatalogAPI) openCursor(r *Request, params url.Values, list ...string) (catalog.Position, error) {
	vals, ok := params["cursor"]
	if !ok {
		return catalog.Position{}, nil
	}
	if len(vals) != 1 || vals[0] == "" {
		return catalog.Position{}, catalog.ErrInvalidCursor
	}
	plain, err := a.sealer().Open(vals[0], cursorBinding(r, list...))
	if err != nil {
		return catalog.Position{}, catalog.ErrInvalidCursor
	}
	part, after, ok := strings.Cut(string(plain), "\x00")
	if !ok {
		return catalog.Position{}, catalog.ErrInvalidCursor
	}
	pos := catalog.Position{Part: part, After: after}
	if pos.IsStart() {
		return catalog.Position{}, catalog.ErrInvalidCursor
	}
	return pos, nil
}

// sealCursor returns the cursor of the page after a filled one, empty on the
// last page.
func (a *CatalogAPI) sealCursor(r *Request, f catalog.Filled, list ...string) (string, error) {
	if !f.More {
		return "", nil
	}
	return a.sealer().Seal([]byte(f.Next.Part+"\x00"+f.Next.After), cursorBinding(r, list...))
}

// queryParams parses the query string strictly: a pair that does not decode
// is refused (url.Values.Get would silently drop it), as invalid-cursor when
// it is the cursor.
func queryParams(r *Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		return params, nil
	}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		key, value, _ := strings.Cut(pair, "=")
		k, kerr := url.QueryUnescape(key)
		_, verr := url.QueryUnescape(value)
		if kerr == nil && verr == nil {
			continue
		}
		if k == "cursor" || key == "cursor" {
			return nil, InvalidCursor()
		}
		return nil, InvalidParameter("a parameter of the query string does not decode")
	}
	return nil, InvalidParameter("the query string does not decode")
}
