package order

import (
	"bytes"
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestWriteTotalsCSV(t *testing.T) {
	cases := []struct {
		name   string
		totals SeasonTotals
		want   [][]string
	}{
		{
			name:   "no pre-orders: the header alone",
			totals: SeasonTotals{Season: "ete-2027"},
			want:   [][]string{TotalsCSVHeader},
		},
		{
			name: "products, then customers and products",
			totals: SeasonTotals{
				Season: "ete-2027",
				Products: []ProductTotal{
					{Ref: "PARASOL-3M", Units: 42, Lines: 7},
					{Ref: "TABLE-TECK", Units: 5, Lines: 2},
				},
				Customers: []CustomerTotal{
					{Customer: "C001", Ref: "PARASOL-3M", Units: 40, Lines: 6},
					{Customer: "C001", Ref: "TABLE-TECK", Units: 5, Lines: 2},
					{Customer: "C002", Ref: "PARASOL-3M", Units: 2, Lines: 1},
				},
				Units: 47,
			},
			want: [][]string{
				TotalsCSVHeader,
				{"ete-2027", "product", "", "PARASOL-3M", "42", "7"},
				{"ete-2027", "product", "", "TABLE-TECK", "5", "2"},
				{"ete-2027", "customer", "C001", "PARASOL-3M", "40", "6"},
				{"ete-2027", "customer", "C001", "TABLE-TECK", "5", "2"},
				{"ete-2027", "customer", "C002", "PARASOL-3M", "2", "1"},
			},
		},
		{
			name: "formulas are neutralised, a semicolon is quoted",
			totals: SeasonTotals{
				Season:    "=1+1",
				Products:  []ProductTotal{{Ref: "@SUM(A1)", Units: 1, Lines: 1}},
				Customers: []CustomerTotal{{Customer: "-C9", Ref: "A;B", Units: 1, Lines: 1}},
			},
			want: [][]string{
				TotalsCSVHeader,
				{"'=1+1", "product", "", "'@SUM(A1)", "1", "1"},
				{"'=1+1", "customer", "'-C9", "A;B", "1", "1"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTotalsCSV(&buf, c.totals); err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(strings.NewReader(buf.String()))
			r.Comma = ';'
			rows, err := r.ReadAll()
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if !reflect.DeepEqual(rows, c.want) {
				t.Errorf("rows = %q, want %q", rows, c.want)
			}
		})
	}
}

// The separator is the semicolon: a comma-separated reader sees one cell
// per row.
func TestWriteTotalsCSV_Semicolons(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTotalsCSV(&buf, SeasonTotals{Season: "s", Products: []ProductTotal{{Ref: "R", Units: 3, Lines: 1}}}); err != nil {
		t.Fatal(err)
	}
	want := "season;total;customer;ref;units;lines\ns;product;;R;3;1\n"
	if buf.String() != want {
		t.Errorf("csv = %q, want %q", buf.String(), want)
	}
}

func TestWriteTotalsCSV_WriteError(t *testing.T) {
	boom := errors.New("disk full")
	if err := WriteTotalsCSV(errWriter{boom}, SeasonTotals{Season: "s"}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
