package devstack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
)

// TestStack_DemoThroughTheGateway runs a buyer's first requests on the demo
// data through the emulated API Gateway: the catalog with their prices, then
// a quote from the pricing function.
func TestStack_DemoThroughTheGateway(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	if _, err := demo.Load(context.Background(), st.Table()); err != nil {
		t.Fatal(err)
	}
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
