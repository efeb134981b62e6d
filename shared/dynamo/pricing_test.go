package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

func seedCustomer(t *testing.T, tbl dynamo.Table, m merchant.ID, id string, refs int) {
	t.Helper()
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(m).Customer(customer.Customer{ID: id, Name: id, Kind: customer.Pro, PriceCategory: "1"}).
		Rep(customer.Rep{ID: "R1", Merchant: m, Customers: []string{id}})
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	var entries []tariff.Entry
	for i := range refs {
		entries = append(entries, tariff.Entry{Scope: tariff.Customer, ScopeID: id, Ref: fmt.Sprintf("P%04d", i), Currency: "EUR", Price: decimal.NewFromInt(int64(10 + i))})
	}
	if err := (&dynamo.Pricing{Table: tbl}).SaveCustomerPrices(ctx, m, entries); err != nil {
		t.Fatal(err)
	}
}

func TestPricingStore_CustomerTariff_OneRoundTrip(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	seedCustomer(t, tbl, "m1", "C1", 300)
	seedCustomer(t, tbl, "m2", "C1", 5) // same customer id, another merchant
	store := &dynamo.Pricing{Table: tbl}
	for _, n := range []int{1, 40, 98, 99, 250} {
		t.Run(fmt.Sprintf("%d refs", n), func(t *testing.T) {
			refs := make([]string, n)
			for i := range refs {
				refs[i] = fmt.Sprintf("P%04d", i*1) // all exist for m1
			}
			ctx := dynamo.WithCallCounter(context.Background())
			ct, err := store.CustomerTariff(ctx, "m1", "C1", refs, "R1")
			if err != nil {
				t.Fatal(err)
			}
			if ct.Customer.ID != "C1" || ct.Customer.PriceCategory != "1" || len(ct.Entries) != n || ct.Rep == nil || !ct.Rep.Serves("C1") {
				t.Fatalf("customer %+v, %d entries, rep %+v", ct.Customer, len(ct.Entries), ct.Rep)
			}
			want := int64(1)
			if n+2 > 100 { // partition query and rep read, run together
				want = 2
			}
			if got := dynamo.Calls(ctx); got != want {
				t.Errorf("%d round trips, want %d", got, want)
			}
			if !ct.Entries["P0000"].Price.Equal(decimal.NewFromInt(10)) {
				t.Errorf("entry %+v", ct.Entries["P0000"])
			}
		})
	}
	t.Run("the buyers' carts in the partition are not read", func(t *testing.T) {
		// Four carts of 350 KB: read with the price entries, they would
		// take the query to a second page, and a third round trip.
		big := strings.Repeat("x", 350<<10)
		for i := range 4 {
			_, err := tbl.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tbl.Name), Item: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: "M#m1#C#C1"}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: fmt.Sprintf("CART#B#buyer%d", i)},
				dynamo.AttrDoc: &types.AttributeValueMemberS{Value: big},
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
		refs := make([]string, 250)
		for i := range refs {
			refs[i] = fmt.Sprintf("P%04d", i)
		}
		ctx := dynamo.WithCallCounter(context.Background())
		ct, err := store.CustomerTariff(ctx, "m1", "C1", refs, "R1")
		if err != nil || len(ct.Entries) != 250 || ct.Customer.ID != "C1" {
			t.Fatalf("%d entries, customer %q, %v", len(ct.Entries), ct.Customer.ID, err)
		}
		if got := dynamo.Calls(ctx); got != 2 {
			t.Errorf("%d round trips, want 2: the query read more than the price entries and the account", got)
		}
	})
	t.Run("another merchant's customer of the same id", func(t *testing.T) {
		ct, err := store.CustomerTariff(context.Background(), "m2", "C1", []string{"P0000", "P0100"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, leaked := ct.Entries["P0100"]; leaked || len(ct.Entries) != 1 {
			t.Fatalf("m2 sees %d entries", len(ct.Entries))
		}
	})
	t.Run("unknown customer", func(t *testing.T) {
		for _, id := range []string{"C404", "", "C1#PRICE"} {
			if _, err := store.CustomerTariff(context.Background(), "m1", id, []string{"P0000"}, ""); !errors.Is(err, pricing.ErrUnknownCustomer) {
				t.Errorf("%q: err = %v", id, err)
			}
		}
	})
}

func TestPricingStore_RuleSetIsCachedAndInvalidatedOnSave(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	writer := &dynamo.Pricing{Table: tbl}
	reader := &dynamo.Pricing{Table: tbl, TTL: time.Hour}
	rs := pricing.RuleSet{Policy: pricing.BestPrice, Rules: []pricing.Rule{
		{ID: "A", Kind: pricing.Percent, Percent: decimal.NewFromInt(5), Priority: 1},
		{ID: "B", Kind: pricing.QuantityTiers, Tiers: []pricing.Break{{From: decimal.NewFromInt(10), Value: decimal.NewFromInt(3)}}},
	}}
	if err := writer.SaveRuleSet(ctx, "m1", rs); err != nil {
		t.Fatal(err)
	}
	cold := dynamo.WithCallCounter(ctx)
	got, err := reader.RuleSet(cold, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Policy != pricing.BestPrice || len(got.Rules) != 2 || dynamo.Calls(cold) != 1 {
		t.Fatalf("rule set %+v after %d calls", got, dynamo.Calls(cold))
	}
	warm := dynamo.WithCallCounter(ctx)
	if _, err := reader.RuleSet(warm, "m1"); err != nil || dynamo.Calls(warm) != 0 {
		t.Fatalf("warm read cost %d calls (%v)", dynamo.Calls(warm), err)
	}
	other, err := reader.RuleSet(ctx, "m2")
	if err != nil || len(other.Rules) != 0 || other.Policy != pricing.MostSpecific {
		t.Fatalf("another merchant sees %+v (%v)", other, err)
	}
	// A save through the same store drops its cache.
	rs.Rules = append(rs.Rules, pricing.Rule{ID: "C", Kind: pricing.Percent, Percent: decimal.NewFromInt(1)})
	if err := reader.SaveRuleSet(ctx, "m1", rs); err != nil {
		t.Fatal(err)
	}
	if got, _ := reader.RuleSet(ctx, "m1"); len(got.Rules) != 3 {
		t.Fatalf("after save: %d rules", len(got.Rules))
	}
}

// The largest rule pricing.ParseRule accepts is stored as one item and
// read back whole: no valid rule can outgrow DynamoDB's 400 KB.
func TestPricingStore_TheLargestValidRuleIsStoredAndReadBack(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.Pricing{Table: tbl}
	id := strings.Repeat("I", 64)
	in := pricing.RuleText{ID: id, Name: strings.Repeat("\U0001F4B6", pricing.MaxRuleName), Priority: pricing.MaxPriority, Stop: true,
		Who: pricing.Who{Customer: id, PriceCategory: id, BuyingGroup: id}, Target: pricing.Target{Ref: id, Family: id},
		Kind: pricing.NetPrice, Currency: "EUR", Price: "999999999999.9999"}
	for i := range pricing.MaxTiers {
		in.Tiers = append(in.Tiers, pricing.BreakText{From: fmt.Sprint(pricing.MaxLineUnits - i), Value: "999999999999.9999"})
	}
	rule, problems := pricing.ParseRule(in)
	if len(problems) != 0 {
		t.Fatalf("the largest rule is invalid: %+v", problems)
	}
	ctx := context.Background()
	if err := store.SaveRule(ctx, "m1", rule); err != nil {
		t.Fatal(err)
	}
	rs, err := store.RuleSet(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) != 1 || rs.Rules[0].Name != rule.Name || len(rs.Rules[0].Tiers) != pricing.MaxTiers || !rs.Rules[0].Tiers[49].Value.Equal(rule.Tiers[49].Value) {
		t.Fatalf("read back %+v", rs.Rules)
	}
}
