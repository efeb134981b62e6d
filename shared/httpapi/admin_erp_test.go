package httpapi_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
)

// newERPSettingsAdmin is the admin API over the demo with the ERP
// settings' store.
func newERPSettingsAdmin(t *testing.T) *adminFixture {
	t.Helper()
	b := newDemoBackend(t)
	admin := &httpapi.AdminAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: b.table}), ERPSettings: &dynamo.ERPSettings{Table: b.table}}
	f := &adminFixture{admin: admin.Routes(), issuer: b.issuer, table: b.table}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return f
}

const erpSettingsBody = `{"kinds":{"products":{"mapping":{"ref":"Code article","name.fr":"Désignation"},"deactivateMissing":true}}}`

// The ERP settings are for staff of the merchant: anonymous 401, buyers
// and reps 403, another merchant's staff 401, staff 200.
func TestAccessMatrix_AdminERPSettings(t *testing.T) {
	f := newERPSettingsAdmin(t)
	buyer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Merchant: demo.Hydro, Customer: "C0006"})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	var cases []routeAccess
	for _, rt := range []struct{ method, body string }{{http.MethodGet, ""}, {http.MethodPut, erpSettingsBody}} {
		cases = append(cases,
			routeAccess{"anonymous", "", rt.method, "/admin/erp/settings", rt.body, 401, "unauthenticated"},
			routeAccess{"buyer of the company", buyer, rt.method, "/admin/erp/settings", rt.body, 403, "forbidden"},
			routeAccess{"rep", rep, rt.method, "/admin/erp/settings", rt.body, 403, "forbidden"},
			routeAccess{"another merchant's staff", f.jardinStaff, rt.method, "/admin/erp/settings", rt.body, 401, "invalid-token"},
			routeAccess{"staff", f.staff, rt.method, "/admin/erp/settings", rt.body, 200, ""},
		)
	}
	checkRouteAccess(t, func(method, path, token, body string) response {
		var b any
		if body != "" {
			b = body
		}
		return f.do(t, f.admin, method, frHost, path, token, b)
	}, cases)
}

// Staff save the merchant's column names and deactivations; every wrong
// field is named in one 422 and nothing is saved; a stale version is 409.
func TestAdminERPSettings_SavedAndEveryWrongFieldNamed(t *testing.T) {
	t.Parallel()
	f := newERPSettingsAdmin(t)
	r := f.adminDo(t, http.MethodGet, "/admin/erp/settings", nil)
	wantStatus(t, r, http.StatusOK)
	v := decode[httpapi.ERPSettingsView](t, r)
	if v.Version != 0 || len(v.Kinds) != 0 || len(v.Fields[erp.KindProducts]) == 0 || !strings.Contains(string(r.body), `"ref"`) {
		t.Fatalf("settings before any save: %s", r.body)
	}

	r = f.adminDo(t, http.MethodPut, "/admin/erp/settings", erpSettingsBody)
	wantStatus(t, r, http.StatusOK)
	saved := decode[httpapi.ERPSettingsView](t, r)
	want := map[erp.Kind]erp.KindSettings{erp.KindProducts: {Mapping: map[string]string{"ref": "Code article", "name.fr": "Désignation"}, DeactivateMissing: true}}
	if saved.Version != 1 || !reflect.DeepEqual(saved.Kinds, want) || saved.UpdatedBy != "admin@hydrotech.fr" {
		t.Fatalf("saved %s", r.body)
	}
	if got := decode[httpapi.ERPSettingsView](t, f.adminDo(t, http.MethodGet, "/admin/erp/settings", nil)); got.Version != 1 || !reflect.DeepEqual(got.Kinds, want) {
		t.Fatalf("read back %+v", got)
	}

	bad := jsonObject{"kinds": jsonObject{
		"poems":     jsonObject{},
		"customers": jsonObject{"mapping": jsonObject{"ref": "Code", "name": "", "country": strings.Repeat("P", erp.MaxColumnBytes+1)}},
		"products":  jsonObject{"mapping": jsonObject{"ref": "Code", "category": "CODE"}},
		"prices":    jsonObject{"deactivateMissing": true},
	}}
	r = f.adminDo(t, http.MethodPut, "/admin/erp/settings", bad)
	wantProblem(t, r, http.StatusUnprocessableEntity, "invalid-erp-settings")
	p := decode[httpapi.Problem](t, r)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	if wantFields := []string{
		"kinds.customers.mapping.country", "kinds.customers.mapping.name", "kinds.customers.mapping.ref",
		"kinds.poems", "kinds.prices.deactivateMissing", "kinds.products.mapping.ref",
	}; !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("errors on %v, want %v: %s", fields, wantFields, r.body)
	}
	if got := decode[httpapi.ERPSettingsView](t, f.adminDo(t, http.MethodGet, "/admin/erp/settings", nil)); got.Version != 1 {
		t.Errorf("refused settings were saved: %+v", got)
	}

	wantProblem(t, f.adminDo(t, http.MethodPut, "/admin/erp/settings", jsonObject{"kinds": jsonObject{}, "version": 0}), http.StatusConflict, "conflict")
	wantProblem(t, f.adminDo(t, http.MethodPut, "/admin/erp/settings", jsonObject{"kinds": jsonObject{"products": jsonObject{"mapping": []string{"x"}}}}), http.StatusBadRequest, "invalid-body")

	// The version read, sent back: saved; an empty kind is no setting.
	r = f.adminDo(t, http.MethodPut, "/admin/erp/settings", jsonObject{"kinds": jsonObject{"customers": jsonObject{}}, "version": 1})
	wantStatus(t, r, http.StatusOK)
	if got := decode[httpapi.ERPSettingsView](t, r); got.Version != 2 || len(got.Kinds) != 0 {
		t.Errorf("after clearing: %s", r.body)
	}
}
