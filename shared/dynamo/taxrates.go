package dynamo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vat"
)

// TaxRates stores the VAT rate changes merchant staff make, laid over the
// seed table (tax.DefaultRates).
//
// Keys:
//
//	rate change  PK=M#<m>#TAX  SK=RATE#<country>#<category>#<from YYYY-MM-DD>
//
// Access patterns: a merchant's rate table is one Query of its TAX
// partition (every change it made), cached per function for TTL, so that a
// warm function prices with it without a round trip; a change is one
// PutItem.
type TaxRates struct {
	Table Table
	// TTL is how long a merchant's table is kept in the function's memory;
	// zero reads it on every call. A Put drops the merchant's entry in this
	// process; other processes see the change within TTL.
	TTL time.Duration
	// Logger tells of stored changes that are left out because they do not
	// read as valid changes; nil is slog.Default().
	Logger *slog.Logger

	cache ttlCache[merchant.ID, *tax.Rates]
}

const typeRateChange = "RateChange"

// Rates returns the merchant's rate table: tax.DefaultRates with the
// merchant's changes laid over (tax.Rates.With). Cold, it costs one Query
// (more only past 1 MB of changes); warm, none. The table is shared: never
// change it.
func (t *TaxRates) Rates(ctx context.Context, m merchant.ID) (*tax.Rates, error) {
	if r, ok := t.cache.get(m); ok {
		return r, nil
	}
	changes, err := t.Changes(ctx, m)
	if err != nil {
		return nil, err
	}
	r := tax.DefaultRates().With(changes)
	t.cache.put(m, r, t.TTL)
	return r, nil
}

// Changes reads the merchant's own rate changes, uncached, sorted by
// country, category and day (one Query). A stored item that does not read
// as a valid change (written by hand or by another version of the rules)
// is left out and logged: the other changes still apply, so one bad item
// does not stop every quote of the merchant.
func (t *TaxRates) Changes(ctx context.Context, m merchant.ID) ([]tax.RateChange, error) {
	pk, err := taxRatesPK(m)
	if err != nil {
		return nil, err
	}
	items, err := t.Table.partition(ctx, pk, skRateChange)
	if err != nil {
		return nil, fmt.Errorf("rate changes of %s: %w", m, err)
	}
	changes := make([]tax.RateChange, 0, len(items))
	for _, av := range items {
		var c tax.RateChange
		err := decodeDoc(av, &c)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.logger().WarnContext(ctx, "stored VAT rate change left out", slog.String("merchant", string(m)),
				slog.String("sk", str(av, AttrSK)), slog.String("error", err.Error()))
			continue
		}
		changes = append(changes, c)
	}
	return changes, nil
}

func (t *TaxRates) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// Put stores a rate change (Save without its created flag).
func (t *TaxRates) Put(ctx context.Context, m merchant.ID, c tax.RateChange) error {
	_, err := t.Save(ctx, m, c)
	return err
}

// Save stores a rate change of the merchant in one PutItem, and says
// whether it is new. A change is identified by its country, category and
// first day: saving one that exists replaces its percent, so that sending
// the same change twice is harmless (an idempotent replace). The change
// must Validate (the error wraps tax.InvalidRateChange); Greece is stored
// as GR whether it is given as GR or EL, and From as its calendar day.
// The merchant's cached table in this process is dropped.
func (t *TaxRates) Save(ctx context.Context, m merchant.ID, c tax.RateChange) (created bool, err error) {
	if err := c.Validate(); err != nil {
		return false, fmt.Errorf("rate change of %s: %w", m, err)
	}
	c.Country = vat.ISOCountry(c.Country)
	y, mo, d := c.From.Date()
	c.From = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	c.Seed = false
	pk, sk, err := rateChangeKey(m, c.Country, string(c.Category), c.From.Format(time.DateOnly))
	if err != nil {
		return false, err
	}
	av, err := item{PK: pk, SK: sk, Type: typeRateChange, Doc: c}.attributes()
	if err != nil {
		return false, err
	}
	out, err := t.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Table.Name), Item: av, ReturnValues: types.ReturnValueAllOld,
	})
	t.cache.drop(m)
	if err != nil {
		return false, fmt.Errorf("save rate change %s of %s: %w", sk, m, err)
	}
	return len(out.Attributes) == 0, nil
}
