package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/wiring"
)

// erpStack is the local stack with the demo loaded, the deployed erp-sync
// handler behind a recorder of every message it was given.
type erpStack struct {
	*running
	staff, buyer string

	mu         sync.Mutex
	syncBodies map[string]int // erp-sync messages, by body: deliveries
}

const erpHost = "hydro-fr.localhost:3000"

func startERPStack(t *testing.T) *erpStack {
	t.Helper()
	e := &erpStack{syncBodies: map[string]int{}}
	var deployed atomic.Pointer[wiring.QueueHandler]
	e.running = startStack(t, func(c *devstack.Config) {
		c.QueueHandlers = map[string]wiring.QueueHandler{"erp-sync": func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			h := deployed.Load()
			if h == nil {
				return events.SQSEventResponse{}, context.Canceled // not built yet: the batch is retried
			}
			e.mu.Lock()
			for _, m := range ev.Records {
				e.syncBodies[m.Body]++
			}
			e.mu.Unlock()
			return (*h)(ctx, ev)
		}}
	})
	ctx := context.Background()
	h, err := e.Functions.Queue(ctx, "erp-sync")
	if err != nil {
		t.Fatal(err)
	}
	deployed.Store(&h)
	if _, err := demo.Load(ctx, e.Table()); err != nil {
		t.Fatal(err)
	}
	e.staff = e.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	e.buyer = e.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@client1.fr", Merchant: demo.Hydro, Customer: "C0001"})
	return e
}

func (e *erpStack) token(t *testing.T, c identity.Caller) string {
	t.Helper()
	tok, err := e.Issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// drop puts a file in Hydrotech's inbox, encoded in Windows-1252 as Sage
// 100 writes it, and returns its import job's id.
func (e *erpStack) drop(t *testing.T, file, content string) string {
	t.Helper()
	body, err := charmap.Windows1252.NewEncoder().String(content)
	if err != nil {
		t.Fatal(err)
	}
	key := string(demo.Hydro) + "/inbox/" + file
	out, err := e.Clients.S3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(e.Resources.BucketName), Key: aws.String(key), Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatal(err)
	}
	return erp.JobID(key, strings.Trim(aws.ToString(out.ETag), `"`))
}

// job waits until the import job is applied or failed, through the admin
// API, and returns it.
func (e *erpStack) job(t *testing.T, id string) erp.ImportJob {
	t.Helper()
	return waitFor(t, 90*time.Second, func() (erp.ImportJob, bool) {
		resp, body := do(t, http.MethodGet, e.URL+"/admin/imports/"+id, erpHost, e.staff)
		var j erp.ImportJob
		if resp.StatusCode == http.StatusNotFound {
			return j, false
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &j) != nil {
			t.Fatalf("GET /admin/imports/%s: %d %s", id, resp.StatusCode, body)
		}
		return j, j.Status == erp.StatusApplied || j.Status == erp.StatusFailed
	})
}

// product is a product as the buyer of C0001 sees it.
func (e *erpStack) product(t *testing.T, ref string) httpapi.ProductView {
	t.Helper()
	resp, body := do(t, http.MethodGet, e.URL+"/catalog/products/"+ref, erpHost, e.buyer)
	var p httpapi.ProductView
	if resp.StatusCode != 200 || json.Unmarshal(body, &p) != nil {
		t.Fatalf("GET /catalog/products/%s: %d %s", ref, resp.StatusCode, body)
	}
	return p
}

func (e *erpStack) report(t *testing.T, id string) string {
	t.Helper()
	resp, body := do(t, http.MethodGet, e.URL+"/admin/imports/"+id+"/report", erpHost, e.staff)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("report of %s: %d %s", id, resp.StatusCode, body)
	}
	return string(body)
}

// waitFor polls check until done, failing the test at the deadline.
func waitFor[T any](t *testing.T, within time.Duration, check func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, done := check()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s; last value %+v", within, v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// articles is a Sage 100 F_ARTICLE export: the pump renamed and repriced,
// n new valves, then the bad rows, all stamped at stamp (cbModification).
func articles(pumpName, pumpPrice string, n int, stamp string, bad bool) string {
	var b strings.Builder
	b.WriteString("AR_Ref;AR_Design;FA_CodeFamille;AR_PrixVen;AR_Sommeil;cbModification\r\n")
	fmt.Fprintf(&b, "%s;\"%s\";POMPES-CHIMIE;%s;0;%s\r\n", demo.PumpRef, pumpName, pumpPrice, stamp)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "ERP-%04d;Vanne à bille n°%d;POMPES-CHIMIE;%d,50;0;%s\r\n", i, i, 10+i%7, stamp)
	}
	if bad {
		fmt.Fprintf(&b, "BAD REF;Vanne mal référencée;POMPES-CHIMIE;12,50;0;%s\r\n", stamp)
		fmt.Fprintf(&b, "ERP-PRIX;Vanne sans prix;POMPES-CHIMIE;douze;0;%s\r\n", stamp)
	}
	return b.String()
}

// TestStack_ERPFiles_ReachTheCatalogOnceAndNeverBackwards drops Sage 100
// files into the local bucket and follows them through erp-ingest,
// erp-sync (and stock-update) to the catalog API: the new names and prices
// are served; bad rows are in the report while the good ones apply; the
// same rows again change nothing and the job says so; an older file after
// a newer one changes nothing; and every erp-sync message delivered again
// leaves the same state.
func TestStack_ERPFiles_ReachTheCatalogOnceAndNeverBackwards(t *testing.T) {
	t.Parallel()
	e := startERPStack(t)
	const valves = 120
	newName := "Pompe doseuse d'acide; série été"

	// A products file with two bad rows: the good rows apply.
	first := e.drop(t, "F_ARTICLE_20261202.csv", articles(newName, "1950,00", valves, "2026-12-02 10:00:00", true))
	j := e.job(t, first)
	if j.Status != erp.StatusApplied || j.Kind != erp.KindProducts || j.Profile != "sage100" || j.Received != valves+3 ||
		j.Rejected != 2 || j.Applied != valves+1 || j.Unchanged != 0 || j.Chunks != 1 || j.ChunksDone != 1 {
		t.Fatalf("first file's job %+v, want applied: %d rows, %d applied, 2 rejected", j, valves+3, valves+1)
	}
	if j.Format == nil || j.Format.Encoding != "windows-1252" || j.Format.Separator != ";" || !j.Format.DecimalComma {
		t.Errorf("format %+v, want Windows-1252, ';', decimal comma", j.Format)
	}
	pump := e.product(t, demo.PumpRef)
	if pump.Name != newName {
		t.Errorf("pump's name %q, want %q", pump.Name, newName)
	}
	if v := e.product(t, "ERP-0001"); v.Name != "Vanne à bille n°1" || v.CategoryID != "POMPES-CHIMIE" {
		t.Errorf("new valve %+v", v)
	}
	report := e.report(t, first)
	for _, want := range []string{"line;column;reason;value", fmt.Sprintf("%d;AR_Ref;", valves+3), "BAD REF", fmt.Sprintf("%d;AR_PrixVen;", valves+4), "douze"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if n := strings.Count(strings.TrimSpace(report), "\n"); n != 2 {
		t.Errorf("report has %d rows, want the 2 bad ones:\n%s", n, report)
	}

	// A prices file: C0001's own price of the pump, and a price of a
	// product that does not exist, refused when applied.
	prices := e.drop(t, "F_ARTCLIENT_20261202.csv", "AR_Ref;AC_Categorie;CT_Num;AC_PrixVen;AC_Remise;AC_QteMont;cbModification\r\n"+
		demo.PumpRef+";0;C0001;1500,00;0;0;2026-12-02 10:00:00\r\n"+
		"GHOST-1;0;C0001;10,00;0;0;2026-12-02 10:00:00\r\n")
	if j := e.job(t, prices); j.Status != erp.StatusApplied || j.Applied != 1 || j.Rejected != 1 {
		t.Errorf("prices job %+v, want 1 applied and 1 rejected", j)
	}
	if r := e.report(t, prices); !strings.Contains(r, "GHOST-1") && !strings.Contains(r, "unknown product") {
		t.Errorf("prices report does not name the unknown product:\n%s", r)
	}
	pump = e.product(t, demo.PumpRef)
	if pump.Price == nil || pump.Price.Source != "customer" || !pump.Price.Amount.Equal(decimal.NewFromInt(1500)) {
		t.Errorf("pump's price for C0001 %+v, want the customer's own 1500.00", pump.Price)
	}
	if _, body := do(t, http.MethodGet, e.URL+"/catalog/products/"+demo.PumpRef, erpHost, e.buyer); !strings.Contains(string(body), `"amount":"1500.00"`) {
		t.Errorf("pump's view %s, want the amount printed 1500.00", body)
	}

	// A stock file: forwarded by erp-sync to stock-update, which applies it.
	stockJob := e.drop(t, "F_ARTSTOCK_20261202.csv", "AR_Ref;DE_No;AS_QteSto;AS_QteRes;AS_QteMini;AS_QteMaxi;cbModification\r\n"+
		demo.PumpRef+";1;40;0;2;12;2026-12-02 10:00:00\r\n")
	if j := e.job(t, stockJob); j.Status != erp.StatusApplied || j.Applied+j.Unchanged != 1 {
		t.Errorf("stock job %+v, want applied", j)
	}

	// The same rows again, in another file: nothing changes, and the job
	// says so.
	again := e.drop(t, "F_ARTICLE_20261202_bis.csv", articles(newName, "1950,00", valves, "2026-12-02 10:00:00", true))
	if j := e.job(t, again); j.Status != erp.StatusApplied || j.Applied != 0 || j.Unchanged != valves+1 || j.Rejected != 2 {
		t.Errorf("same rows again: job %+v, want %d unchanged, none applied", j, valves+1)
	}

	// An older export dropped after the newer one: nothing changes.
	older := e.drop(t, "F_ARTICLE_20261101.csv", articles("Ancien nom", "999,00", 3, "2026-11-01 10:00:00", false))
	if j := e.job(t, older); j.Status != erp.StatusApplied || j.Applied != 0 || j.Unchanged != 4 {
		t.Errorf("older file: job %+v, want 4 unchanged, none applied", j)
	}
	if p := e.product(t, demo.PumpRef); p.Name != newName {
		t.Errorf("after an older file, the pump's name is %q, want %q", p.Name, newName)
	}
	if v := e.product(t, "ERP-0002"); v.Name != "Vanne à bille n°2" {
		t.Errorf("after an older file, ERP-0002 is named %q", v.Name)
	}

	// Every erp-sync message delivered again: the same state.
	jobs := []string{first, prices, stockJob, again, older}
	before := e.state(t, jobs)
	e.mu.Lock()
	var bodies []string
	for b := range e.syncBodies {
		bodies = append(bodies, b)
	}
	e.mu.Unlock()
	slices.Sort(bodies)
	if len(bodies) != 5 {
		t.Fatalf("%d erp-sync messages recorded, want one chunk per file: 5", len(bodies))
	}
	q := e.Resources.Queues["ErpSyncQueue"]
	for _, b := range bodies {
		send(t, e.running, q, b)
	}
	waitFor(t, 90*time.Second, func() (int, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		pending := 0
		for _, b := range bodies {
			if e.syncBodies[b] < 2 {
				pending++
			}
		}
		return pending, pending == 0
	})
	for _, name := range []string{"ErpSyncQueue", "StockUpdateQueue"} {
		waitFor(t, 60*time.Second, func() (string, bool) { return name, queueEmpty(t, e.running, e.Resources.Queues[name]) })
	}
	if after := e.state(t, jobs); after != before {
		t.Errorf("state changed after every message was delivered again:\nbefore %s\nafter  %s", before, after)
	}
}

// state is what the buyer sees of the products the files touched and what
// staff see of the jobs, as one comparable string.
func (e *erpStack) state(t *testing.T, jobs []string) string {
	t.Helper()
	var b strings.Builder
	for _, ref := range []string{demo.PumpRef, "ERP-0001", "ERP-0002", "ERP-0120"} {
		p, err := json.Marshal(e.product(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(p)
	}
	for _, id := range jobs {
		j, err := json.Marshal(e.job(t, id))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
	}
	return b.String()
}
