package stock_test

import (
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/stock"
)

func TestAlertFor(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	level := stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 100, Min: 10, Max: 50}
	cases := []struct {
		name      string
		level     stock.Level
		available int64
		want      *stock.Alert
	}{
		{"above the minimum", level, 11, nil},
		{"at the minimum", level, 10, &stock.Alert{Ref: "VIS-M6", Warehouse: "LYON", Available: 10, Min: 10, Max: 50, Reorder: 40}},
		{"below the minimum", level, 3, &stock.Alert{Ref: "VIS-M6", Warehouse: "LYON", Available: 3, Min: 10, Max: 50, Reorder: 47}},
		{"out of stock", level, 0, &stock.Alert{Ref: "VIS-M6", Warehouse: "LYON", Available: 0, Min: 10, Max: 50, Reorder: 50}},
		{"no thresholds", stock.Level{Ref: "X", Warehouse: "LYON"}, 0, nil},
		{"minimum zero, out", stock.Level{Ref: "X", Warehouse: "LYON", Max: 5}, 0, &stock.Alert{Ref: "X", Warehouse: "LYON", Max: 5, Reorder: 5}},
		{"maximum below the minimum", stock.Level{Ref: "X", Warehouse: "LYON", Min: 10, Max: 4}, 6, &stock.Alert{Ref: "X", Warehouse: "LYON", Available: 6, Min: 10, Max: 4, Reorder: 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := stock.AlertFor(c.level, c.available, at)
			if c.want == nil {
				if ok {
					t.Fatalf("AlertFor = %+v, want no alert", got)
				}
				return
			}
			want := *c.want
			want.RaisedAt = at.UTC()
			if !ok || got != want {
				t.Fatalf("AlertFor = %+v, %v; want %+v", got, ok, want)
			}
			if got.RaisedAt.Location() != time.UTC {
				t.Errorf("raisedAt in %v, want UTC", got.RaisedAt.Location())
			}
		})
	}
}

func TestCrossed(t *testing.T) {
	l := stock.Level{Min: 10, Max: 50}
	cases := []struct {
		before, after int64
		want          bool
	}{
		{20, 10, true},
		{11, 0, true},
		{20, 11, false},
		{10, 5, false}, // already below: raised when it fell
		{5, 20, false},
		{10, 10, false},
	}
	for _, c := range cases {
		if got := stock.Crossed(l, c.before, c.after); got != c.want {
			t.Errorf("Crossed(%d → %d) = %v, want %v", c.before, c.after, got, c.want)
		}
	}
}
