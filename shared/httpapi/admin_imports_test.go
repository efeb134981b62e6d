package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

// reportsInMemory serves the jobs from the table and the files' reports
// from memory (the bucket's part of wiring's adapter).
type reportsInMemory struct {
	*dynamo.ImportJobs
	files map[string]string
}

func (r reportsInMemory) Report(ctx context.Context, m merchant.ID, job erp.ImportJob, w io.Writer) error {
	body, ok := r.files[job.Report]
	if !ok {
		return erp.ErrNoObject
	}
	if _, err := io.WriteString(w, body); err != nil {
		return err
	}
	rejects, err := r.ApplyRejects(ctx, m, job.ID)
	if err != nil {
		return err
	}
	cw := erp.ReportWriter(w)
	for _, e := range rejects {
		_ = cw.Write(erp.ReportRow(e))
	}
	cw.Flush()
	return cw.Error()
}

type importsFixture struct {
	*adminFixture
	jobs []erp.ImportJob // oldest first
}

// newImportsAdmin is the admin API over the demo with five import jobs of
// Hydrotech: the newest streamed with a rejected row in its file and one
// refused when applied.
func newImportsAdmin(t *testing.T) *importsFixture {
	t.Helper()
	b := newDemoBackend(t)
	store := &dynamo.ImportJobs{Table: b.table}
	ctx := context.Background()
	f := &importsFixture{}
	files := map[string]string{}
	start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	for i := range 5 {
		key := fmt.Sprintf("%s/inbox/F_ARTICLE-%d.csv", demo.Hydro, i)
		j := erp.ImportJob{ID: erp.JobID(key, "e"), Merchant: demo.Hydro, Bucket: "erp", Key: key, File: key[len(demo.Hydro)+7:],
			ETag: "e", ReceivedAt: start.Add(time.Duration(i) * time.Hour), Status: erp.StatusReceived}
		if _, err := store.Record(ctx, j); err != nil {
			t.Fatal(err)
		}
		f.jobs = append(f.jobs, j)
	}
	last := f.jobs[4]
	report := erp.NewReport()
	report.Add(erp.RowError{Line: 3, Column: "AR_PrixVen", Reason: "not a decimal number", Value: "12;5"})
	files[erp.ReportKey(demo.Hydro, last.ID)] = string(report.Bytes())
	if err := store.Streamed(ctx, demo.Hydro, last.ID, erp.StreamSummary{Kind: erp.KindPrices, Profile: "sage100", Received: 3, Rejected: 1, Chunks: 1,
		Report: erp.ReportKey(demo.Hydro, last.ID), At: start.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ChunkDone(ctx, demo.Hydro, last.ID, 0, erp.Counts{Applied: 1, Rejected: 1},
		[]erp.RowError{{Line: 4, Column: "AR_Ref", Reason: "unknown product", Value: "NOPE-1"}}); err != nil {
		t.Fatal(err)
	}
	admin := &httpapi.AdminAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: b.table}), Imports: reportsInMemory{store, files}}
	f.adminFixture = &adminFixture{admin: admin.Routes(), issuer: b.issuer, table: b.table}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return f
}

// The import routes are for staff of the merchant: anonymous 401, buyers
// and reps 403, another merchant's staff 401, staff 200.
func TestAccessMatrix_AdminImports(t *testing.T) {
	f := newImportsAdmin(t)
	buyer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Merchant: demo.Hydro, Customer: "C0006"})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	id := f.jobs[4].ID
	var cases []routeAccess
	for _, path := range []string{"/admin/imports", "/admin/imports/" + id, "/admin/imports/" + id + "/report"} {
		cases = append(cases,
			routeAccess{"anonymous", "", http.MethodGet, path, "", 401, "unauthenticated"},
			routeAccess{"buyer of the company", buyer, http.MethodGet, path, "", 403, "forbidden"},
			routeAccess{"rep", rep, http.MethodGet, path, "", 403, "forbidden"},
			routeAccess{"another merchant's staff", f.jardinStaff, http.MethodGet, path, "", 401, "invalid-token"},
			routeAccess{"staff", f.staff, http.MethodGet, path, "", 200, ""},
		)
	}
	checkRouteAccess(t, func(method, path, token, body string) response {
		return f.do(t, f.admin, method, frHost, path, token, nil)
	}, cases)
}

func TestAdminImports_ListsNewestFirstPageByPage(t *testing.T) {
	t.Parallel()
	f := newImportsAdmin(t)
	var ids []string
	path := "/admin/imports?limit=2"
	for range 5 {
		r := f.adminDo(t, http.MethodGet, path, nil)
		wantStatus(t, r, 200)
		page := decode[erp.JobPage](t, r)
		for _, j := range page.Jobs {
			ids = append(ids, j.ID)
		}
		if page.Next == "" {
			break
		}
		path = "/admin/imports?limit=2&cursor=" + page.Next
	}
	want := []string{f.jobs[4].ID, f.jobs[3].ID, f.jobs[2].ID, f.jobs[1].ID, f.jobs[0].ID}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("pages list %v, want newest first %v", ids, want)
	}
}

func TestAdminImports_JobCountsAndReport(t *testing.T) {
	t.Parallel()
	f := newImportsAdmin(t)
	last := f.jobs[4]
	r := f.adminDo(t, http.MethodGet, "/admin/imports/"+last.ID, nil)
	wantStatus(t, r, 200)
	j := decode[erp.ImportJob](t, r)
	if j.Status != erp.StatusApplied || j.Received != 3 || j.Rejected != 2 || j.Applied != 1 || j.Chunks != 1 || j.ChunksDone != 1 || j.Kind != erp.KindPrices {
		t.Errorf("job %+v, want applied: 3 rows, 1 applied, 2 rejected", j)
	}
	r = f.adminDo(t, http.MethodGet, "/admin/imports/"+last.ID+"/report", nil)
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	want := "line;column;reason;value\n3;AR_PrixVen;not a decimal number;12;5\n4;AR_Ref;unknown product;NOPE-1\n"
	want = strings.Replace(want, "12;5", `"12;5"`, 1)
	if string(r.body) != want {
		t.Errorf("report:\n%s\nwant:\n%s", r.body, want)
	}
	// A job whose file was not read yet has no report.
	wantProblem(t, f.adminDo(t, http.MethodGet, "/admin/imports/"+f.jobs[0].ID+"/report", nil), 404, "not-found")
	if j := decode[erp.ImportJob](t, f.adminDo(t, http.MethodGet, "/admin/imports/"+f.jobs[0].ID, nil)); j.Status != erp.StatusReceived {
		t.Errorf("job not streamed: status %q, want received", j.Status)
	}
}

func TestAdminImports_BadInputIsAProblem(t *testing.T) {
	t.Parallel()
	f := newImportsAdmin(t)
	for _, c := range []struct {
		path   string
		status int
		slug   string
	}{
		{"/admin/imports/0123456789abcdef0123456789abcdef", 404, "not-found"},
		{"/admin/imports/0123456789abcdef0123456789abcdef/report", 404, "not-found"},
		{"/admin/imports/not-a-job", 400, "invalid-parameter"},
		{"/admin/imports/" + strings.Repeat("a", 300), 400, "invalid-parameter"},
		{"/admin/imports?limit=0", 400, "invalid-parameter"},
		{"/admin/imports?limit=101", 400, "invalid-parameter"},
		{"/admin/imports?limit=x", 400, "invalid-parameter"},
		{"/admin/imports?cursor=bm9wZQ", 400, "invalid-cursor"},
		{"/admin/imports?cursor=" + strings.Repeat("A", 400), 400, "invalid-cursor"},
	} {
		t.Run(c.path, func(t *testing.T) {
			wantProblem(t, f.adminDo(t, http.MethodGet, c.path, nil), c.status, c.slug)
		})
	}
}
