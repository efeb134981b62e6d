package stock

import "testing"

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
