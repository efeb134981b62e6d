package catalog_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func gardenSeason() catalog.PreOrder {
	return catalog.PreOrder{
		Season:        "jardin-2027",
		Opens:         day("2027-01-05"),
		Closes:        day("2027-02-28"),
		AvailableFrom: day("2027-04-01"),
		Cap:           500,
		MinQuantity:   10,
	}
}

func TestPreOrder_Check(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(p *catalog.PreOrder)
		// reason is a part of the error's text; empty: valid.
		reason string
	}{
		{"valid", func(p *catalog.PreOrder) {}, ""},
		{"no cap, no minimum", func(p *catalog.PreOrder) { p.Cap, p.MinQuantity = 0, 0 }, ""},
		{"minimum without a cap", func(p *catalog.PreOrder) { p.Cap, p.MinQuantity = 0, catalog.MaxPreOrderCap }, ""},
		{"minimum equal to the cap", func(p *catalog.PreOrder) { p.MinQuantity = p.Cap }, ""},
		{"one single day, available the same day", func(p *catalog.PreOrder) {
			p.Opens, p.Closes, p.AvailableFrom = day("2027-01-05"), day("2027-01-05"), day("2027-01-05")
		}, ""},
		{"largest cap", func(p *catalog.PreOrder) { p.Cap = catalog.MaxPreOrderCap }, ""},
		{"no season", func(p *catalog.PreOrder) { p.Season = "" }, "season must be an id"},
		{"season with a '#'", func(p *catalog.PreOrder) { p.Season = "jardin#2027" }, "season must be an id"},
		{"season with a '/'", func(p *catalog.PreOrder) { p.Season = "jardin/2027" }, "season must be an id"},
		{"season too long", func(p *catalog.PreOrder) { p.Season = strings.Repeat("s", 65) }, "season must be an id"},
		{"no opening day", func(p *catalog.PreOrder) { p.Opens = time.Time{} }, "opens is missing"},
		{"no closing day", func(p *catalog.PreOrder) { p.Closes = time.Time{} }, "closes is missing"},
		{"no availability day", func(p *catalog.PreOrder) { p.AvailableFrom = time.Time{} }, "availableFrom is missing"},
		{"opening with a time of day", func(p *catalog.PreOrder) { p.Opens = p.Opens.Add(time.Hour) }, "opens must be a date"},
		{"closing with nanoseconds", func(p *catalog.PreOrder) { p.Closes = p.Closes.Add(1) }, "closes must be a date"},
		{"availability at local midnight", func(p *catalog.PreOrder) {
			p.AvailableFrom = time.Date(2027, 4, 1, 0, 0, 0, 0, paris)
		}, "availableFrom must be a date"},
		{"closes before opens", func(p *catalog.PreOrder) { p.Closes = day("2027-01-04") }, "closes (2027-01-04) is before opens"},
		{"available before closes", func(p *catalog.PreOrder) { p.AvailableFrom = day("2027-02-27") }, "availableFrom (2027-02-27) is before closes"},
		{"negative cap", func(p *catalog.PreOrder) { p.Cap = -1 }, "cap must be between"},
		{"cap too large", func(p *catalog.PreOrder) { p.Cap = catalog.MaxPreOrderCap + 1 }, "cap must be between"},
		{"negative minimum", func(p *catalog.PreOrder) { p.MinQuantity = -1 }, "minQuantity must be between"},
		{"minimum too large", func(p *catalog.PreOrder) { p.Cap, p.MinQuantity = 0, catalog.MaxPreOrderCap+1 }, "minQuantity must be between"},
		{"minimum above the cap", func(p *catalog.PreOrder) { p.MinQuantity = p.Cap + 1 }, "minQuantity (501) is above the cap (500)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := gardenSeason()
			tt.change(&p)
			err := p.Check()
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, catalog.ErrInvalidPreOrder) {
				t.Fatalf("Check() = %v, want an error wrapping catalog.ErrInvalidPreOrder", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Check() = %q, want it to say %q", err, tt.reason)
			}
			var invalid *catalog.InvalidPreOrderError
			if !errors.As(err, &invalid) || len(invalid.Problems) != 1 {
				t.Fatalf("Check() = %#v, want one problem", err)
			}
			if field, _, _ := strings.Cut(tt.reason, " "); invalid.Problems[0].Field != field {
				t.Errorf("Check() names field %q, want %q", invalid.Problems[0].Field, field)
			}
		})
	}
}

func TestPreOrder_Check_NamesEveryWrongSetting(t *testing.T) {
	p := catalog.PreOrder{
		Season:        "jardin 2027",
		Opens:         day("2027-03-01"),
		Closes:        day("2027-02-01"),
		AvailableFrom: day("2027-01-01"),
		Cap:           5,
		MinQuantity:   6,
	}
	var invalid *catalog.InvalidPreOrderError
	if err := p.Check(); !errors.As(err, &invalid) {
		t.Fatalf("Check() = %v, want an *InvalidPreOrderError", err)
	}
	var fields []string
	for _, pb := range invalid.Problems {
		fields = append(fields, pb.Field)
	}
	if want := []string{"season", "closes", "availableFrom", "minQuantity"}; !slices.Equal(fields, want) {
		t.Errorf("problems name %v, want %v", fields, want)
	}
	// A day that is wrong on its own is not compared with the others.
	p = catalog.PreOrder{Season: "s", Opens: day("2027-03-01"), Closes: day("2027-02-01").Add(time.Hour), AvailableFrom: day("2027-01-01")}
	if err := p.Check(); !errors.As(err, &invalid) || len(invalid.Problems) != 1 || invalid.Problems[0].Field != "closes" {
		t.Errorf("Check() = %v, want only closes, not a date", err)
	}
}

func TestPreOrder_Open(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	p := gardenSeason()
	tests := []struct {
		name string
		day  time.Time
		open bool
	}{
		{"the day before opening", day("2027-01-04"), false},
		{"the opening day", day("2027-01-05"), true},
		{"a day in between", day("2027-02-01"), true},
		{"the closing day", day("2027-02-28"), true},
		{"the closing day, late in the evening", time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC), true},
		{"the closing day in Paris, still the day before in UTC", time.Date(2027, 3, 1, 0, 30, 0, 0, paris), false},
		{"the opening day in Paris, just after midnight", time.Date(2027, 1, 5, 0, 30, 0, 0, paris), true},
		{"the day after closing", day("2027-03-01"), false},
		{"the availability day", day("2027-04-01"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Open(tt.day)
			if tt.open {
				if err != nil {
					t.Fatalf("Open(%s) = %v, want nil", tt.day, err)
				}
				return
			}
			if !errors.Is(err, catalog.ErrPreOrderClosed) {
				t.Fatalf("Open(%s) = %v, want an error wrapping catalog.ErrPreOrderClosed", tt.day, err)
			}
			for _, want := range []string{"jardin-2027", "2027-01-05", "2027-02-28"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%s) = %q, want it to name %s", tt.day, err, want)
				}
			}
		})
	}
}
