package demo

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/vat"
)

// SageExportedAt is when Hydrotech's Sage 100 wrote the demo's files: the
// modification stamp (cbModification, Paris time) of every row.
const SageExportedAt = "2026-12-01 06:00:00"

// SageFile is one file of Hydrotech's ERP export, as Sage 100 writes it:
// Windows-1252, ';' between columns, decimal commas, CRLF line ends.
type SageFile struct {
	// Name is the file's name in the merchant's inbox; its Sage table name
	// tells its kind (F_ARTICLE_demo.csv: products).
	Name string
	// Body is the file's bytes.
	Body []byte
}

// SageFiles are the files Hydrotech's ERP drops for the part of the demo
// the ERP owns, in the order they must be applied (a product's category
// before the product, a price's product before the price, a price before
// its quantity breaks): categories and families, price categories,
// warehouses, reps and their portfolios, customers, products, prices per
// price category, buying group and customer, their quantity breaks, and
// stock per warehouse. They are written from Build, so that they always
// hold the demo's data.
//
// What the files cannot carry stays a direct load (see LoadBesideERP): the
// site's own fields of the products (descriptions, attributes, images,
// professionals only, backorders) and of the customers (VAT checks,
// payment methods, preferred warehouse), and the delivery addresses of a
// customer, which the customers file has no column for.
func SageFiles() ([]SageFile, error) {
	d := Build()
	files := []struct {
		name string
		rows [][]string
	}{
		{"F_FAMILLE_demo.csv", sageCategories(d)},
		{"P_CATTARIF_demo.csv", sagePriceCategories(d)},
		{"F_DEPOT_demo.csv", sageWarehouses(d)},
		{"F_COLLABORATEUR_demo.csv", sageReps(d)},
		{"F_COMPTET_demo.csv", sageCustomers(d)},
		{"F_ARTICLE_demo.csv", sageProducts(d)},
		{"F_ARTCLIENT_demo.csv", sagePrices(d)},
		{"F_TARIFQTE_demo.csv", sageBreaks(d)},
		{"F_ARTSTOCK_demo.csv", sageStock(d)},
	}
	out := make([]SageFile, 0, len(files))
	for _, f := range files {
		body, err := sageCSV(f.rows)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", f.name, err)
		}
		out = append(out, SageFile{Name: f.name, Body: body})
	}
	return out, nil
}

// sageCSV writes rows as Sage 100 exports them, in Windows-1252.
func sageCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(charmap.Windows1252.NewEncoder().Writer(&buf))
	w.Comma, w.UseCRLF = ';', true
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// comma writes a decimal with a decimal comma, as Sage does ("1890,00").
func comma(d decimal.Decimal, places int32) string {
	return strings.Replace(d.StringFixed(places), ".", ",", 1)
}

// flag writes a Sage boolean.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sageCategories(d Data) [][]string {
	rows := [][]string{{"FA_CodeFamille", "FA_Intitule", "name.en", "FA_Central", "position", "restricted", "cbModification"}}
	for _, c := range d.Categories[Hydro] {
		rows = append(rows, []string{c.ID, c.Names["fr"], c.Names["en"], c.ParentID, strconv.Itoa(c.Position), flag(c.Restricted), SageExportedAt})
	}
	return rows
}

func sagePriceCategories(d Data) [][]string {
	rows := [][]string{{"cbIndice", "CT_Intitule", "cbModification"}}
	for _, pc := range d.PriceCats {
		rows = append(rows, []string{pc.ID, pc.Name, SageExportedAt})
	}
	return rows
}

func sageWarehouses(d Data) [][]string {
	rows := [][]string{{"DE_No", "DE_Intitule", "DE_Pays", "cbModification"}}
	for _, w := range d.Warehouses {
		rows = append(rows, []string{w.ID, w.Name, w.Country, SageExportedAt})
	}
	return rows
}

// sageReps splits each rep's name into first name and name (Sage's
// CO_Prenom and CO_Nom) and lists the portfolio.
func sageReps(d Data) [][]string {
	rows := [][]string{{"CO_No", "CO_Prenom", "CO_Nom", "customers", "cbModification"}}
	for _, r := range d.Reps {
		first, last, _ := strings.Cut(r.Name, " ")
		rows = append(rows, []string{r.ID, first, last, strings.Join(r.Customers, "|"), SageExportedAt})
	}
	return rows
}

// SageCustomers are the customers of the customers file: every one of
// Hydrotech's but those whose VAT number fails its check digits (the
// ERP import refuses such a row; the demo keeps one, C0011, to show how
// tax treats it, and loads it directly).
func SageCustomers(d Data) []customer.Customer {
	var out []customer.Customer
	for _, c := range d.Customers {
		if c.VATNumber == "" || vat.WellFormed(c.VATNumber) {
			out = append(out, c)
		}
	}
	return out
}

func sageCustomers(d Data) [][]string {
	rows := [][]string{{"CT_Num", "CT_Type", "CT_Intitule", "CT_Pays", "CT_Identifiant", "N_CatTarif", "CT_NumCentrale",
		"CT_Encours", "CT_Sommeil", "CT_Adresse", "CT_CodePostal", "CT_Ville", "kind", "language", "paymentTerms", "cbModification"}}
	for _, c := range SageCustomers(d) {
		cat := c.PriceCategory
		if cat == "" {
			cat = "0"
		}
		terms := ""
		if c.Payment.Terms != nil {
			terms = c.Payment.Terms.String()
		}
		rows = append(rows, []string{c.ID, "0", c.Name, c.Country, c.VATNumber, cat, c.BuyingGroup,
			comma(c.CreditLimit, 2), flag(c.Dormant), c.Address.Line1, c.Address.PostalCode, c.Address.City,
			string(c.Kind), c.Language, terms, SageExportedAt})
	}
	return rows
}

func sageProducts(d Data) [][]string {
	rows := [][]string{{"AR_Ref", "AR_Design", "name.en", "FA_CodeFamille", "AR_PrixVen", "AR_Sommeil", "AR_CodeBarre",
		"currency", "taxCategory", "packagings", "minOrderQty", "orderMultiple", "noDiscount", "links", "cbModification"}}
	for _, p := range d.Products[Hydro] {
		packs := make([]string, len(p.Packagings))
		for i, pk := range p.Packagings {
			packs[i] = string(pk.Kind)
			if pk.Kind != catalog.Unit {
				packs[i] += ":" + strconv.Itoa(pk.Units)
			}
		}
		links := make([]string, len(p.Links))
		for i, l := range p.Links {
			links[i] = l.Ref + ":" + string(l.Kind) + ":" + strings.Replace(l.Ratio.String(), ".", ",", 1)
		}
		rows = append(rows, []string{p.Ref, p.Names["fr"], p.Names["en"], p.CategoryID, comma(p.BasePrice, 2), flag(p.Inactive), p.EAN,
			p.Currency, p.TaxCategory, strings.Join(packs, "|"), strconv.Itoa(p.MinOrderQty), strconv.Itoa(p.OrderMultiple),
			flag(p.NoDiscount), strings.Join(links, "|"), SageExportedAt})
	}
	return rows
}

// sageEntries are every price entry of Hydrotech: those of the price
// categories and the buying group (in the products' tariffs), then the
// customers' own.
func sageEntries(d Data) []tariff.Entry {
	var out []tariff.Entry
	for _, p := range d.Products[Hydro] {
		out = append(out, p.Tariffs...)
	}
	return append(out, d.CustomerPrices...)
}

// sageScope writes whose price an entry is: AC_Categorie, CT_Num or the
// buying group.
func sageScope(e tariff.Entry) (cat, cust, group string) {
	switch e.Scope {
	case tariff.PriceCategory:
		return e.ScopeID, "", ""
	case tariff.Customer:
		return "0", e.ScopeID, ""
	}
	return "0", "", e.ScopeID
}

func sagePrices(d Data) [][]string {
	rows := [][]string{{"AR_Ref", "AC_Categorie", "CT_Num", "buyingGroup", "AC_PrixVen", "AC_Remise", "AC_QteMont", "currency", "cbModification"}}
	for _, e := range sageEntries(d) {
		cat, cust, group := sageScope(e)
		rows = append(rows, []string{e.Ref, cat, cust, group, comma(e.Price, 2), comma(e.Discount, 2), itoa(int64(e.Mode)), e.Currency, SageExportedAt})
	}
	return rows
}

// sageBreaks writes each entry's quantity breaks: a net price
// (TQ_PrixNet) for a price by quantity, a discount otherwise.
func sageBreaks(d Data) [][]string {
	rows := [][]string{{"AR_Ref", "AC_Categorie", "CT_Num", "buyingGroup", "from", "TQ_Remise01REM_Valeur", "TQ_PrixNet", "cbModification"}}
	for _, e := range sageEntries(d) {
		cat, cust, group := sageScope(e)
		for _, b := range e.Breaks {
			value, net := comma(b.Value, 2), "0,00"
			if e.Mode == tariff.NetByQuantity {
				value, net = "0,00", comma(b.Value, 2)
			}
			rows = append(rows, []string{e.Ref, cat, cust, group, comma(b.From, 2), value, net, SageExportedAt})
		}
	}
	return rows
}

func sageStock(d Data) [][]string {
	rows := [][]string{{"AR_Ref", "DE_No", "AS_QteSto", "AS_QteRes", "AS_QteMini", "AS_QteMaxi", "cbModification"}}
	for _, l := range d.StockLevels {
		rows = append(rows, []string{l.Ref, l.Warehouse, itoa(l.OnHand), itoa(l.Reserved), itoa(l.Min), itoa(l.Max), SageExportedAt})
	}
	return rows
}
