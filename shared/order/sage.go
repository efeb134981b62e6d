package order

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// Record codes of a Sage 100 document import file: the first cell of each
// row says which layout the row follows.
const (
	// SageDocumentRecord starts the document's row (F_DOCENTETE).
	SageDocumentRecord = "E"
	// SageLineRecord starts each of its lines (F_DOCLIGNE).
	SageLineRecord = "L"
)

// SageCustomerOrder is DO_Type of a customer order ("bon de commande" of
// the sales documents) in Sage 100.
const SageCustomerOrder = "1"

// DefaultShippingRef is the ERP article code the delivery is imported as
// when the merchant names none.
const DefaultShippingRef = "PORT"

// SageDocumentColumns are the columns of the document's row of WriteSage,
// record code first (see docs/erp-files.md, "Orders for the ERP").
var SageDocumentColumns = []string{
	"record", "DO_Type", "DO_Piece", "DO_Date", "DO_Ref", "CT_Num", "DO_DateLivr", "DE_No", "CO_No",
	"reference", "status", "LI_Intitule", "LI_Adresse", "LI_CodePostal", "LI_Ville", "LI_Pays",
	"paymentMethod", "paymentTerms", "DR_Date", "currency", "shippingMethod", "DO_TotalHT", "DO_TotalTTC",
}

// SageLineColumns are the columns of each line row of WriteSage, record
// code first.
var SageLineColumns = []string{
	"record", "DO_Ref", "line", "AR_Ref", "DL_Design", "DL_Qte", "DL_PrixUnitaire",
	"DL_Remise01REM_Valeur", "discounts", "DL_MontantHT", "DL_Taxe1", "vatRegime", "DE_No", "backordered",
}

// SageAddress is the delivery address the document's row carries.
type SageAddress struct {
	// Name is the name of the place ("LI_Intitule").
	Name       string
	Line1      string
	PostalCode string
	City       string
	// Country is the ISO 3166-1 alpha-2 code; the order's delivery
	// country when empty.
	Country string
}

// SageOptions are what WriteSage needs beside the order.
type SageOptions struct {
	// ShipTo is the delivery address (the order keeps only its id).
	ShipTo SageAddress
	// ShippingRef is the ERP article code of the delivery;
	// DefaultShippingRef when empty.
	ShippingRef string
	// Location dates the document (DO_Date); the merchant's default time
	// zone (Europe/Paris) when nil.
	Location *time.Location
}

// SageReplacement is a text cell WriteSage had to change because
// Windows-1252 cannot encode some of its characters.
type SageReplacement struct {
	// Column and Row (from 1, the document's row being 1) locate the cell.
	Column string
	Row    int
	// Value is the text as the order holds it.
	Value string
}

// WriteSage writes one order as a Sage 100 document import file:
// Windows-1252, ';' separated, decimal comma, CRLF line ends, no column
// names; one document row (SageDocumentColumns) then one row per line and
// warehouse (SageLineColumns), then the delivery as lines of the article
// opts.ShippingRef, one per VAT rate it is split over.
//
// A line served from several warehouses gives one row per allocation
// (DE_No, its units in DL_Qte), and its backordered units one more row with
// no warehouse and "backordered" equal to DL_Qte; the line's amount
// excluding VAT and its discount are shared over its rows in proportion to
// their units by cumulative rounding, so that the rows add up to the line
// exactly and no share is negative. Amounts carry the currency's minor
// units at least (a unit price may carry more), with a decimal comma.
//
// Text cells: a line break or a tab becomes a space; a ';' or a '"' stays,
// in a quoted cell; a character Windows-1252 cannot encode is written
// without its accent when it has one ("ř" → "r"), else as '?', and the
// cell is listed in the replacements returned; a cell a spreadsheet would
// take for a formula gets a leading apostrophe, as in WriteCSV.
func WriteSage(w io.Writer, o Order, opts SageOptions) ([]SageReplacement, error) {
	enc := transform.NewWriter(w, charmap.Windows1252.NewEncoder())
	cw := csv.NewWriter(enc)
	cw.Comma, cw.UseCRLF = ';', true
	var replaced []SageReplacement
	row := 1
	text := func(column, s string) string {
		out, changed := sageText(s)
		if changed {
			replaced = append(replaced, SageReplacement{Column: column, Row: row, Value: s})
		}
		return textCell(out)
	}
	cur := o.Totals.Currency
	amount := func(d decimal.Decimal) string { return decimalComma(money.AmountIn(d, cur).String()) }
	loc := opts.Location
	if loc == nil {
		loc = merchant.Merchant{}.Location()
	}
	day := func(t time.Time) string { return t.Format("02/01/2006") }

	warehouse := ""
	for _, l := range o.Lines {
		if len(l.Allocations) > 0 {
			warehouse = l.Allocations[0].Warehouse
			break
		}
	}
	rep := ""
	if o.PlacedBy.Role == "rep" {
		rep = o.PlacedBy.ID
	}
	delivery, terms, due := "", "", ""
	if o.RequestedDelivery != nil {
		delivery = day(o.RequestedDelivery.UTC())
	}
	if o.Payment.Terms != nil {
		terms = o.Payment.Terms.String()
	}
	if o.Payment.Due != nil {
		due = day(o.Payment.Due.Day.UTC())
	}
	country := opts.ShipTo.Country
	if country == "" {
		country = o.Shipping.Country
	}
	head := []string{
		SageDocumentRecord, SageCustomerOrder, "", day(o.PlacedAt.In(loc)), text("DO_Ref", o.ID), text("CT_Num", o.Customer),
		delivery, text("DE_No", warehouse), text("CO_No", rep), text("reference", o.Reference), text("status", string(o.Status)),
		text("LI_Intitule", opts.ShipTo.Name), text("LI_Adresse", opts.ShipTo.Line1), text("LI_CodePostal", opts.ShipTo.PostalCode),
		text("LI_Ville", opts.ShipTo.City), text("LI_Pays", country),
		text("paymentMethod", string(o.Payment.Method)), text("paymentTerms", terms), due, text("currency", cur),
		text("shippingMethod", o.Shipping.Method), amount(o.Totals.Tax.Net), amount(o.Totals.Tax.Gross),
	}
	if err := cw.Write(head); err != nil {
		return nil, err
	}
	for i, l := range o.Lines {
		type part struct {
			warehouse   string
			units       int64
			backordered bool
		}
		var parts []part
		for _, a := range l.Allocations {
			if a.Units > 0 {
				parts = append(parts, part{warehouse: a.Warehouse, units: a.Units})
			}
		}
		if l.Backordered > 0 {
			parts = append(parts, part{units: l.Backordered, backordered: true})
		}
		if len(parts) == 0 {
			parts = []part{{units: l.Units}}
		}
		unitPrice := l.UnitPrice.Decimal
		if l.Source != nil && !l.Source.UnitPrice.Decimal.IsZero() {
			unitPrice = l.Source.UnitPrice.Decimal
		} else if l.Units > 0 {
			unitPrice = l.Gross.Decimal.Div(decimal.NewFromInt(l.Units)).Round(4)
		}
		net := shareOut(l.Total.Decimal, l.Units, cur, parts, func(p part) int64 { return p.units })
		off := shareOut(l.Gross.Decimal.Sub(l.Total.Decimal), l.Units, cur, parts, func(p part) int64 { return p.units })
		explained := make([]string, len(l.Discounts))
		for j, d := range l.Discounts {
			what := d.Name
			if what == "" {
				what = d.Rule
			}
			if !d.Percent.IsZero() {
				what += " " + decimalComma(d.Percent.String()) + " %"
			}
			explained[j] = what + " = " + amount(d.Amount.Decimal)
		}
		for j, p := range parts {
			row++
			back := "0"
			if p.backordered {
				back = strconv.FormatInt(p.units, 10)
			}
			r := []string{
				SageLineRecord, text("DO_Ref", o.ID), strconv.Itoa(i + 1), text("AR_Ref", l.Ref), text("DL_Design", l.Name),
				strconv.FormatInt(p.units, 10), decimalComma(money.AmountIn(unitPrice, cur).String()),
				amount(off[j]), text("discounts", strings.Join(explained, " + ")), amount(net[j]),
				decimalComma(l.Tax.Rate.String()), text("vatRegime", string(l.Tax.Regime)), text("DE_No", p.warehouse), back,
			}
			if err := cw.Write(r); err != nil {
				return nil, err
			}
		}
	}
	if o.Shipping.Cost.IsPositive() {
		ref := opts.ShippingRef
		if ref == "" {
			ref = DefaultShippingRef
		}
		type shippingRow struct {
			base         decimal.Decimal
			rate, regime string
		}
		var rows []shippingRow
		for _, t := range o.Shipping.Tax {
			rows = append(rows, shippingRow{base: t.Base, rate: decimalComma(t.Rate.String()), regime: string(t.Regime)})
		}
		if len(rows) == 0 {
			rows = []shippingRow{{base: o.Shipping.Cost}}
		}
		for _, s := range rows {
			row++
			r := []string{
				SageLineRecord, text("DO_Ref", o.ID), strconv.Itoa(len(o.Lines) + 1), text("AR_Ref", ref), text("DL_Design", o.Shipping.Method),
				"1", amount(s.base), amount(decimal.Zero), "", amount(s.base), s.rate, text("vatRegime", s.regime), "", "0",
			}
			if err := cw.Write(r); err != nil {
				return nil, err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("order %s for Sage 100: %w", o.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("order %s for Sage 100: %w", o.ID, err)
	}
	return replaced, nil
}

// shareOut shares total over parts in proportion to their units (of all
// units), rounded to the currency by cumulative rounding: share i is the
// rounded total of the units up to i minus that of the units before it, so
// that the shares add up to total exactly and none is negative when total
// is not.
func shareOut[P any](total decimal.Decimal, all int64, cur string, parts []P, units func(P) int64) []decimal.Decimal {
	out := make([]decimal.Decimal, len(parts))
	before, cum := decimal.Zero, int64(0)
	for i, p := range parts {
		cum += units(p)
		upTo := total
		if i < len(parts)-1 && all > 0 {
			upTo = money.Round(total.Mul(decimal.NewFromInt(cum)).Div(decimal.NewFromInt(all)), cur)
		}
		out[i] = upTo.Sub(before)
		before = upTo
	}
	return out
}

// decimalComma writes a number with a decimal comma.
func decimalComma(s string) string { return strings.Replace(s, ".", ",", 1) }

// sageText makes s writable in a Sage import cell: line breaks and tabs
// become spaces, and a character Windows-1252 cannot encode loses its
// accent when that makes it encodable, else becomes '?'. changed reports
// the latter.
func sageText(s string) (out string, changed bool) {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\r', '\n', '\t':
			b.WriteByte(' ')
			continue
		}
		if _, ok := charmap.Windows1252.EncodeRune(r); ok {
			b.WriteRune(r)
			continue
		}
		changed = true
		base := ""
		for _, d := range norm.NFD.String(string(r)) {
			if unicode.Is(unicode.Mn, d) {
				continue
			}
			if _, ok := charmap.Windows1252.EncodeRune(d); !ok {
				base = ""
				break
			}
			base += string(d)
		}
		if base == "" {
			base = "?"
		}
		b.WriteString(base)
	}
	return b.String(), changed
}
