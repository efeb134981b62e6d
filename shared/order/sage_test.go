package order

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"

	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/pricing"
)

// readSage decodes a Sage file back: Windows-1252, ';', CRLF.
func readSage(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) || bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
		t.Errorf("line ends are not CRLF: %q", b)
	}
	r := csv.NewReader(charmap.Windows1252.NewDecoder().Reader(bytes.NewReader(b)))
	r.Comma, r.FieldsPerRecord = ';', -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not a ';' CSV: %v\n%q", err, b)
	}
	return rows
}

// cells names a row's cells by the columns of its record.
func cells(t *testing.T, row []string) map[string]string {
	t.Helper()
	cols := SageLineColumns
	if row[0] == SageDocumentRecord {
		cols = SageDocumentColumns
	}
	if len(row) != len(cols) {
		t.Fatalf("row %v has %d cells, want %d", row, len(row), len(cols))
	}
	m := map[string]string{}
	for i, c := range cols {
		m[c] = row[i]
	}
	return m
}

func TestWriteSage(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	eur := sampleOrder("EUR")
	eur.PlacedAt = time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC) // 3 December in Paris
	wanted := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	eur.RequestedDelivery = &wanted
	eur.Lines[0].Source = &pricing.Source{UnitPrice: money.AmountIn(decimal.RequireFromString("12.5"), "EUR")}
	eur.Lines[0].Gross = money.AmountIn(decimal.RequireFromString("150"), "EUR")
	eur.Lines[0].Discounts = []pricing.Applied{{Rule: "R1", Name: "Famille VIS", Kind: "percent", Percent: decimal.RequireFromString("20"), Amount: money.AmountIn(decimal.RequireFromString("30"), "EUR")}}
	eur.Lines[0].Name = "Vis à tête fraisée; inox"
	jpy := sampleOrder("JPY")
	kwd := sampleOrder("KWD")

	cases := []struct {
		name string
		o    Order
		opts SageOptions
		rows int
		// sums: the sample's amounts are whole in the currency, so the
		// rows add up to the order's net (not so for the yen sample).
		sums  bool
		check map[int]map[string]string
	}{
		{
			name: "euro order from a rep, split over two warehouses, a backorder and delivery at two rates",
			o:    eur,
			opts: SageOptions{ShipTo: SageAddress{Name: "Entrepôt Sud", Line1: "12 rue de l'Église", PostalCode: "69007", City: "Lyon", Country: "FR"}, Location: paris},
			rows: 1 + 2 + 2 + 2, sums: true,
			check: map[int]map[string]string{
				0: {"record": "E", "DO_Type": "1", "DO_Piece": "", "DO_Date": "03/12/2026", "DO_Ref": "20261202-K3M9Q2TX", "CT_Num": "C001",
					"DO_DateLivr": "10/12/2026", "DE_No": "LYON", "CO_No": "R7", "reference": "PO-77", "status": "accepted",
					"LI_Intitule": "Entrepôt Sud", "LI_Adresse": "12 rue de l'Église", "LI_CodePostal": "69007", "LI_Ville": "Lyon", "LI_Pays": "FR",
					"paymentMethod": "on-account", "paymentTerms": "30-eom", "DR_Date": "30/01/2027", "currency": "EUR", "shippingMethod": "standard",
					"DO_TotalHT": "140,40", "DO_TotalTTC": decimalComma(money.AmountIn(eur.Totals.Tax.Gross, "EUR").String())},
				1: {"record": "L", "DO_Ref": "20261202-K3M9Q2TX", "line": "1", "AR_Ref": "A", "DL_Design": "Vis à tête fraisée; inox", "DL_Qte": "10",
					"DL_PrixUnitaire": "12,50", "DL_Remise01REM_Valeur": "25,00", "discounts": "Famille VIS 20 % = 30,00", "DL_MontantHT": "100,00",
					"DL_Taxe1": "20", "vatRegime": "domestic", "DE_No": "LYON", "backordered": "0"},
				2: {"line": "1", "DL_Qte": "2", "DL_Remise01REM_Valeur": "5,00", "DL_MontantHT": "20,00", "DE_No": "PARIS", "backordered": "0"},
				3: {"line": "2", "AR_Ref": "B", "DL_Qte": "1", "DL_PrixUnitaire": "3,50", "DL_MontantHT": "3,50", "DL_Taxe1": "5,5", "DE_No": "LYON", "backordered": "0"},
				4: {"line": "2", "AR_Ref": "B", "DL_Qte": "2", "DL_MontantHT": "7,00", "DE_No": "", "backordered": "2"},
				5: {"line": "3", "AR_Ref": "PORT", "DL_Design": "standard", "DL_Qte": "1", "DL_Taxe1": "20", "DE_No": "", "backordered": "0"},
				6: {"line": "3", "AR_Ref": "PORT", "DL_Taxe1": "5,5"},
			},
		},
		{
			name: "yen: no minor units; the merchant's own delivery article",
			o:    jpy, opts: SageOptions{ShippingRef: "FRAIS-PORT"},
			rows: 7,
			check: map[int]map[string]string{
				0: {"DO_TotalHT": "141", "currency": "JPY", "LI_Pays": "BE", "DO_Date": "02/12/2026"},
				1: {"DL_PrixUnitaire": "10", "DL_MontantHT": "100", "DL_Remise01REM_Valeur": "0"},
				5: {"AR_Ref": "FRAIS-PORT"},
			},
		},
		{
			name: "dinar: three minor units",
			o:    kwd,
			rows: 7, sums: true,
			check: map[int]map[string]string{
				0: {"DO_TotalHT": "140,400"},
				1: {"DL_PrixUnitaire": "10,000", "DL_MontantHT": "100,000"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			replaced, err := WriteSage(&buf, c.o, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(replaced) != 0 {
				t.Errorf("replacements %+v in an encodable order", replaced)
			}
			rows := readSage(t, buf.Bytes())
			if len(rows) != c.rows {
				t.Fatalf("%d rows, want %d:\n%s", len(rows), c.rows, buf.String())
			}
			for i, want := range c.check {
				got := cells(t, rows[i])
				for col, v := range want {
					if got[col] != v {
						t.Errorf("row %d %s = %q, want %q", i+1, col, got[col], v)
					}
				}
			}
			// The rows add up to the order, excluding VAT.
			sum := decimal.Zero
			for _, r := range rows[1:] {
				sum = sum.Add(decimal.RequireFromString(strings.Replace(cells(t, r)["DL_MontantHT"], ",", ".", 1)))
			}
			if c.sums && !sum.Equal(c.o.Totals.Tax.Net) {
				t.Errorf("lines add up to %s, the order's net is %s", sum, c.o.Totals.Tax.Net)
			}
		})
	}
}

func TestWriteSage_Text(t *testing.T) {
	cases := []struct {
		name, column, value, want string
		replaced                  bool
		set                       func(o *Order, v string)
	}{
		{"accents and the euro sign encode", "DL_Design", "Câble électrique œillet 5 €", "Câble électrique œillet 5 €", false, func(o *Order, v string) { o.Lines[0].Name = v }},
		{"a separator stays, quoted", "DL_Design", "Vis; écrou", "Vis; écrou", false, func(o *Order, v string) { o.Lines[0].Name = v }},
		{"a quote stays", "reference", `PO "77"`, `PO "77"`, false, func(o *Order, v string) { o.Reference = v }},
		{"line breaks and tabs become spaces", "DL_Design", "Vis\r\ninox\tA2", "Vis  inox A2", false, func(o *Order, v string) { o.Lines[0].Name = v }},
		{"a letter outside Windows-1252 loses its accent", "LI_Ville", "Dvořák Łódź", "Dvorák ?ódz", true, func(o *Order, v string) {}},
		{"no accent to drop: a question mark", "DL_Design", "Vis 螺丝 ✓", "Vis ?? ?", true, func(o *Order, v string) { o.Lines[0].Name = v }},
		{"a formula is neutralised", "DL_Design", "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")", false, func(o *Order, v string) { o.Lines[0].Name = v }},
		{"a plus in the reference", "reference", "+33 1 23", "'+33 1 23", false, func(o *Order, v string) { o.Reference = v }},
		{"an at in the article", "AR_Ref", "@SUM(A1)", "'@SUM(A1)", false, func(o *Order, v string) { o.Lines[0].Ref = v }},
		{"a tab first is a space, not a formula", "DL_Design", "\t=1+1", " =1+1", false, func(o *Order, v string) { o.Lines[0].Name = v }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := sampleOrder("EUR")
			c.set(&o, c.value)
			opts := SageOptions{}
			if c.column == "LI_Ville" {
				opts.ShipTo.City = c.value
			}
			var buf bytes.Buffer
			replaced, err := WriteSage(&buf, o, opts)
			if err != nil {
				t.Fatal(err)
			}
			rows := readSage(t, buf.Bytes())
			row := rows[1]
			if c.column != "DL_Design" && c.column != "AR_Ref" {
				row = rows[0]
			}
			if got := cells(t, row)[c.column]; got != c.want {
				t.Errorf("%s = %q, want %q", c.column, got, c.want)
			}
			// Each cell changed is listed (a line on two rows: twice).
			if c.replaced != (len(replaced) > 0) {
				t.Errorf("replacements %+v, want some: %v", replaced, c.replaced)
			}
			for _, r := range replaced {
				if r.Column != c.column || r.Value != c.value || r.Row < 1 || r.Row > len(rows) {
					t.Errorf("replacement %+v", r)
				}
			}
			if strings.Contains(c.value, ";") && !bytes.Contains(buf.Bytes(), []byte(`"Vis; `)) {
				t.Errorf("a cell with ';' is not quoted:\n%s", buf.String())
			}
		})
	}
}

func TestWriteSage_SharesAddUpAndNeverGoNegative(t *testing.T) {
	dec := decimal.RequireFromString
	cases := []struct {
		name, gross, total string
		split              []int64 // units per warehouse
		backordered        int64
	}{
		{"a cent of discount over four rows", "0.02", "0.01", []int64{1, 1, 1}, 1},
		{"thirds", "1.00", "0.99", []int64{1, 1, 1}, 0},
		{"uneven", "100.00", "66.67", []int64{7, 2}, 4},
		{"one row", "10.50", "10.50", []int64{3}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := sampleOrder("EUR")
			o.Shipping.Cost = decimal.Zero
			l := &o.Lines[0]
			l.Allocations, l.Backordered = nil, c.backordered
			units := c.backordered
			for i, u := range c.split {
				l.Allocations = append(l.Allocations, Allocation{Warehouse: "W" + string(rune('1'+i)), Units: u})
				units += u
			}
			l.Units, l.Quantity = units, units
			l.Gross, l.Total = money.AmountIn(dec(c.gross), "EUR"), money.AmountIn(dec(c.total), "EUR")
			o.Lines = o.Lines[:1]
			var buf bytes.Buffer
			if _, err := WriteSage(&buf, o, SageOptions{}); err != nil {
				t.Fatal(err)
			}
			rows := readSage(t, buf.Bytes())
			if want := 1 + len(c.split) + min(int(c.backordered), 1); len(rows) != want {
				t.Fatalf("%d rows, want %d", len(rows), want)
			}
			net, off, qty := decimal.Zero, decimal.Zero, int64(0)
			num := func(s string) decimal.Decimal { return dec(strings.Replace(s, ",", ".", 1)) }
			for _, r := range rows[1:] {
				m := cells(t, r)
				n, d := num(m["DL_MontantHT"]), num(m["DL_Remise01REM_Valeur"])
				if n.IsNegative() || d.IsNegative() {
					t.Errorf("negative share in %v", r)
				}
				net, off = net.Add(n), off.Add(d)
				q, _ := decimal.NewFromString(m["DL_Qte"])
				qty += q.IntPart()
			}
			if !net.Equal(dec(c.total)) || !off.Equal(dec(c.gross).Sub(dec(c.total))) || qty != units {
				t.Errorf("rows add up to %s net, %s discount, %d units; want %s, %s, %d", net, off, qty, c.total, dec(c.gross).Sub(dec(c.total)), units)
			}
		})
	}
}
