package erpfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/tariff"
)

// fileStamp is the timestamp the tests give every file.
var fileStamp = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// readAll reads a whole file: its records, its rejected rows, and the
// reader (for its kind and format).
func readAll(t testing.TB, r io.Reader, src Source) ([]erp.Record, []erp.RowError, *Reader) {
	t.Helper()
	rd, err := NewReader(r, src)
	if err != nil {
		t.Fatalf("%s: NewReader: %v", src.Name, err)
	}
	var recs []erp.Record
	var bad []erp.RowError
	for {
		rec, rowErr, err := rd.Next()
		if err == io.EOF {
			return recs, bad, rd
		}
		if err != nil {
			t.Fatalf("%s: Next: %v", src.Name, err)
		}
		if rowErr != nil {
			bad = append(bad, *rowErr)
			continue
		}
		recs = append(recs, rec)
	}
}

func readFixture(t *testing.T, path string) ([]erp.Record, []erp.RowError, *Reader) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, f, Source{Name: filepath.Base(path), Stamp: fileStamp})
}

// rowError is an expected rejected row: its line, column, and the start
// of its reason.
type rowError struct {
	line   int
	column string
	reason string
}

func TestFixtures(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		file    string
		kind    erp.Kind
		format  Format
		keys    []string // Key of each record, in order
		lines   []int    // Line of each record
		errs    []rowError
		inspect func(t *testing.T, recs []erp.Record)
	}{
		{file: "sage/F_FAMILLE.csv", kind: erp.KindCategories,
			format: Format{Encoding: Windows1252, Separator: ';', DecimalComma: true},
			keys:   []string{"POMPES", "POMPES-CHIMIE", "ETANCH"}, lines: []int{2, 3, 4},
			errs: []rowError{{6, "FA_CodeFamille", "must be 1 to 64 printable characters without spaces, '#' or '/'"},
				{7, "FA_Intitule", "is required"}, {8, "FA_Central", "a category cannot be its own parent"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if c := recs[2].Category; c.Names["fr"] != "Étanchéité" {
					t.Errorf("Windows-1252 name = %q, want Étanchéité", c.Names["fr"])
				}
				if c := recs[1].Category; c.ParentID != "POMPES" {
					t.Errorf("parent = %q, want POMPES (FA_Central)", c.ParentID)
				}
				if want := time.Date(2026, 11, 30, 8, 0, 0, 0, paris); !recs[0].Stamp.Equal(want) {
					t.Errorf("stamp = %v, want cbModification in Paris time %v", recs[0].Stamp, want)
				}
			}},
		{file: "sage/F_ARTICLE_full_20261201.csv", kind: erp.KindProducts,
			format: Format{Encoding: Windows1252, Separator: ';', DecimalComma: true},
			keys:   []string{"PMP-ACID-50", "KIT-JOINT-50", "OLD-VANNE"},
			// The first row spans lines 2 and 3 (a quoted newline), so the
			// next one starts on line 4; lines 5 and 8 are blank.
			lines: []int{2, 4, 7},
			errs: []rowError{{6, "", "unreadable CSV at line 6"},
				{9, "AR_Ref", "must be 1 to 64 printable characters without spaces or '#'"},
				{10, "AR_PrixVen", "must be an amount from 0 written with a decimal comma"},
				{11, "AR_CodeBarre", "must be 13 digits with a valid check digit"},
				{12, "AR_Design", "is required: a name in at least one language"},
				{13, "links", "a product cannot be linked to itself"},
				{14, "minOrderQty", "must be a whole number from 1 to 1000000"},
				{15, "cbModification", "must be a date"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				p := recs[0].Product
				if p.Names["fr"] != "Pompe doseuse acide; 50 l/h" {
					t.Errorf("quoted name with ';' = %q", p.Names["fr"])
				}
				// No tax category column: none, so that the stored
				// product's is kept (standard for a new one).
				if !p.BasePrice.Equal(decimal.NewFromInt(1250)) || p.Currency != "EUR" || p.TaxCategory != "" {
					t.Errorf("price %s %s, tax %q: want 1250 EUR and no tax category", p.BasePrice, p.Currency, p.TaxCategory)
				}
				if !slices.Equal(p.Packagings, []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Pallet, Units: 12}}) {
					t.Errorf("packagings = %v", p.Packagings)
				}
				if len(p.Links) != 1 || p.Links[0].Ref != "KIT-JOINT-50" || p.Links[0].Kind != catalog.Mandatory || !p.Links[0].Ratio.Equal(decimal.NewFromInt(1)) {
					t.Errorf("links = %v", p.Links)
				}
				kit := recs[1].Product
				if kit.Names["fr"] != "Kit joints Viton® pour pompe 50 l/h" || !kit.BasePrice.Equal(decimal.RequireFromString("84.5")) || !kit.NoDiscount {
					t.Errorf("kit = %q %s noDiscount=%v", kit.Names["fr"], kit.BasePrice, kit.NoDiscount)
				}
				if old := recs[2].Product; !old.Inactive || old.Packagings != nil || old.MinOrderQty != 0 || old.OrderMultiple != 0 {
					t.Errorf("AR_Sommeil=1 gives inactive=%v; empty packagings and quantities give %v %d %d, want none (kept when merged)",
						old.Inactive, old.Packagings, old.MinOrderQty, old.OrderMultiple)
				}
				if !recs[1].Stamp.Equal(time.Date(2026, 12, 1, 9, 15, 0, 0, paris)) {
					t.Errorf("dd/mm/yyyy stamp = %v", recs[1].Stamp)
				}
			}},
		{file: "sage/F_COMPTET.csv", kind: erp.KindCustomers,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"C0001", "C0004B", "C0099"}, lines: []int{2, 4, 5},
			errs: []rowError{{3, "CT_Encours", "must be an amount from 0 written with a decimal comma, such as 12,50 (no sign, no thousands separator)"},
				{6, "CT_Identifiant", "must be an EU VAT number"}, {7, "CT_Pays", "is required"},
				{8, "paymentTerms", "must be payment terms"}, {9, "CT_Type", "is not a customer account (0): 1 is a supplier"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				c := recs[0].Customer
				if c.Name != "Plomberie Lyonnaise" || c.Country != "FR" || c.VATNumber != "FR83404833048" || c.PriceCategory != "1" ||
					!c.CreditLimit.Equal(decimal.NewFromInt(15000)) || c.Rep != "R01" || c.Dormant || c.Kind != "pro" ||
					c.Address.Line1 != "12, rue de la Part-Dieu" || c.Payment.Terms == nil || *c.Payment.Terms != payment.ThirtyDaysEndOfMonth {
					t.Errorf("C0001 = %+v", c)
				}
				if b := recs[1].Customer; b.Country != "BE" || b.BuyingGroup != "ACHATPRO" {
					t.Errorf("CT_Pays Belgique = %q, centrale %q", b.Country, b.BuyingGroup)
				}
				if d := recs[2].Customer; !d.Dormant || d.PriceCategory != "" {
					t.Errorf("dormant %v, N_CatTarif 0 gives %q", d.Dormant, d.PriceCategory)
				}
			}},
		{file: "sage/F_COLLABORATEUR.csv", kind: erp.KindReps,
			format: Format{Encoding: Windows1252, Separator: ';', DecimalComma: true},
			keys:   []string{"R01", "R02"}, lines: []int{2, 3},
			errs: []rowError{{4, "CO_No", "must be 1 to 64 printable characters without spaces, '#' or '/'"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if r := recs[0].Rep; r.Name != "Lucie Bernard" || r.Customers != nil {
					t.Errorf("rep = %+v, want Lucie Bernard with no portfolio column", r)
				}
			}},
		{file: "sage/P_CATTARIF.csv", kind: erp.KindPriceCategories,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"1", "2"}, lines: []int{2, 3}, errs: []rowError{{4, "CT_Intitule", "is required"}}},
		{file: "sage/F_ARTCLIENT.csv", kind: erp.KindPrices,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"price-category|1|PMP-ACID-50", "price-category|2|PMP-ACID-50", "customer|C0001|PMP-ACID-50"},
			lines:  []int{2, 3, 5},
			errs: []rowError{{8, "AC_Categorie", "exactly one of AC_Categorie, CT_Num or buyingGroup must be given"},
				{9, "AC_Remise", "must be a percentage from 0 to 100"}, {10, "AC_QteMont", "must be a whole number from 0 to 3"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				want := tariff.Entry{Scope: tariff.PriceCategory, ScopeID: "2", Ref: "PMP-ACID-50", Currency: "EUR",
					Price: decimal.Zero, Discount: decimal.RequireFromString("12.5"), Mode: tariff.QuantityDiscount}
				if e := *recs[1].Price; e.Scope != want.Scope || e.ScopeID != want.ScopeID || !e.Price.IsZero() || !e.Discount.Equal(want.Discount) || e.Mode != want.Mode {
					t.Errorf("entry = %+v, want %+v", e, want)
				}
				if e := recs[2].Price; e.Mode != tariff.NetByQuantity || !e.Price.Equal(decimal.NewFromInt(980)) {
					t.Errorf("customer entry = %+v", e)
				}
			}},
		{file: "sage/F_TARIFQTE.csv", kind: erp.KindQuantityBreaks,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"price-category|2|PMP-ACID-50|1", "price-category|2|PMP-ACID-50|5", "customer|C0001|PMP-ACID-50|10"},
			lines:  []int{2, 3, 4}, errs: []rowError{{5, "from", "must be an amount from 0"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if b := recs[1].QuantityBreak.Break; !b.Value.Equal(decimal.RequireFromString("5.5")) {
					t.Errorf("discount break = %+v", b)
				}
				if b := recs[2].QuantityBreak.Break; !b.Value.Equal(decimal.NewFromInt(950)) {
					t.Errorf("net price break = %+v, want TQ_PrixNet 950", b)
				}
			}},
		{file: "sage/F_FAMCLIENT.csv", kind: erp.KindFamilyDiscounts,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"C0001|ETANCH", "C0004|POMPES"}, lines: []int{2, 3},
			errs: []rowError{{4, "FA_CodeFamille", "must be 1 to 64 printable characters without spaces, '#' or '/'"}}},
		{file: "sage/F_DEPOT.csv", kind: erp.KindWarehouses,
			format: Format{Encoding: Windows1252, Separator: ';', DecimalComma: true},
			keys:   []string{"1", "2", "3"}, lines: []int{2, 3, 4},
			errs: []rowError{{5, "DE_Pays", "must be an ISO 3166-1 country code"}}},
		{file: "sage/F_ARTSTOCK.csv", kind: erp.KindStock,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"PMP-ACID-50|1", "PMP-ACID-50|2", "KIT-JOINT-50|1"}, lines: []int{2, 3, 4},
			errs: []rowError{{5, "AS_QteSto", "must be a whole number"}, {6, "AS_QteMaxi", "must be at least the minimum"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if l := *recs[0].Stock; l.OnHand != 12 || l.Reserved != 2 || l.Min != 5 || l.Max != 40 || l.SiteOrders != 0 {
					t.Errorf("level = %+v", l)
				}
				if recs[1].Stock.OnHand != -3 {
					t.Errorf("negative stock = %d, want -3", recs[1].Stock.OnHand)
				}
			}},
		{file: "sage/F_DEVISE.csv", kind: erp.KindExchangeRates,
			format: Format{Encoding: UTF8, Separator: ';', DecimalComma: true},
			keys:   []string{"2026-12-02|CHF", "2026-12-02|GBP", "2026-12-02|JPY"}, lines: []int{2, 3, 5},
			errs: []rowError{{4, "D_CodeISO", "must be an ISO 4217 currency code in use other than EUR"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if r := recs[2].Rate; !r.PerEUR.Equal(decimal.RequireFromString("161.63")) || !r.Date.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("rate = %+v, want 161.63 on the file's day", r)
				}
			}},

		{file: "comptoir/categories.jsonl", kind: erp.KindCategories, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"POMPES", "POMPES-CHIMIE"}, lines: []int{1, 2},
			errs: []rowError{{4, "id", "must be 1 to 64 printable characters without spaces, '#' or '/'"},
				{5, "name.xx", "names a language that is not an ISO 639 code"}, {6, "", "is not a JSON object"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				c := recs[1].Category
				if !c.Restricted || c.Names["de"] != "Chemiepumpen" || c.ParentID != "POMPES" {
					t.Errorf("category = %+v", c)
				}
			}},
		{file: "comptoir/products-full.jsonl", kind: erp.KindProducts, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"PMP-ACID-50", "KIT-JOINT-50"}, lines: []int{1, 2},
			errs: []rowError{{3, "basePrice", "must be an amount from 0 written with a decimal point"},
				{4, "basePrice", "must be an amount from 0"}, {5, "category", "is required"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				p := recs[0].Product
				if len(p.Links) != 2 || p.Links[1].Kind != catalog.Optional || !p.Links[1].Ratio.Equal(decimal.NewFromInt(2)) || p.Names["en"] == "" {
					t.Errorf("product = %+v", p)
				}
				if !recs[0].Stamp.Equal(time.Date(2026, 12, 1, 8, 15, 0, 0, time.UTC)) || !recs[1].Stamp.Equal(fileStamp) {
					t.Errorf("stamps %v %v: want the row's, then the file's", recs[0].Stamp, recs[1].Stamp)
				}
			}},
		{file: "comptoir/products.csv", kind: erp.KindProducts, format: Format{Encoding: UTF8, Separator: ','},
			keys: []string{"PMP-ACID-50"}, lines: []int{2},
			errs: []rowError{{3, "basePrice", "must be an amount from 0 written with a decimal point"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				p := recs[0].Product
				if p.Names["fr"] != "Pompe doseuse acide, 50 l/h" || p.Names["en"] != "Acid dosing pump" || !p.BasePrice.Equal(decimal.RequireFromString("1250.5")) {
					t.Errorf("product = %+v", p)
				}
			}},
		{file: "comptoir/customers.jsonl", kind: erp.KindCustomers, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"C0001", "P0001"}, lines: []int{1, 2}, errs: []rowError{{3, "kind", "must be pro or consumer"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if c := recs[0].Customer; c.VATNumber != "FR83404833048" || *c.Payment.Terms != payment.FortyFiveDaysEndOfMonth {
					t.Errorf("customer = %+v", c)
				}
				if c := recs[1].Customer; c.Kind != "consumer" || !c.Dormant {
					t.Errorf("consumer = %+v", c)
				}
			}},
		{file: "comptoir/reps.jsonl", kind: erp.KindReps, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"R01", "R02"}, lines: []int{1, 2}, errs: []rowError{{3, "customers", "each customer account"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if r := recs[0].Rep; !slices.Equal(r.Customers, []string{"C0001", "C0002", "C0003"}) {
					t.Errorf("portfolio = %v", r.Customers)
				}
			}},
		{file: "comptoir/price-categories.jsonl", kind: erp.KindPriceCategories, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"1", "2"}, lines: []int{1, 2}, errs: []rowError{{3, "name", "is required"}}},
		{file: "comptoir/prices.jsonl", kind: erp.KindPrices, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"price-category|1|PMP-ACID-50", "buying-group|ACHATPRO|PMP-ACID-50"}, lines: []int{1, 2},
			errs: []rowError{{3, "priceCategory", "exactly one of"}, {4, "validUntil", "must be on or after validFrom"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				v := recs[0].Price.Validity
				if !v.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !v.Until.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("validity = %+v", v)
				}
				if e := recs[1].Price; e.Currency != "CHF" || !e.Discount.Equal(decimal.NewFromInt(15)) {
					t.Errorf("buying group entry = %+v", e)
				}
			}},
		{file: "comptoir/quantity-breaks.jsonl", kind: erp.KindQuantityBreaks, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"price-category|2|PMP-ACID-50|10", "customer|C0001|PMP-ACID-50|5"}, lines: []int{1, 2},
			errs: []rowError{{3, "from", "is required"}}},
		{file: "comptoir/family-discounts.jsonl", kind: erp.KindFamilyDiscounts, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"C0001|ETANCH"}, lines: []int{1}, errs: []rowError{{2, "percent", "must be a percentage from 0 to 100"}}},
		{file: "comptoir/warehouses.jsonl", kind: erp.KindWarehouses, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"1", "JS1"}, lines: []int{1, 2}, errs: []rowError{{3, "id", "is required"}}},
		{file: "sage/F_DOCLIGNE.csv", kind: erp.KindAcknowledgements,
			format: Format{Encoding: Windows1252, Separator: ';', DecimalComma: true},
			keys:   []string{"20261202-K3M9Q2TX|PMP-ACID-50", "20261202-K3M9Q2TX|KIT-JOINT-50", "20261202-K3M9Q2TX|", "20261202-ANNULÉ|"},
			lines:  []int{2, 3, 5, 6},
			errs: []rowError{{7, "AR_Ref", "must be 1 to 64 printable characters"}, {8, "DL_QteBL", "must be a whole number"},
				{9, "invoiceDate", "is required with an invoice number"}, {10, "DO_Ref", "is required"}, {11, "status", "must be cancelled"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if a := recs[0].Ack; a.ERPNumber != "BC00042" || a.Shipped == nil || *a.Shipped != 2 || a.Ref != "PMP-ACID-50" {
					t.Errorf("line = %+v", a)
				}
				if a := recs[2].Ack; a.Invoice != "FA00077" || !a.InvoiceDate.Equal(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)) || a.Shipped != nil {
					t.Errorf("invoice = %+v", a)
				}
				if a := recs[3].Ack; a.Status != erp.AckCancelled {
					t.Errorf("status annulé = %q, want cancelled", a.Status)
				}
			}},
		{file: "comptoir/acknowledgements.jsonl", kind: erp.KindAcknowledgements, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"20261202-K3M9Q2TX|PMP-ACID-50", "20261202-K3M9Q2TX|"}, lines: []int{1, 2},
			errs: []rowError{{3, "shipped", "needs the line's article"}, {4, "paidOn", "must be a date"}},
			inspect: func(t *testing.T, recs []erp.Record) {
				if a := recs[1].Ack; !a.PaidOn.Equal(time.Date(2027, 2, 26, 0, 0, 0, 0, time.UTC)) || !recs[0].Ack.PaidOn.IsZero() {
					t.Errorf("paidOn = %v and %v", a.PaidOn, recs[0].Ack.PaidOn)
				}
			}},
		{file: "comptoir/stock.jsonl", kind: erp.KindStock, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"PMP-ACID-50|1", "PMP-ACID-50|2"}, lines: []int{1, 2}, errs: []rowError{{3, "onHand", "is required"}}},
		{file: "comptoir/exchange-rates.jsonl", kind: erp.KindExchangeRates, format: Format{Encoding: UTF8, JSONLines: true},
			keys: []string{"2026-12-01|CHF", "2026-12-01|USD"}, lines: []int{1, 2},
			errs: []rowError{{3, "currency", "must be an ISO 4217 currency code"}, {4, "perEur", "must be a rate above 0"}}},
	}
	covered := map[string]map[erp.Kind]bool{"sage": {}, "comptoir": {}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, bad, rd := readFixture(t, tt.file)
			covered[strings.Split(tt.file, "/")[0]][tt.kind] = true
			if rd.Kind() != tt.kind || rd.Format() != tt.format {
				t.Errorf("kind %s format %+v, want %s %+v", rd.Kind(), rd.Format(), tt.kind, tt.format)
			}
			var keys []string
			var lines []int
			for _, r := range recs {
				keys, lines = append(keys, r.Key), append(lines, r.Line)
				if r.Kind != tt.kind {
					t.Errorf("record of kind %s in a %s file", r.Kind, tt.kind)
				}
				if r.Stamp.IsZero() {
					t.Errorf("line %d: no stamp", r.Line)
				}
				if err := checkRecord(r); err != nil {
					t.Errorf("line %d: %v", r.Line, err)
				}
			}
			if !slices.Equal(keys, tt.keys) || !slices.Equal(lines, tt.lines) {
				t.Errorf("records %v at lines %v, want %v at %v", keys, lines, tt.keys, tt.lines)
			}
			if len(bad) != len(tt.errs) {
				t.Errorf("rejected rows %+v, want %d", bad, len(tt.errs))
			}
			for i := range min(len(bad), len(tt.errs)) {
				got, want := bad[i], tt.errs[i]
				if got.Line != want.line || got.Column != want.column || !strings.HasPrefix(got.Reason, want.reason) {
					t.Errorf("rejected row %+v, want line %d column %q reason %q...", got, want.line, want.column, want.reason)
				}
			}
			if tt.inspect != nil && len(recs) == len(tt.keys) {
				tt.inspect(t, recs)
			}
		})
	}
	for profile, kinds := range covered {
		for _, k := range erp.Kinds {
			if !kinds[k] {
				t.Errorf("no %s fixture for kind %s", profile, k)
			}
		}
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		name    string
		kind    erp.Kind
		profile Profile
		full    bool
		ok      bool
	}{
		{"F_ARTICLE.csv", erp.KindProducts, Sage100, false, true},
		{"f_article_full_20261201.CSV", erp.KindProducts, Sage100, true, true},
		{"F_ARTCLIENT_20261201.txt", erp.KindPrices, Sage100, false, true},
		{"F_ARTSTOCK.csv", erp.KindStock, Sage100, false, true},
		{"F_DOCLIGNE_20261203.csv", erp.KindAcknowledgements, Sage100, false, true},
		{"acknowledgements-20261203.jsonl", erp.KindAcknowledgements, Comptoir, false, true},
		{"F_COMPTET-complet.csv", erp.KindCustomers, Sage100, true, true},
		{"F_FAMILLE.csv", erp.KindCategories, Sage100, false, true},
		{"F_FAMCLIENT.csv", erp.KindFamilyDiscounts, Sage100, false, true},
		{"F_TARIFQTE.csv", erp.KindQuantityBreaks, Sage100, false, true},
		{"F_DEPOT.csv", erp.KindWarehouses, Sage100, false, true},
		{"F_COLLABORATEUR.csv", erp.KindReps, Sage100, false, true},
		{"P_CATTARIF.csv", erp.KindPriceCategories, Sage100, false, true},
		{"F_DEVISE.csv", erp.KindExchangeRates, Sage100, false, true},
		{"products-full-2026.csv", erp.KindProducts, Comptoir, true, true},
		{"products.jsonl", erp.KindProducts, Comptoir, false, true},
		{"Prices_2026-12-02.JSONL", erp.KindPrices, Comptoir, false, true},
		{"price-categories.csv", erp.KindPriceCategories, Comptoir, false, true},
		{"quantity-breaks.csv", erp.KindQuantityBreaks, Comptoir, false, true},
		{"family-discounts-full.jsonl", erp.KindFamilyDiscounts, Comptoir, true, true},
		{"stock.ndjson", erp.KindStock, Comptoir, false, true},
		{"exchange-rates.csv", erp.KindExchangeRates, Comptoir, false, true},
		{"sub/dir/customers.csv", erp.KindCustomers, Comptoir, false, true},
		{"productsX.csv", "", "", false, false},
		{"F_ARTICLES.csv", "", "", false, false},
		{"products.xlsx", "", "", false, false},
		{"readme.csv", "", "", false, false},
		{"fullproducts.csv", "", "", false, false},
		{"", "", "", false, false},
	}
	for _, tt := range tests {
		kind, p, full, ok := Route(tt.name)
		if kind != tt.kind || p != tt.profile || full != tt.full || ok != tt.ok {
			t.Errorf("Route(%q) = %s %s %v %v, want %s %s %v %v", tt.name, kind, p, full, ok, tt.kind, tt.profile, tt.full, tt.ok)
		}
	}
}

func TestBadHeader(t *testing.T) {
	tests := []struct {
		name, src string
		src2      Source
		missing   []string
	}{
		{name: "F_ARTICLE.csv", src: "AR_Ref;AR_Design;AR_PrixVen\r\nA;B;1\r\n", missing: []string{"FA_CodeFamille"}},
		{name: "F_ARTICLE.csv", src: "AR_Ref;FA_CodeFamille;AR_PrixVen\r\n", missing: []string{"AR_Design"}},
		{name: "F_ARTSTOCK.csv", src: "AR_Ref\r\n", missing: []string{"DE_No", "AS_QteSto"}},
		{name: "products.csv", src: "ref;name.fr;category;basePrice;ref\n", missing: []string{"column ref appears twice"}},
		{name: "F_DEPOT.csv", src: "\r\n\r\n", missing: []string{"the file is empty"}},
		{name: "F_DEPOT.csv", src: "", missing: []string{"the file is empty"}},
		{name: "F_DEPOT.csv", src: "DE_No;\"DE_Intitule\r\n", missing: []string{"extraneous or missing"}},
	}
	for _, tt := range tests {
		_, err := NewReader(strings.NewReader(tt.src), Source{Name: tt.name})
		if !errors.Is(err, ErrBadHeader) {
			t.Errorf("%s %q: err %v, want ErrBadHeader", tt.name, tt.src, err)
			continue
		}
		for _, m := range tt.missing {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %v does not name %s", tt.name, err, m)
			}
		}
	}
	if _, err := NewReader(strings.NewReader("a;b\n"), Source{Name: "notes.csv"}); !errors.Is(err, ErrUnknownFile) {
		t.Errorf("unknown name: err %v, want ErrUnknownFile", err)
	}
	// A declared kind and profile need no routing name.
	if _, err := NewReader(strings.NewReader("DE_No;DE_Intitule\n1;Lyon\n"), Source{Name: "export.dat", Kind: erp.KindWarehouses, Profile: Sage100}); err != nil {
		t.Errorf("declared kind: %v", err)
	}
}

func TestMappingRenamesColumns(t *testing.T) {
	src := "Code dépôt;Nom;Pays;Désignation NL\n7;Rotterdam;NL;x\n"
	recs, bad, _ := readAll(t, strings.NewReader(src), Source{Name: "F_DEPOT.csv", Stamp: fileStamp,
		Mapping: Mapping{"id": "code dépôt", "name": "NOM", "country": "Pays"}})
	if len(bad) != 0 || len(recs) != 1 || recs[0].Warehouse.ID != "7" || recs[0].Warehouse.Name != "Rotterdam" || recs[0].Warehouse.Country != "NL" {
		t.Fatalf("records %+v, rejects %+v", recs, bad)
	}
	// Names in more languages, through the mapping or "name.<lang>" columns.
	src = "AR_Ref;AR_Design;Désignation NL;name.EN;FA_CodeFamille;AR_PrixVen\nP1;Pompe;Pomp;Pump;POMPES;10,5\n"
	recs, bad, _ = readAll(t, strings.NewReader(src), Source{Name: "F_ARTICLE.csv", Stamp: fileStamp, Mapping: Mapping{"name.nl": "Désignation NL"}})
	if len(bad) != 0 || len(recs) != 1 {
		t.Fatalf("records %+v, rejects %+v", recs, bad)
	}
	if n := recs[0].Product.Names; n["fr"] != "Pompe" || n["nl"] != "Pomp" || n["en"] != "Pump" {
		t.Errorf("names = %v", n)
	}
}

func TestFormatDetectionAndDeclaration(t *testing.T) {
	const rows = "AR_Ref;DE_No;AS_QteSto;AS_QteMini\r\nP1;1;12,000;2\r\n"
	// UTF-8 with a BOM: the BOM is not part of the first column's name.
	recs, _, rd := readAll(t, strings.NewReader("\uFEFF"+rows), Source{Name: "F_ARTSTOCK.csv", Stamp: fileStamp})
	if len(recs) != 1 || rd.Format() != (Format{Encoding: UTF8, Separator: ';', DecimalComma: true}) {
		t.Errorf("BOM file: %d records, format %+v", len(recs), rd.Format())
	}
	// A declared separator and decimal comma win over detection.
	src := "AR_Ref|DE_No|AS_QteSto\nP1|1|3,0\n"
	recs, bad, rd := readAll(t, strings.NewReader(src), Source{Name: "F_ARTSTOCK.csv", Stamp: fileStamp, Format: Format{Separator: '|', DecimalComma: true}})
	if len(recs) != 1 || len(bad) != 0 || recs[0].Stock.OnHand != 3 || rd.Format().Separator != '|' {
		t.Errorf("declared format: %+v %+v", recs, bad)
	}
	// A file that starts as plain ASCII and holds a Windows-1252 byte
	// beyond the sample: the row is reported, not mangled; declaring the
	// encoding reads it.
	var b strings.Builder
	b.WriteString("DE_No;DE_Intitule\n")
	for i := 0; b.Len() < sniffBytes+100; i++ {
		fmt.Fprintf(&b, "W%d;Depot %d\n", i, i)
	}
	b.WriteString("LAST;D\xe9p\xf4t\n")
	_, bad, rd = readAll(t, strings.NewReader(b.String()), Source{Name: "F_DEPOT.csv", Stamp: fileStamp})
	if rd.Format().Encoding != UTF8 || len(bad) != 1 || !strings.Contains(bad[0].Reason, "not valid UTF-8") {
		t.Errorf("late Windows-1252 byte: encoding %s, rejects %+v", rd.Format().Encoding, bad)
	}
	recs, bad, _ = readAll(t, strings.NewReader(b.String()), Source{Name: "F_DEPOT.csv", Stamp: fileStamp, Format: Format{Encoding: "windows-1252"}})
	if len(bad) != 0 || recs[len(recs)-1].Warehouse.Name != "Dépôt" {
		t.Errorf("declared Windows-1252: last %+v, rejects %+v", recs[len(recs)-1].Warehouse, bad)
	}
	// A comma-separated file with decimal points.
	recs, bad, rd = readAll(t, strings.NewReader("ref,warehouse,onHand,min\nP1,1,4.000,1\n"), Source{Name: "stock.csv", Stamp: fileStamp})
	if len(recs) != 1 || len(bad) != 0 || rd.Format() != (Format{Encoding: UTF8, Separator: ','}) {
		t.Errorf("comma file: %+v %+v %+v", recs, bad, rd.Format())
	}
}

func TestRowsAndLines(t *testing.T) {
	// Extra non-empty fields are refused, trailing empty ones accepted; a
	// row with fewer fields has its missing values empty.
	src := "DE_No;DE_Intitule;DE_Pays\n1;Lyon;FR;\n2;Lille;FR;surplus\n3;Metz\n;;;\n   \n4\n"
	recs, bad, _ := readAll(t, strings.NewReader(src), Source{Name: "F_DEPOT.csv", Stamp: fileStamp})
	if len(recs) != 2 || recs[0].Line != 2 || recs[1].Line != 4 || recs[1].Warehouse.Country != "" {
		t.Errorf("records %+v", recs)
	}
	if len(bad) != 2 || bad[0].Line != 3 || !strings.Contains(bad[0].Reason, "has 4 fields, the header has 3") ||
		bad[1].Line != 7 || bad[1].Column != "DE_Intitule" {
		t.Errorf("rejects %+v", bad)
	}
	// An unclosed quote makes the rest of the file one field: past
	// maxRowBytes the stream is unreadable rather than held whole.
	big := "DE_No;DE_Intitule\n1;\"" + strings.Repeat("x", 2*maxRowBytes) + "\n"
	rd, err := NewReader(strings.NewReader(big), Source{Name: "F_DEPOT.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rd.Next(); err == nil || err == io.EOF || !errors.Is(err, ErrRowTooLong) {
		t.Errorf("huge row: err %v, want ErrRowTooLong", err)
	}
	// A JSON Lines file with an overlong line reports it and goes on.
	jl := `{"id":"1","name":"A"}` + "\n" + `{"id":"2","name":"` + strings.Repeat("x", maxRowBytes) + `"}` + "\n" + `{"id":"3","name":"C"}`
	recs, bad, _ = readAll(t, strings.NewReader(jl), Source{Name: "warehouses.jsonl", Stamp: fileStamp})
	if len(recs) != 2 || recs[1].Line != 3 || len(bad) != 1 || bad[0].Line != 2 {
		t.Errorf("long JSON line: records %+v rejects %+v", recs, bad)
	}
}

func TestValues(t *testing.T) {
	l := layout{at: map[string]int{"v": 0}, header: map[string]string{"v": "V"}}
	tests := []struct {
		in    string
		comma bool
		read  func(r *row) string
		want  string // "" with a fault
	}{
		{"12,50", true, amountOf, "12.5"},
		{"12,500000", true, amountOf, "12.5"},
		{"1250,000000", true, amountOf, "1250"},
		{"12.50", true, amountOf, ""},
		{"1.234,50", true, amountOf, ""},
		{"1 234,50", true, amountOf, ""},
		{"12.50", false, amountOf, "12.5"},
		{"12,50", false, amountOf, ""},
		{"-1", false, amountOf, ""},
		{"1e3", false, amountOf, ""},
		{"0,12345", true, amountOf, ""},
		{"0,12340", true, amountOf, "0.1234"},
		{"10 %", true, percentOf, "10"},
		{"100,01", true, percentOf, ""},
		{"2026-12-02 14:05:00", true, timeOf, "2026-12-02T13:05:00Z"},
		{"2026-12-02 14:05:00.123", true, timeOf, "2026-12-02T13:05:00.123Z"},
		{"02/12/2026", true, timeOf, "2026-12-01T23:00:00Z"},
		{"02/07/2026 14:05:00", true, timeOf, "2026-07-02T12:05:00Z"},
		{"2026-12-02T14:05:00+02:00", true, timeOf, "2026-12-02T12:05:00Z"},
		{"2026-13-02", true, timeOf, ""},
		{"oui", true, flagOf, "true"},
		{"0", true, flagOf, "false"},
		{"peut-être", true, flagOf, ""},
		{"Pays-Bas", true, countryOf, "NL"},
		{"be", true, countryOf, "BE"},
		{"UK", true, countryOf, ""},
	}
	for _, tt := range tests {
		r := &row{line: 2, vals: []string{tt.in}, l: &l, comma: tt.comma}
		got := tt.read(r)
		if r.err != nil {
			got = ""
		}
		if got != tt.want {
			t.Errorf("%q (comma %v): got %q (fault %v), want %q", tt.in, tt.comma, got, r.err, tt.want)
		}
	}
}

func amountOf(r *row) string  { return r.amount("v", true).String() }
func percentOf(r *row) string { return r.percent("v", true).String() }
func timeOf(r *row) string    { return r.when("v").UTC().Format(time.RFC3339Nano) }
func flagOf(r *row) string    { return fmt.Sprint(r.flag("v")) }
func countryOf(r *row) string { return r.country("v", true) }
