package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/roundtrip"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
)

func taxDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rateChangeOf(country string, c tax.Category, pct, from string) tax.RateChange {
	return tax.RateChange{Country: country, Category: c, Percent: decimal.RequireFromString(pct), From: taxDay(from)}
}

func rateOnDay(t *testing.T, r *tax.Rates, country string, c tax.Category, on string) string {
	t.Helper()
	p, ok := r.Rate(country, c, taxDay(on))
	if !ok {
		return "none"
	}
	return p.String()
}

func TestTaxRates_ChangesApplyFromTheirDayOverTheSeed(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	store := &dynamo.TaxRates{Table: tbl}

	// Without changes, the seed.
	r, err := store.Rates(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got := rateOnDay(t, r, "FR", tax.Reduced, "2026-01-01"); got != "5.5" {
		t.Fatalf("seed FR reduced = %s", got)
	}
	for _, c := range []tax.RateChange{
		rateChangeOf("FR", tax.Reduced, "6", "2026-07-01"),
		rateChangeOf("BE", tax.Reduced, "6", "2020-01-01"),
		rateChangeOf("EL", tax.Standard, "25", "2026-03-01"), // Greece's VAT prefix
	} {
		created, err := store.Save(ctx, "m1", c)
		if err != nil || !created {
			t.Fatalf("%+v: created %v, %v", c, created, err)
		}
	}
	r, err = store.Rates(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		country string
		c       tax.Category
		on      string
		want    string
	}{
		{"FR", tax.Reduced, "2026-06-30", "5.5"},
		{"FR", tax.Reduced, "2026-07-01", "6"},
		{"FR", tax.Standard, "2026-07-01", "20"},
		{"BE", tax.Reduced, "2019-12-31", "none"},
		{"BE", tax.Reduced, "2026-01-01", "6"},
		{"GR", tax.Standard, "2026-02-28", "24"},
		{"GR", tax.Standard, "2026-03-01", "25"},
	} {
		if got := rateOnDay(t, r, tc.country, tc.c, tc.on); got != tc.want {
			t.Errorf("%s %s on %s = %s, want %s", tc.country, tc.c, tc.on, got, tc.want)
		}
	}
	// Stored as GR, and only the merchant's own changes.
	changes, err := store.Changes(ctx, "m1")
	if err != nil || len(changes) != 3 {
		t.Fatalf("%d changes, %v", len(changes), err)
	}
	for _, c := range changes {
		if c.Seed || c.Country == "EL" {
			t.Errorf("stored %+v", c)
		}
	}
	// Another merchant keeps the seed.
	other, err := store.Rates(ctx, "m2")
	if err != nil {
		t.Fatal(err)
	}
	if got := rateOnDay(t, other, "FR", tax.Reduced, "2026-07-01"); got != "5.5" {
		t.Errorf("m2 sees m1's change: %s", got)
	}
}

func TestTaxRates_PutIsAnIdempotentReplace(t *testing.T) {
	t.Parallel()
	store := &dynamo.TaxRates{Table: testenv.Table(t)}
	ctx := context.Background()
	c := rateChangeOf("DE", tax.Reduced, "7", "2026-01-01")
	for i, want := range []bool{true, false} {
		created, err := store.Save(ctx, "m1", c)
		if err != nil || created != want {
			t.Fatalf("save %d: created %v, %v", i, created, err)
		}
	}
	c.Percent = decimal.RequireFromString("7.5")
	// The same day given with a time of day is the same change.
	c.From = c.From.Add(15 * time.Hour)
	if err := store.Put(ctx, "m1", c); err != nil {
		t.Fatal(err)
	}
	changes, err := store.Changes(ctx, "m1")
	if err != nil || len(changes) != 1 || changes[0].Percent.String() != "7.5" || !changes[0].From.Equal(taxDay("2026-01-01")) {
		t.Fatalf("changes %+v, %v", changes, err)
	}
}

func TestTaxRates_RefusesInvalidChangesAndBadMerchants(t *testing.T) {
	t.Parallel()
	store := &dynamo.TaxRates{Table: testenv.Table(t)}
	ctx := context.Background()
	for _, c := range []tax.RateChange{
		rateChangeOf("XX", tax.Standard, "20", "2026-01-01"),
		rateChangeOf("fr", tax.Standard, "20", "2026-01-01"),
		rateChangeOf("FR", "luxury", "20", "2026-01-01"),
		rateChangeOf("FR", tax.Standard, "100", "2026-01-01"),
		rateChangeOf("FR", tax.Standard, "-1", "2026-01-01"),
		rateChangeOf("FR", tax.Standard, "5.12345", "2026-01-01"),
		{Country: "FR", Category: tax.Standard, Percent: decimal.NewFromInt(20)},
	} {
		var invalid *tax.InvalidRateChange
		if _, err := store.Save(ctx, "m1", c); !errors.As(err, &invalid) {
			t.Errorf("%+v: err = %v, want an InvalidRateChange", c, err)
		}
	}
	if changes, err := store.Changes(ctx, "m1"); err != nil || len(changes) != 0 {
		t.Errorf("stored %+v, %v", changes, err)
	}
	if _, err := store.Rates(ctx, "a#b"); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("bad merchant: %v", err)
	}
	if err := store.Put(ctx, "", rateChangeOf("FR", tax.Standard, "20", "2026-01-01")); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("empty merchant: %v", err)
	}
}

func TestTaxRates_Rates_OneQueryColdNoneWarm_PutDropsTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &dynamo.TaxRates{Table: testenv.Table(t), TTL: time.Hour}
	if err := store.Put(ctx, "m1", rateChangeOf("FR", tax.Reduced, "6", "2026-07-01")); err != nil {
		t.Fatal(err)
	}
	cold := roundtrip.WithCounter(ctx)
	if _, err := store.Rates(cold, "m1"); err != nil || roundtrip.Calls(cold) != 1 {
		t.Fatalf("cold: %d round trips, %v", roundtrip.Calls(cold), err)
	}
	warm := roundtrip.WithCounter(ctx)
	if _, err := store.Rates(warm, "m1"); err != nil || roundtrip.Calls(warm) != 0 {
		t.Fatalf("warm: %d round trips, %v", roundtrip.Calls(warm), err)
	}
	if err := store.Put(ctx, "m1", rateChangeOf("FR", tax.Reduced, "7", "2026-07-01")); err != nil {
		t.Fatal(err)
	}
	r, err := store.Rates(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got := rateOnDay(t, r, "FR", tax.Reduced, "2026-07-01"); got != "7" {
		t.Errorf("after a put, %s", got)
	}
}

// TestTaxRates_ManyWritersAtOnce saves changes of distinct days and the
// same day at once: every distinct change is kept once, and the contested
// one holds one of the percents sent.
func TestTaxRates_ManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &dynamo.TaxRates{Table: testenv.Table(t), TTL: time.Hour}
	var wg sync.WaitGroup
	created := make(chan bool, 40)
	for i := range 20 {
		wg.Go(func() {
			if err := store.Put(ctx, "m1", rateChangeOf("FR", tax.Intermediate, "10", fmt.Sprintf("2027-01-%02d", i+1))); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			c, err := store.Save(ctx, "m1", rateChangeOf("FR", tax.Reduced, fmt.Sprintf("5.%d", i), "2027-01-01"))
			if err != nil {
				t.Error(err)
			}
			created <- c
		})
	}
	wg.Wait()
	close(created)
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d saves of one change say they created it", n)
	}
	changes, err := store.Changes(ctx, "m1")
	if err != nil || len(changes) != 21 {
		t.Fatalf("%d changes, %v", len(changes), err)
	}
}

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTaxRates_BadStoredChangesAreLeftOutNotFatal writes items the admin
// API would refuse straight to the table: the merchant's table still
// answers, with its valid changes, and each bad item is logged.
func TestTaxRates_BadStoredChangesAreLeftOutNotFatal(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	var logs lockedBuffer
	store := &dynamo.TaxRates{Table: tbl, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	if err := store.Put(ctx, "m1", rateChangeOf("FR", tax.Reduced, "6", "2026-07-01")); err != nil {
		t.Fatal(err)
	}
	for sk, doc := range map[string]string{
		"RATE#FR#standard#2026-01-01":       `{"country":"FR","category":"standard","percent":"120","from":"2026-01-01"}`,
		"RATE#BE#standard#2026-01-01":       `{"country":"BE","category":"standard","percent":"22","from":"1 January 2026"}`,
		"RATE#DE#luxury#2026-01-01":         `{"country":"DE","category":"luxury","percent":"25","from":"2026-01-01"}`,
		"RATE#IT#standard#not-json":         `{"country":`,
		"RATE#ES#standard#2026-01-01#nodoc": ``,
	} {
		item := map[string]types.AttributeValue{
			dynamo.AttrPK:   &types.AttributeValueMemberS{Value: "M#m1#TAX"},
			dynamo.AttrSK:   &types.AttributeValueMemberS{Value: sk},
			dynamo.AttrType: &types.AttributeValueMemberS{Value: "RateChange"},
		}
		if doc != "" {
			item[dynamo.AttrDoc] = &types.AttributeValueMemberS{Value: doc}
		}
		if _, err := tbl.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl.Name), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := store.Changes(ctx, "m1")
	if err != nil || len(changes) != 1 || changes[0].Country != "FR" || changes[0].Category != tax.Reduced {
		t.Fatalf("changes %+v, %v", changes, err)
	}
	r, err := store.Rates(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		country string
		cat     tax.Category
		want    string
	}{
		{"FR", tax.Reduced, "6"},   // the valid change
		{"FR", tax.Standard, "20"}, // the seed, not 120
		{"BE", tax.Standard, "21"},
		{"IT", tax.Standard, "22"},
	} {
		if got := rateOnDay(t, r, c.country, c.cat, "2026-08-01"); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.country, c.cat, got, c.want)
		}
	}
	if n := strings.Count(logs.String(), "stored VAT rate change left out"); n != 2*5 {
		t.Errorf("%d log lines for 5 bad items read twice:\n%s", n, logs.String())
	}
}
