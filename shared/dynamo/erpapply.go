package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/erp"
)

// ERP imports (erpapply.go, erpcatalog.go, erpaccounts.go): every item an
// ERP record writes carries the stamp of the row that wrote it, so that an
// older row never overwrites a newer one:
//
//	ErpStamp  N  Unix nanoseconds of erp.Record.Stamp
//	ErpJob    S  the import job of the file
//	ErpLine   N  the row's line in its file
//	ErpParts  S  optional, JSON: the stamps of the parts of an item that
//	             rows of other files write apart (one currency of a
//	             day's rates, a quantity break of a customer price):
//	             {"<part>": [stamp, "job", line]}
//	ErpSeen   N  optional, products and customers: Unix nanoseconds of
//	             the latest full file that held the item and deactivates
//	             what it lacks (erp.Chunk.DeactivateMissing); written by
//	             each row of such a file, even one that changes nothing,
//	             only when it advances (see erpsweep.go)
//
// A record is newer than what is stored when nothing is stored, or the
// stored item (or part) has no stamp (written by the seed or the back
// office), or its stamp is later, or the stamp is the same, the job is the
// same and the line is later (a later line of the same file). Otherwise it
// counts Unchanged and writes nothing.
//
// applyERP is the engine every ERP kind but the product and the category
// tree goes through. For a run of records (a chunk):
//
//  1. it reads every item they write, strongly consistent, with
//     BatchGetItem: 100 keys per call, every call at once;
//  2. for each item, in the records' order, it decides newer or older,
//     merges the newer ones onto the document (erpWrite.Merge), and
//     advances the stamp;
//  3. it writes each item that changed (its document or only its stamp)
//     with a Put of the item as read, its document, type, stamps and
//     extra attributes replaced (its other attributes, a counter, are
//     kept), on the condition that every attribute read is still as read
//     and the stamp attributes it lacked are still absent
//     (attribute_not_exists(PK) for an item it did not find). The Puts
//     are packed into TransactWriteItems of up to 100 and 3.5 MB, every
//     transaction of the chunk at once;
//  4. the items of a transaction that was cancelled (another writer got
//     in between: ConditionalCheckFailed, TransactionConflict, in its
//     CancellationReasons) are read and merged again, with jittered
//     backoff, up to maxERPAttempts times; then the chunk fails (and its
//     message is delivered again: what it wrote then counts Unchanged).
//
// Round trips for a chunk of n records on distinct items, no race:
// ceil(n/100) BatchGetItem + ceil(n/100) TransactWriteItems, each phase's
// calls at once: 10 for a chunk of 500; a chunk that changes nothing
// costs its reads only.
//
// Why transactions: measured on DynamoDB Local (2 cores,
// TestApplyERP_WritesAsFastAsABatchWrite and
// TestERPCatalog_CustomerPricesAgainstABatchWrite, chunk after chunk in
// turn with the raw writes), conditional PutItem one item per call, 16 at
// once, wrote 20 to 900 items per second where transactions of 100 Puts
// wrote 350 to 1,100; transactions of 100 UpdateItems about half as fast
// as Puts; smaller transactions (25) slower. BatchWriteItem of the same
// items, 25 a call, wrote 1,000 to 2,000 items per second one call after
// the other and up to 3,600 with 8 calls at once: on DynamoDB Local the
// engine reaches 0.5 to 0.85 of sequential BatchWriteItem, about 0.35 of
// parallel BatchWriteItem (DynamoDB Local serves transactions and
// conditions slowly; BatchWriteItem has neither). On DynamoDB itself a
// transactional write costs twice the write units of a plain one; the
// choice is Local's, and writeERPItems is where to change it.

// Attributes of the stamp of the ERP row that last wrote an item.
const (
	AttrErpStamp = "ErpStamp"
	AttrErpJob   = "ErpJob"
	AttrErpLine  = "ErpLine"
	AttrErpParts = "ErpParts"
	AttrErpSeen  = "ErpSeen"
)

const (
	// maxERPAttempts bounds the reads and writes of one chunk's item
	// against concurrent writers of that item.
	maxERPAttempts = 10
	// erpParallel bounds the BatchGetItem and TransactWriteItems calls of
	// one chunk sent at once.
	erpParallel = 8
)

// erpWrite is one record to write as a Doc item under the stamp guard.
type erpWrite struct {
	PK, SK, Type string
	Rec          *erp.Record
	// Merge builds the document to store from the stored one (nil when none); changed=false: the same
	// document (Unchanged). A rowErr refuses the record (Rejected, in the report).
	Merge func(stored []byte) (doc any, changed bool, rowErr *erp.RowError)
	// Extra attributes to set (GSI keys...), optional. A nil value
	// removes the attribute.
	Extra map[string]types.AttributeValue
	// Part, when set, names the part of the item the record writes (a
	// currency of a day's rates): its stamp is kept apart, in ErpParts,
	// so that rows of different files on different parts of one item
	// never shadow each other. Empty: the record writes the whole item,
	// under ErpStamp/ErpJob/ErpLine.
	Part string
	// Seen, when set, is the stamp (Unix nanoseconds) of a full file that
	// deactivates what it lacks: the item is marked as seen by it
	// (ErpSeen), even when the record is older or changes nothing, with a
	// write only when the mark advances; Extra is set with it.
	Seen int64
	// Sweep marks the record of a full file's sweep (erpsweep.go): it
	// applies only over an item that exists, carries an ERP stamp older
	// than the record's and was not seen at the record's stamp or later,
	// and only when Merge changes it.
	Sweep bool
}

// erpStamp is the stamp of a record or of what is stored.
type erpStamp struct {
	Stamp int64
	Job   string
	Line  int64
}

// recordStamp is the stamp a record of job writes.
func recordStamp(job string, r *erp.Record) erpStamp {
	return erpStamp{Stamp: r.Stamp.UnixNano(), Job: job, Line: int64(r.Line)}
}

// newerThan reports whether s may overwrite stored (nil: no stamp stored).
func (s erpStamp) newerThan(stored *erpStamp) bool {
	switch {
	case stored == nil:
		return true
	case s.Stamp != stored.Stamp:
		return s.Stamp > stored.Stamp
	default:
		return s.Job == stored.Job && s.Line > stored.Line
	}
}

// MarshalJSON writes a part's stamp as [stamp, job, line].
func (s erpStamp) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{s.Stamp, s.Job, s.Line})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *erpStamp) UnmarshalJSON(b []byte) error {
	var v []json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v) != 3 {
		return fmt.Errorf("ERP part stamp %s: want [stamp, job, line]", b)
	}
	return errors.Join(json.Unmarshal(v[0], &s.Stamp), json.Unmarshal(v[1], &s.Job), json.Unmarshal(v[2], &s.Line))
}

// storedStamp reads the whole-item stamp of a stored item (nil when it has
// none).
func storedStamp(av map[string]types.AttributeValue) (*erpStamp, error) {
	if _, ok := av[AttrErpStamp]; !ok {
		return nil, nil
	}
	s, err := numberAttr(av, AttrErpStamp)
	if err != nil {
		return nil, err
	}
	l, err := numberAttr(av, AttrErpLine)
	if err != nil {
		return nil, err
	}
	return &erpStamp{Stamp: s, Job: str(av, AttrErpJob), Line: l}, nil
}

// erpItem is one item being applied: what was read and what the records
// made of it.
type erpItem struct {
	pk, sk, typ string
	writes      []int
	// read is the stored item (nil when none).
	read map[string]types.AttributeValue
	// doc, stamp and parts are the item as the records left it.
	doc   []byte
	stamp *erpStamp
	parts map[string]erpStamp
	// seen is ErpSeen as read, newSeen as the records leave it.
	seen, newSeen int64
	extra         map[string]types.AttributeValue
	dirty         bool
	// outcome per write of writes: applied, unchanged or rejected.
	outcomes []erpOutcome
	rejects  []erp.RowError
}

type erpOutcome int

const (
	outUnchanged erpOutcome = iota
	outApplied
	outRejected
)

// tally adds each outcome to counts.
func tally(counts *erp.Counts, outcomes []erpOutcome) {
	for _, o := range outcomes {
		switch o {
		case outApplied:
			counts.Applied++
		case outUnchanged:
			counts.Unchanged++
		case outRejected:
			counts.Rejected++
		}
	}
}

// applyERP applies writes (the records of one chunk of job) as the top of
// this file says, and returns what each record did.
func (t Table) applyERP(ctx context.Context, job string, writes []erpWrite) (erp.Counts, []erp.RowError, error) {
	var (
		items []*erpItem
		byKey = map[string]*erpItem{}
	)
	for i, w := range writes {
		if w.Rec == nil || w.Merge == nil {
			return erp.Counts{}, nil, fmt.Errorf("apply ERP write %s %s: no record or merge", w.PK, w.SK)
		}
		k := w.PK + "\x00" + w.SK
		it, ok := byKey[k]
		if !ok {
			it = &erpItem{pk: w.PK, sk: w.SK, typ: w.Type}
			byKey[k] = it
			items = append(items, it)
		}
		it.writes = append(it.writes, i)
	}
	pending := items
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= maxERPAttempts {
			return erp.Counts{}, nil, fmt.Errorf("apply ERP records of job %s: %d items still changed by other writers after %d attempts", job, len(pending), maxERPAttempts)
		}
		if attempt > 0 {
			if err := backoff(ctx, attempt-1); err != nil {
				return erp.Counts{}, nil, err
			}
		}
		if err := t.readERPItems(ctx, pending); err != nil {
			return erp.Counts{}, nil, err
		}
		var dirty []*erpItem
		for _, it := range pending {
			if err := it.apply(job, writes); err != nil {
				return erp.Counts{}, nil, err
			}
			if it.dirty {
				dirty = append(dirty, it)
			}
		}
		lost, err := t.writeERPItems(ctx, dirty)
		if err != nil {
			return erp.Counts{}, nil, fmt.Errorf("apply ERP records of job %s: %w", job, err)
		}
		pending = lost
	}
	var (
		counts  erp.Counts
		rejects []erp.RowError
	)
	for _, it := range items {
		tally(&counts, it.outcomes)
		rejects = append(rejects, it.rejects...)
	}
	sort.SliceStable(rejects, func(i, j int) bool { return rejects[i].Line < rejects[j].Line })
	return counts, rejects, nil
}

// readERPItems reads the stored items, strongly consistent, 100 keys per
// BatchGetItem, up to erpParallel calls at once.
func (t Table) readERPItems(ctx context.Context, items []*erpItem) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpParallel)
	for start := 0; start < len(items); start += batchGetLimit {
		part := items[start:min(start+batchGetLimit, len(items))]
		g.Go(func() error {
			keys := make([]map[string]string, len(part))
			for i, it := range part {
				keys[i] = keyOf(it.pk, it.sk)
			}
			got, err := t.consistentBatchGet(gctx, keys)
			if err != nil {
				return fmt.Errorf("read items to apply ERP records: %w", err)
			}
			for _, it := range part {
				it.read = got[it.pk+"|"+it.sk]
			}
			return nil
		})
	}
	return g.Wait()
}

// apply decides and merges the item's records onto what was read.
func (it *erpItem) apply(job string, writes []erpWrite) error {
	it.doc, it.stamp, it.parts, it.extra, it.dirty = nil, nil, nil, nil, false
	it.outcomes, it.rejects = make([]erpOutcome, len(it.writes)), nil
	it.seen = 0
	if it.read != nil {
		seen, err := numberAttr(it.read, AttrErpSeen)
		if err != nil {
			return fmt.Errorf("item %s %s: %w", it.pk, it.sk, err)
		}
		it.seen = seen
		if d, ok := it.read[AttrDoc].(*types.AttributeValueMemberS); ok {
			it.doc = []byte(d.Value)
		}
		s, err := storedStamp(it.read)
		if err != nil {
			return fmt.Errorf("item %s %s: %w", it.pk, it.sk, err)
		}
		it.stamp = s
		if p := str(it.read, AttrErpParts); p != "" {
			if err := json.Unmarshal([]byte(p), &it.parts); err != nil {
				return fmt.Errorf("item %s %s: stamps of parts: %w", it.pk, it.sk, err)
			}
		}
	}
	it.newSeen = it.seen
	setExtra := func(w erpWrite) {
		for k, v := range w.Extra {
			if it.extra == nil {
				it.extra = map[string]types.AttributeValue{}
			}
			it.extra[k] = v
		}
	}
	for n, i := range it.writes {
		w := writes[i]
		s := recordStamp(job, w.Rec)
		if w.Seen > it.newSeen {
			it.newSeen = w.Seen
			setExtra(w)
			it.dirty = true
		}
		var stored *erpStamp
		if w.Part == "" {
			stored = it.stamp
		} else if ps, ok := it.parts[w.Part]; ok {
			stored = &ps
		}
		if w.Sweep && (it.read == nil || it.stamp == nil || it.newSeen >= s.Stamp) {
			it.outcomes[n] = outUnchanged
			continue
		}
		if !s.newerThan(stored) {
			it.outcomes[n] = outUnchanged
			if w.Sweep && stored != nil && *stored == s {
				// Written by this sweep, run at the same time: its count.
				it.outcomes[n] = outApplied
			}
			continue
		}
		doc, changed, rowErr := w.Merge(it.doc)
		if w.Sweep && rowErr == nil && !changed {
			it.outcomes[n] = outUnchanged
			continue
		}
		if rowErr != nil {
			e := *rowErr
			if e.Line == 0 {
				e.Line = w.Rec.Line
			}
			it.outcomes[n] = outRejected
			it.rejects = append(it.rejects, e)
			continue
		}
		if changed {
			b, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("encode %s %s: %w", w.Type, w.PK, err)
			}
			it.doc = b
			it.outcomes[n] = outApplied
		} else {
			it.outcomes[n] = outUnchanged
		}
		if w.Part == "" {
			it.stamp = &s
		} else {
			if it.parts == nil {
				it.parts = map[string]erpStamp{}
			}
			it.parts[w.Part] = s
		}
		if w.Type != "" {
			it.typ = w.Type
		}
		setExtra(w)
		it.dirty = true
	}
	if it.dirty && it.doc == nil {
		// Only stamps advanced on an item without a document: nothing to
		// store but the stamps would create a bare item; write nothing.
		it.dirty = false
	}
	return nil
}

// writeERPItems writes the items, each conditioned on what was read, in
// transactions of up to 100 writes and maxTransactBytes, up to erpParallel
// at once. It returns the items of the transactions that were cancelled
// because an item changed (or another transaction held one): they must be
// read and merged again.
func (t Table) writeERPItems(ctx context.Context, items []*erpItem) (lost []*erpItem, err error) {
	type batch struct {
		items []*erpItem
		tx    []types.TransactWriteItem
		size  int
	}
	var batches []*batch
	cur := &batch{}
	for _, it := range items {
		put, size, err := it.put(t.Name)
		if err != nil {
			return nil, err
		}
		if len(cur.tx) > 0 && (len(cur.tx) >= maxTransactItems || cur.size+size > maxTransactBytes) {
			batches = append(batches, cur)
			cur = &batch{}
		}
		cur.items = append(cur.items, it)
		cur.tx = append(cur.tx, types.TransactWriteItem{Put: put})
		cur.size += size
	}
	if len(cur.tx) > 0 {
		batches = append(batches, cur)
	}
	lostBy := make([]bool, len(batches))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpParallel)
	for i, b := range batches {
		g.Go(func() error {
			_, err := t.Client.TransactWriteItems(gctx, &dynamodb.TransactWriteItemsInput{TransactItems: b.tx})
			if err == nil {
				return nil
			}
			if erpRaceLost(err) {
				lostBy[i] = true
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, b := range batches {
		if lostBy[i] {
			lost = append(lost, b.items...)
		}
	}
	return lost, nil
}

// erpRaceLost reports whether a cancelled transaction met another writer
// (a condition on what was read failed, or another transaction held an
// item), so that its items are to be read and merged again; any other
// cancellation or error is a failure.
func erpRaceLost(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	raced := false
	for _, r := range tce.CancellationReasons {
		switch code := aws.ToString(r.Code); code {
		case "", "None":
		case "ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			raced = true
		default:
			return false
		}
	}
	return raced
}

// put is the conditional write of the item as the records left it: the
// item as read with its document, type, stamps and extra attributes
// replaced, on the condition that every attribute read is still as read
// and the stamp attributes it did not have are still absent.
func (it *erpItem) put(table string) (*types.Put, int, error) {
	item := make(map[string]types.AttributeValue, len(it.read)+8)
	maps.Copy(item, it.read)
	item[AttrPK] = &types.AttributeValueMemberS{Value: it.pk}
	item[AttrSK] = &types.AttributeValueMemberS{Value: it.sk}
	item[AttrDoc] = &types.AttributeValueMemberS{Value: string(it.doc)}
	item[AttrType] = &types.AttributeValueMemberS{Value: it.typ}
	if it.stamp != nil {
		item[AttrErpStamp] = &types.AttributeValueMemberN{Value: strconv.FormatInt(it.stamp.Stamp, 10)}
		item[AttrErpJob] = &types.AttributeValueMemberS{Value: it.stamp.Job}
		item[AttrErpLine] = &types.AttributeValueMemberN{Value: strconv.FormatInt(it.stamp.Line, 10)}
	}
	if len(it.parts) > 0 {
		b, err := json.Marshal(it.parts)
		if err != nil {
			return nil, 0, err
		}
		item[AttrErpParts] = &types.AttributeValueMemberS{Value: string(b)}
	}
	if it.newSeen > 0 {
		item[AttrErpSeen] = &types.AttributeValueMemberN{Value: strconv.FormatInt(it.newSeen, 10)}
	}
	for k, v := range it.extra {
		if v == nil {
			delete(item, k)
		} else {
			item[k] = v
		}
	}
	put := &types.Put{TableName: aws.String(table), Item: item}
	if it.read == nil {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
		return put, len(it.doc) + len(it.pk) + len(it.sk) + 200, nil
	}
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var cond []string
	attrs := make([]string, 0, len(it.read)+4)
	for k := range it.read {
		if k != AttrPK && k != AttrSK {
			attrs = append(attrs, k)
		}
	}
	for _, k := range []string{AttrDoc, AttrErpStamp, AttrErpJob, AttrErpLine, AttrErpParts, AttrErpSeen} {
		if _, ok := it.read[k]; !ok {
			attrs = append(attrs, k)
		}
	}
	sort.Strings(attrs)
	for i, k := range attrs {
		n := "#a" + strconv.Itoa(i)
		names[n] = k
		if v, ok := it.read[k]; ok {
			values[":v"+strconv.Itoa(i)] = v
			cond = append(cond, n+" = :v"+strconv.Itoa(i))
		} else {
			cond = append(cond, "attribute_not_exists("+n+")")
		}
	}
	put.ConditionExpression = aws.String(strings.Join(cond, " AND "))
	put.ExpressionAttributeNames = names
	if len(values) > 0 {
		put.ExpressionAttributeValues = values
	}
	return put, 2*len(it.doc) + len(it.pk) + len(it.sk) + 300, nil
}
