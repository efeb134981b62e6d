package erpfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/erp"
)

// FuzzReader reads arbitrary bytes as every kind of file, in both
// profiles, as CSV or JSON Lines: the reader never panics, never loops,
// and every record it returns passes the domain's rules (checkRecord);
// every rejected row has a line and a reason the report can print.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		kind, profile, _, _ := Route(filepath.Base(name))
		for i, k := range erp.Kinds {
			if k == kind {
				f.Add(uint8(i), profile == Sage100, filepath.Ext(name) == ".jsonl", data)
			}
		}
	}
	f.Add(uint8(0), true, false, []byte("FA_CodeFamille;FA_Intitule\n\"A\n;B\"\";x\nC;\"D;E\"\n"))
	f.Add(uint8(4), false, true, []byte(`{"ref":"A","name":{"fr":"x"},"category":"C","basePrice":"1","links":["B:optional:0.5"]}`))
	f.Fuzz(func(t *testing.T, kindIndex uint8, sage, jsonl bool, data []byte) {
		kind := erp.Kinds[int(kindIndex)%len(erp.Kinds)]
		profile := Comptoir
		if sage {
			profile = Sage100
		}
		name := "file.csv"
		if jsonl {
			name = "file.jsonl"
		}
		rd, err := NewReader(bytes.NewReader(data), Source{Name: name, Kind: kind, Profile: profile, Stamp: fileStamp})
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("NewReader: %v", err)
			}
			return
		}
		lastLine := 0
		for range len(data) + 2 {
			rec, rowErr, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrRowTooLong) {
					t.Fatalf("Next: %v", err)
				}
				return
			}
			if rowErr != nil {
				if rowErr.Line < 1 || rowErr.Line < lastLine || rowErr.Reason == "" || len(rowErr.Value) > maxValueBytes ||
					!utf8.ValidString(rowErr.Value) || !utf8.ValidString(rowErr.Column) {
					t.Fatalf("row error %+v after line %d", *rowErr, lastLine)
				}
				lastLine = rowErr.Line
				continue
			}
			if rec.Kind != kind || rec.Line < lastLine {
				t.Fatalf("record %+v of kind %s after line %d", rec, kind, lastLine)
			}
			lastLine = rec.Line
			if err := checkRecord(rec); err != nil {
				t.Fatalf("line %d: invalid record %+v: %v", rec.Line, rec, err)
			}
		}
		t.Fatalf("more rows than bytes: the reader does not advance")
	})
}
