package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ExchangeRates stores a merchant's exchange rates, one item per day with
// every rate of that day and where they came from (the ECB's file or
// staff).
//
// Keys:
//
//	a day's rates  PK=M#<m>#FX  SK=<YYYY-MM-DD>
//
// Access patterns: the rates in force on a day (the latest day on or
// before it: one Query, newest first, Limit 1), the most recent days (one
// Query), a day written whole (PutItem; BatchWriteItem for a file).
type ExchangeRates struct {
	Table Table
	// TTL is how long the rates in force on a day stay cached in this
	// process; zero disables the cache. Rates saved by another function
	// are seen within TTL.
	TTL time.Duration

	cache ttlCache[fxCacheKey, fxCached]
}

// MaxRecentDays is the most days Recent returns.
const MaxRecentDays = 100

const typeExchangeRates = "ExchangeRates"

// fxCacheKey is a merchant and a day, YYYY-MM-DD.
type fxCacheKey struct {
	m   merchant.ID
	day string
}

// fxCached is the answer of On for a day: the rates, or none.
type fxCached struct {
	rates fx.Rates
	found bool
}

// storedRates is the stored document of a day's rates; rates are decimal
// strings.
type storedRates struct {
	Date   string                     `json:"date"`
	Source string                     `json:"source"`
	Rates  map[string]decimal.Decimal `json:"rates"`
}

func (s storedRates) rates() (fx.Rates, error) {
	d, err := time.Parse(time.DateOnly, s.Date)
	if err != nil {
		return fx.Rates{}, fmt.Errorf("exchange rates of day %q: %w", s.Date, err)
	}
	return fx.Rates{Date: d, PerEUR: s.Rates, Source: s.Source}, nil
}

// On returns the rates in force on day: those of the latest day on or
// before it (the ECB publishes around 16:00 CET, so a morning order uses
// the previous working day's). One Query, cached for TTL per merchant and
// day. fx.ErrNoRates (wrapped) when no day is stored on or before it.
func (x *ExchangeRates) On(ctx context.Context, m merchant.ID, day time.Time) (fx.Rates, error) {
	d := fx.Day(day).Format(time.DateOnly)
	ck := fxCacheKey{m, d}
	if c, ok := x.cache.get(ck); ok {
		if !c.found {
			return fx.Rates{}, fmt.Errorf("%w on or before %s", fx.ErrNoRates, d)
		}
		return c.rates, nil
	}
	pk, err := exchangeRatesPK(m)
	if err != nil {
		return fx.Rates{}, err
	}
	out, err := x.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(x.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND SK <= :day"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: pk},
			":day": &types.AttributeValueMemberS{Value: d},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(1),
	})
	if err != nil {
		return fx.Rates{}, fmt.Errorf("exchange rates of %s on %s: %w", m, d, err)
	}
	if len(out.Items) == 0 {
		x.cache.put(ck, fxCached{}, x.TTL)
		return fx.Rates{}, fmt.Errorf("%w on or before %s", fx.ErrNoRates, d)
	}
	var s storedRates
	if err := decodeDoc(out.Items[0], &s); err != nil {
		return fx.Rates{}, err
	}
	r, err := s.rates()
	if err != nil {
		return fx.Rates{}, err
	}
	x.cache.put(ck, fxCached{rates: r, found: true}, x.TTL)
	return r, nil
}

// Put saves a day's rates, replacing that day's (one PutItem). The rates
// are validated first (fx.Rates.Validate).
func (x *ExchangeRates) Put(ctx context.Context, m merchant.ID, r fx.Rates) error {
	it, err := x.item(m, r)
	if err != nil {
		return err
	}
	av, err := it.attributes()
	if err != nil {
		return err
	}
	if _, err := x.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(x.Table.Name), Item: av}); err != nil {
		return fmt.Errorf("save exchange rates of %s: %w", it.SK, err)
	}
	x.cache.drop(fxCacheKey{m, it.SK})
	return nil
}

// PutDays saves several days, each replacing its day's rates: an imported
// file. Every day is validated before anything is written; then
// BatchWriteItem, 25 days a call (fx.MaxDays days: at most 4 calls).
func (x *ExchangeRates) PutDays(ctx context.Context, m merchant.ID, days []fx.Rates) error {
	items := make([]item, 0, len(days))
	seen := map[string]bool{}
	for _, r := range days {
		it, err := x.item(m, r)
		if err != nil {
			return err
		}
		if seen[it.SK] {
			return fmt.Errorf("exchange rates of %s twice", it.SK)
		}
		seen[it.SK] = true
		items = append(items, it)
	}
	if err := x.Table.put(ctx, items); err != nil {
		return fmt.Errorf("save exchange rates: %w", err)
	}
	for _, it := range items {
		x.cache.drop(fxCacheKey{m, it.SK})
	}
	return nil
}

// item is the stored item of a day's rates, validated.
func (x *ExchangeRates) item(m merchant.ID, r fx.Rates) (item, error) {
	if err := r.Validate(); err != nil {
		return item{}, err
	}
	day := fx.Day(r.Date).Format(time.DateOnly)
	pk, sk, err := exchangeRatesKey(m, day)
	if err != nil {
		return item{}, err
	}
	return item{PK: pk, SK: sk, Type: typeExchangeRates, Doc: storedRates{Date: day, Source: r.Source, Rates: r.PerEUR}}, nil
}

// Recent returns the n most recent days stored (at most MaxRecentDays),
// newest first, in one Query.
func (x *ExchangeRates) Recent(ctx context.Context, m merchant.ID, n int) ([]fx.Rates, error) {
	if n <= 0 {
		return nil, errors.New("recent exchange rates: ask for at least one day")
	}
	n = min(n, MaxRecentDays)
	pk, err := exchangeRatesPK(m)
	if err != nil {
		return nil, err
	}
	out, err := x.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(x.Table.Name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(n)),
	})
	if err != nil {
		return nil, fmt.Errorf("recent exchange rates of %s: %w", m, err)
	}
	stored, err := decodeAll[storedRates](out.Items)
	if err != nil {
		return nil, err
	}
	days := make([]fx.Rates, 0, len(stored))
	for _, s := range stored {
		r, err := s.rates()
		if err != nil {
			return nil, err
		}
		days = append(days, r)
	}
	return days, nil
}
