package stock

import (
	"strings"
	"testing"
	"time"
)

func TestDifferenceOf(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 0, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name              string
		previous, counted Level
		wantTheoretical   int64
		wantDifference    int64
		wantOK            bool
	}{
		{"the ERP saw the site orders", Level{OnHand: 100, SiteOrders: 10}, Level{OnHand: 90}, 90, 0, false},
		{"the ERP has not seen them yet", Level{OnHand: 100, SiteOrders: 10}, Level{OnHand: 100}, 90, 10, true},
		{"breakage", Level{OnHand: 100, SiteOrders: 10}, Level{OnHand: 85}, 90, -5, true},
		{"no site orders, same count", Level{OnHand: 40}, Level{OnHand: 40}, 40, 0, false},
		{"a delivery came in", Level{OnHand: 40}, Level{OnHand: 140}, 40, 100, true},
		{"negative levels", Level{OnHand: -3, SiteOrders: 2}, Level{OnHand: 0}, -5, 5, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.counted.Ref, c.counted.Warehouse = "VIS-M6", "LYON"
			d, ok := DifferenceOf(c.previous, c.counted, "job-1", at)
			if ok != c.wantOK || d.Theoretical != c.wantTheoretical || d.Difference != c.wantDifference {
				t.Fatalf("DifferenceOf = %+v, %v; want theoretical %d, difference %d, %v", d, ok, c.wantTheoretical, c.wantDifference, c.wantOK)
			}
			if d.Ref != "VIS-M6" || d.Warehouse != "LYON" || d.ERPLevel != c.counted.OnHand || d.Job != "job-1" || d.At.Location() != time.UTC || !d.At.Equal(at) {
				t.Errorf("difference = %+v", d)
			}
		})
	}
}

func TestAlertAfterCount(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	th := func(min, max int64) Level { return Level{Ref: "VIS-M6", Warehouse: "LYON", Min: min, Max: max} }
	ptr := func(l Level) *Level { return &l }
	cases := []struct {
		name          string
		previous      *Level
		prevAvailable int64
		counted       Level
		available     int64
		want          AlertAction
		wantReorder   int64
	}{
		{"new level below its minimum", nil, 0, th(10, 50), 4, AlertRaise, 46},
		{"new level above its minimum", nil, 0, th(10, 50), 40, AlertKept, 0},
		{"new level without thresholds", nil, 0, th(0, 0), 0, AlertKept, 0},
		{"falls below", ptr(th(10, 50)), 20, th(10, 50), 10, AlertRaise, 40},
		{"stays below: no second alert", ptr(th(10, 50)), 8, th(10, 50), 3, AlertKept, 0},
		{"back above", ptr(th(10, 50)), 8, th(10, 50), 30, AlertClear, 0},
		{"stays above", ptr(th(10, 50)), 30, th(10, 50), 25, AlertKept, 0},
		{"the minimum rises over the level", ptr(th(10, 50)), 15, th(20, 50), 15, AlertRaise, 35},
		{"the minimum falls under the level", ptr(th(20, 50)), 15, th(10, 50), 15, AlertClear, 0},
		{"thresholds removed", ptr(th(10, 50)), 5, th(0, 0), 5, AlertClear, 0},
		{"reorder never negative", nil, 0, th(10, 5), 8, AlertRaise, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, got := AlertAfterCount(c.previous, c.prevAvailable, c.counted, c.available, at)
			if got != c.want {
				t.Fatalf("action = %v, want %v", got, c.want)
			}
			if got == AlertRaise && (a.Reorder != c.wantReorder || a.Available != c.available || !a.RaisedAt.Equal(at) || a.Ref != "VIS-M6") {
				t.Errorf("alert = %+v, want reorder %d", a, c.wantReorder)
			}
		})
	}
}

func TestWriteDifferencesCSV(t *testing.T) {
	at := time.Date(2026, 12, 2, 8, 5, 0, 0, time.FixedZone("CET", 3600))
	var b strings.Builder
	err := WriteDifferencesCSV(&b, []Difference{
		{Ref: "VIS-M6", Warehouse: "1", ERPLevel: 120, Theoretical: 90, Difference: 30, Job: "job-1", At: at},
		{Ref: "=SUM(A1)", Warehouse: "2;3", ERPLevel: -2, Theoretical: 0, Difference: -2, Job: "job-2", At: at},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "ref;warehouse;erpLevel;theoretical;difference;job;at\n" +
		"VIS-M6;1;120;90;30;job-1;2026-12-02T07:05:00Z\n" +
		"'=SUM(A1);\"2;3\";-2;0;-2;job-2;2026-12-02T07:05:00Z\n"
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}
