package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

// loadDemo loads the demo as make dev does, through the ERP path for
// Hydrotech's ERP data, logging its progress.
func loadDemo(t *testing.T, st *running) demo.Summary {
	t.Helper()
	sum, err := st.LoadDemo(context.Background(), 4*time.Minute, func(line string) { t.Log(line) })
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// sameAsDirectLoad compares what tbl holds for Hydrotech (the demo loaded
// through the ERP path) with a table of its own loaded directly
// (demo.Load): the category tree, every product, every customer's account
// with its price entries for every product and its rep, the warehouses and
// the stock levels.
func sameAsDirectLoad(t *testing.T, tbl dynamo.Table) {
	t.Helper()
	ctx := context.Background()
	direct := testenv.Table(t)
	if _, err := demo.Load(ctx, direct); err != nil {
		t.Fatal(err)
	}
	d := demo.Build()
	refs := make([]string, len(d.Products[demo.Hydro]))
	for i, p := range d.Products[demo.Hydro] {
		refs[i] = p.Ref
	}
	same := func(what string, read func(dynamo.Table) (any, error)) {
		t.Helper()
		got, err := read(tbl)
		if err != nil {
			t.Fatalf("%s through the ERP path: %v", what, err)
		}
		want, err := read(direct)
		if err != nil {
			t.Fatalf("%s loaded directly: %v", what, err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if len(w) < 100 {
			t.Errorf("%s: nearly nothing to compare: %s", what, w)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s through the ERP path differ from the direct load:\n got %.2000s\nwant %.2000s", what, g, w)
		}
	}
	same("categories", func(t dynamo.Table) (any, error) {
		return (&dynamo.Catalog{Table: t}).Categories(ctx, demo.Hydro)
	})
	same("products", func(t dynamo.Table) (any, error) {
		ps, err := (&dynamo.Catalog{Table: t}).Products(ctx, demo.Hydro, refs)
		// The entries of a product come in the order their chunks were
		// applied (in parallel): the order means nothing.
		for ref, p := range ps {
			slices.SortFunc(p.Tariffs, func(a, b tariff.Entry) int {
				return strings.Compare(string(a.Scope)+"|"+a.ScopeID, string(b.Scope)+"|"+b.ScopeID)
			})
			ps[ref] = p
		}
		return ps, err
	})
	for i, c := range d.Customers {
		rep := d.Reps[i%len(d.Reps)].ID
		same("tariff of "+c.ID, func(t dynamo.Table) (any, error) {
			return (&dynamo.Pricing{Table: t}).CustomerTariff(ctx, demo.Hydro, c.ID, refs, rep)
		})
	}
	same("warehouses", func(t dynamo.Table) (any, error) {
		return (&dynamo.Orders{Table: t}).Warehouses(ctx, demo.Hydro)
	})
	same("stock levels", func(t dynamo.Table) (any, error) {
		return (&dynamo.Orders{Table: t}).Levels(ctx, demo.Hydro, refs)
	})
}

// TestStack_DemoThroughTheGateway loads the demo as make dev does (the
// ERP's part as Sage files through erp-ingest and erp-sync), checks that
// the store then holds what the direct load writes, and runs a buyer's
// first requests on it through the emulated API Gateway: the catalog with
// their prices, then a quote from the pricing function.
func TestStack_DemoThroughTheGateway(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	loadDemo(t, st)
	sameAsDirectLoad(t, st.Table())
	tok, err := st.Issuer.Sign(identity.Caller{Role: identity.Buyer, Subject: "b", Merchant: demo.Hydro, Customer: "C0001"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "GET", st.URL+"/catalog/products/"+demo.PumpRef, "hydro-fr.localhost:3000", tok)
	var pump httpapi.ProductView
	if resp.StatusCode != 200 || json.Unmarshal(body, &pump) != nil || pump.Price == nil || pump.Price.Source != "price-category" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	quote := func(token string) (*http.Response, []byte) {
		req, err := http.NewRequest("POST", st.URL+"/pricing/quote", strings.NewReader(`{"lines":[{"ref":"`+demo.PumpRef+`","quantity":2},{"ref":"VANNES-BILLE-101","quantity":1,"packaging":"pallet"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "hydro-fr.localhost:3000"
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body = quote(tok)
	var q httpapi.QuoteResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &q) != nil || len(q.Lines) != 2 || !q.Total.IsPositive() || q.Customer != "C0001" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, body = quote(""); resp.StatusCode != 401 || strings.TrimSpace(string(body)) != `{"message":"Unauthorized"}` {
		t.Fatalf("without a token: %d %s", resp.StatusCode, body)
	}
}
