package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/testenv"
)

// note is the document of the engine's tests: a value and the file that
// wrote it.
type note struct {
	Value string `json:"value"`
	Kept  string `json:"kept,omitempty"`
}

// noteWrites builds one write per key: key i gets value+i, stamped at
// stamp, on lines from 2. The merge keeps the stored Kept field, as a
// site-owned field.
func noteWrites(keys int, value string, stamp time.Time) []dynamo.ERPWrite {
	ws := make([]dynamo.ERPWrite, keys)
	for i := range ws {
		rec := &erp.Record{Kind: erp.KindProducts, Line: i + 2, Stamp: stamp, Key: strconv.Itoa(i)}
		v := value + strconv.Itoa(i)
		ws[i] = dynamo.ERPWrite{PK: "T#" + strconv.Itoa(i), SK: "NOTE", Type: "Note", Rec: rec,
			Merge: func(stored []byte) (any, bool, *erp.RowError) {
				var n note
				if stored != nil {
					if err := json.Unmarshal(stored, &n); err != nil {
						return nil, false, &erp.RowError{Reason: err.Error()}
					}
				}
				if stored != nil && n.Value == v {
					return n, false, nil
				}
				n.Value = v
				return n, true, nil
			}}
	}
	return ws
}

func readNote(t *testing.T, tbl dynamo.Table, pk string) (note, map[string]types.AttributeValue) {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "NOTE"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var n note
	if d, ok := out.Item["Doc"].(*types.AttributeValueMemberS); ok {
		if err := json.Unmarshal([]byte(d.Value), &n); err != nil {
			t.Fatal(err)
		}
	}
	return n, out.Item
}

func apply(t *testing.T, tbl dynamo.Table, job string, ws []dynamo.ERPWrite) (erp.Counts, []erp.RowError) {
	t.Helper()
	c, rej, err := tbl.ApplyERP(context.Background(), job, ws)
	if err != nil {
		t.Fatalf("apply %s: %v", job, err)
	}
	return c, rej
}

func TestApplyERP_OlderNeverOverwritesNewerAndTheSameRecordsChangeNothing(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	const n = 130 // more than one read and one transaction

	if c, _ := apply(t, tbl, "new", noteWrites(n, "new", day)); c != (erp.Counts{Applied: n}) {
		t.Fatalf("first apply: %+v", c)
	}
	if c, _ := apply(t, tbl, "new", noteWrites(n, "new", day)); c != (erp.Counts{Unchanged: n}) {
		t.Errorf("the same records again: %+v, want all unchanged", c)
	}
	if c, _ := apply(t, tbl, "old", noteWrites(n, "old", day.Add(-time.Hour))); c != (erp.Counts{Unchanged: n}) {
		t.Errorf("an older file: %+v, want all unchanged", c)
	}
	// Same stamp, another file: not newer.
	if c, _ := apply(t, tbl, "other", noteWrites(n, "other", day)); c != (erp.Counts{Unchanged: n}) {
		t.Errorf("another file of the same stamp: %+v, want all unchanged", c)
	}
	for _, i := range []int{0, n - 1} {
		if got, _ := readNote(t, tbl, "T#"+strconv.Itoa(i)); got.Value != "new"+strconv.Itoa(i) {
			t.Errorf("item %d = %q, want the newer file's", i, got.Value)
		}
	}

	// A newer file with the same values: unchanged, but its stamp is kept,
	// so that a file older than it but newer than the first changes
	// nothing either.
	if c, _ := apply(t, tbl, "newer", noteWrites(n, "new", day.Add(2*time.Hour))); c != (erp.Counts{Unchanged: n}) {
		t.Errorf("a newer file with the same values: %+v", c)
	}
	if _, av := readNote(t, tbl, "T#3"); av["ErpJob"].(*types.AttributeValueMemberS).Value != "newer" {
		t.Errorf("stamp not advanced: job %v", av["ErpJob"])
	}
	if c, _ := apply(t, tbl, "between", noteWrites(n, "between", day.Add(time.Hour))); c != (erp.Counts{Unchanged: n}) {
		t.Errorf("a file between the two: %+v", c)
	}
}

func TestApplyERP_ALaterLineOfTheSameFileWinsAndRejectsNameTheirLine(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	ws := noteWrites(2, "a", day)
	// The same key twice in one chunk, then a bad row.
	later := noteWrites(1, "b", day)[0]
	later.Rec.Line = 9
	bad := noteWrites(2, "c", day)[1]
	bad.Rec.Line = 10
	bad.PK = "T#9"
	bad.Merge = func([]byte) (any, bool, *erp.RowError) {
		return nil, false, &erp.RowError{Column: "AR_Ref", Reason: "unknown product", Value: "X"}
	}
	c, rej := apply(t, tbl, "j", append(ws, later, bad))
	if c != (erp.Counts{Applied: 3, Rejected: 1}) {
		t.Errorf("counts %+v", c)
	}
	if len(rej) != 1 || rej[0].Line != 10 || rej[0].Reason != "unknown product" {
		t.Errorf("rejects %+v", rej)
	}
	if got, _ := readNote(t, tbl, "T#0"); got.Value != "b0" {
		t.Errorf("T#0 = %q, want the later line's b0", got.Value)
	}
	if _, av := readNote(t, tbl, "T#9"); av != nil {
		t.Errorf("a rejected row wrote %v", av)
	}
	// Line 9 is stored: line 2 of the same file again changes nothing.
	if c, _ := apply(t, tbl, "j", noteWrites(1, "a", day)); c != (erp.Counts{Unchanged: 1}) {
		t.Errorf("an earlier line after a later one: %+v", c)
	}
}

func TestApplyERP_KeepsWhatTheSiteWroteInBetween(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	apply(t, tbl, "a", noteWrites(1, "a", day))
	// The site sets Kept (no stamp change); the next file keeps it.
	if _, err := tbl.Client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(tbl.Name),
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "T#0"}, "SK": &types.AttributeValueMemberS{Value: "NOTE"}},
		UpdateExpression:          aws.String("SET Doc = :d, SiteCount = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberS{Value: `{"value":"a0","kept":"site"}`}, ":c": &types.AttributeValueMemberN{Value: "7"}},
	}); err != nil {
		t.Fatal(err)
	}
	apply(t, tbl, "b", noteWrites(1, "b", day.Add(time.Minute)))
	got, av := readNote(t, tbl, "T#0")
	if got != (note{Value: "b0", Kept: "site"}) {
		t.Errorf("after the next file: %+v", got)
	}
	if c, ok := av["SiteCount"].(*types.AttributeValueMemberN); !ok || c.Value != "7" {
		t.Errorf("the item's other attributes were lost: %v", av)
	}
}

func TestApplyERP_TheNewestFileWinsWhateverTheOrderOfManyWriters(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	const writers, keys = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			// File w is stamped w minutes after day; they all write the
			// same keys at once.
			job := fmt.Sprintf("file-%02d", w)
			if _, _, err := tbl.ApplyERP(context.Background(), job, noteWrites(keys, job+"-", day.Add(time.Duration(w)*time.Minute))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	newest := fmt.Sprintf("file-%02d-", writers-1)
	for i := range keys {
		got, av := readNote(t, tbl, "T#"+strconv.Itoa(i))
		if got.Value != newest+strconv.Itoa(i) || av["ErpJob"].(*types.AttributeValueMemberS).Value != newest[:len(newest)-1] {
			t.Errorf("item %d = %q by %v, want the newest file's", i, got.Value, av["ErpJob"])
		}
	}
}

func TestApplyERP_PartsOfOneItemKeepTheirOwnStamps(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	part := func(name, value string, stamp time.Time) dynamo.ERPWrite {
		return dynamo.ERPWrite{PK: "T#day", SK: "NOTE", Type: "Note", Part: name,
			Rec: &erp.Record{Line: 2, Stamp: stamp},
			Merge: func(stored []byte) (any, bool, *erp.RowError) {
				m := map[string]string{}
				if stored != nil {
					_ = json.Unmarshal(stored, &m)
				}
				if m[name] == value {
					return m, false, nil
				}
				m[name] = value
				return m, true, nil
			}}
	}
	apply(t, tbl, "new", []dynamo.ERPWrite{part("USD", "1.10", day)})
	// An older file on another part applies; on the same part it does not.
	if c, _ := apply(t, tbl, "old", []dynamo.ERPWrite{part("GBP", "0.86", day.Add(-time.Hour)), part("USD", "1.00", day.Add(-time.Hour))}); c != (erp.Counts{Applied: 1, Unchanged: 1}) {
		t.Errorf("counts %+v", c)
	}
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "T#day"}, "SK": &types.AttributeValueMemberS{Value: "NOTE"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Item["Doc"].(*types.AttributeValueMemberS).Value; d != `{"GBP":"0.86","USD":"1.10"}` {
		t.Errorf("day = %s", d)
	}
}

// TestApplyERP_WritesAsFastAsABatchWrite measures, when COMPTOIR_MEASURE is
// set, the items per second the engine writes next to BatchWriteItem of
// the same items, and logs both (no assertion on time).
func TestApplyERP_WritesAsFastAsABatchWrite(t *testing.T) {
	if os.Getenv("COMPTOIR_MEASURE") == "" {
		t.Skip("set COMPTOIR_MEASURE=1 to measure")
	}
	tbl := testenv.Table(t)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	const chunks, size = 12, 500
	ctx := context.Background()

	var engine, raw time.Duration
	for c := range chunks {
		// Interleaved, so that the load of the machine weighs on both.
		ws := noteWrites(size, "x", day)
		for i := range ws {
			ws[i].PK = fmt.Sprintf("E#%d#%d", c, i)
		}
		start := time.Now()
		if _, _, err := tbl.ApplyERP(ctx, "bench", ws); err != nil {
			t.Fatal(err)
		}
		engine += time.Since(start)

		var reqs []types.WriteRequest
		for i := range size {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: fmt.Sprintf("R#%d#%d", c, i)}, "SK": &types.AttributeValueMemberS{Value: "NOTE"},
				"Type": &types.AttributeValueMemberS{Value: "Note"}, "Doc": &types.AttributeValueMemberS{Value: fmt.Sprintf(`{"value":"x%d"}`, i)},
				"ErpStamp": &types.AttributeValueMemberN{Value: "1"}, "ErpJob": &types.AttributeValueMemberS{Value: "bench"}, "ErpLine": &types.AttributeValueMemberN{Value: strconv.Itoa(i)},
			}}})
		}
		start = time.Now()
		for s := 0; s < len(reqs); s += 25 {
			pending := map[string][]types.WriteRequest{tbl.Name: reqs[s : s+25]}
			for len(pending[tbl.Name]) > 0 {
				out, err := tbl.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					t.Fatal(err)
				}
				pending = out.UnprocessedItems
			}
		}
		raw += time.Since(start)
	}
	n := float64(chunks * size)
	t.Logf("engine %.0f items/s, raw BatchWriteItem (25 a call, one call after the other) %.0f items/s: %.2f×",
		n/engine.Seconds(), n/raw.Seconds(), raw.Seconds()/engine.Seconds())
}
