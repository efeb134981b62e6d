package erpfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/vat"
)

// Bounds of a product, as the back office sets them.
const (
	maxPackagings = 10
	maxLinks      = 50
)

// defaultCurrency is the currency of prices in files that name none: Sage
// 100 keeps prices in the company's currency, the euro in France.
const defaultCurrency = "EUR"

// taxCategory is the form of a tax category (as the back office checks it).
var taxCategory = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// names reads the names per language of a category or a product: at least
// one, each plain text of at most maxTextLen characters, in a known
// language (catalog.KnownLanguage).
func (r *row) names() map[string]string {
	out := make(map[string]string, len(r.l.names))
	for _, f := range r.l.names {
		lang := strings.TrimPrefix(f, namePrefix)
		v := r.text(f)
		if v == "" {
			continue
		}
		if !catalog.KnownLanguage(lang) {
			r.fail(f, "names a language that is not an ISO 639 code such as fr or en")
			continue
		}
		out[lang] = r.label(f, false)
	}
	if len(out) == 0 && len(r.l.names) > 0 {
		r.fail(r.l.names[0], "is required: a name in at least one language")
	}
	return out
}

// currency reads an ISO 4217 currency in use, EUR when empty.
func (r *row) currency(field string) string {
	v := strings.ToUpper(r.text(field))
	if v == "" {
		return defaultCurrency
	}
	if !money.ValidCurrency(v) {
		r.fail(field, "must be an ISO 4217 currency code in use, such as EUR")
	}
	return v
}

func buildCategory(r *row) erp.Record {
	c := catalog.Category{ID: r.id("id", true), ParentID: r.id("parent", false), Names: r.names(),
		Position: int(r.whole("position", 0, catalog.MaxPosition, 0)), Restricted: r.flag("restricted")}
	if c.ParentID == c.ID && c.ID != "" {
		r.fail("parent", "a category cannot be its own parent")
	}
	return erp.Record{Kind: erp.KindCategories, Key: c.ID, Category: &c}
}

func buildProduct(r *row) erp.Record {
	p := catalog.Product{Ref: r.ref("ref", true), Names: r.names(), CategoryID: r.id("category", true),
		BasePrice: r.amount("basePrice", true), Currency: r.currency("currency"), Inactive: r.flag("inactive"),
		EAN: r.text("ean"), TaxCategory: r.text("taxCategory"), NoDiscount: r.flag("noDiscount")}
	if p.EAN != "" && !catalog.ValidEAN13(p.EAN) {
		r.fail("ean", "must be 13 digits with a valid check digit, or empty")
	}
	// A tax category left empty is "": the stored product's is kept
	// (catalog.MergeERP), a new product's is standard.
	if p.TaxCategory != "" && !taxCategory.MatchString(p.TaxCategory) {
		r.fail("taxCategory", "must be lowercase letters, digits and '-', such as standard")
	}
	// Packagings and quantities left empty are 0: the stored product's are
	// kept (catalog.MergeERP), a new product sells by unit from 1.
	p.MinOrderQty = int(r.whole("minOrderQty", 1, catalog.MaxUnits, 0))
	p.OrderMultiple = int(r.whole("orderMultiple", 1, catalog.MaxUnits, 0))
	p.Packagings = r.packagings("packagings")
	p.Links = r.links("links", p.Ref)
	return erp.Record{Kind: erp.KindProducts, Key: p.Ref, Product: &p}
}

// packagings reads "unit|lot:12|pallet:480": how the product is sold.
// Empty: none given (the stored ones are kept).
func (r *row) packagings(field string) []catalog.Packaging {
	items := r.list(field)
	if len(items) == 0 {
		return nil
	}
	if len(items) > maxPackagings {
		r.fail(field, fmt.Sprintf("at most %d packagings", maxPackagings))
		return nil
	}
	out := make([]catalog.Packaging, 0, len(items))
	for _, it := range items {
		kind, units, _ := strings.Cut(it, ":")
		p := catalog.Packaging{Kind: catalog.PackagingKind(strings.ToLower(strings.TrimSpace(kind))), Units: 1}
		if u := strings.TrimSpace(units); u != "" {
			n, err := strconv.Atoi(u)
			if err != nil {
				n = -1
			}
			p.Units = n
		}
		switch {
		case p.Kind != catalog.Unit && p.Kind != catalog.Lot && p.Kind != catalog.Pallet:
			r.fail(field, "each packaging is unit, lot:<units> or pallet:<units>, separated by '|'")
		case !catalog.ValidQuantity(p.Units):
			r.fail(field, fmt.Sprintf("a packaging holds 1 to %d units", catalog.MaxUnits))
		case p.Kind == catalog.Unit && p.Units != 1:
			r.fail(field, "a unit packaging holds 1 unit")
		case containsPackaging(out, p):
			r.fail(field, "a packaging is listed twice")
		}
		out = append(out, p)
	}
	return out
}

func containsPackaging(ps []catalog.Packaging, p catalog.Packaging) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// links reads "REF:mandatory:1|REF2:optional:2": the linked articles with
// their kind and ratio (1 when left out).
func (r *row) links(field, self string) []catalog.LinkedArticle {
	items := r.list(field)
	if len(items) == 0 {
		return nil
	}
	if len(items) > maxLinks {
		r.fail(field, fmt.Sprintf("at most %d linked articles", maxLinks))
		return nil
	}
	out := make([]catalog.LinkedArticle, 0, len(items))
	for _, it := range items {
		parts := strings.Split(it, ":")
		l := catalog.LinkedArticle{Ref: strings.TrimSpace(parts[0]), Ratio: decimal.NewFromInt(1)}
		if len(parts) > 1 {
			l.Kind = catalog.LinkKind(strings.ToLower(strings.TrimSpace(parts[1])))
		}
		ratioOK := true
		if len(parts) > 2 {
			p, ok := r.plain(strings.TrimSpace(parts[2]))
			d, err := money.ParseAmount(p)
			ratioOK = ok && err == nil && d.IsPositive()
			l.Ratio = d
		}
		switch {
		case len(parts) > 3:
			r.fail(field, "each linked article is <ref>:<mandatory|optional>[:<ratio>], separated by '|'")
		case !catalog.ValidRef(l.Ref):
			r.fail(field, "a linked article's reference must be 1 to 64 printable characters without spaces or '#'")
		case l.Ref == self:
			r.fail(field, "a product cannot be linked to itself")
		case l.Kind != catalog.Mandatory && l.Kind != catalog.Optional:
			r.fail(field, "a linked article is mandatory or optional")
		case !ratioOK:
			r.fail(field, "a linked article's ratio is a decimal above 0 with at most 4 decimals")
		}
		for _, o := range out {
			if o.Ref == l.Ref {
				r.fail(field, "an article is linked twice")
			}
		}
		out = append(out, l)
	}
	return out
}

func buildCustomer(r *row) erp.Record {
	c := customer.Customer{ID: r.ref("id", true), Name: r.label("name", true), Country: r.country("country", true),
		PriceCategory: r.id("priceCategory", false), BuyingGroup: r.id("buyingGroup", false),
		CreditLimit: r.amount("creditLimit", false), Rep: r.id("rep", false), Dormant: r.flag("dormant")}
	switch t := r.text("type"); t {
	case "", "0":
	case "1", "2", "3":
		// Sage's F_COMPTET also holds suppliers (1), employees (2) and
		// other accounts (3).
		r.fail("type", "is not a customer account (0): 1 is a supplier, 2 an employee, 3 another account")
	default:
		r.fail("type", "must be 0, a customer account")
	}
	if c.PriceCategory == "0" {
		// Sage writes 0 for "no price category".
		c.PriceCategory = ""
	}
	if v := r.text("vatNumber"); v != "" {
		c.VATNumber = vat.Normalize(v)
		if !vat.WellFormed(c.VATNumber) {
			r.fail("vatNumber", "must be an EU VAT number: the country prefix and its national format (FR + key + SIREN)")
		}
	}
	switch k := strings.ToLower(r.text("kind")); k {
	case "", string(customer.Pro):
		c.Kind = customer.Pro
	case string(customer.Consumer):
		c.Kind = customer.Consumer
	default:
		r.fail("kind", "must be pro or consumer")
	}
	if lang := strings.ToLower(r.text("language")); lang != "" {
		if !catalog.KnownLanguage(lang) {
			r.fail("language", "must be an ISO 639 language code such as fr")
		}
		c.Language = lang
	}
	c.Address = customer.Address{Line1: r.label("address", false), PostalCode: r.label("postalCode", false),
		City: r.label("city", false), Country: c.Country}
	if t := r.text("paymentTerms"); t != "" {
		terms, err := payment.ParseTerms(t)
		if err != nil {
			r.fail("paymentTerms", "must be payment terms such as 30-eom, 60-net or 30-after-delivery, within the legal maximum")
		} else {
			c.Payment.Terms = &terms
		}
	}
	return erp.Record{Kind: erp.KindCustomers, Key: c.ID, Customer: &c}
}

func buildRep(r *row) erp.Record {
	rep := customer.Rep{ID: r.id("id", true), Name: r.label("name", true)}
	if first := r.label("firstName", false); first != "" {
		rep.Name = first + " " + rep.Name
		if !plainLabel(rep.Name) {
			r.fail("name", fmt.Sprintf("the first name and name together are more than %d characters", maxTextLen))
		}
	}
	if r.has("customers") {
		rep.Customers = []string{}
		for _, c := range r.list("customers") {
			if !catalog.ValidRef(c) {
				r.fail("customers", "each customer account is 1 to 64 printable characters without spaces or '#', separated by '|'")
				break
			}
			rep.Customers = append(rep.Customers, c)
		}
	}
	return erp.Record{Kind: erp.KindReps, Key: rep.ID, Rep: &rep}
}

func buildPriceCategory(r *row) erp.Record {
	pc := customer.PriceCategory{ID: r.id("id", true), Name: r.label("name", true)}
	return erp.Record{Kind: erp.KindPriceCategories, Key: pc.ID, PriceCategory: &pc}
}

// scope reads whose price a row is: exactly one of a price category (Sage
// AC_Categorie, where 0 means none), a customer (CT_Num) or a buying
// group.
func (r *row) scope() (tariff.Scope, string) {
	cat, cust, group := r.id("priceCategory", false), r.ref("customer", false), r.id("buyingGroup", false)
	if cat == "0" {
		cat = ""
	}
	n := 0
	for _, v := range []string{cat, cust, group} {
		if v != "" {
			n++
		}
	}
	switch {
	case n != 1:
		field := "customer"
		if r.has("priceCategory") {
			field = "priceCategory"
		}
		r.fail(field, fmt.Sprintf("exactly one of %s, %s or %s must be given", r.l.header["priceCategory"], r.l.header["customer"], r.l.header["buyingGroup"]))
		return "", ""
	case cat != "":
		return tariff.PriceCategory, cat
	case cust != "":
		return tariff.Customer, cust
	}
	return tariff.BuyingGroup, group
}

func buildPrice(r *row) erp.Record {
	e := tariff.Entry{Ref: r.ref("ref", true)}
	e.Scope, e.ScopeID = r.scope()
	e.Price = r.amount("price", true)
	e.Discount = r.percent("discount", false)
	e.Mode = tariff.Mode(r.whole("mode", 0, 3, 0))
	e.Currency = r.currency("currency")
	e.Validity = tariff.Validity{From: r.day("validFrom"), Until: r.day("validUntil")}
	if !e.Validity.From.IsZero() && !e.Validity.Until.IsZero() && e.Validity.Until.Before(e.Validity.From) {
		r.fail("validUntil", "must be on or after "+r.l.header["validFrom"])
	}
	return erp.Record{Kind: erp.KindPrices, Key: string(e.Scope) + "|" + e.ScopeID + "|" + e.Ref, Price: &e}
}

func buildQuantityBreak(r *row) erp.Record {
	q := erp.QuantityBreak{Ref: r.ref("ref", true)}
	q.Scope, q.ScopeID = r.scope()
	q.Break.From = r.amount("from", true)
	// A break gives a net price (Sage TQ_PrixNet) or a discount
	// (TQ_Remise01REM_Valeur), as the price's mode says.
	if r.text("netPrice") != "" && !r.amount("netPrice", false).IsZero() {
		q.Break.Value = r.amount("netPrice", false)
	} else if r.text("value") != "" {
		q.Break.Value = r.amount("value", false)
	} else {
		r.fail("value", fmt.Sprintf("is required: a discount percentage, or a net price in %s", r.l.header["netPrice"]))
	}
	return erp.Record{Kind: erp.KindQuantityBreaks, Key: string(q.Scope) + "|" + q.ScopeID + "|" + q.Ref + "|" + q.Break.From.String(), QuantityBreak: &q}
}

func buildFamilyDiscount(r *row) erp.Record {
	d := erp.FamilyDiscount{Customer: r.ref("customer", true), Family: r.id("family", true), Percent: r.percent("percent", true)}
	if r.err == nil {
		// The rule the discount becomes must be one the pricing engine
		// stores (its id is made of the customer and the family).
		for _, p := range erp.FamilyDiscountRule(d).Validate() {
			field := "customer"
			if strings.HasPrefix(p.Field, "target") {
				field = "family"
			} else if p.Field == "percent" {
				field = "percent"
			}
			r.fail(field, "makes a discount rule that cannot be stored: "+p.Field+": "+p.Reason)
		}
	}
	return erp.Record{Kind: erp.KindFamilyDiscounts, Key: d.Customer + "|" + d.Family, FamilyDiscount: &d}
}

func buildWarehouse(r *row) erp.Record {
	w := stock.Warehouse{ID: r.id("id", true), Name: r.label("name", true), Country: r.country("country", false)}
	return erp.Record{Kind: erp.KindWarehouses, Key: w.ID, Warehouse: &w}
}

func buildStock(r *row) erp.Record {
	l := stock.Level{Ref: r.ref("ref", true), Warehouse: r.id("warehouse", true)}
	if r.required("onHand") != "" {
		// Sage allows negative stock (goods shipped before being booked in).
		l.OnHand = r.whole("onHand", -maxQuantity, maxQuantity, 0)
	}
	l.Reserved = r.whole("reserved", 0, maxQuantity, 0)
	l.Min = r.whole("min", 0, maxQuantity, 0)
	l.Max = r.whole("max", 0, maxQuantity, 0)
	if l.Max > 0 && l.Min > l.Max {
		r.fail("max", "must be at least the minimum, or 0 for none")
	}
	return erp.Record{Kind: erp.KindStock, Key: l.Ref + "|" + l.Warehouse, Stock: &l}
}

func buildRate(r *row) erp.Record {
	x := erp.ExchangeRate{Currency: strings.ToUpper(r.required("currency")), Date: r.day("date")}
	if x.Currency != "" && (!money.ValidCurrency(x.Currency) || x.Currency == fx.EUR) {
		r.fail("currency", "must be an ISO 4217 currency code in use other than EUR (rates are units per euro)")
	}
	if v := r.required("perEur"); v != "" {
		p, ok := r.plain(v)
		ints, decs, plain := money.PlainDecimal(p)
		if ok && plain && ints <= fx.MaxRateIntegerDigits && decs <= fx.MaxRateDecimals {
			x.PerEUR = decimal.RequireFromString(p)
		}
		if !x.PerEUR.IsPositive() {
			r.fail("perEur", fmt.Sprintf("must be a rate above 0 written with %s, at most %d digits before the mark and %d after it",
				r.mark(), fx.MaxRateIntegerDigits, fx.MaxRateDecimals))
		}
	}
	if x.Date.IsZero() {
		// Filled by the reader with the day of the row's stamp.
		return erp.Record{Kind: erp.KindExchangeRates, Rate: &x}
	}
	return erp.Record{Kind: erp.KindExchangeRates, Key: x.Date.Format("2006-01-02") + "|" + x.Currency, Rate: &x}
}

// maxDocumentNumber bounds the ERP's order and invoice numbers (Sage
// DO_Piece is 13 characters; other ERPs write longer ones).
const maxDocumentNumber = 64

// buildAck reads an acknowledgement row: the Comptoir order number the
// ERP kept (DO_Ref), its own number (DO_Piece), the line's article and
// its units shipped so far (DL_QteBL), the invoice and its date, a
// status ("cancelled", or empty) and the day the order was paid.
func buildAck(r *row) erp.Record {
	a := erp.Acknowledgement{Order: r.id("order", true), ERPNumber: r.document("erpNumber"), Ref: r.ref("ref", false),
		Invoice: r.document("invoice"), InvoiceDate: r.day("invoiceDate"), PaidOn: r.day("paidOn")}
	if r.text("shipped") != "" {
		if a.Ref == "" && r.err == nil {
			r.fail("shipped", "needs the line's article in "+r.l.header["ref"])
		}
		n := r.whole("shipped", 0, maxQuantity, 0)
		a.Shipped = &n
	}
	if a.Invoice != "" && a.InvoiceDate.IsZero() && r.err == nil {
		r.fail("invoiceDate", "is required with an invoice number")
	}
	switch s := strings.ToLower(r.text("status")); s {
	case "":
	case erp.AckCancelled, "annulé", "annule":
		a.Status = erp.AckCancelled
	default:
		r.fail("status", "must be cancelled, or empty")
	}
	return erp.Record{Kind: erp.KindAcknowledgements, Key: a.Order + "|" + a.Ref, Ack: &a}
}

// document reads an ERP document number (an order or invoice number):
// printable, without spaces, at most maxDocumentNumber bytes.
func (r *row) document(field string) string {
	v := r.text(field)
	if v != "" && (len(v) > maxDocumentNumber || !catalog.ValidRef(v)) {
		r.fail(field, fmt.Sprintf("must be 1 to %d printable characters without spaces or '#'", maxDocumentNumber))
	}
	return v
}
