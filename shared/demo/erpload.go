package demo

import (
	"context"
	"fmt"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
)

// The demo loaded through the ERP connector, as make dev does, in three
// steps:
//
//  1. LoadBesideERP writes what the ERP does not own;
//  2. the caller drops SageFiles into Hydrotech's inbox, one after the
//     other, each applied before the next;
//  3. LoadSiteFields writes what the site owns on the items the files
//     made.
//
// The result is the data Load writes directly (the stock alerts aside: the
// stock file raises those of the levels under their minimum, as any ERP
// stock file does).

// LoadBesideERP writes the part of the demo the ERP does not own: the
// storefronts, both merchants, Hydrotech's buying group, discount rules,
// assortments and exchange rates, the customer whose VAT number the ERP
// import refuses (see SageCustomers), and the whole of Jardin Saison. The
// summary counts the whole demo, the files' part included.
func LoadBesideERP(ctx context.Context, t dynamo.Table) (Summary, error) {
	d := Build()
	sum := Summary{Merchants: len(d.Merchants), Storefronts: d.Storefronts}
	if err := (&dynamo.Storefronts{Table: t}).Save(ctx, d.Storefronts); err != nil {
		return sum, fmt.Errorf("demo storefronts: %w", err)
	}
	cat := &dynamo.Catalog{Table: t}
	if err := cat.SaveCategories(ctx, Jardin, d.Categories[Jardin]); err != nil {
		return sum, fmt.Errorf("demo categories of %s: %w", Jardin, err)
	}
	if err := cat.SaveProducts(ctx, Jardin, d.Products[Jardin]); err != nil {
		return sum, fmt.Errorf("demo products of %s: %w", Jardin, err)
	}
	acc := &dynamo.Accounts{Table: t}
	hb := acc.NewBatch(Hydro).Merchant(d.Merchants[0])
	for _, g := range d.BuyingGroups {
		hb.BuyingGroup(g)
	}
	inFile := map[string]bool{}
	for _, c := range SageCustomers(d) {
		inFile[c.ID] = true
	}
	for _, c := range d.Customers {
		if !inFile[c.ID] {
			hb.Customer(c)
		}
	}
	if err := saveAccounts(ctx, acc, hb, jardinAccounts(acc, d)); err != nil {
		return sum, err
	}
	if err := (&dynamo.Pricing{Table: t}).SaveRuleSet(ctx, Hydro, d.Rules); err != nil {
		return sum, fmt.Errorf("demo rules: %w", err)
	}
	if err := (&dynamo.Assortments{Table: t}).Save(ctx, Hydro, d.Assortments...); err != nil {
		return sum, fmt.Errorf("demo assortments: %w", err)
	}
	if err := loadExchangeRates(ctx, t); err != nil {
		return sum, err
	}
	for _, m := range d.Merchants {
		sum.Categories += len(d.Categories[m.ID])
		sum.Products += len(d.Products[m.ID])
	}
	sum.Customers = len(d.Customers) + len(d.JardinClients)
	sum.Reps, sum.Warehouses, sum.StockLevels = len(d.Reps), len(d.Warehouses)+len(d.JardinWarehouses), len(d.StockLevels)+len(d.JardinStock)
	return sum, nil
}

// LoadSiteFields writes, once the Sage files are applied, what the site
// owns on Hydrotech's products and customers, as staff would in the back
// office: each item is read as the import left it and only the site's
// fields are set (products: descriptions, attributes, images, professionals
// only, backorders, availability and pre-orders; customers: the VAT check,
// payment methods, preferred warehouse, and the delivery addresses the
// customers file has no column for). A product or customer the import did
// not make is an error.
func LoadSiteFields(ctx context.Context, t dynamo.Table) error {
	d := Build()
	cat := &dynamo.Catalog{Table: t}
	refs := make([]string, len(d.Products[Hydro]))
	for i, p := range d.Products[Hydro] {
		refs[i] = p.Ref
	}
	stored, err := cat.Products(ctx, Hydro, refs)
	if err != nil {
		return fmt.Errorf("demo products after the import: %w", err)
	}
	products := make([]catalog.Product, 0, len(refs))
	for _, want := range d.Products[Hydro] {
		p, ok := stored[want.Ref]
		if !ok {
			return fmt.Errorf("demo product %s: not made by the import", want.Ref)
		}
		p.Descriptions, p.Attributes, p.Images = want.Descriptions, want.Attributes, want.Images
		p.AvailableFrom, p.PreOrder, p.Backorder, p.ProOnly = want.AvailableFrom, want.PreOrder, want.Backorder, want.ProOnly
		products = append(products, p)
	}
	if err := cat.SaveProducts(ctx, Hydro, products); err != nil {
		return fmt.Errorf("demo products' site fields: %w", err)
	}
	cs := &dynamo.Customers{Table: t}
	acc := &dynamo.Accounts{Table: t}
	b := acc.NewBatch(Hydro)
	for _, want := range SageCustomers(d) {
		c, err := cs.Customer(ctx, Hydro, want.ID)
		if err != nil {
			return fmt.Errorf("demo customer %s after the import: %w", want.ID, err)
		}
		b.Customer(withSiteFields(c, want))
	}
	if err := acc.Save(ctx, b); err != nil {
		return fmt.Errorf("demo customers' site fields: %w", err)
	}
	return nil
}

// withSiteFields is c, as the import left it, with want's site-owned
// fields and delivery addresses.
func withSiteFields(c, want customer.Customer) customer.Customer {
	c.VATCheck, c.Payment.Methods, c.PreferredWarehouse = want.VATCheck, want.Payment.Methods, want.PreferredWarehouse
	if len(want.DeliveryAddresses) > 0 {
		c.DeliveryAddresses = want.DeliveryAddresses
	}
	return c
}
