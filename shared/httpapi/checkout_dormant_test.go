package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/payment"
)

// A customer the ERP put to sleep (CT_Sommeil) cannot order: the checkout
// answers 403 and takes no stock; once the ERP wakes it, the same
// idempotency key orders.
func TestCheckout_DormantAccountCannotOrder(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	ctx := context.Background()
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refC, 2))
	account, err := (&dynamo.Customers{Table: f.table}).Customer(ctx, coMerchant, coPro)
	if err != nil {
		t.Fatal(err)
	}
	erpRow := func(dormant bool, stamp time.Time) {
		t.Helper()
		row := account
		row.Dormant = dormant
		c := erp.Chunk{Merchant: coMerchant, Job: "job-" + stamp.Format("150405"), Kind: erp.KindCustomers,
			Records: []erp.Record{{Kind: erp.KindCustomers, Line: 2, Stamp: stamp, Key: row.ID, Customer: &row}}}
		if counts, _, err := (&dynamo.ERPAccounts{Table: f.table}).Apply(ctx, c); err != nil || counts.Applied != 1 {
			t.Fatalf("ERP row: %+v, %v", counts, err)
		}
	}
	at := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	erpRow(true, at)
	before := f.available(t, refC)
	wantProblem(t, f.checkout(t, buyer, "k-dormant", standard("card")), http.StatusForbidden, "forbidden")
	if got := f.available(t, refC); got["W1"] != before["W1"] {
		t.Errorf("stock %v after a refused checkout, want %v", got, before)
	}
	erpRow(false, at.Add(time.Hour))
	wantOrder(t, f.checkout(t, buyer, "k-dormant", standard("card")), http.StatusCreated)
}
