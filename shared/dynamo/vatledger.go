package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// The distance-selling ledger (package vatledger) in the table:
//
//   - M#<m>#VAT / <year>#<scope>: a year's total, net of VAT in euros, of a
//     destination country ("2026#BE") or EU-wide ("2026#EU"), in the
//     number attribute Total, with a Seq number every write increments;
//   - M#<m>#VAT / SETTINGS: the settings (Doc), with a Version;
//   - M#<m>#VAT / ALERT#<year>-<scope>: the alert of a total that went over
//     its threshold, one per year and scope;
//   - M#<m>#VATORDER#<year> / <order id>: each order's entry, the
//     idempotency record of the business key (its Status attribute is
//     placed or cancelled).
//
// A year is the merchant's calendar year: an order is filed, entry and
// totals, under the year of its placedAt in the merchant's time zone
// (vatledger.YearIn), and State is read for the merchant's day.
//
// State is one Query of the ledger partition from the previous year's
// first total on: both years' totals, the settings (and the alerts, which
// it skips). Apply writes a batch of events in one TransactWriteItems: each
// order's entry under a condition on what was read of it, and one ADD per
// total the batch changes, aggregated over the batch. The EU-wide total of
// the year is the hot item every distance sale changes: the aggregation
// makes it one write per batch of events, not one per event.

// Attributes of the ledger's items.
const (
	// AttrTotal is a ledger total (a DynamoDB number: exact decimals).
	AttrTotal = "Total"
	// AttrSeq counts the writes of a ledger total, so that a
	// recomputation sees any write that happened since it read it.
	AttrSeq = "Seq"
	// AttrStatus is an order entry's status, conditioned on.
	AttrStatus = "Status"
)

// Item types of the ledger.
const (
	typeVATTotal    = "VATTotal"
	typeVATSettings = "VATSettings"
	typeVATAlert    = "VATAlert"
	typeVATOrder    = "VATOrder"
)

// maxLedgerAttempts bounds the attempts of one write of the ledger against
// concurrent writers.
const maxLedgerAttempts = 25

// ErrLedgerConflict is vatledger.ErrConflict: other writers kept changing
// the ledger through every attempt of a write.
var ErrLedgerConflict = vatledger.ErrConflict

// VATLedger is the merchants' distance-selling ledgers.
type VATLedger struct {
	Table Table
	// Now stamps alerts; time.Now when nil.
	Now func() time.Time
}

func (l *VATLedger) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// ledgerRead is what a Query of the ledger partition returned.
type ledgerRead struct {
	settings        vatledger.Settings
	settingsVersion int64
	settingsFound   bool
	totals          map[int]map[string]decimal.Decimal
	seqs            map[string]int64 // by sort key
	alerts          map[string]bool  // by alert id
}

// readLedger queries the ledger partition from fromYear's totals on (the
// settings and the alerts sort after every year).
func (l *VATLedger) readLedger(ctx context.Context, m merchant.ID, fromYear int, consistent bool) (ledgerRead, error) {
	pk, err := vatLedgerPK(m)
	if err != nil {
		return ledgerRead{}, err
	}
	r := ledgerRead{settings: vatledger.DefaultSettings(), totals: map[int]map[string]decimal.Decimal{}, seqs: map[string]int64{}, alerts: map[string]bool{}}
	pages := dynamodb.NewQueryPaginator(l.Table.Client, &dynamodb.QueryInput{
		TableName:              aws.String(l.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND SK >= :from"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk}, ":from": &types.AttributeValueMemberS{Value: vatYearSK(fromYear)},
		},
		ConsistentRead: aws.Bool(consistent),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return ledgerRead{}, fmt.Errorf("read the VAT ledger of %s: %w", m, err)
		}
		for _, it := range out.Items {
			sk := str(it, AttrSK)
			switch {
			case sk == skVATSettings:
				if err := decodeDoc(it, &r.settings); err != nil {
					return ledgerRead{}, fmt.Errorf("VAT settings of %s: %w", m, err)
				}
				r.settingsFound = true
				r.settingsVersion, err = number[int64](it, AttrVersion)
				if err != nil {
					return ledgerRead{}, err
				}
			case strings.HasPrefix(sk, skVATAlert):
				r.alerts[strings.TrimPrefix(sk, skVATAlert)] = true
			default:
				year, scope, ok := parseTotalSK(sk)
				if !ok {
					continue
				}
				total, err := decimalAttr(it, AttrTotal)
				if err != nil {
					return ledgerRead{}, err
				}
				if r.totals[year] == nil {
					r.totals[year] = map[string]decimal.Decimal{}
				}
				r.totals[year][scope] = total
				if r.seqs[sk], err = number[int64](it, AttrSeq); err != nil {
					return ledgerRead{}, err
				}
			}
		}
	}
	return r, nil
}

func parseTotalSK(sk string) (year int, scope string, ok bool) {
	y, scope, ok := strings.Cut(sk, "#")
	if !ok || len(y) != 4 {
		return 0, "", false
	}
	year, err := strconv.Atoi(y)
	return year, scope, err == nil
}

// number reads a number attribute; 0 when absent.
func number[T int64 | int](av map[string]types.AttributeValue, name string) (T, error) {
	n, ok := av[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("item %s %s: %s %q: %w", str(av, AttrPK), str(av, AttrSK), name, n.Value, err)
	}
	return T(v), nil
}

// decimalAttr reads a decimal number attribute; zero when absent.
func decimalAttr(av map[string]types.AttributeValue, name string) (decimal.Decimal, error) {
	n, ok := av[name].(*types.AttributeValueMemberN)
	if !ok {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(n.Value)
	if err != nil {
		return decimal.Zero, fmt.Errorf("item %s %s: %s %q: %w", str(av, AttrPK), str(av, AttrSK), name, n.Value, err)
	}
	return d, nil
}

// State returns a merchant's threshold state for a sale on the day on (the
// merchant's day, merchant.Merchant.Today, whose year is the one its
// orders were counted in by Apply): its settings and the totals of on's calendar year and the previous one (and
// of any later year recorded), in one Query, eventually consistent. A
// merchant without settings has vatledger.DefaultSettings.
func (l *VATLedger) State(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error) {
	r, err := l.readLedger(ctx, m, vatledger.Year(on)-1, false)
	if err != nil {
		return vatledger.State{}, err
	}
	return vatledger.State{Settings: r.settings, Totals: r.totals}, nil
}

// Alerts returns a merchant's threshold alerts, oldest year first (one
// Query).
func (l *VATLedger) Alerts(ctx context.Context, m merchant.ID) ([]vatledger.Alert, error) {
	pk, err := vatLedgerPK(m)
	if err != nil {
		return nil, err
	}
	items, err := l.Table.partition(ctx, pk, skVATAlert)
	if err != nil {
		return nil, err
	}
	return decodeAll[vatledger.Alert](items)
}

// UpdateSettings reads a merchant's settings (1 round trip; the defaults
// when none were saved), applies update, validates the result and saves it
// only over the version read (1 round trip). A save that loses a race with
// another reads again and applies update again, up to maxSaveAttempts in
// all, then fails with ErrLedgerConflict. An error of update or of
// Validate aborts and is returned as is.
func (l *VATLedger) UpdateSettings(ctx context.Context, m merchant.ID, update func(*vatledger.Settings) error) (vatledger.Settings, error) {
	pk, err := vatLedgerPK(m)
	if err != nil {
		return vatledger.Settings{}, err
	}
	for attempt := 0; ; attempt++ {
		out, err := l.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(l.Table.Name), Key: key(pk, skVATSettings), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return vatledger.Settings{}, fmt.Errorf("read the VAT settings of %s: %w", m, err)
		}
		s := vatledger.DefaultSettings()
		var version int64
		if out.Item != nil {
			if err := decodeDoc(out.Item, &s); err != nil {
				return vatledger.Settings{}, fmt.Errorf("VAT settings of %s: %w", m, err)
			}
			if version, err = number[int64](out.Item, AttrVersion); err != nil {
				return vatledger.Settings{}, err
			}
		}
		s.CountryThresholds = maps.Clone(s.CountryThresholds)
		if s.OptIn != nil {
			o := *s.OptIn
			s.OptIn = &o
		}
		if err := update(&s); err != nil {
			return vatledger.Settings{}, err
		}
		if err := s.Validate(); err != nil {
			return vatledger.Settings{}, err
		}
		s.Version = version + 1
		av, err := item{PK: pk, SK: skVATSettings, Type: typeVATSettings, Doc: s}.attributes()
		if err != nil {
			return vatledger.Settings{}, err
		}
		av[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}
		put := versionedPut(aws.String(l.Table.Name), av, out.Item != nil, version)
		_, err = l.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return s, nil
		case !errors.As(err, &ccf):
			return vatledger.Settings{}, fmt.Errorf("save the VAT settings of %s: %w", m, err)
		case attempt+1 >= maxSaveAttempts:
			return vatledger.Settings{}, fmt.Errorf("save the VAT settings of %s: %d attempts: %w", m, maxSaveAttempts, ErrLedgerConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return vatledger.Settings{}, err
		}
	}
}

// orderEvents are a batch's events of one order, in the batch's order,
// and the merchant's time zone they are counted in.
type orderEvents struct {
	loc    *time.Location
	year   int
	order  string
	events []orderevent.Event
}

// totalKey names a ledger total.
type totalKey struct {
	year  int
	scope string
}

// Apply records order events in the ledger of merchant m, whose time
// zone is loc (merchant.Merchant.Location; nil is UTC), idempotently per
// order: each order counts in the calendar year of its placedAt in loc,
// entry and totals. a placement counts its order once, a cancellation reverses it, a
// cancellation that comes first leaves a cancelled entry so that the late
// placement changes nothing; duplicates change nothing. Events that do not
// count (vatledger.Counts: B2B, domestic, export) are ignored. So any
// deliveries of the same events, in any order, end in the same ledger.
//
// The events' orders are written in as few transactions as fit in 100
// items (one for a batch of the vat-threshold queue): 1 consistent
// BatchGetItem of their entries, then 1 TransactWriteItems with each
// changed entry under a condition on the status read and one ADD per
// total changed, the batch's amounts summed per total. When an entry's
// condition fails (another worker changed it), each order of that
// transaction is applied again on its own; when transactions conflict, the
// batch is tried again with jittered backoff.
//
// Then, whenever the events hold an order that counts, even when they
// changed nothing, the ledger is read again from their first year
// (1 consistent Query) and every total of their years that exceeds its
// threshold without an alert gets one, written under
// attribute_not_exists. The alert is decided from the ledger as it is,
// not from what this delivery changed: when writing it fails after the
// totals were committed, the redelivery of the same events (all
// duplicates by then) writes it.
func (l *VATLedger) Apply(ctx context.Context, m merchant.ID, loc *time.Location, events []orderevent.Event) error {
	if loc == nil {
		loc = time.UTC
	}
	if _, err := vatLedgerPK(m); err != nil {
		return err
	}
	var (
		groups []*orderEvents
		byKey  = map[totalKey]*orderEvents{}
		years  = map[int]bool{}
	)
	for _, ev := range events {
		if ev.Merchant != m {
			return fmt.Errorf("apply events of %s: event %s is of merchant %q", m, ev.ID, ev.Merchant)
		}
		if !vatledger.Counts(ev.Order) {
			continue
		}
		k := totalKey{vatledger.YearIn(ev.Order.PlacedAt, loc), ev.Order.ID}
		years[k.year] = true
		g := byKey[k]
		if g == nil {
			g = &orderEvents{loc: loc, year: k.year, order: k.scope}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.events = append(g.events, ev)
	}
	for len(groups) > 0 {
		chunk := fitTransaction(groups)
		groups = groups[len(chunk):]
		for attempt := 0; ; attempt++ {
			res, err := l.applyOnce(ctx, m, chunk)
			if err != nil {
				return err
			}
			if res == applied {
				break
			}
			if res == entryChanged && len(chunk) > 1 {
				for _, g := range chunk {
					if err := l.applyAlone(ctx, m, g); err != nil {
						return err
					}
				}
				break
			}
			if attempt+1 >= maxLedgerAttempts {
				return fmt.Errorf("apply %d orders of %s: %d attempts: %w", len(chunk), m, maxLedgerAttempts, ErrLedgerConflict)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
	}
	if len(years) == 0 {
		return nil
	}
	return l.raiseAlerts(ctx, m, slices.Sorted(maps.Keys(years)))
}

// applyAlone applies one order's events in transactions of its own.
func (l *VATLedger) applyAlone(ctx context.Context, m merchant.ID, g *orderEvents) error {
	for attempt := 0; ; attempt++ {
		res, err := l.applyOnce(ctx, m, []*orderEvents{g})
		if err != nil || res == applied {
			return err
		}
		if attempt+1 >= maxLedgerAttempts {
			return fmt.Errorf("apply order %s of %s: %d attempts: %w", g.order, m, maxLedgerAttempts, ErrLedgerConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// fitTransaction returns the first groups whose writes fit in one
// transaction: one entry each, and one total per year and scope.
func fitTransaction(groups []*orderEvents) []*orderEvents {
	totals := map[totalKey]bool{}
	for i, g := range groups {
		add := 0
		for _, k := range []totalKey{{g.year, vatledger.EU}, {g.year, vatledger.Destination(g.events[0].Order)}} {
			if !totals[k] {
				add++
			}
		}
		if i+1+len(totals)+add > maxTransactItems {
			return groups[:i]
		}
		totals[totalKey{g.year, vatledger.EU}] = true
		totals[totalKey{g.year, vatledger.Destination(g.events[0].Order)}] = true
	}
	return groups
}

type applyResult int

const (
	applied      applyResult = iota
	entryChanged             // an entry's condition failed
	conflicted               // transactions conflicted, or throttled
)

// applyOnce reads the groups' entries and writes what their events change
// in one transaction.
func (l *VATLedger) applyOnce(ctx context.Context, m merchant.ID, groups []*orderEvents) (applyResult, error) {
	stored, err := l.readEntries(ctx, m, groups)
	if err != nil {
		return 0, err
	}
	table := aws.String(l.Table.Name)
	var (
		items  []types.TransactWriteItem
		deltas = map[totalKey]decimal.Decimal{}
		keys   []totalKey
	)
	for _, g := range groups {
		cur := stored[totalKey{g.year, g.order}]
		changed := false
		for _, ev := range g.events {
			next, delta, ok := vatledger.Next(cur, ev, g.loc)
			if !ok {
				continue
			}
			changed = true
			for _, k := range []totalKey{{next.Year, next.Country}, {next.Year, vatledger.EU}} {
				if _, seen := deltas[k]; !seen {
					keys = append(keys, k)
				}
				deltas[k] = deltas[k].Add(delta)
			}
			cur = &next
		}
		if !changed {
			continue
		}
		pk, sk, err := vatOrderKey(m, g.year, g.order)
		if err != nil {
			return 0, err
		}
		av, err := item{PK: pk, SK: sk, Type: typeVATOrder, Doc: cur}.attributes()
		if err != nil {
			return 0, err
		}
		av[AttrStatus] = &types.AttributeValueMemberS{Value: string(cur.Status)}
		put := &types.Put{TableName: table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
		if was := stored[totalKey{g.year, g.order}]; was != nil {
			put.ConditionExpression = aws.String("#st = :st")
			put.ExpressionAttributeNames = map[string]string{"#st": AttrStatus}
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":st": &types.AttributeValueMemberS{Value: string(was.Status)}}
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	if len(items) == 0 {
		return applied, nil
	}
	pk, err := vatLedgerPK(m)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		d := deltas[k]
		if d.IsZero() {
			continue
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: table, Key: key(pk, vatTotalSK(k.year, k.scope)),
			UpdateExpression:         aws.String("SET #ty = :ty ADD #t :d, #q :one"),
			ExpressionAttributeNames: map[string]string{"#ty": AttrType, "#t": AttrTotal, "#q": AttrSeq},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":ty":  &types.AttributeValueMemberS{Value: typeVATTotal},
				":d":   &types.AttributeValueMemberN{Value: d.String()},
				":one": &types.AttributeValueMemberN{Value: "1"},
			},
		}})
	}
	_, err = l.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return applied, nil
	}
	return transactOutcome(err)
}

// transactOutcome reads why a transaction was cancelled.
func transactOutcome(err error) (applyResult, error) {
	var tce *types.TransactionCanceledException
	var tcf *types.TransactionConflictException
	switch {
	case errors.As(err, &tcf):
		return conflicted, nil
	case !errors.As(err, &tce):
		return 0, fmt.Errorf("write the VAT ledger: %w", err)
	}
	res := conflicted
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "ConditionalCheckFailed":
			res = entryChanged
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
		default:
			return 0, fmt.Errorf("write the VAT ledger: %w", err)
		}
	}
	return res, nil
}

// readEntries reads the entries of groups with one consistent
// BatchGetItem (groups hold at most 99 orders).
func (l *VATLedger) readEntries(ctx context.Context, m merchant.ID, groups []*orderEvents) (map[totalKey]*vatledger.Entry, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(groups))
	for _, g := range groups {
		pk, sk, err := vatOrderKey(m, g.year, g.order)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key(pk, sk))
	}
	out := map[totalKey]*vatledger.Entry{}
	pending := map[string]types.KeysAndAttributes{l.Table.Name: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	err := untilProcessed(ctx, "read VAT order entries", func() (int, error) {
		res, err := l.Table.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return 0, err
		}
		for _, it := range res.Responses[l.Table.Name] {
			var e vatledger.Entry
			if err := decodeDoc(it, &e); err != nil {
				return 0, fmt.Errorf("VAT order entry %s: %w", str(it, AttrSK), err)
			}
			out[totalKey{e.Year, e.Order}] = &e
		}
		pending = res.UnprocessedKeys
		return len(pending[l.Table.Name].Keys), nil
	})
	return out, err
}

// raiseAlerts reads the ledger from the first of years on (1 consistent
// Query) and writes the alert of every total of years that exceeds its
// threshold and has none yet, under attribute_not_exists: one alert per
// year and scope, whichever writer sees the total first.
func (l *VATLedger) raiseAlerts(ctx context.Context, m merchant.ID, years []int) error {
	r, err := l.readLedger(ctx, m, years[0], true)
	if err != nil {
		return err
	}
	st := vatledger.State{Settings: r.settings, Totals: r.totals}
	pk, err := vatLedgerPK(m)
	if err != nil {
		return err
	}
	for _, a := range st.Exceeded(l.now().UTC(), years...) {
		if r.alerts[a.ID] {
			continue
		}
		av, err := item{PK: pk, SK: vatAlertSK(a.ID), Type: typeVATAlert, Doc: a}.attributes()
		if err != nil {
			return err
		}
		_, err = l.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(l.Table.Name), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return fmt.Errorf("write alert %s of %s: %w", a.ID, m, err)
		}
	}
	return nil
}

// Recompute rebuilds a merchant's totals from its order entries and
// corrects the stored ones that differ. It reads the ledger (1 consistent
// Query), then for each year with totals (and the current and previous
// years) that year's entries (consistent Query, 1 round trip per 1 MB),
// and writes the year's corrections in one transaction, every total of the
// year under the condition that its Seq is still the one read (or that it
// still does not exist): an Apply in between changes the EU-wide total's
// Seq at least, and the year is read and rebuilt again. Totals that were
// right are not written. Alerts are raised as Apply raises them.
//
// The years visited are those with a total item, plus the current UTC
// year, the previous and the next one (a merchant's calendar year, in
// whatever time zone, is one of the current UTC year and its neighbours):
// Recompute lists no entry partitions. That finds every year
// whose entries count for something, because Apply writes an entry that
// moves a total only in the same transaction as the ADD to its year's
// totals, so such a year always has total items. An entry that moves no
// total (an order cancelled before its placement arrived, or placed and
// cancelled in one batch, an amount of zero) may sit in a year without totals; it adds nothing, so leaving the
// year out changes no total, only Recomputed.Orders leaves it uncounted.
// Totals deleted by hand from a year outside the three visited are not
// rebuilt.
func (l *VATLedger) Recompute(ctx context.Context, m merchant.ID) (vatledger.Recomputed, error) {
	pk, err := vatLedgerPK(m)
	if err != nil {
		return vatledger.Recomputed{}, err
	}
	first, err := l.readLedger(ctx, m, 0, true)
	if err != nil {
		return vatledger.Recomputed{}, err
	}
	thisYear := vatledger.Year(l.now())
	years := map[int]bool{thisYear - 1: true, thisYear: true, thisYear + 1: true}
	for y := range first.totals {
		years[y] = true
	}
	res := vatledger.Recomputed{Totals: map[int]map[string]decimal.Decimal{}}
	for _, y := range slices.Sorted(maps.Keys(years)) {
		for attempt := 0; ; attempt++ {
			r := first
			if attempt > 0 {
				if r, err = l.readLedger(ctx, m, y, true); err != nil {
					return vatledger.Recomputed{}, err
				}
			}
			n, sums, changes, ok, err := l.recomputeYear(ctx, m, pk, y, r)
			if err != nil {
				return vatledger.Recomputed{}, err
			}
			if ok {
				res.Orders += n
				if len(sums) > 0 {
					res.Totals[y] = sums
				}
				res.Changes = append(res.Changes, changes...)
				break
			}
			if attempt+1 >= maxLedgerAttempts {
				return vatledger.Recomputed{}, fmt.Errorf("recompute %d of %s: %d attempts: %w", y, m, maxLedgerAttempts, ErrLedgerConflict)
			}
			if err := backoff(ctx, attempt); err != nil {
				return vatledger.Recomputed{}, err
			}
		}
	}
	if err := l.raiseAlerts(ctx, m, slices.Sorted(maps.Keys(years))); err != nil {
		return vatledger.Recomputed{}, err
	}
	return res, nil
}

// recomputeYear rebuilds one year from its entries and writes the
// corrections over the totals read in r; ok is false when a total changed
// since r was read.
func (l *VATLedger) recomputeYear(ctx context.Context, m merchant.ID, pk string, year int, r ledgerRead) (orders int, sums map[string]decimal.Decimal, changes []vatledger.Change, ok bool, err error) {
	opk, err := vatOrderPK(m, year)
	if err != nil {
		return 0, nil, nil, false, err
	}
	var entries []vatledger.Entry
	pages := dynamodb.NewQueryPaginator(l.Table.Client, &dynamodb.QueryInput{
		TableName:                 aws.String(l.Table.Name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: opk}},
		ConsistentRead:            aws.Bool(true),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return 0, nil, nil, false, fmt.Errorf("read the VAT order entries of %s in %d: %w", m, year, err)
		}
		page, err := decodeAll[vatledger.Entry](out.Items)
		if err != nil {
			return 0, nil, nil, false, err
		}
		entries = append(entries, page...)
	}
	sums = vatledger.Sum(entries)[year]
	stored := r.totals[year]
	scopes := map[string]bool{}
	for s := range sums {
		scopes[s] = true
	}
	for s := range stored {
		scopes[s] = true
	}
	table := aws.String(l.Table.Name)
	var items []types.TransactWriteItem
	for _, s := range slices.Sorted(maps.Keys(scopes)) {
		sk := vatTotalSK(year, s)
		before, exists := stored[s]
		after := sums[s]
		cond := aws.String("attribute_not_exists(PK)")
		names := map[string]string{}
		values := map[string]types.AttributeValue{}
		if exists {
			cond = aws.String("#q = :seq")
			names["#q"] = AttrSeq
			values[":seq"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.seqs[sk], 10)}
		}
		if before.Equal(after) {
			if exists {
				items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
					TableName: table, Key: key(pk, sk), ConditionExpression: cond,
					ExpressionAttributeNames: names, ExpressionAttributeValues: values,
				}})
			}
			continue
		}
		changes = append(changes, vatledger.Change{Year: year, Scope: s, Before: before, After: after})
		names["#ty"], names["#t"], names["#q"] = AttrType, AttrTotal, AttrSeq
		values[":ty"] = &types.AttributeValueMemberS{Value: typeVATTotal}
		values[":t"] = &types.AttributeValueMemberN{Value: after.String()}
		values[":one"] = &types.AttributeValueMemberN{Value: "1"}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:    aws.String("SET #ty = :ty, #t = :t ADD #q :one"),
			ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}})
	}
	if len(changes) == 0 {
		// The entries read add up to the totals read: nothing to correct.
		return len(entries), sums, nil, true, nil
	}
	_, err = l.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return len(entries), sums, changes, true, nil
	}
	if _, err := transactOutcome(err); err != nil {
		return 0, nil, nil, false, err
	}
	return 0, nil, nil, false, nil
}
