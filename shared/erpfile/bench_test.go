package erpfile

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
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

// rowsReader generates a Sage price file of n rows as it is read, so that
// the test itself never holds the file.
type rowsReader struct {
	n, i int
	buf  []byte
}

func (g *rowsReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i > g.n {
			return 0, io.EOF
		}
		if g.i == 0 {
			g.buf = []byte("AR_Ref;AC_Categorie;CT_Num;AC_PrixVen;AC_Remise;AC_QteMont;cbModification\r\n")
		} else {
			g.buf = fmt.Appendf(nil, "PRD-%06d;0;C%04d;%d,%02d0000;0;0;2026-12-01 10:00:00\r\n", g.i/100, g.i%100, 10+g.i%900, g.i%100)
		}
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// TestMemoryStaysFlat reads a 200,000-row file (about 12 MB) and checks
// that the live heap stays far below the file's size: the reader streams.
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,000 rows")
	}
	const rows = 200_000
	rd, err := NewReader(&rowsReader{n: rows}, Source{Name: "F_ARTCLIENT.csv", Stamp: fileStamp})
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	var ms runtime.MemStats
	n := 0
	for {
		_, rowErr, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil || rowErr != nil {
			t.Fatal(err, rowErr)
		}
		if n++; n%20_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != rows {
		t.Fatalf("%d rows, want %d", n, rows)
	}
	t.Logf("peak live heap %d bytes", peak)
	if peak > 8<<20 {
		t.Errorf("live heap reached %d bytes reading a 12 MB file: the reader holds rows", peak)
	}
}
