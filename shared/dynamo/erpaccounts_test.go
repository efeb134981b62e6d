package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/vat"
)

// accountsStamp is the ERP's modification stamp of the account rows below.
var accountsStamp = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

func customerRecord(line int, stamp time.Time, c customer.Customer) erp.Record {
	return erp.Record{Kind: erp.KindCustomers, Line: line, Stamp: stamp, Key: c.ID, Customer: &c}
}

func repRecord(line int, stamp time.Time, r customer.Rep) erp.Record {
	return erp.Record{Kind: erp.KindReps, Line: line, Stamp: stamp, Key: r.ID, Rep: &r}
}

func accountsChunk(kind erp.Kind, job string, records ...erp.Record) erp.Chunk {
	return erp.Chunk{Merchant: shopM, Job: job, Kind: kind, Records: records}
}

// applyAccounts applies c and fails the test on an error.
func applyAccounts(t *testing.T, a *dynamo.ERPAccounts, c erp.Chunk) (erp.Counts, []erp.RowError) {
	t.Helper()
	counts, rejects, err := a.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return counts, rejects
}

// storedRep reads rep id's item.
func storedRep(t *testing.T, tbl dynamo.Table, id string) (customer.Rep, bool) {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#" + string(shopM) + "#REP#" + id},
			"SK": &types.AttributeValueMemberS{Value: "PROFILE"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := out.Item["Doc"].(*types.AttributeValueMemberS)
	if !ok {
		return customer.Rep{}, false
	}
	var r customer.Rep
	if err := json.Unmarshal([]byte(doc.Value), &r); err != nil {
		t.Fatal(err)
	}
	return r, true
}

func storedAccount(t *testing.T, tbl dynamo.Table, id string) customer.Customer {
	t.Helper()
	c, err := (&dynamo.Customers{Table: tbl}).Customer(context.Background(), shopM, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// meunier is the ERP's row of customer C1.
func meunier() customer.Customer {
	return customer.Customer{ID: "C1", Name: "Meunier SA", Kind: customer.Pro, Country: "FR", VATNumber: "FR40303265045",
		PriceCategory: "PC1", CreditLimit: decimal.RequireFromString("5000"), Language: "fr",
		Address: customer.Address{Line1: "1 rue", PostalCode: "69001", City: "Lyon", Country: "FR"}, Rep: "R1"}
}

// A customer row updates what the ERP owns and keeps the VAT check the
// site made (unless the ERP changed the number), the payment methods and
// the preferred warehouse; the same file again, and an older one, change
// nothing.
func TestERPAccounts_CustomersKeepWhatTheSiteOwns(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	check := vat.Check{Number: "FR40303265045", At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Method: vat.Method("format"), Valid: true}
	seeded := meunier()
	seeded.Name, seeded.VATCheck, seeded.PreferredWarehouse = "Meunier", &check, "2"
	seeded.Payment.Methods = []payment.Method{payment.Transfer}
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch(shopM).Customer(seeded)); err != nil {
		t.Fatal(err)
	}
	a := &dynamo.ERPAccounts{Table: tbl}
	row := meunier()
	row.Name, row.Dormant, row.CreditLimit = "Meunier & Fils SA", true, decimal.RequireFromString("8000")
	newer := accountsChunk(erp.KindCustomers, "job-1",
		customerRecord(2, accountsStamp, row),
		customerRecord(3, accountsStamp, customer.Customer{ID: "C2", Name: "Vogel GmbH", Kind: customer.Pro, Country: "DE"}),
		customerRecord(4, accountsStamp, customer.Customer{ID: "C 3", Name: "Bad"}))
	c, rejects := applyAccounts(t, a, newer)
	if c != (erp.Counts{Applied: 2, Rejected: 1}) || len(rejects) != 1 || rejects[0].Line != 4 || rejects[0].Column != "id" {
		t.Fatalf("counts %+v, rejects %+v", c, rejects)
	}
	got := storedAccount(t, tbl, "C1")
	if got.Name != "Meunier & Fils SA" || !got.Dormant || !got.CreditLimit.Equal(decimal.RequireFromString("8000")) {
		t.Errorf("the ERP's fields: %+v", got)
	}
	if got.VATCheck == nil || got.VATCheck.Number != check.Number || got.PreferredWarehouse != "2" || !slices.Equal(got.Payment.Methods, []payment.Method{payment.Transfer}) {
		t.Errorf("the site's fields: check %+v, warehouse %q, methods %v", got.VATCheck, got.PreferredWarehouse, got.Payment.Methods)
	}
	if c, _ := applyAccounts(t, a, newer); c != (erp.Counts{Unchanged: 2, Rejected: 1}) {
		t.Errorf("the same chunk again: %+v", c)
	}
	older := row
	older.Name = "Meunier (old)"
	if c, _ := applyAccounts(t, a, accountsChunk(erp.KindCustomers, "job-0", customerRecord(2, accountsStamp.Add(-time.Hour), older))); c != (erp.Counts{Unchanged: 1}) {
		t.Errorf("an older file: %+v", c)
	}
	if got := storedAccount(t, tbl, "C1"); got.Name != "Meunier & Fils SA" {
		t.Errorf("after an older file: %q", got.Name)
	}
	// A new VAT number drops the check, so that it is checked again.
	renumbered := row
	renumbered.VATNumber = "FR83404833048"
	if c, _ := applyAccounts(t, a, accountsChunk(erp.KindCustomers, "job-2", customerRecord(2, accountsStamp.Add(time.Hour), renumbered))); c != (erp.Counts{Applied: 1}) {
		t.Fatalf("a new VAT number: %+v", c)
	}
	if got := storedAccount(t, tbl, "C1"); got.VATCheck != nil || got.VATNumber != "FR83404833048" || got.PreferredWarehouse != "2" {
		t.Errorf("after a new VAT number: %+v", got)
	}
}

// A customer whose rep changes leaves the old rep's portfolio and joins
// the new one's; an older row does not move it back; a rep named before
// the reps file is created and named by it later.
func TestERPAccounts_RepPortfolioFollowsTheCustomer(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch(shopM).Customer(meunier()).
		Rep(customer.Rep{ID: "R1", Name: "Anne", Merchant: shopM, Customers: []string{"C1", "C9"}}).
		Rep(customer.Rep{ID: "R2", Name: "Karl", Merchant: shopM, Customers: []string{"C8"}})); err != nil {
		t.Fatal(err)
	}
	a := &dynamo.ERPAccounts{Table: tbl}
	moved := meunier()
	moved.Rep = "R2"
	if c, _ := applyAccounts(t, a, accountsChunk(erp.KindCustomers, "job-1", customerRecord(2, accountsStamp, moved))); c != (erp.Counts{Applied: 1}) {
		t.Fatalf("counts %+v", c)
	}
	portfolios := func() (r1, r2 []string) {
		t.Helper()
		a, _ := storedRep(t, tbl, "R1")
		b, _ := storedRep(t, tbl, "R2")
		return a.Customers, b.Customers
	}
	if r1, r2 := portfolios(); !slices.Equal(r1, []string{"C9"}) || !slices.Equal(r2, []string{"C8", "C1"}) {
		t.Fatalf("portfolios R1 %v, R2 %v", r1, r2)
	}
	if r2, _ := storedRep(t, tbl, "R2"); r2.Name != "Karl" {
		t.Errorf("R2's name changed: %+v", r2)
	}
	// An older row naming R1 again changes nothing.
	if c, _ := applyAccounts(t, a, accountsChunk(erp.KindCustomers, "job-0", customerRecord(2, accountsStamp.Add(-time.Hour), meunier()))); c != (erp.Counts{Unchanged: 1}) {
		t.Fatalf("older row: %+v", c)
	}
	if r1, r2 := portfolios(); !slices.Equal(r1, []string{"C9"}) || !slices.Equal(r2, []string{"C8", "C1"}) {
		t.Fatalf("after an older row: R1 %v, R2 %v", r1, r2)
	}
	// A rep the reps file has not named yet.
	later := meunier()
	later.Rep = "R7"
	applyAccounts(t, a, accountsChunk(erp.KindCustomers, "job-2", customerRecord(2, accountsStamp.Add(time.Hour), later)))
	if r7, ok := storedRep(t, tbl, "R7"); !ok || !slices.Equal(r7.Customers, []string{"C1"}) || r7.Merchant != shopM {
		t.Fatalf("R7 = %+v, %v", r7, ok)
	}
	if _, r2 := portfolios(); !slices.Equal(r2, []string{"C8"}) {
		t.Errorf("R2 after the move to R7: %v", r2)
	}
	// The reps file names it and keeps its portfolio; a row with a
	// portfolio replaces it.
	c, _ := applyAccounts(t, a, accountsChunk(erp.KindReps, "job-3",
		repRecord(2, accountsStamp.Add(2*time.Hour), customer.Rep{ID: "R7", Name: "Zoé"}),
		repRecord(3, accountsStamp.Add(2*time.Hour), customer.Rep{ID: "R1", Name: "Anne", Customers: []string{"C4", "C5"}}),
		repRecord(4, accountsStamp.Add(2*time.Hour), customer.Rep{ID: "R/8", Name: "Bad"})))
	if c != (erp.Counts{Applied: 2, Rejected: 1}) {
		t.Fatalf("reps: %+v", c)
	}
	if r7, _ := storedRep(t, tbl, "R7"); r7.Name != "Zoé" || !slices.Equal(r7.Customers, []string{"C1"}) {
		t.Errorf("R7 = %+v", r7)
	}
	if r1, _ := storedRep(t, tbl, "R1"); !slices.Equal(r1.Customers, []string{"C4", "C5"}) {
		t.Errorf("R1 = %+v", r1)
	}
}

// Many workers apply chunks of customers that join the same rep at once:
// every customer ends in the portfolio, once.
func TestERPAccounts_ManyChunksJoinOneRepAtOnce(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := &dynamo.ERPAccounts{Table: tbl}
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	var want []string
	for i := range writers {
		var recs []erp.Record
		for j := range 3 {
			id := fmt.Sprintf("C%02d-%d", i, j)
			want = append(want, id)
			recs = append(recs, customerRecord(2+j, accountsStamp, customer.Customer{ID: id, Name: id, Kind: customer.Pro, Country: "FR", Rep: "R1"}))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := a.Apply(context.Background(), accountsChunk(erp.KindCustomers, fmt.Sprintf("job-%02d", i), recs...)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r1, ok := storedRep(t, tbl, "R1")
	got := slices.Clone(r1.Customers)
	slices.Sort(got)
	slices.Sort(want)
	if !ok || !slices.Equal(got, want) {
		t.Fatalf("R1's portfolio = %v, want %v", r1.Customers, want)
	}
}
