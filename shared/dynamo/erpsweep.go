package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ERPSweep marks inactive what a full ERP file lacked (erp.Sweeper): the
// products ("en sommeil": catalog.Product.Inactive, as AR_Sommeil sets it,
// with every write a product save makes: it leaves the reference index
// and the search entries) and the customers (dormant: they can no longer
// order) of the merchant that the ERP wrote and that the full file of
// stamp T (job J) did not hold.
//
// Which items: the rows of a full file that deactivates what it lacks mark
// each item they name seen (ErpSeen = T when T is later than the mark,
// erpapply.go), whatever they change. An item is swept when it exists,
// carries an ERP stamp older than T (ErpStamp < T: no row at or after the
// file's time wrote it), was not seen by a full file of T or later
// (ErpSeen absent or < T) and is active. So a sweep never undoes a newer
// file: a newer full file's items carry its later mark, a newer row's its
// later stamp, and what a newer sweep deactivated its later stamp; items
// the ERP never wrote (no ErpStamp: the seed's, the back office's) are
// left alone. A swept item takes the stamp (T, J, line 0), so that an
// older row arriving later cannot wake it up, and a newer one can.
//
// How: page by page (at most sweepPage items a page, so the function's
// memory stays flat whatever the catalog), a Query of GSI1 filtered on the
// stamps and projecting them only: products category by category
// (GSI1PK = M#<m>#CAT#<id>, the tree read first), customers from the
// partition of the customers the ERP wrote (GSI1PK = M#<m>#ERPCUSTOMERS).
// The index is eventually consistent: each candidate is read again,
// strongly consistent, decided again and written on the condition of what
// was read (products: their Version, through the product save's
// transaction; customers: every attribute read, through applyERP), so a
// newer row written meanwhile wins and the candidate is left; an item
// written in the last moment before the sweep may be missed by the index,
// never deactivated wrongly.
//
// Idempotent: a sweep run again finds the items it deactivated stamped
// (T, J, 0), counts them and writes nothing.
//
// Round trips: 1 Query per page (sweepPage items or 1 MB read) of every
// item of the kind (2 more for the category tree), then for each page with
// candidates: 1 BatchGetItem per 100 candidates and their writes
// (products: TransactWriteItems of several products per category;
// customers: 1 TransactWriteItems per 100).
type ERPSweep struct{ Table Table }

var _ erp.Sweeper = ERPSweep{}

// sweepPage bounds the items one Query page of the sweep reads.
const sweepPage = 500

// Sweep marks inactive the items of kind that the full file of stamp
// (job) lacked, and returns how many this sweep deactivated, counting
// those an earlier run of it did.
func (s ERPSweep) Sweep(ctx context.Context, m merchant.ID, kind erp.Kind, job string, stamp time.Time) (int, error) {
	if _, err := merchantPrefix(m); err != nil {
		return 0, err
	}
	if stamp.IsZero() || job == "" {
		return 0, fmt.Errorf("sweep %s of %s: no file stamp or job", kind, m)
	}
	switch kind {
	case erp.KindProducts:
		return s.products(ctx, m, job, stamp.UnixNano())
	case erp.KindCustomers:
		return s.customers(ctx, m, job, stamp.UnixNano())
	}
	return 0, fmt.Errorf("sweep %s of %s: the kind has no inactive state", kind, m)
}

// sweepFilter keeps the items of a page the sweep counts or considers:
// swept by this sweep before (stamp (T, J, 0)), or stamped before T and
// not seen at T or later; active is an extra condition on the latter.
func sweepFilter(active string) string {
	cand := "#st < :t AND (attribute_not_exists(#seen) OR #seen < :t)"
	if active != "" {
		cand += " AND " + active
	}
	return "attribute_exists(#st) AND ((" + cand + ") OR (#st = :t AND #job = :job AND #line = :zero))"
}

// sweepValues are the filter's values.
func sweepValues(job string, t int64) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		":t":    &types.AttributeValueMemberN{Value: strconv.FormatInt(t, 10)},
		":job":  &types.AttributeValueMemberS{Value: job},
		":zero": &types.AttributeValueMemberN{Value: "0"},
	}
}

// sweptBefore reports an item stamped by this sweep (T, J, line 0).
func sweptBefore(av map[string]types.AttributeValue, job string, t int64) bool {
	st, _ := numberAttr(av, AttrErpStamp)
	line, _ := numberAttr(av, AttrErpLine)
	return st == t && str(av, AttrErpJob) == job && line == 0
}

// sweepPages queries GSI1 partition pk page by page, filtered and
// projected, and hands each page's items to page.
func (s ERPSweep) sweepPages(ctx context.Context, pk, filter string, values map[string]types.AttributeValue, projection string,
	page func([]map[string]types.AttributeValue) error) error {
	vals := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}
	for k, v := range values {
		vals[k] = v
	}
	pages := dynamodb.NewQueryPaginator(s.Table.Client, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table.Name),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		FilterExpression:       aws.String(filter),
		ProjectionExpression:   aws.String(projection),
		ExpressionAttributeNames: map[string]string{
			"#st": AttrErpStamp, "#seen": AttrErpSeen, "#job": AttrErpJob, "#line": AttrErpLine,
		},
		ExpressionAttributeValues: vals,
		Limit:                     aws.Int32(sweepPage),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", pk, err)
		}
		if len(out.Items) > 0 {
			if err := page(out.Items); err != nil {
				return err
			}
		}
	}
	return nil
}

// products sweeps the merchant's products, category by category.
func (s ERPSweep) products(ctx context.Context, m merchant.ID, job string, t int64) (int, error) {
	_, cats, err := (&Catalog{Table: s.Table}).readTree(ctx, m)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, cat := range cats {
		pk, err := productsByCategoryKey(m, cat.ID)
		if err != nil {
			return 0, err
		}
		err = s.sweepPages(ctx, pk, sweepFilter("attribute_exists(GSI2PK)"), sweepValues(job, t),
			"PK, GSI1SK, GSI2PK, #st, #job, #line, #seen",
			func(items []map[string]types.AttributeValue) error {
				var refs []string
				for _, av := range items {
					if sweptBefore(av, job, t) {
						if _, active := av[AttrGSI2PK]; !active {
							total++
						}
						continue
					}
					refs = append(refs, str(av, AttrGSI1SK))
				}
				n, err := s.deactivateProducts(ctx, m, job, t, refs)
				total += n
				return err
			})
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}

// deactivateProducts reads the candidates again (strongly consistent),
// decides again and saves those still to sweep as inactive, on the
// version read; those another writer changed meanwhile are read and
// decided again. It returns how many it deactivated.
func (s ERPSweep) deactivateProducts(ctx context.Context, m merchant.ID, job string, t int64, refs []string) (int, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	c := ERPCatalog{Table: s.Table}
	sweep := erpStamp{Stamp: t, Job: job, Line: 0}
	pending := make([]*productChange, len(refs))
	for i, ref := range refs {
		pending[i] = &productChange{ref: ref}
	}
	done := 0
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= maxSaveAttempts {
			return done, fmt.Errorf("sweep products of %s: %d products still changed by other writers after %d attempts: %w", m, len(pending), maxSaveAttempts, catalog.ErrConflict)
		}
		if attempt > 0 {
			if err := backoff(ctx, attempt-1); err != nil {
				return done, err
			}
		}
		if err := c.readProducts(ctx, m, pending); err != nil {
			return done, err
		}
		groups := map[string][]*productChange{}
		var order []string
		for _, pc := range pending {
			pc.docChanged, pc.stampChanged, pc.writing, pc.outcomes, pc.rejects = false, false, nil, nil, nil
			if pc.old.exists && pc.stamp != nil && *pc.stamp == sweep && pc.old.p.Inactive {
				done++ // put to sleep by this sweep, run at the same time
				continue
			}
			if !pc.old.exists || pc.stamp == nil || !sweep.newerThan(pc.stamp) || pc.seen >= t || pc.old.p.Inactive {
				continue // gone, never written by the ERP, newer, seen, or asleep already
			}
			p := pc.old.p
			p.Inactive = true
			st := sweep
			pc.p, pc.newStamp, pc.newParts, pc.newSeen = p, &st, pc.parts, pc.seen
			pc.docChanged, pc.stampChanged = true, true
			if _, ok := groups[p.CategoryID]; !ok {
				order = append(order, p.CategoryID)
			}
			groups[p.CategoryID] = append(groups[p.CategoryID], pc)
		}
		lost, err := c.writeGroups(ctx, m, order, groups)
		if err != nil {
			return done, fmt.Errorf("sweep products of %s: %w", m, err)
		}
		for _, cat := range order {
			for _, pc := range groups[cat] {
				if pc.docChanged && !slices.Contains(lost, pc) {
					done++
				}
			}
		}
		pending = lost
	}
	return done, nil
}

// customers sweeps the customers the ERP wrote.
func (s ERPSweep) customers(ctx context.Context, m merchant.ID, job string, t int64) (int, error) {
	pk, err := erpCustomersPK(m)
	if err != nil {
		return 0, err
	}
	stamp := time.Unix(0, t).UTC()
	total := 0
	err = s.sweepPages(ctx, pk, sweepFilter(""), sweepValues(job, t), "PK, SK, GSI1SK, #st, #job, #line, #seen, Doc",
		func(items []map[string]types.AttributeValue) error {
			var writes []erpWrite
			for _, av := range items {
				var c customer.Customer
				if err := decodeDoc(av, &c); err != nil {
					return err
				}
				if sweptBefore(av, job, t) {
					if c.Dormant {
						total++
					}
					continue
				}
				if c.Dormant {
					continue
				}
				id := str(av, AttrGSI1SK)
				rec := &erp.Record{Kind: erp.KindCustomers, Line: 0, Stamp: stamp, Key: id}
				writes = append(writes, erpWrite{PK: str(av, AttrPK), SK: str(av, AttrSK), Type: typeCustomer, Rec: rec, Sweep: true,
					Merge: func(stored []byte) (any, bool, *erp.RowError) {
						var c customer.Customer
						if err := json.Unmarshal(stored, &c); err != nil {
							return nil, false, &erp.RowError{Reason: "the stored account cannot be read: " + err.Error()}
						}
						if c.Dormant {
							return c, false, nil
						}
						c.Dormant = true
						return c, true, nil
					}})
			}
			if len(writes) == 0 {
				return nil
			}
			counts, _, err := s.Table.applyERP(ctx, job, writes)
			total += counts.Applied
			return err
		})
	if err != nil {
		return 0, err
	}
	return total, nil
}
