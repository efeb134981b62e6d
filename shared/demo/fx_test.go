package demo

import (
	"os"
	"testing"

	"github.com/comptoir/comptoir/shared/fx"
)

// The demo's days validate, and its ECB day is the one the ECB's file of
// that day holds.
func TestExchangeRates_AreValidAndTheECBDayIsTheFilesDay(t *testing.T) {
	days := ExchangeRates()
	if len(days) != 2 || !days[0].Date.After(days[1].Date) {
		t.Fatalf("days %v", days)
	}
	for _, d := range days {
		if err := d.Validate(); err != nil {
			t.Errorf("%s: %v", d.Date, err)
		}
	}
	for _, c := range []string{"USD", "CHF", "GBP", "JPY", "KWD"} {
		if _, ok := days[0].PerEUR[c]; !ok {
			t.Errorf("the demo's latest day has no %s", c)
		}
	}
	f, err := os.Open("../fx/testdata/eurofxref-daily.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := fx.ParseECB(f)
	if err != nil {
		t.Fatal(err)
	}
	ecb := days[1]
	if ecb.Source != fx.SourceECB || !ecb.Date.Equal(file[0].Date) || len(ecb.PerEUR) != len(file[0].PerEUR) {
		t.Fatalf("ECB day %v (%d rates), file %v (%d)", ecb.Date, len(ecb.PerEUR), file[0].Date, len(file[0].PerEUR))
	}
	for c, r := range file[0].PerEUR {
		if !ecb.PerEUR[c].Equal(r) {
			t.Errorf("%s: demo %s, file %s", c, ecb.PerEUR[c], r)
		}
	}
}
