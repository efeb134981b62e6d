package dynamo_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/testenv"
)

// fullChunk is chunk of a full file of stamp that deactivates what it
// lacks: its rows carry the ERP's own (older) modification stamp rowStamp.
func fullChunk(job string, kind erp.Kind, fileStamp, rowStamp time.Time, recs ...erp.Record) erp.Chunk {
	ch := chunk(job, kind, rowStamp, recs...)
	ch.Full, ch.DeactivateMissing, ch.FileStamp = true, true, fileStamp
	return ch
}

func sweep(t *testing.T, tbl dynamo.Table, _ string, kind erp.Kind, job string, stamp time.Time) int {
	t.Helper()
	n, err := (dynamo.ERPSweep{Table: tbl}).Sweep(context.Background(), "m1", kind, job, stamp)
	if err != nil {
		t.Fatalf("sweep %s of %s: %v", kind, job, err)
	}
	return n
}

// snapshot is every item of the table, raw (tests only).
func snapshot(t *testing.T, tbl dynamo.Table) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	pages := dynamodb.NewScanPaginator(tbl.Client, &dynamodb.ScanInput{TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range page.Items {
			m := map[string]string{}
			for k, v := range av {
				m[k] = avString(v)
			}
			out[attr(av, "PK")+"|"+attr(av, "SK")] = m
		}
	}
	return out
}

// avString renders an attribute value for comparison.
func avString(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL:", v.Value)
	case *types.AttributeValueMemberL:
		s := "L:["
		for _, e := range v.Value {
			s += avString(e) + ","
		}
		return s + "]"
	case *types.AttributeValueMemberM:
		s := "M:{"
		for _, k := range sortedAVKeys(v.Value) {
			s += k + "=" + avString(v.Value[k]) + ","
		}
		return s + "}"
	}
	return fmt.Sprintf("%T", v)
}

func sortedAVKeys(m map[string]types.AttributeValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func productOf(t *testing.T, tbl dynamo.Table, ref string) catalog.Product {
	t.Helper()
	p, err := (&dynamo.Catalog{Table: tbl}).Product(context.Background(), "m1", ref)
	if err != nil {
		t.Fatalf("product %s: %v", ref, err)
	}
	return p
}

// A full products file without X puts X to sleep, with every write a
// product save makes (X leaves the reference index); the products it held
// stay active although their rows, stamped by the ERP long before, changed
// nothing. The sweep run again changes nothing and counts the same. An
// older full file arriving afterwards, which lacks what the newer one had,
// deactivates none of it and cannot wake X; a newer row can.
func TestERPSweep_AFullFileWithoutAProductPutsItToSleepNeverWhatANewerFileHas(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	applyChunk(t, a, catalogChunks("setup", erpDay)[0])
	applyChunk(t, a, chunk("d0", erp.KindProducts, erpDay,
		erpProduct("A", "VIS", "A", "1.00"), erpProduct("B", "VIS", "B", "1.00"), erpProduct("X", "QUINC", "X", "1.00")))
	// A product of the back office, which the ERP never wrote.
	if _, _, err := (&dynamo.Catalog{Table: tbl}).UpdateProduct(context.Background(), "m1", "SITE", func(p *catalog.Product, _ bool) error {
		*p = catalog.Product{Ref: "SITE", CategoryID: "VIS", Names: map[string]string{"fr": "Site"}, Currency: "EUR"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	t1 := erpDay.Add(2 * time.Hour)
	c, _ := applyChunk(t, a, fullChunk("f1", erp.KindProducts, t1, erpDay, erpProduct("A", "VIS", "A", "1.00"), erpProduct("B", "VIS", "B", "1.00")))
	if c != (erp.Counts{Unchanged: 2}) {
		t.Errorf("full file's rows: %+v, want 2 unchanged", c)
	}
	if n := sweep(t, tbl, "m1", erp.KindProducts, "f1", t1); n != 1 {
		t.Errorf("deactivated %d, want 1 (X)", n)
	}
	if !productOf(t, tbl, "X").Inactive || productOf(t, tbl, "A").Inactive || productOf(t, tbl, "B").Inactive || productOf(t, tbl, "SITE").Inactive {
		t.Fatalf("after the sweep: X %v A %v B %v SITE %v", productOf(t, tbl, "X").Inactive, productOf(t, tbl, "A").Inactive,
			productOf(t, tbl, "B").Inactive, productOf(t, tbl, "SITE").Inactive)
	}
	checkConsistent(t, tbl, "m1")

	// The sweep delivered again: the same count, nothing written.
	before := snapshot(t, tbl)
	if n := sweep(t, tbl, "m1", erp.KindProducts, "f1", t1); n != 1 {
		t.Errorf("the sweep again counts %d, want 1", n)
	}
	if after := snapshot(t, tbl); !reflect.DeepEqual(before, after) {
		t.Errorf("the sweep again changed the table")
	}

	// An older full file (the ERP's export of an hour before) holding X
	// alone arrives late: its rows and its sweep change nothing.
	t0 := erpDay.Add(time.Hour)
	applyChunk(t, a, fullChunk("f0", erp.KindProducts, t0, erpDay, erpProduct("X", "QUINC", "X", "1.00")))
	if n := sweep(t, tbl, "m1", erp.KindProducts, "f0", t0); n != 0 {
		t.Errorf("the older file's sweep deactivated %d", n)
	}
	if !productOf(t, tbl, "X").Inactive || productOf(t, tbl, "A").Inactive || productOf(t, tbl, "B").Inactive {
		t.Errorf("after the older file: X %v A %v B %v", productOf(t, tbl, "X").Inactive, productOf(t, tbl, "A").Inactive, productOf(t, tbl, "B").Inactive)
	}

	// A newer row of X wakes it up.
	applyChunk(t, a, chunk("d2", erp.KindProducts, t1.Add(time.Hour), erpProduct("X", "QUINC", "X", "1.00")))
	if productOf(t, tbl, "X").Inactive {
		t.Error("a newer row of X left it asleep")
	}
	checkConsistent(t, tbl, "m1")
}

// Rows of a full file that does not deactivate (the setting off) and of a
// delta mark nothing seen: a sweep is only ever asked for the full files
// that deactivate, so nothing of theirs is put to sleep (erp.FinishSweep
// and the pipeline's test hold the rest of that rule). A full file that
// deactivates marks its items seen once: its chunk applied again writes
// nothing.
func TestERPSweep_OnlyTheRowsOfAFullFileThatDeactivatesMarkTheirItemsSeen(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	applyChunk(t, a, catalogChunks("setup", erpDay)[0])
	applyChunk(t, a, chunk("d0", erp.KindProducts, erpDay, erpProduct("A", "VIS", "A", "1.00")))
	full := chunk("f1", erp.KindProducts, erpDay, erpProduct("A", "VIS", "A", "1.00"))
	full.Full = true // setting off: no DeactivateMissing
	before := snapshot(t, tbl)
	applyChunk(t, a, full)
	applyChunk(t, a, chunk("d1", erp.KindProducts, erpDay, erpProduct("A", "VIS", "A", "1.00")))
	if after := snapshot(t, tbl); !reflect.DeepEqual(before, after) {
		t.Error("rows that change nothing wrote something")
	}
	t1 := erpDay.Add(time.Hour)
	on := fullChunk("f2", erp.KindProducts, t1, erpDay, erpProduct("A", "VIS", "A", "1.00"))
	applyChunk(t, a, on)
	marked := snapshot(t, tbl)
	if reflect.DeepEqual(before, marked) {
		t.Error("the row of a full file that deactivates did not mark its product seen")
	}
	applyChunk(t, a, on)
	if again := snapshot(t, tbl); !reflect.DeepEqual(marked, again) {
		t.Error("the same chunk again wrote its mark again")
	}
}

// A sweep and newer rows of the same products at once (8 writers): a
// newer row always wins, whichever comes first.
func TestERPSweep_ANewerRowWrittenDuringTheSweepWins(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	applyChunk(t, a, catalogChunks("setup", erpDay)[0])
	var old, keep []erp.Record
	for i := range 28 {
		old = append(old, erpProduct(fmt.Sprintf("P-%02d", i), "VIS", "P", "1.00"))
	}
	keep = append(keep, erpProduct("KEEP", "VIS", "K", "1.00"))
	applyChunk(t, a, chunk("d0", erp.KindProducts, erpDay, append(old, keep...)...))
	t1 := erpDay.Add(time.Hour)
	applyChunk(t, a, fullChunk("f1", erp.KindProducts, t1, erpDay, erpProduct("KEEP", "VIS", "K", "1.00")))

	newer := t1.Add(time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := (dynamo.ERPSweep{Table: tbl}).Sweep(context.Background(), "m1", erp.KindProducts, "f1", t1); err != nil {
			errs <- err
		}
	}()
	for w := range 7 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recs []erp.Record
			for i := w; i < 28; i += 7 {
				recs = append(recs, erpProduct(fmt.Sprintf("P-%02d", i), "VIS", "P", "1.00"))
			}
			ch := chunk(fmt.Sprintf("d-new-%d", w), erp.KindProducts, newer, recs...)
			if _, _, err := a.Apply(context.Background(), ch); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range 28 {
		if ref := fmt.Sprintf("P-%02d", i); productOf(t, tbl, ref).Inactive {
			t.Errorf("%s: asleep, although a newer row wrote it", ref)
		}
	}
	checkConsistent(t, tbl, "m1")
}

// A full customers file without C3 makes C3 dormant (it can no longer
// order); the accounts it held stay active; the sweep again changes
// nothing; an older full file arriving late puts none of the newer one's
// accounts to sleep.
func TestERPSweep_AFullCustomersFileMakesTheAccountsItLacksDormant(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := &dynamo.ERPAccounts{Table: tbl}
	acc := func(id string) erp.Record {
		c := customer.Customer{ID: id, Name: "Client " + id, Country: "FR"}
		return erp.Record{Key: id, Customer: &c}
	}
	ch := chunk("d0", erp.KindCustomers, erpDay, acc("C1"), acc("C2"), acc("C3"))
	ch.Merchant = "m1"
	applyAccounts(t, a, ch)
	t1 := erpDay.Add(2 * time.Hour)
	applyAccounts(t, a, fullChunk("f1", erp.KindCustomers, t1, erpDay, acc("C1"), acc("C2")))
	if n := sweep(t, tbl, "m1", erp.KindCustomers, "f1", t1); n != 1 {
		t.Errorf("deactivated %d, want 1", n)
	}
	dormant := func(id string) bool {
		c, err := (&dynamo.Customers{Table: tbl}).Customer(context.Background(), "m1", id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Dormant
	}
	if !dormant("C3") || dormant("C1") || dormant("C2") {
		t.Fatalf("C1 %v C2 %v C3 %v", dormant("C1"), dormant("C2"), dormant("C3"))
	}
	before := snapshot(t, tbl)
	if n := sweep(t, tbl, "m1", erp.KindCustomers, "f1", t1); n != 1 {
		t.Errorf("the sweep again counts %d, want 1", n)
	}
	if after := snapshot(t, tbl); !reflect.DeepEqual(before, after) {
		t.Error("the sweep again changed the table")
	}
	t0 := erpDay.Add(time.Hour)
	applyAccounts(t, a, fullChunk("f0", erp.KindCustomers, t0, erpDay, acc("C3")))
	if n := sweep(t, tbl, "m1", erp.KindCustomers, "f0", t0); n != 0 || dormant("C1") || dormant("C2") || !dormant("C3") {
		t.Errorf("older file: deactivated %d; C1 %v C2 %v C3 %v", n, dormant("C1"), dormant("C2"), dormant("C3"))
	}
}
