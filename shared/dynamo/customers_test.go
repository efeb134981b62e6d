package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/roundtrip"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/vat"
)

// newCustomers is a customer store over a fresh table holding the
// customers of merchant m1.
func newCustomers(t *testing.T, cs ...customer.Customer) *dynamo.Customers {
	t.Helper()
	tbl := testenv.Table(t)
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch("m1")
	for _, c := range cs {
		b.Customer(c)
	}
	if err := acc.Save(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return &dynamo.Customers{Table: tbl}
}

// offline runs vat.Offline on the customer's number at a fixed time.
func offlineCheck(at time.Time) func(customer.Customer) (vat.Check, error) {
	return func(c customer.Customer) (vat.Check, error) {
		return vat.Offline{}.Validate(context.Background(), c.VATNumber, at)
	}
}

func TestCustomers_UpdateVATCheck_StoresTheCheckOnTheAccountInOneWrite(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	pro := customer.Customer{ID: "C1", Name: "Salon Coiffure", Kind: customer.Pro, Country: "FR", VATNumber: "FR44732829320",
		Address:           customer.Address{Line1: "1 rue Haute", City: "Lyon", Country: "FR"},
		DeliveryAddresses: []customer.DeliveryAddress{{ID: "d1", Default: true, Address: customer.Address{City: "Bruxelles", Country: "BE"}}}}
	bad := customer.Customer{ID: "C2", Name: "Faux numéro", Kind: customer.Pro, Country: "FR", VATNumber: "FR45732829320"}
	cs := newCustomers(t, pro, bad)
	ctx := context.Background()

	for _, tc := range []struct {
		c     customer.Customer
		valid bool
	}{{pro, true}, {bad, false}} {
		calls := roundtrip.WithCounter(ctx)
		got, err := cs.UpdateVATCheck(calls, "m1", tc.c.ID, offlineCheck(at))
		if err != nil {
			t.Fatal(err)
		}
		if n := roundtrip.Calls(calls); n != 2 {
			t.Errorf("%s: %d round trips, want 2 (read, conditional update)", tc.c.ID, n)
		}
		want := vat.Check{Number: tc.c.VATNumber, At: at, Method: vat.FormatOnly, Valid: tc.valid}
		if got.VATCheck == nil || got.VATCheck.Number != want.Number || !got.VATCheck.At.Equal(at) || got.VATCheck.Method != want.Method ||
			got.VATCheck.Valid != want.Valid || got.VATCheck.Detail == "" {
			t.Fatalf("%s: returned check %+v, want %+v", tc.c.ID, got.VATCheck, want)
		}
		stored, err := cs.Customer(ctx, "m1", tc.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.VATCheck == nil || *stored.VATCheck != *got.VATCheck {
			t.Fatalf("%s: stored check %+v, want %+v", tc.c.ID, stored.VATCheck, got.VATCheck)
		}
		if tb := stored.TaxBuyer(); tb.Check == nil || tb.Check.Valid != tc.valid {
			t.Errorf("%s: the tax engine sees check %+v", tc.c.ID, tb.Check)
		}
		// The rest of the account is as it was.
		stored.VATCheck = nil
		if a, b := customerJSON(t, stored), customerJSON(t, tc.c); a != b {
			t.Errorf("%s: account changed:\n%s\nwant\n%s", tc.c.ID, a, b)
		}
	}
}

func TestCustomers_UpdateVATCheck_UnknownCustomerAndCheckErrorsWriteNothing(t *testing.T) {
	t.Parallel()
	cs := newCustomers(t, customer.Customer{ID: "C1", Kind: customer.Consumer, Country: "FR"})
	ctx := context.Background()
	for _, id := range []string{"NOPE", "", "a#b", "a/b", strings.Repeat("x", 65)} {
		called := false
		_, err := cs.UpdateVATCheck(ctx, "m1", id, func(customer.Customer) (vat.Check, error) { called = true; return vat.Check{}, nil })
		if !errors.Is(err, customer.ErrUnknown) || called {
			t.Errorf("%q: err = %v, check called %v", id, err, called)
		}
	}
	if _, err := cs.UpdateVATCheck(ctx, "a#b", "C1", offlineCheck(time.Now())); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("bad merchant: %v", err)
	}
	noNumber := errors.New("no VAT number")
	_, err := cs.UpdateVATCheck(ctx, "m1", "C1", func(c customer.Customer) (vat.Check, error) { return vat.Check{}, noNumber })
	if !errors.Is(err, noNumber) {
		t.Fatalf("err = %v", err)
	}
	if c, err := cs.Customer(ctx, "m1", "C1"); err != nil || c.VATCheck != nil {
		t.Fatalf("after a refused check: %+v, %v", c.VATCheck, err)
	}
	// The same customer of another merchant does not exist.
	if _, err := cs.Customer(ctx, "m2", "C1"); !errors.Is(err, customer.ErrUnknown) {
		t.Errorf("other merchant: %v", err)
	}
}

// putCustomer rewrites a whole customer item, as an ERP import does.
func putCustomer(t *testing.T, cs *dynamo.Customers, c customer.Customer) {
	t.Helper()
	_, err := cs.Table.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(cs.Table.Name), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#C#" + c.ID}, "SK": &types.AttributeValueMemberS{Value: "PROFILE"},
		"Type": &types.AttributeValueMemberS{Value: "Customer"}, "Doc": &types.AttributeValueMemberS{Value: customerJSON(t, c)},
	}})
	if err != nil {
		t.Error(err)
	}
}

// TestCustomers_UpdateVATCheck_AChangeOfNumberMeanwhileIsKeptAndChecked
// changes the account's VAT number between the read and the write: the
// write does not go through over it, and the check is made again, of the
// new number.
func TestCustomers_UpdateVATCheck_AChangeOfNumberMeanwhileIsKeptAndChecked(t *testing.T) {
	t.Parallel()
	old, renumbered := "FR44732829320", "FR96552100554"
	cs := newCustomers(t, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: old})
	ctx := context.Background()
	var checked []string
	c, err := cs.UpdateVATCheck(ctx, "m1", "C1", func(c customer.Customer) (vat.Check, error) {
		checked = append(checked, c.VATNumber)
		if len(checked) == 1 {
			putCustomer(t, cs, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: renumbered})
		}
		return vat.Offline{}.Validate(ctx, c.VATNumber, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) != 2 || checked[0] != old || checked[1] != renumbered {
		t.Fatalf("checked %v, want the old number then the new one", checked)
	}
	stored, err := cs.Customer(ctx, "m1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.VATNumber != renumbered || !stored.VATCheck.For(renumbered) || c.VATCheck.Number != renumbered {
		t.Fatalf("stored number %s with check %+v (returned %+v)", stored.VATNumber, stored.VATCheck, c.VATCheck)
	}
}

// TestCustomers_UpdateVATCheck_ManyWritersAtOnce races checks with imports
// that change the number: every check stored is about the number stored
// beside it, and each check either lands or says it lost the race.
func TestCustomers_UpdateVATCheck_ManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	numbers := []string{"FR44732829320", "FR96552100554"}
	cs := newCustomers(t, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: numbers[0]})
	ctx := context.Background()
	var landed atomic.Int64
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			putCustomer(t, cs, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: numbers[i%2]})
		})
		wg.Go(func() {
			c, err := cs.UpdateVATCheck(ctx, "m1", "C1", offlineCheck(time.Now()))
			switch {
			case errors.Is(err, dynamo.ErrCustomerChanged):
			case err != nil:
				t.Error(err)
			case !c.VATCheck.For(c.VATNumber):
				t.Errorf("returned a check of %s beside %s", c.VATCheck.Number, c.VATNumber)
			default:
				landed.Add(1)
			}
		})
	}
	wg.Wait()
	c, err := cs.Customer(ctx, "m1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if c.VATCheck != nil && !c.VATCheck.For(c.VATNumber) {
		t.Fatalf("stored check of %s beside number %s", c.VATCheck.Number, c.VATNumber)
	}
	if landed.Load() == 0 {
		t.Error("no check landed")
	}
}

func customerJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
