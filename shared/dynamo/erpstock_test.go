package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/stock"
)

// stockStamp is the ERP's modification stamp of the stock rows below.
var stockStamp = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

// stockRecord is a row of a stock file: ref's level in warehouse w.
func stockRecord(line int, stamp time.Time, ref, w string, onHand, reserved, min, max int64) erp.Record {
	return erp.Record{Kind: erp.KindStock, Line: line, Stamp: stamp, Key: ref + "|" + w,
		Stock: &stock.Level{Ref: ref, Warehouse: w, OnHand: onHand, Reserved: reserved, Min: min, Max: max}}
}

func stockChunk(job string, seq int, records ...erp.Record) erp.Chunk {
	return erp.Chunk{Merchant: shopM, Job: job, Kind: erp.KindStock, Seq: seq, Records: records}
}

// applyStock applies c and fails the test on an error.
func applyStock(t *testing.T, s *dynamo.ERPStock, c erp.Chunk) (erp.Counts, []erp.RowError) {
	t.Helper()
	counts, rejects, err := s.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return counts, rejects
}

// onHandOf reads ref's level in w as the orders read it.
func onHandOf(t *testing.T, f ordersFixture, ref, w string) stock.Level {
	t.Helper()
	got, err := f.orders.Levels(context.Background(), shopM, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range got[ref] {
		if l.Warehouse == w {
			return l
		}
	}
	t.Fatalf("no level of %s in %s", ref, w)
	return stock.Level{}
}

// An ERP count applied after site orders took stock keeps what they took:
// SiteOrders stays, Available is the new count less reserved and less
// SiteOrders, orders go on taking from it, and the difference between
// the count and the theoretical stock is recorded.
func TestERPStock_KeepsWhatSiteOrdersTook(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON"}, level("VIS-M6", "LYON", 100))
	ctx := context.Background()
	placed := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := f.orders.Place(ctx, orderPlacement(anOrder("O-1", "C1", placed, "10.00", line("VIS-M6", alloc("LYON", 10))))); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	s := &dynamo.ERPStock{Table: f.tbl, Now: func() time.Time { return at }}
	counts, rejects := applyStock(t, s, stockChunk("job-1", 0, stockRecord(2, stockStamp, "VIS-M6", "LYON", 120, 5, 2, 100)))
	if counts != (erp.Counts{Applied: 1}) || len(rejects) != 0 {
		t.Fatalf("counts %+v, rejects %v", counts, rejects)
	}
	got := f.level(t, "VIS-M6", "LYON")
	if got.siteOrders != 10 || got.available != 120-5-10 {
		t.Fatalf("level after the count = %+v, want SiteOrders 10 and Available 105", got)
	}
	if l := onHandOf(t, f, "VIS-M6", "LYON"); l.OnHand != 120 || l.Reserved != 5 || l.Available() != 105 {
		t.Errorf("level read by orders = %+v", l)
	}
	// An order placed after the count takes from it.
	if err := f.orders.Place(ctx, orderPlacement(anOrder("O-2", "C1", placed.Add(time.Hour), "10.00", line("VIS-M6", alloc("LYON", 105))))); err != nil {
		t.Fatalf("order after the count: %v", err)
	}
	if got := f.level(t, "VIS-M6", "LYON"); got.siteOrders != 115 || got.available != 0 {
		t.Errorf("level after the second order = %+v", got)
	}
	diffs, err := s.Differences(ctx, shopM)
	if err != nil {
		t.Fatal(err)
	}
	want := stock.Difference{Ref: "VIS-M6", Warehouse: "LYON", ERPLevel: 120, Theoretical: 90, Difference: 30, Job: "job-1", At: at}
	if len(diffs) != 1 || diffs[0] != want {
		t.Fatalf("differences = %+v, want [%+v]", diffs, want)
	}
}

// The stamp rule: the same chunk twice changes nothing the second time, an
// older file after a newer one changes nothing, a later line of the same
// file wins over an earlier one, and the same counts under a newer stamp
// are Unchanged but advance the stamp.
func TestERPStock_OlderNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON", "PARIS"})
	s := &dynamo.ERPStock{Table: f.tbl}
	newer := stockChunk("job-new", 0,
		stockRecord(2, stockStamp, "VIS-M6", "LYON", 50, 0, 0, 0),
		stockRecord(3, stockStamp, "VIS-M6", "PARIS", 7, 1, 0, 0),
		stockRecord(4, stockStamp, "VIS-M6", "PARIS", 8, 1, 0, 0)) // a later line of the same pair
	if c, _ := applyStock(t, s, newer); c.Applied+c.Unchanged != 3 || c.Applied < 2 {
		t.Fatalf("first apply: %+v", c)
	}
	if c, _ := applyStock(t, s, newer); c != (erp.Counts{Unchanged: 3}) {
		t.Fatalf("the same chunk again: %+v, want 3 unchanged", c)
	}
	older := stockChunk("job-old", 0,
		stockRecord(2, stockStamp.Add(-time.Hour), "VIS-M6", "LYON", 1, 0, 0, 0),
		stockRecord(3, stockStamp.Add(-time.Hour), "VIS-M6", "PARIS", 1, 0, 0, 0))
	if c, _ := applyStock(t, s, older); c != (erp.Counts{Unchanged: 2}) {
		t.Fatalf("an older file: %+v, want 2 unchanged", c)
	}
	if l := onHandOf(t, f, "VIS-M6", "LYON"); l.OnHand != 50 {
		t.Errorf("LYON after the older file: %+v", l)
	}
	if l := onHandOf(t, f, "VIS-M6", "PARIS"); l.OnHand != 8 || l.Available() != 7 {
		t.Errorf("PARIS: %+v, want the later line's 8 on hand", l)
	}
	// The same counts, newer: Unchanged, and the stamp moves on, so a file
	// between the two stamps is older now.
	same := stockChunk("job-same", 0, stockRecord(2, stockStamp.Add(2*time.Hour), "VIS-M6", "LYON", 50, 0, 0, 0))
	if c, _ := applyStock(t, s, same); c != (erp.Counts{Unchanged: 1}) {
		t.Fatalf("the same counts, newer: %+v", c)
	}
	between := stockChunk("job-between", 0, stockRecord(2, stockStamp.Add(time.Hour), "VIS-M6", "LYON", 3, 0, 0, 0))
	if c, _ := applyStock(t, s, between); c != (erp.Counts{Unchanged: 1}) {
		t.Fatalf("a file older than the last same counts: %+v", c)
	}
	if l := onHandOf(t, f, "VIS-M6", "LYON"); l.OnHand != 50 {
		t.Errorf("LYON: %+v", l)
	}
}

// Records that cannot be levels are rejected with their line and column;
// the others apply.
func TestERPStock_RejectsRecordsThatCannotBeLevels(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON"})
	s := &dynamo.ERPStock{Table: f.tbl}
	noLevel := erp.Record{Kind: erp.KindStock, Line: 5, Stamp: stockStamp}
	c, rejects := applyStock(t, s, stockChunk("job-1", 0,
		stockRecord(2, stockStamp, "VIS M6", "LYON", 1, 0, 0, 0),
		stockRecord(3, stockStamp, "VIS-M6", "LY#ON", 1, 0, 0, 0),
		stockRecord(4, stockStamp, "VIS-M6", "LYON", 1, 0, 0, 0),
		noLevel))
	if c != (erp.Counts{Applied: 1, Rejected: 3}) {
		t.Fatalf("counts %+v", c)
	}
	if len(rejects) != 3 || rejects[0].Line != 2 || rejects[0].Column != "ref" || rejects[1].Line != 3 || rejects[1].Column != "warehouse" || rejects[2].Line != 5 {
		t.Errorf("rejects = %+v", rejects)
	}
	if _, _, err := s.Apply(context.Background(), erp.Chunk{Merchant: shopM, Job: "j", Kind: erp.KindProducts}); err == nil {
		t.Error("a products chunk applied as stock")
	}
}

// Many workers apply files of different stamps to the same levels at once
// while orders take stock from them: the newest file's counts stand on
// every level, and what the orders took is still taken (Available =
// OnHand − Reserved − SiteOrders, SiteOrders = the units of the orders
// placed).
func TestERPStock_ConcurrentFilesNewestWinsAndOrdersKeepTheirUnits(t *testing.T) {
	t.Parallel()
	const (
		files  = 8
		levels = 10
		orders = 10
	)
	var initial []stock.Level
	for l := range levels {
		initial = append(initial, stock.Level{Ref: "R" + strconv.Itoa(l), Warehouse: "LYON", OnHand: 1000})
	}
	f := newOrdersFixture(t, []string{"LYON"}, initial...)
	s := &dynamo.ERPStock{Table: f.tbl}
	ctx := context.Background()
	var wg sync.WaitGroup
	var taken [levels]atomic.Int64
	errs := make(chan error, files+orders)
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recs []erp.Record
			for l := range levels {
				recs = append(recs, stockRecord(2+l, stockStamp.Add(time.Duration(i)*time.Minute), "R"+strconv.Itoa(l), "LYON", int64(1000+i), int64(i), 0, 0))
			}
			if _, _, err := s.Apply(ctx, stockChunk(fmt.Sprintf("job-%02d", i), 0, recs...)); err != nil {
				errs <- err
			}
		}()
	}
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := i % levels
			o := anOrder(fmt.Sprintf("O-%02d", i), "C1", stockStamp, "1.00", line("R"+strconv.Itoa(l), alloc("LYON", 3)))
			for attempt := 0; ; attempt++ {
				err := f.orders.Place(ctx, orderPlacement(o))
				if err == nil {
					taken[l].Add(3)
					return
				}
				if attempt >= 20 {
					errs <- fmt.Errorf("order %s: %w", o.ID, err)
					return
				}
				time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond) // retry a transaction conflict, as a checkout does
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for l := range levels {
		ref := "R" + strconv.Itoa(l)
		got := f.level(t, ref, "LYON")
		lv := onHandOf(t, f, ref, "LYON")
		if lv.OnHand != 1000+files-1 || lv.Reserved != files-1 {
			t.Errorf("%s: %+v, want the newest file's %d on hand", ref, lv, 1000+files-1)
		}
		if got.siteOrders != taken[l].Load() || got.available != lv.OnHand-lv.Reserved-taken[l].Load() {
			t.Errorf("%s: stored %+v, want SiteOrders %d and Available %d", ref, got, taken[l].Load(), lv.OnHand-lv.Reserved-taken[l].Load())
		}
	}
}

// A level that falls below its minimum raises its alert once, with the
// quantity to reorder up to the maximum; the next count still below does
// not raise it again; back above, the alert is cleared; a new fall
// raises it again.
func TestERPStock_AlertRaisedOncePerFallAndClearedAbove(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON"}, stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 40, Min: 10, Max: 50})
	alerts := &dynamo.StockAlerts{Table: f.tbl}
	clock := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	s := &dynamo.ERPStock{Table: f.tbl, Alerts: alerts, Now: func() time.Time { return clock }}
	ctx := context.Background()
	list := func() []stock.Alert {
		t.Helper()
		got, err := alerts.List(ctx, shopM)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	count := func(n int, onHand int64) {
		t.Helper()
		applyStock(t, s, stockChunk("job-"+strconv.Itoa(n), 0, stockRecord(2, stockStamp.Add(time.Duration(n)*time.Hour), "VIS-M6", "LYON", onHand, 2, 10, 50)))
	}
	count(1, 30) // 28 available: above
	if got := list(); len(got) != 0 {
		t.Fatalf("alerts above the minimum: %+v", got)
	}
	raised := clock
	count(2, 10) // 8 available: falls below
	got := list()
	if len(got) != 1 || got[0].Available != 8 || got[0].Reorder != 42 || !got[0].RaisedAt.Equal(raised) {
		t.Fatalf("alerts after the fall = %+v", got)
	}
	clock = clock.Add(time.Hour)
	count(3, 6) // 4 available: still below, no second alert
	if got := list(); len(got) != 1 || !got[0].RaisedAt.Equal(raised) || got[0].Available != 8 {
		t.Fatalf("alerts after a second count below = %+v, want the first one unchanged", got)
	}
	clock = clock.Add(time.Hour)
	count(4, 40) // back above
	if got := list(); len(got) != 0 {
		t.Fatalf("alerts back above the minimum = %+v", got)
	}
	clock = clock.Add(time.Hour)
	count(5, 5) // a new fall
	if got := list(); len(got) != 1 || !got[0].RaisedAt.Equal(clock) || got[0].Reorder != 47 {
		t.Fatalf("alerts after a new fall = %+v", got)
	}
}

// orderPlacement places o alone, as a checkout without cart or credit does.
func orderPlacement(o order.Order) order.Placement { return order.Placement{Order: o} }

// A worker stopped right after a level's write leaves its difference and
// alert undone; the chunk delivered again counts the level Unchanged and
// settles them, once.
func TestERPStock_ChunkDeliveredAgainSettlesWhatAStoppedWorkerLeft(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON"})
	ctx := context.Background()
	clock := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s := &dynamo.ERPStock{Table: f.tbl, Now: now}
	applyStock(t, s, stockChunk("job-1", 0, stockRecord(2, stockStamp, "VIS-M6", "LYON", 100, 0, 10, 50)))
	if err := f.orders.Place(ctx, orderPlacement(anOrder("O-1", "C1", stockStamp, "1.00", line("VIS-M6", alloc("LYON", 10))))); err != nil {
		t.Fatal(err)
	}
	second := stockChunk("job-2", 0, stockRecord(2, stockStamp.Add(time.Hour), "VIS-M6", "LYON", 8, 0, 10, 50))
	stopped := &dynamo.ERPStock{Table: f.tbl, Now: now}
	dynamo.StopAfterLevelWrites(stopped, errors.New("worker killed"))
	if _, _, err := stopped.Apply(ctx, second); err == nil {
		t.Fatal("the stopped worker did not stop")
	}
	alerts := &dynamo.StockAlerts{Table: f.tbl}
	if got, _ := alerts.List(ctx, shopM); len(got) != 0 {
		t.Fatalf("alerts before the chunk comes again: %+v", got)
	}
	if got, _ := s.Differences(ctx, shopM); len(got) != 0 {
		t.Fatalf("differences before the chunk comes again: %+v", got)
	}
	raised := clock
	for range 2 {
		if c, _ := applyStock(t, s, second); c != (erp.Counts{Unchanged: 1}) {
			t.Fatalf("the chunk again: %+v", c)
		}
		clock = clock.Add(time.Hour)
	}
	diffs, err := s.Differences(ctx, shopM)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || diffs[0].Theoretical != 90 || diffs[0].ERPLevel != 8 || diffs[0].Difference != -82 || diffs[0].Job != "job-2" {
		t.Errorf("differences = %+v", diffs)
	}
	got, err := alerts.List(ctx, shopM)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Available != -2 || got[0].Reorder != 52 || !got[0].RaisedAt.Equal(raised) {
		t.Errorf("alerts = %+v, want one raised at %v", got, raised)
	}
}
