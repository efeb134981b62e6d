package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/testenv"
)

// quotedTax is what this test reads of a quote: each line's VAT decision.
type quotedTax struct {
	Lines []struct {
		Tax struct {
			Regime  string `json:"regime"`
			Country string `json:"country"`
			Rate    string `json:"rate"`
			VAT     string `json:"vat"`
		} `json:"tax"`
	} `json:"lines"`
	Tax struct {
		VAT string `json:"vat"`
	} `json:"tax"`
}

// TestStack_OrderEventsOnTheQueueSwitchTheQuoteToDestinationVAT runs the
// distance-selling threshold end to end on the local stack: a Belgian
// consumer's quote is taxed at the French rate; order events sent to the
// real vat-threshold queue are applied by the deployed worker, which the
// runner triggers from template.yaml; once the EU-wide total is over
// €10,000, the same quote is taxed at the Belgian rate, and staff see
// exactly one alert. A duplicate and a cancelled order change nothing.
func TestStack_OrderEventsOnTheQueueSwitchTheQuoteToDestinationVAT(t *testing.T) {
	t.Parallel()
	st := startStack(t, nil)
	ctx := context.Background()
	if _, err := demo.Load(ctx, st.Table()); err != nil {
		t.Fatal(err)
	}
	staff, err := st.Issuer.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, st.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "hydro-fr.localhost:3000"
		req.Header.Set("Authorization", "Bearer "+staff)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	quoteBody := fmt.Sprintf(`{"customer":%q,"lines":[{"ref":%q,"quantity":10}]}`, demo.BEConsumer, demo.FilterRef)
	quote := func() quotedTax {
		t.Helper()
		code, body := call("POST", "/pricing/quote", quoteBody)
		var q quotedTax
		if code != 200 || json.Unmarshal(body, &q) != nil || len(q.Lines) != 1 {
			t.Fatalf("quote: %d %s", code, body)
		}
		return q
	}

	before := quote().Lines[0].Tax
	if before.Regime != "distance-sale-origin" || before.Country != "FR" || before.Rate != "20" {
		t.Fatalf("before any order, a Belgian consumer's line is taxed %+v, want the French 20%% (distance sale below the threshold)", before)
	}

	// Three orders of €4,000 to Belgian consumers cross the EU-wide €10,000
	// with the third; a fourth is placed and then cancelled; the first is
	// delivered twice.
	year := time.Now().UTC().Year()
	event := func(id, typ, order string) string {
		return fmt.Sprintf(`{"schema":"comptoir.order-event","version":1,"id":%q,"type":%q,"merchant":%q,"occurredAt":"%d-03-01T10:00:00Z",`+
			`"order":{"id":%q,"placedAt":"%d-03-01T10:00:00Z","customer":%q,"customerKind":"consumer","shipFrom":"FR","shipTo":"BE",`+
			`"currency":"EUR","net":"4000.00","vat":"800.00","gross":"4800.00","netEUR":"4000.00"}}`,
			id, typ, demo.Hydro, year, order, year, demo.BEConsumer)
	}
	bodies := []string{
		event("e1", "order.placed", "O-1"),
		event("e2", "order.placed", "O-2"),
		event("e1", "order.placed", "O-1"),
		event("e4", "order.placed", "O-4"),
		event("e5", "order.cancelled", "O-4"),
	}
	q := st.Resources.Queues["VatThresholdQueue"]
	send := func(bodies ...string) {
		t.Helper()
		entries := make([]sqstypes.SendMessageBatchRequestEntry, len(bodies))
		for i, b := range bodies {
			entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("m", i)), MessageBody: aws.String(b)}
		}
		out, err := st.Clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("send: %v %+v", err, out)
		}
	}
	send(bodies...)

	type ledgerView struct {
		CurrentYear int `json:"currentYear"`
		Scopes      []struct {
			Scope       string `json:"scope"`
			CurrentYear string `json:"currentYear"`
		} `json:"scopes"`
	}
	euTotal := func() string {
		code, body := call("GET", "/admin/vat/ledger", "")
		if code != 200 {
			t.Fatalf("ledger: %d %s", code, body)
		}
		var l ledgerView
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatalf("ledger: %v %s", err, body)
		}
		for _, sc := range l.Scopes {
			if l.CurrentYear == year && sc.Scope == "EU" {
				return sc.CurrentYear
			}
		}
		return "0.00"
	}
	// O-1 and O-2 count; O-4 is cancelled, whatever the order its events
	// were applied in: €8,000, below the threshold.
	testenv.WaitFor(t, 60*time.Second, func() (string, bool) { v := euTotal(); return v, v == "8000.00" })
	if got := quote().Lines[0].Tax; got.Regime != "distance-sale-origin" || got.Rate != "20" {
		t.Fatalf("at €8,000 the line is taxed %+v, want the French rate", got)
	}

	send(event("e3", "order.placed", "O-3"))
	testenv.WaitFor(t, 60*time.Second, func() (string, bool) { v := euTotal(); return v, v == "12000.00" })

	after := quote()
	if got := after.Lines[0].Tax; got.Regime != "distance-sale-destination" || got.Country != "BE" || got.Rate != "21" {
		t.Fatalf("after the crossing the line is taxed %+v, want Belgium's 21%%", got)
	}
	code, body := call("GET", "/admin/vat/alerts", "")
	if code != 200 || strings.Count(string(body), fmt.Sprintf(`"%d-EU"`, year)) != 1 {
		t.Fatalf("alerts: %d %s, want exactly one EU alert for %d", code, body, year)
	}
}
