package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

var erpDay = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// chunk builds a chunk of job whose records are stamped at stamp, on lines
// from 2, with their kind set.
func chunk(job string, kind erp.Kind, stamp time.Time, recs ...erp.Record) erp.Chunk {
	for i := range recs {
		recs[i].Kind, recs[i].Line, recs[i].Stamp = kind, i+2, stamp
	}
	return erp.Chunk{Merchant: "m1", Job: job, Kind: kind, Records: recs}
}

func applyChunk(t *testing.T, a erp.Applier, ch erp.Chunk) (erp.Counts, []erp.RowError) {
	t.Helper()
	c, rej, err := a.Apply(context.Background(), ch)
	if err != nil {
		t.Fatalf("apply %s %s: %v", ch.Kind, ch.Job, err)
	}
	return c, rej
}

func erpProduct(ref, category, name, price string) erp.Record {
	return erp.Record{Key: ref, Product: &catalog.Product{Ref: ref, CategoryID: category, Names: map[string]string{"fr": name},
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
		TaxCategory: "standard", BasePrice: decimal.RequireFromString(price), Currency: "EUR"}}
}

func erpPrice(scope tariff.Scope, id, ref, price string) erp.Record {
	return erp.Record{Price: &tariff.Entry{Scope: scope, ScopeID: id, Ref: ref, Currency: "EUR", Price: decimal.RequireFromString(price)}}
}

func erpBreak(scope tariff.Scope, id, ref, from, value string) erp.Record {
	return erp.Record{QuantityBreak: &erp.QuantityBreak{Scope: scope, ScopeID: id, Ref: ref,
		Break: tariff.Break{From: decimal.RequireFromString(from), Value: decimal.RequireFromString(value)}}}
}

// getDoc reads an item's document into v; false when there is none.
func getDoc(t *testing.T, tbl dynamo.Table, pk, sk string, v any) bool {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return false
	}
	if err := json.Unmarshal([]byte(attr(out.Item, "Doc")), v); err != nil {
		t.Fatal(err)
	}
	return true
}

// catalogChunks are one chunk of every kind the catalog applies, as a
// merchant's first load.
func catalogChunks(job string, stamp time.Time) []erp.Chunk {
	d := decimal.RequireFromString
	return []erp.Chunk{
		// The child before its parent.
		chunk(job, erp.KindCategories, stamp,
			erp.Record{Category: &catalog.Category{ID: "VIS", ParentID: "QUINC", Names: map[string]string{"fr": "Visserie"}}},
			erp.Record{Category: &catalog.Category{ID: "QUINC", Names: map[string]string{"fr": "Quincaillerie"}}}),
		chunk(job, erp.KindPriceCategories, stamp, erp.Record{PriceCategory: &customer.PriceCategory{ID: "1", Name: "Revendeurs"}}),
		chunk(job, erp.KindWarehouses, stamp, erp.Record{Warehouse: &stock.Warehouse{ID: "LYON", Name: "Lyon", Country: "FR"}}),
		chunk(job, erp.KindProducts, stamp, erpProduct("VIS-10", "VIS", "Vis inox 10", "1.20"), erpProduct("VIS-12", "VIS", "Vis inox 12", "1.40")),
		chunk(job, erp.KindPrices, stamp, erpPrice(tariff.PriceCategory, "1", "VIS-10", "1.00"), erpPrice(tariff.Customer, "C1", "VIS-12", "1.10")),
		chunk(job, erp.KindQuantityBreaks, stamp, erpBreak(tariff.PriceCategory, "1", "VIS-10", "100", "0.90"), erpBreak(tariff.Customer, "C1", "VIS-12", "50", "1.00")),
		chunk(job, erp.KindFamilyDiscounts, stamp, erp.Record{FamilyDiscount: &erp.FamilyDiscount{Customer: "C1", Family: "QUINC", Percent: d("5")}}),
		chunk(job, erp.KindExchangeRates, stamp,
			erp.Record{Rate: &erp.ExchangeRate{Date: fxDay("2026-12-01"), Currency: "USD", PerEUR: d("1.0500")}},
			erp.Record{Rate: &erp.ExchangeRate{Date: fxDay("2026-12-01"), Currency: "CHF", PerEUR: d("0.9300")}}),
	}
}

func TestERPCatalog_EveryKindAppliesAndTheSameChunkTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	cat := &dynamo.Catalog{Table: tbl}
	ctx := context.Background()
	for _, ch := range catalogChunks("j1", erpDay) {
		c, rej := applyChunk(t, a, ch)
		if c != (erp.Counts{Applied: len(ch.Records)}) || len(rej) > 0 {
			t.Errorf("%s: %+v %+v", ch.Kind, c, rej)
		}
	}

	cats, err := cat.Categories(ctx, "m1")
	if err != nil || len(cats) != 2 {
		t.Fatalf("categories %+v %v", cats, err)
	}
	p, err := cat.Product(ctx, "m1", "VIS-10")
	if err != nil {
		t.Fatal(err)
	}
	if p.Names["fr"] != "Vis inox 10" || !reflect.DeepEqual(p.Families, []string{"VIS", "QUINC"}) || len(p.Tariffs) != 1 ||
		p.Tariffs[0].Price.String() != "1" || len(p.Tariffs[0].Breaks) != 1 || p.Tariffs[0].Breaks[0].From.String() != "100" {
		t.Errorf("product %+v", p)
	}
	var cp tariff.Entry
	if !getDoc(t, tbl, "M#m1#C#C1", "PRICE#VIS-12", &cp) || cp.Price.String() != "1.1" || len(cp.Breaks) != 1 || cp.Breaks[0].Value.String() != "1" {
		t.Errorf("customer price %+v", cp)
	}
	var pc customer.PriceCategory
	if !getDoc(t, tbl, "M#m1#TARIFF", "PC#1", &pc) || pc.Name != "Revendeurs" {
		t.Errorf("price category %+v", pc)
	}
	var wh stock.Warehouse
	if !getDoc(t, tbl, "M#m1#STOCK", "WH#LYON", &wh) || wh.Name != "Lyon" {
		t.Errorf("warehouse %+v", wh)
	}
	rs, err := (&dynamo.Pricing{Table: tbl}).RuleSet(ctx, "m1")
	if err != nil || len(rs.Rules) != 1 || rs.Rules[0].Who.Customer != "C1" || rs.Rules[0].Target.Family != "QUINC" || rs.Rules[0].Kind != pricing.Percent {
		t.Errorf("rules %+v %v", rs, err)
	}
	rates, err := (&dynamo.ExchangeRates{Table: tbl}).On(ctx, "m1", fxDay("2026-12-02"))
	if err != nil || rates.PerEUR["USD"].String() != "1.05" || rates.PerEUR["CHF"].String() != "0.93" {
		t.Errorf("rates %+v %v", rates, err)
	}
	checkConsistent(t, tbl, "m1")

	// The same chunks again: nothing changes, and they say so.
	before := readState(t, tbl, "m1")
	for _, ch := range catalogChunks("j1", erpDay) {
		if c, rej := applyChunk(t, a, ch); c != (erp.Counts{Unchanged: len(ch.Records)}) || len(rej) > 0 {
			t.Errorf("%s again: %+v %+v", ch.Kind, c, rej)
		}
	}
	if after := readState(t, tbl, "m1"); !reflect.DeepEqual(before, after) {
		t.Errorf("the same chunks again changed the catalog:\n%+v\n%+v", before, after)
	}
}

func TestERPCatalog_AnOlderFileAfterANewerChangesNothing(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	for _, ch := range catalogChunks("new", erpDay) {
		applyChunk(t, a, ch)
	}
	d := decimal.RequireFromString
	older := erpDay.Add(-24 * time.Hour)
	for _, ch := range []erp.Chunk{
		chunk("old", erp.KindCategories, older, erp.Record{Category: &catalog.Category{ID: "VIS", ParentID: "QUINC", Names: map[string]string{"fr": "Vieux"}}}),
		chunk("old", erp.KindProducts, older, erpProduct("VIS-10", "QUINC", "Vieille vis", "9.99")),
		chunk("old", erp.KindPrices, older, erpPrice(tariff.PriceCategory, "1", "VIS-10", "9.00"), erpPrice(tariff.Customer, "C1", "VIS-12", "9.00")),
		chunk("old", erp.KindQuantityBreaks, older, erpBreak(tariff.PriceCategory, "1", "VIS-10", "100", "8.00"), erpBreak(tariff.Customer, "C1", "VIS-12", "50", "8.00")),
		chunk("old", erp.KindPriceCategories, older, erp.Record{PriceCategory: &customer.PriceCategory{ID: "1", Name: "Vieux"}}),
		chunk("old", erp.KindWarehouses, older, erp.Record{Warehouse: &stock.Warehouse{ID: "LYON", Name: "Vieux"}}),
		chunk("old", erp.KindFamilyDiscounts, older, erp.Record{FamilyDiscount: &erp.FamilyDiscount{Customer: "C1", Family: "QUINC", Percent: d("50")}}),
		chunk("old", erp.KindExchangeRates, older, erp.Record{Rate: &erp.ExchangeRate{Date: fxDay("2026-12-01"), Currency: "USD", PerEUR: d("9")}}),
	} {
		if c, rej := applyChunk(t, a, ch); c != (erp.Counts{Unchanged: len(ch.Records)}) || len(rej) > 0 {
			t.Errorf("older %s: %+v %+v", ch.Kind, c, rej)
		}
	}
	// What the newer file wrote stays.
	ctx := context.Background()
	p, err := (&dynamo.Catalog{Table: tbl}).Product(ctx, "m1", "VIS-10")
	if err != nil || p.Names["fr"] != "Vis inox 10" || p.CategoryID != "VIS" || p.Tariffs[0].Price.String() != "1" || p.Tariffs[0].Breaks[0].Value.String() != "0.9" {
		t.Errorf("product %+v %v", p, err)
	}
	var cp tariff.Entry
	if getDoc(t, tbl, "M#m1#C#C1", "PRICE#VIS-12", &cp); cp.Price.String() != "1.1" || cp.Breaks[0].Value.String() != "1" {
		t.Errorf("customer price %+v", cp)
	}
	rates, err := (&dynamo.ExchangeRates{Table: tbl}).On(ctx, "m1", fxDay("2026-12-01"))
	if err != nil || rates.PerEUR["USD"].String() != "1.05" {
		t.Errorf("rates %+v %v", rates, err)
	}
	// A newer file changes them again.
	newer := erpDay.Add(time.Hour)
	if c, _ := applyChunk(t, a, chunk("newer", erp.KindProducts, newer, erpProduct("VIS-10", "QUINC", "Vis neuve", "1.30"))); c != (erp.Counts{Applied: 1}) {
		t.Errorf("newer product: %+v", c)
	}
	if c, _ := applyChunk(t, a, chunk("newer", erp.KindPrices, newer, erpPrice(tariff.PriceCategory, "1", "VIS-10", "1.05"))); c != (erp.Counts{Applied: 1}) {
		t.Errorf("newer price: %+v", c)
	}
	p, _ = (&dynamo.Catalog{Table: tbl}).Product(ctx, "m1", "VIS-10")
	if p.Names["fr"] != "Vis neuve" || !reflect.DeepEqual(p.Families, []string{"QUINC"}) || p.Tariffs[0].Price.String() != "1.05" || len(p.Tariffs[0].Breaks) != 1 {
		t.Errorf("after the newer files: %+v", p)
	}
	checkConsistent(t, tbl, "m1")
}

func TestERPCatalog_TheSiteFieldsSurviveAProductImport(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	cat := &dynamo.Catalog{Table: tbl}
	ctx := context.Background()
	applyChunk(t, a, catalogChunks("j1", erpDay)[0])
	// The back office wrote the product first.
	site := testProduct("VIS-10", "QUINC", "Vis")
	site.Names["en"] = "Screw"
	site.Descriptions = map[string]string{"fr": "Tête fraisée"}
	site.Attributes = map[string]string{"diametre": "10"}
	site.Images = []string{"https://img.example/vis.jpg"}
	site.ProOnly, site.Backorder = true, true
	site.Tariffs = []tariff.Entry{{Scope: tariff.BuyingGroup, ScopeID: "G1", Ref: "VIS-10", Currency: "EUR", Price: decimal.RequireFromString("0.80")}}
	if err := cat.SaveProducts(ctx, "m1", []catalog.Product{site}); err != nil {
		t.Fatal(err)
	}
	if c, _ := applyChunk(t, a, chunk("j2", erp.KindProducts, erpDay, erpProduct("VIS-10", "VIS", "Vis inox", "1.20"))); c != (erp.Counts{Applied: 1}) {
		t.Errorf("import: %+v", c)
	}
	p, err := cat.Product(ctx, "m1", "VIS-10")
	if err != nil {
		t.Fatal(err)
	}
	want := site
	want.CategoryID, want.Names, want.BasePrice, want.Families = "VIS", map[string]string{"fr": "Vis inox", "en": "Screw"}, decimal.RequireFromString("1.20"), []string{"VIS", "QUINC"}
	if mustJSON(t, p) != mustJSON(t, want) {
		t.Errorf("after the import\n%s\nwant\n%s", mustJSON(t, p), mustJSON(t, want))
	}
	// The back office edits it again: the import's stamp does not stop it.
	if _, _, err := cat.UpdateProduct(ctx, "m1", "VIS-10", func(p *catalog.Product, _ bool) error {
		p.Descriptions["fr"] = "Tête bombée"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p, _ := cat.Product(ctx, "m1", "VIS-10"); p.Descriptions["fr"] != "Tête bombée" || p.Names["fr"] != "Vis inox" {
		t.Errorf("after the back office: %+v", p)
	}
	checkConsistent(t, tbl, "m1")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestERPCatalog_RowsOfUnknownProductsOrCategoriesAreRejectedWithTheirLine(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	for _, ch := range catalogChunks("j1", erpDay)[:4] {
		applyChunk(t, a, ch)
	}
	cases := []struct {
		ch   erp.Chunk
		want erp.Counts
		rej  []erp.RowError
	}{
		{chunk("j2", erp.KindPrices, erpDay, erpPrice(tariff.PriceCategory, "1", "VIS-10", "1"), erpPrice(tariff.PriceCategory, "1", "NOPE", "1"), erpPrice(tariff.Customer, "C1", "NADA", "1")),
			erp.Counts{Applied: 1, Rejected: 2},
			[]erp.RowError{{Line: 3, Column: "ref", Reason: "unknown product", Value: "NOPE"}, {Line: 4, Column: "ref", Reason: "unknown product", Value: "NADA"}}},
		{chunk("j3", erp.KindQuantityBreaks, erpDay, erpBreak(tariff.PriceCategory, "2", "VIS-10", "10", "1"), erpBreak(tariff.Customer, "C9", "VIS-10", "10", "1")),
			erp.Counts{Rejected: 2},
			[]erp.RowError{{Line: 2, Column: "ref", Reason: `no price of price-category "2" for this product`, Value: "VIS-10"}, {Line: 3, Column: "ref", Reason: `no price of customer "C9" for this product`, Value: "VIS-10"}}},
		{chunk("j4", erp.KindProducts, erpDay, erpProduct("VIS-99", "NOWHERE", "Vis", "1")),
			erp.Counts{Rejected: 1},
			[]erp.RowError{{Line: 2, Column: "category", Reason: "unknown category", Value: "NOWHERE"}}},
		{chunk("j6", erp.KindPrices, erpDay, erpPrice(tariff.Customer, "C#1", "VIS-10", "1"), erpPrice(tariff.Customer, "C1", "VIS-10", "1")),
			erp.Counts{Applied: 1, Rejected: 1},
			[]erp.RowError{{Line: 2, Column: "customer", Reason: "cannot be an id (1 to 64 bytes, no spaces, '#' or '/')", Value: "C#1"}}},
		{chunk("j7", erp.KindFamilyDiscounts, erpDay, erp.Record{FamilyDiscount: &erp.FamilyDiscount{Customer: "C1", Family: "a/b", Percent: decimal.NewFromInt(3)}}),
			erp.Counts{Rejected: 1},
			[]erp.RowError{{Line: 2, Column: "family", Reason: "cannot be an id (1 to 64 bytes, no spaces, '#' or '/')", Value: "a/b"}}},
		{chunk("j5", erp.KindCategories, erpDay, erp.Record{Category: &catalog.Category{ID: "X", ParentID: "NOWHERE"}}),
			erp.Counts{Rejected: 1},
			[]erp.RowError{{Line: 2, Column: "parent", Reason: `no category "NOWHERE"`, Value: "NOWHERE"}}},
	}
	for _, c := range cases {
		got, rej := applyChunk(t, a, c.ch)
		if got != c.want || !reflect.DeepEqual(rej, c.rej) {
			t.Errorf("%s: %+v %+v\nwant %+v %+v", c.ch.Kind, got, rej, c.want, c.rej)
		}
	}
	var none tariff.Entry
	if getDoc(t, tbl, "M#m1#C#C1", "PRICE#NADA", &none) {
		t.Error("a price of an unknown product was written")
	}
}

func TestERPCatalog_TheNewestFileWinsAmongManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	for _, ch := range catalogChunks("j0", erpDay) {
		applyChunk(t, a, ch)
	}
	const writers = 8
	refs := []string{"VIS-10", "VIS-12", "VIS-14", "VIS-16"}
	applyChunk(t, a, chunk("j0", erp.KindProducts, erpDay, erpProduct("VIS-14", "VIS", "Vis", "1"), erpProduct("VIS-16", "VIS", "Vis", "1")))
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		// File w is stamped w minutes after the first load; products and
		// prices of every file at once, in any order.
		stamp := erpDay.Add(time.Duration(w+1) * time.Minute)
		job := fmt.Sprintf("file-%02d", w)
		var products, prices []erp.Record
		for _, ref := range refs {
			category := []string{"VIS", "QUINC"}[w%2]
			products = append(products, erpProduct(ref, category, "Vis "+job, fmt.Sprintf("%d.00", w+1)))
			prices = append(prices, erpPrice(tariff.PriceCategory, "1", ref, fmt.Sprintf("%d.50", w+1)))
		}
		for _, ch := range []erp.Chunk{chunk(job, erp.KindProducts, stamp, products...), chunk(job, erp.KindPrices, stamp, prices...)} {
			wg.Go(func() {
				if _, _, err := a.Apply(context.Background(), ch); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	newest := fmt.Sprintf("file-%02d", writers-1)
	for _, ref := range refs {
		p, err := cat.Product(context.Background(), "m1", ref)
		if err != nil {
			t.Fatal(err)
		}
		if p.Names["fr"] != "Vis "+newest || p.BasePrice.String() != fmt.Sprint(writers) || p.CategoryID != "QUINC" {
			t.Errorf("%s: %s in %s at %s, want the newest file's", ref, p.Names["fr"], p.CategoryID, p.BasePrice)
		}
		if len(p.Tariffs) != 1 || p.Tariffs[0].Price.String() != fmt.Sprintf("%d.5", writers) {
			t.Errorf("%s: tariffs %+v, want the newest file's", ref, p.Tariffs)
		}
	}
	checkConsistent(t, tbl, "m1")
}

// customerPriceChunk is a chunk of n customer prices of the products refs,
// customer after customer.
func customerPriceChunk(job string, seq, n int, refs []string) erp.Chunk {
	recs := make([]erp.Record, n)
	for i := range recs {
		k := seq*n + i
		recs[i] = erpPrice(tariff.Customer, fmt.Sprintf("C%04d", k/len(refs)), refs[k%len(refs)], fmt.Sprintf("%d.%02d", 1+k%7, k%100))
	}
	ch := chunk(job, erp.KindPrices, erpDay, recs...)
	ch.Seq = seq
	return ch
}

func TestERPCatalog_AChunkOf500CustomerPricesCosts11RoundTrips(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	var products []erp.Record
	var refs []string
	for i := range 10 {
		ref := fmt.Sprintf("VIS-%02d", i)
		refs = append(refs, ref)
		products = append(products, erpProduct(ref, "VIS", "Vis", "1"))
	}
	applyChunk(t, a, catalogChunks("j0", erpDay)[0])
	applyChunk(t, a, chunk("j0", erp.KindProducts, erpDay, products...))

	ctx := dynamo.WithCallCounter(context.Background())
	c, rej, err := a.Apply(ctx, customerPriceChunk("j1", 0, 500, refs))
	if err != nil || c != (erp.Counts{Applied: 500}) || len(rej) > 0 {
		t.Fatalf("%+v %+v %v", c, rej, err)
	}
	// 1 BatchGetItem for the 10 products, 5 for the prices, 5
	// transactions of 100.
	if n := dynamo.Calls(ctx); n != 11 {
		t.Errorf("%d round trips, want 11", n)
	}
	ctx = dynamo.WithCallCounter(context.Background())
	if c, _, err := a.Apply(ctx, customerPriceChunk("j1", 0, 500, refs)); err != nil || c != (erp.Counts{Unchanged: 500}) {
		t.Fatalf("again: %+v %v", c, err)
	}
	// Nothing to write: the reads only.
	if n := dynamo.Calls(ctx); n != 6 {
		t.Errorf("the same chunk again: %d round trips, want 6", n)
	}
}

// TestERPCatalog_CustomerPricesAgainstABatchWrite measures, when
// COMPTOIR_MEASURE is set, the customer prices per second a price file
// applies through ERPCatalog next to BatchWriteItem of the same items
// (25 a call, the calls of a chunk 8 at once, as the engine sends its
// own), chunk after chunk in turn, and logs both (no assertion on time).
func TestERPCatalog_CustomerPricesAgainstABatchWrite(t *testing.T) {
	if os.Getenv("COMPTOIR_MEASURE") == "" {
		t.Skip("set COMPTOIR_MEASURE=1 to measure")
	}
	tbl := testenv.Table(t)
	raw := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	var products []erp.Record
	var refs []string
	for i := range 100 {
		ref := fmt.Sprintf("VIS-%03d", i)
		refs = append(refs, ref)
		products = append(products, erpProduct(ref, "VIS", "Vis", "1"))
	}
	applyChunk(t, a, catalogChunks("j0", erpDay)[0])
	applyChunk(t, a, chunk("j0", erp.KindProducts, erpDay, products...))
	ctx := context.Background()
	const chunks, size = 20, 500
	var engine, batch time.Duration
	for seq := range chunks {
		ch := customerPriceChunk("bench", seq, size, refs)
		start := time.Now()
		if c, _, err := a.Apply(ctx, ch); err != nil || c.Applied != size {
			t.Fatalf("%+v %v", c, err)
		}
		engine += time.Since(start)

		reqs := make([]types.WriteRequest, 0, size)
		for i, r := range ch.Records {
			doc, _ := json.Marshal(r.Price)
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "M#m1#C#" + r.Price.ScopeID}, "SK": &types.AttributeValueMemberS{Value: "PRICE#" + r.Price.Ref},
				"Type": &types.AttributeValueMemberS{Value: "CustomerPrice"}, "Doc": &types.AttributeValueMemberS{Value: string(doc)},
				"ErpStamp": &types.AttributeValueMemberN{Value: fmt.Sprint(erpDay.UnixNano())}, "ErpJob": &types.AttributeValueMemberS{Value: "bench"},
				"ErpLine": &types.AttributeValueMemberN{Value: fmt.Sprint(i + 2)},
			}}})
		}
		start = time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for s := 0; s < len(reqs); s += 25 {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				pending := map[string][]types.WriteRequest{raw.Name: reqs[s:min(s+25, len(reqs))]}
				for len(pending[raw.Name]) > 0 {
					out, err := raw.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						t.Error(err)
						return
					}
					pending = out.UnprocessedItems
				}
			})
		}
		wg.Wait()
		batch += time.Since(start)
	}
	n := float64(chunks * size)
	t.Logf("customer prices: ERPCatalog %.0f rows/s, BatchWriteItem %.0f items/s: %.2f×", n/engine.Seconds(), n/batch.Seconds(), batch.Seconds()/engine.Seconds())
}
