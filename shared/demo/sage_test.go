package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/erpfile"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
)

// readSage reads a demo file back as erp-ingest does (its name routes it),
// failing on any rejected row.
func readSage(t *testing.T, f SageFile) (erpfile.Format, []erp.Record) {
	t.Helper()
	if accented(f.Body) && utf8.Valid(f.Body) {
		t.Errorf("%s is valid UTF-8: Sage writes Windows-1252 (accents as single bytes)", f.Name)
	}
	kind, profile, _, ok := erpfile.Route(f.Name)
	if !ok || profile != erpfile.Sage100 {
		t.Fatalf("%s: routed to %q %q %v", f.Name, kind, profile, ok)
	}
	r, err := erpfile.NewReader(bytes.NewReader(f.Body), erpfile.Source{Name: f.Name})
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	var recs []erp.Record
	for {
		rec, rowErr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if rowErr != nil {
			t.Errorf("%s: line %d, %s: %s (%q)", f.Name, rowErr.Line, rowErr.Column, rowErr.Reason, rowErr.Value)
			continue
		}
		if rec.Kind != kind {
			t.Errorf("%s: a record of kind %s", f.Name, rec.Kind)
		}
		recs = append(recs, rec)
	}
	return r.Format(), recs
}

// accented says that b holds a byte beyond ASCII.
func accented(b []byte) bool {
	return bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf })
}

// sameJSON compares two values by their JSON (decimals as the store
// writes them: "1890.00" and "1890" are the same amount).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s read back from the Sage files:\n got %s\nwant %s", what, g, w)
	}
}

// TestSageFiles_ReadBackAsTheDemo reads every demo file through erpfile,
// as erp-ingest does, and compares what the rows say with the demo data
// they were written from: the ERP-owned fields of every category,
// product, customer, rep, price category, warehouse, price entry, quantity
// break and stock level.
func TestSageFiles_ReadBackAsTheDemo(t *testing.T) {
	files, err := SageFiles()
	if err != nil {
		t.Fatal(err)
	}
	d := Build()
	byKind := map[erp.Kind][]erp.Record{}
	var order []erp.Kind
	for _, f := range files {
		format, recs := readSage(t, f)
		// A file of plain ASCII reads the same in either encoding.
		if (accented(f.Body) && format.Encoding != erpfile.Windows1252) || format.Separator != ';' || !format.DecimalComma {
			t.Errorf("%s detected as %+v, want Windows-1252, ';' and decimal commas", f.Name, format)
		}
		if len(recs) == 0 {
			t.Fatalf("%s: no rows", f.Name)
		}
		byKind[recs[0].Kind] = recs
		order = append(order, recs[0].Kind)
	}
	// The files come in the order a first load applies them.
	at := func(k erp.Kind) int { return slices.Index(order, k) }
	if !(at(erp.KindCategories) < at(erp.KindProducts) && at(erp.KindProducts) < at(erp.KindPrices) &&
		at(erp.KindPrices) < at(erp.KindQuantityBreaks) && at(erp.KindProducts) < at(erp.KindStock)) {
		t.Errorf("files in the order %v: categories, then products, then prices and their breaks", order)
	}

	var cats []catalog.Category
	for _, r := range byKind[erp.KindCategories] {
		cats = append(cats, *r.Category)
	}
	sameJSON(t, "categories", cats, d.Categories[Hydro])

	var products, wantProducts []catalog.Product
	for _, r := range byKind[erp.KindProducts] {
		products = append(products, catalog.MergeERP(nil, *r.Product))
	}
	for _, p := range d.Products[Hydro] {
		wantProducts = append(wantProducts, catalog.MergeERP(nil, p))
	}
	sameJSON(t, "products", products, wantProducts)

	var customers, wantCustomers []customer.Customer
	for _, r := range byKind[erp.KindCustomers] {
		customers = append(customers, customer.MergeERP(nil, *r.Customer))
	}
	for _, c := range SageCustomers(d) {
		c.DeliveryAddresses = nil // no column in F_COMPTET: loaded directly
		wantCustomers = append(wantCustomers, customer.MergeERP(nil, c))
	}
	sameJSON(t, "customers", customers, wantCustomers)
	if len(customers) != len(d.Customers)-1 {
		t.Errorf("%d customers in the file, want all %d but the one whose VAT number fails its check digits", len(customers), len(d.Customers))
	}

	var reps []customer.Rep
	for _, r := range byKind[erp.KindReps] {
		rep := *r.Rep
		rep.Merchant = Hydro
		reps = append(reps, rep)
	}
	sameJSON(t, "reps", reps, d.Reps)

	var pcs []customer.PriceCategory
	for _, r := range byKind[erp.KindPriceCategories] {
		pcs = append(pcs, *r.PriceCategory)
	}
	sameJSON(t, "price categories", pcs, d.PriceCats)

	var whs []stock.Warehouse
	for _, r := range byKind[erp.KindWarehouses] {
		whs = append(whs, *r.Warehouse)
	}
	sameJSON(t, "warehouses", whs, d.Warehouses)

	var levels []stock.Level
	for _, r := range byKind[erp.KindStock] {
		levels = append(levels, *r.Stock)
	}
	sameJSON(t, "stock levels", levels, d.StockLevels)

	// Prices and their breaks, put together as erp-sync does.
	var entries []tariff.Entry
	for _, r := range byKind[erp.KindPrices] {
		entries = append(entries, *r.Price)
	}
	for _, r := range byKind[erp.KindQuantityBreaks] {
		q := r.QuantityBreak
		var found bool
		entries, found, _ = catalog.MergeERPBreak(entries, q.Scope, q.ScopeID, q.Ref, q.Break)
		if !found {
			t.Errorf("line %d: a break of %s %s %s, which has no price", r.Line, q.Scope, q.ScopeID, q.Ref)
		}
	}
	sameJSON(t, "price entries", entries, sageEntries(d))
	if len(byKind[erp.KindQuantityBreaks]) == 0 || len(d.CustomerPrices) == 0 {
		t.Error("the demo has no customer prices or quantity breaks: the files prove nothing about them")
	}
}
