package stock

import (
	"slices"
	"testing"
	"time"
)

func TestLevel_Status(t *testing.T) {
	cases := []struct {
		l    Level
		want Status
		av   int64
	}{
		{Level{OnHand: 50, Reserved: 5, Min: 10}, InStock, 45},
		{Level{OnHand: 12, Reserved: 2, Min: 10}, Low, 10},
		{Level{OnHand: 3, Reserved: 3, Min: 10}, Out, 0},
		{Level{OnHand: 2, Reserved: 5, Min: 0}, Out, 0},
	}
	for _, c := range cases {
		if got := c.l.Status(); got != c.want || c.l.Available() != c.av {
			t.Errorf("%+v: status %s available %d, want %s %d", c.l, got, c.l.Available(), c.want, c.av)
		}
	}
}

func TestRollUp_BestWarehouseWinsAndPreOrderUntilItsDay(t *testing.T) {
	now := time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC)
	later := now.AddDate(0, 3, 0)
	earlier := now.AddDate(0, -1, 0)
	lyon := Level{Warehouse: "LYON", OnHand: 50, Min: 10}      // in stock
	lille := Level{Warehouse: "LILLE", OnHand: 5, Min: 10}     // low
	paris := Level{Warehouse: "PARIS", OnHand: 3, Reserved: 3} // out
	cases := []struct {
		name   string
		levels []Level
		from   *time.Time
		want   Status
		order  []string
	}{
		{"no warehouse", nil, nil, Out, nil},
		{"every warehouse out", []Level{paris}, nil, Out, []string{"PARIS"}},
		{"low beats out", []Level{paris, lille}, nil, Low, []string{"LILLE", "PARIS"}},
		{"in stock beats low and out", []Level{paris, lyon, lille}, nil, InStock, []string{"LILLE", "LYON", "PARIS"}},
		{"pre-order until its day, whatever the stock", []Level{lyon}, &later, PreOrder, []string{"LYON"}},
		{"a past day is no pre-order", []Level{lille}, &earlier, Low, []string{"LILLE"}},
		{"pre-order without stock", nil, &later, PreOrder, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := slices.Clone(c.levels)
			av := RollUp(in, c.from, now)
			if av.Status != c.want {
				t.Errorf("status %s, want %s", av.Status, c.want)
			}
			if (av.AvailableFrom != nil) != (c.want == PreOrder) || av.AvailableFrom != nil && !av.AvailableFrom.Equal(later) {
				t.Errorf("available from %v", av.AvailableFrom)
			}
			var order []string
			for _, w := range av.Warehouses {
				order = append(order, w.Warehouse)
				for _, l := range c.levels {
					if l.Warehouse == w.Warehouse && (w.Status != l.Status() || w.Available != l.Available()) {
						t.Errorf("%s: %+v, level %+v", w.Warehouse, w, l)
					}
				}
			}
			if !slices.Equal(order, c.order) {
				t.Errorf("warehouses %v, want %v", order, c.order)
			}
			if !slices.Equal(in, c.levels) {
				t.Error("the levels given were reordered")
			}
		})
	}
}
