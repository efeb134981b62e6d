package erpfile

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// sagePrices is a Sage 100 price file (F_ARTCLIENT) of n rows in
// Windows-1252 with ';' and decimal commas, as the benchmark of issue 11
// imports: each of 100 customers has its own price for every product.
func sagePrices(n int) []byte {
	var b bytes.Buffer
	b.WriteString("AR_Ref;AC_Categorie;CT_Num;AC_PrixVen;AC_Remise;AC_QteMont;AC_Commentaire;cbModification\r\n")
	for i := range n {
		fmt.Fprintf(&b, "PRD-%05d;0;C%04d;%d,%02d0000;%d,500000;0;\"Prix négocié; révisé\";2026-12-01 10:%02d:00\r\n",
			i/100, i%100, 10+i%900, i%100, i%20, i%60)
	}
	out, err := charmap.Windows1252.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}

// BenchmarkReaderSagePrices reads a 10,000-row Sage price file: rows per
// second and allocations per row.
func BenchmarkReaderSagePrices(b *testing.B) {
	const rows = 10_000
	data := sagePrices(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), Source{Name: "F_ARTCLIENT.csv", Stamp: fileStamp})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, rowErr, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil || rowErr != nil {
				b.Fatal(err, rowErr)
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
