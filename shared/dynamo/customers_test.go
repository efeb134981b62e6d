package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/payment"
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

func TestCustomers_UpdatePayment_WritesTheThreeMembersOverTheAccountAsRead(t *testing.T) {
	t.Parallel()
	pro := customer.Customer{ID: "C1", Name: "Salon Coiffure", Kind: customer.Pro, Country: "FR", VATNumber: "FR44732829320",
		CreditLimit: decimal.NewFromInt(10000), Address: customer.Address{Line1: "1 rue Haute", City: "Lyon", Country: "FR"}}
	cs := newCustomers(t, pro)
	ctx := context.Background()
	terms := payment.ThirtyDaysEndOfMonth
	calls := roundtrip.WithCounter(ctx)
	got, _, err := cs.UpdatePayment(calls, "m1", "C1", func(c *customer.Customer) error {
		if c.Name != pro.Name || !c.CreditLimit.Equal(pro.CreditLimit) {
			t.Errorf("update got %+v", c)
		}
		c.Payment = customer.PaymentAccount{Methods: []payment.Method{payment.Transfer}, Terms: &terms}
		c.CreditLimit = decimal.RequireFromString("25000.50")
		c.PreferredWarehouse = "2"
		c.Name = "not written"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := roundtrip.Calls(calls); n != 2 {
		t.Errorf("%d round trips, want 2 (read, conditional update)", n)
	}
	stored, err := cs.Customer(ctx, "m1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []customer.Customer{got, stored} {
		if c.Payment.Terms == nil || *c.Payment.Terms != terms || len(c.Payment.Methods) != 1 || c.Payment.Methods[0] != payment.Transfer ||
			c.CreditLimit.String() != "25000.5" || c.PreferredWarehouse != "2" || c.Name != pro.Name {
			t.Fatalf("payment %+v, limit %s, warehouse %q, name %q", c.Payment, c.CreditLimit, c.PreferredWarehouse, c.Name)
		}
	}
	// Withdrawing the terms and the preferred warehouse removes them.
	stored, _, err = cs.UpdatePayment(ctx, "m1", "C1", func(c *customer.Customer) error {
		c.Payment, c.PreferredWarehouse = customer.PaymentAccount{}, ""
		return nil
	})
	if err != nil || stored.Payment.Terms != nil || len(stored.Payment.Methods) != 0 || stored.PreferredWarehouse != "" {
		t.Fatalf("withdrawn: %+v, %v", stored, err)
	}
	// The rest of the account is as it was.
	stored.CreditLimit = pro.CreditLimit
	if a, b := customerJSON(t, stored), customerJSON(t, pro); a != b {
		t.Errorf("account changed:\n%s\nwant\n%s", a, b)
	}
	refused := errors.New("refused")
	if _, _, err := cs.UpdatePayment(ctx, "m1", "C1", func(c *customer.Customer) error { c.CreditLimit = decimal.Zero; return refused }); !errors.Is(err, refused) {
		t.Errorf("refused update: %v", err)
	}
	if c, _ := cs.Customer(ctx, "m1", "C1"); !c.CreditLimit.Equal(decimal.RequireFromString("25000.5")) {
		t.Errorf("a refused update wrote limit %s", c.CreditLimit)
	}
	for _, id := range []string{"NOPE", "", "a#b", strings.Repeat("x", 65)} {
		if _, _, err := cs.UpdatePayment(ctx, "m1", id, func(*customer.Customer) error { t.Errorf("%q: update called", id); return nil }); !errors.Is(err, customer.ErrUnknown) {
			t.Errorf("%q: %v", id, err)
		}
	}
}

// TestCustomers_UpdatePayment_AnImportMeanwhileIsKept rewrites the account
// between the read and the write, as an ERP import does: the write does
// not go over it, and the update is applied again to the new account.
func TestCustomers_UpdatePayment_AnImportMeanwhileIsKept(t *testing.T) {
	t.Parallel()
	cs := newCustomers(t, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: "FR44732829320"})
	ctx := context.Background()
	calls := 0
	c, _, err := cs.UpdatePayment(ctx, "m1", "C1", func(c *customer.Customer) error {
		calls++
		if calls == 1 {
			putCustomer(t, cs, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: "FR96552100554", Name: "Renamed"})
		}
		c.CreditLimit = decimal.NewFromInt(5000)
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("%d calls, %v", calls, err)
	}
	stored, err := cs.Customer(ctx, "m1", "C1")
	if err != nil || stored.VATNumber != "FR96552100554" || stored.Name != "Renamed" || !stored.CreditLimit.Equal(decimal.NewFromInt(5000)) || c.Name != "Renamed" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
}

// TestCustomers_UpdatePayment_ManyWritersAtOnce races payment updates with
// VAT checks of the same account: no write is lost (the last check stays
// beside the payment settings), and each payment lands whole.
func TestCustomers_UpdatePayment_ManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	cs := newCustomers(t, customer.Customer{ID: "C1", Kind: customer.Pro, Country: "FR", VATNumber: "FR44732829320"})
	ctx := context.Background()
	termsOf := []payment.Terms{payment.ThirtyDaysEndOfMonth, payment.SixtyDaysNet, payment.ThirtyDaysAfterDelivery}
	var landed, checked atomic.Int64
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			_, _, err := cs.UpdatePayment(ctx, "m1", "C1", func(c *customer.Customer) error {
				terms := termsOf[i%3]
				c.Payment.Terms = &terms
				c.CreditLimit = decimal.NewFromInt(int64(1000 * (i%3 + 1)))
				c.PreferredWarehouse = strconv.Itoa(i%3 + 1)
				return nil
			})
			switch {
			case errors.Is(err, dynamo.ErrCustomerChanged):
			case err != nil:
				t.Error(err)
			default:
				landed.Add(1)
			}
		})
		wg.Go(func() {
			_, err := cs.UpdateVATCheck(ctx, "m1", "C1", offlineCheck(time.Now()))
			switch {
			case errors.Is(err, dynamo.ErrCustomerChanged):
			case err != nil:
				t.Error(err)
			default:
				checked.Add(1)
			}
		})
	}
	wg.Wait()
	if landed.Load() == 0 || checked.Load() == 0 {
		t.Fatalf("landed %d payments and %d checks", landed.Load(), checked.Load())
	}
	c, err := cs.Customer(ctx, "m1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if c.VATCheck == nil || !c.VATCheck.For(c.VATNumber) {
		t.Errorf("a VAT check that landed was lost: %+v", c.VATCheck)
	}
	if c.Payment.Terms == nil {
		t.Fatalf("a payment that landed was lost: %+v", c)
	}
	k := slices.Index(termsOf, *c.Payment.Terms)
	if k < 0 || !c.CreditLimit.Equal(decimal.NewFromInt(int64(1000*(k+1)))) || c.PreferredWarehouse != strconv.Itoa(k+1) {
		t.Errorf("torn payment settings: terms %s, limit %s, warehouse %s", c.Payment.Terms, c.CreditLimit, c.PreferredWarehouse)
	}
}
