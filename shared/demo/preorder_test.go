package demo

import (
	"testing"
	"time"
)

func TestBuild_JardinTakesTwoSeedsOnPreOrderInAnOpenSeason(t *testing.T) {
	d := Build()
	now := time.Now()
	seasons := map[string]bool{}
	var onPreOrder, capped []string
	for _, p := range d.Products[Jardin] {
		if p.PreOrder == nil {
			continue
		}
		onPreOrder = append(onPreOrder, p.Ref)
		po := *p.PreOrder
		seasons[po.Season] = true
		if err := po.Check(); err != nil {
			t.Errorf("%s: %v", p.Ref, err)
		}
		if err := po.Open(now); err != nil {
			t.Errorf("%s: the season is not open today: %v", p.Ref, err)
		}
		if err := po.Open(now.AddDate(1, 0, 0)); err != nil {
			t.Errorf("%s: the season is not open for a year: %v", p.Ref, err)
		}
		if !po.AvailableFrom.After(time.Date(now.Year(), 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: the goods are expected this year already (%s)", p.Ref, po.AvailableFrom)
		}
		if p.AvailableFrom == nil || !p.AvailableFrom.Equal(po.AvailableFrom) {
			t.Errorf("%s: available from %v, its settings say %s", p.Ref, p.AvailableFrom, po.AvailableFrom)
		}
		if po.MinQuantity != PreOrderMinimum {
			t.Errorf("%s: minimum %d", p.Ref, po.MinQuantity)
		}
		if po.Cap > 0 {
			capped = append(capped, p.Ref)
			if po.Cap != PreOrderCap {
				t.Errorf("%s: cap %d, want %d", p.Ref, po.Cap, PreOrderCap)
			}
		}
	}
	if len(onPreOrder) != 2 || len(capped) != 1 || capped[0] != CappedPreOrderRef || len(seasons) != 1 || !seasons[GardenSeason(now).Season] {
		t.Errorf("on pre-order %v, capped %v, seasons %v", onPreOrder, capped, seasons)
	}
	for _, p := range d.Products[Hydro] {
		if p.PreOrder != nil {
			t.Errorf("Hydrotech's %s is on pre-order", p.Ref)
		}
	}
}
