package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/httpapi"
)

// FuzzCatalogCursor sends arbitrary cursors, in the raw query string, to a
// category page and a search page over the demo. Whatever the cursor: no
// panic, never a 5xx; a cursor the API did not issue to this caller for this
// list is 400 invalid-cursor (or 400 invalid-parameter when the query string
// does not decode at all), and only the issued ones open.
func FuzzCatalogCursor(f *testing.F) {
	fx := newCatalogFixture(f)
	buyerTok := fx.token(f, buyer)
	lists := []string{"/catalog/categories/VANNES/products?limit=3", "/catalog/search?q=vanne&limit=3"}
	issued := map[string]bool{}
	for _, l := range lists {
		for _, tok := range []string{"", buyerTok} {
			rec := fx.serve(l, tok)
			var page httpapi.ProductPage
			if err := jsonDecode(rec.Body.Bytes(), &page); err != nil || page.NextCursor == "" {
				f.Fatalf("%s: %d %s", l, rec.Code, rec.Body.Bytes())
			}
			issued[page.NextCursor] = true
			f.Add(page.NextCursor, tok != "")
			f.Add(page.NextCursor[:len(page.NextCursor)-2]+"AA", tok != "")
			f.Add(page.NextCursor, tok == "")
		}
	}
	for _, s := range []string{"", "%%%%", "%", "%zz", "***", "eyJzIjoiMTIzIn0", strings.Repeat("A", 208), strings.Repeat("_", 4000), "a;b", "\x00"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, cur string, asBuyer bool) {
		if strings.ContainsAny(cur, "&# \t\r\n") {
			return // they would split or end the query string, not name a cursor
		}
		tok := ""
		if asBuyer {
			tok = buyerTok
		}
		for _, l := range lists {
			rec := fx.serve(l+"&cursor="+cur, tok)
			switch {
			case rec.Code == http.StatusOK:
				if !issued[cur] {
					t.Fatalf("%s opened a cursor it never issued: %q", l, cur)
				}
			case rec.Code == http.StatusBadRequest:
				var p httpapi.Problem
				if err := jsonDecode(rec.Body.Bytes(), &p); err != nil ||
					p.Type != httpapi.ProblemBase+"invalid-cursor" && p.Type != httpapi.ProblemBase+"invalid-parameter" {
					t.Fatalf("%s cursor %q: %s", l, cur, rec.Body.Bytes())
				}
			default:
				t.Fatalf("%s cursor %q: %d %s", l, cur, rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// serve sends GET path (with its raw query, as sent) to the catalog
// handler on hydro-fr.
func (f *catalogFixture) serve(path, token string) *httptest.ResponseRecorder {
	p, q, _ := strings.Cut(path, "?")
	req := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: p, RawQuery: q}, Host: frHost, Header: http.Header{}}).WithContext(context.Background())
	req.Header.Set("Host", frHost)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
