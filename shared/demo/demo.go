// Package demo builds the demo data of the local stack: Hydrotech Industrie,
// an industrial supplier of pumps, seals, valves and piping selling to
// professionals in France, Belgium and Germany (and a few consumers), and a
// second, small merchant so that tenant isolation can be seen and tested.
// The data are generated deterministically: every run loads the same items.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/vat"
)

// Merchant identifiers of the demo.
const (
	Hydro  merchant.ID = "hydro"
	Jardin merchant.ID = "jardin"
)

// The seed's pump and its companions: the acid-extraction pump must ship with
// an acid-resistant seal kit, one per pump.
const (
	PumpRef    = "PMP-ACID-100"
	SealKitRef = "KIT-JOINT-AR"
	FilterRef  = "FLT-ACID-20"
	// BackorderRef is the demo's product that may be backordered
	// ("reliquat"): the filter cartridge, short in stock, whose missing
	// units ship when the goods come in.
	BackorderRef = FilterRef
)

// Summary counts what Load wrote.
type Summary struct {
	Merchants   int
	Storefronts []merchant.Storefront
	Categories  int
	Products    int
	Customers   int
	Reps        int
	Warehouses  int
	StockLevels int
}

// Data is the whole demo, built in memory.
type Data struct {
	Storefronts   []merchant.Storefront
	Merchants     []dynamo.Merchant
	Categories    map[merchant.ID][]catalog.Category
	Products      map[merchant.ID][]catalog.Product
	Customers     []customer.Customer
	PriceCats     []customer.PriceCategory
	BuyingGroups  []customer.BuyingGroup
	Reps          []customer.Rep
	Warehouses    []stock.Warehouse
	StockLevels   []stock.Level
	JardinClients []customer.Customer
	// JardinWarehouses and JardinStock are Jardin Saison's one warehouse
	// and its levels.
	JardinWarehouses []stock.Warehouse
	JardinStock      []stock.Level
	// CustomerPrices and Rules are Hydrotech's own tariff.
	CustomerPrices []tariff.Entry
	Rules          pricing.RuleSet
	// Assortments limit what some of Hydrotech's customers see.
	Assortments []catalog.Assortment
}

// AssortedCustomer is the demo customer limited to an assortment: seals and
// valves, plus the acid pump by name.
const AssortedCustomer = "C0010"

// Storefronts of the demo, one per portal mode. Each of Hydrotech's serves
// its orders from its own warehouse first (Lyon for France, Lille for
// Belgium, Strasbourg for Germany), with delivery rates per country
// ("standard" everywhere, "express" nearby, pick-up at the Lyon depot) and
// free delivery from an amount ("franco de port").
func Storefronts() []merchant.Storefront {
	return []merchant.Storefront{
		{ID: "fr", Merchant: Hydro, Host: "hydro-fr.localhost", Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.PartiallyOpen, MerchantLanguage: "fr",
			Warehouse: "1",
			Shipping: shipping("750",
				method("standard", "Messagerie 48 h", "FR", "15", "BE", "25", "LU", "25", "DE", "29", "*", "45"),
				method("express", "Express 24 h", "FR", "29", "BE", "39"),
				method("pickup", "Retrait au dépôt de Lyon", "FR", "0")),
			PaymentMethods: map[string][]string{"FR": {"card", "transfer"}, "*": {"card"}}},
		{ID: "be", Merchant: Hydro, Host: "hydro-be.localhost", Country: "BE", Language: "fr", Currency: "EUR", Mode: merchant.Open, MerchantLanguage: "fr",
			Warehouse: "2",
			Shipping: shipping("600",
				method("standard", "Messagerie 48 h", "BE", "19", "FR", "22", "NL", "25", "LU", "25"),
				method("express", "Express 24 h", "BE", "35"))},
		{ID: "de", Merchant: Hydro, Host: "hydro-de.localhost", Country: "DE", Language: "en", Currency: "EUR", Mode: merchant.Closed, MerchantLanguage: "fr",
			Warehouse: "3",
			Shipping:  shipping("800", method("standard", "Spedition", "DE", "19", "AT", "29", "*", "49")),
			// The closed extranet's buyers pay by transfer (or on account).
			PaymentMethods: map[string][]string{"*": {"transfer"}}},
		{ID: "fr", Merchant: Jardin, Host: "jardin-fr.localhost", Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.Open, MerchantLanguage: "fr", Consumers: true,
			Warehouse: JardinWarehouse,
			Shipping:  shipping("60", method("standard", "Colissimo", "FR", "6.90"))},
	}
}

// JardinWarehouse is Jardin Saison's only warehouse.
const JardinWarehouse = "JS1"

// shipping is delivery rates free from freeFrom ("" for never).
func shipping(freeFrom string, methods ...merchant.ShippingMethod) merchant.Shipping {
	s := merchant.Shipping{Methods: methods}
	if freeFrom != "" {
		d := decimal.RequireFromString(freeFrom)
		s.FreeFrom = &d
	}
	return s
}

// method is a delivery method with its rates: country, amount, country,
// amount...
func method(id, name string, rates ...string) merchant.ShippingMethod {
	m := merchant.ShippingMethod{ID: id, Name: name}
	for i := 0; i+1 < len(rates); i += 2 {
		m.Rates = append(m.Rates, merchant.ShippingRate{Country: rates[i], Amount: decimal.RequireFromString(rates[i+1])})
	}
	return m
}

// Domains are the domains the platform gives each demo merchant: its
// storefronts may answer for them and for any name below them. Jardin
// Saison's Belgian domain has no storefront yet, and Hydrotech cannot take
// it.
func Domains(m merchant.ID) []string {
	switch m {
	case Hydro:
		return []string{"hydro-fr.localhost", "hydro-be.localhost", "hydro-de.localhost", "hydrotech-industrie.fr"}
	case Jardin:
		return []string{"jardin-fr.localhost", "jardin-be.localhost", "jardin-saison.fr"}
	}
	return nil
}

// Identities are the demo callers the local stack prints tokens for.
func Identities() []identity.Caller {
	return []identity.Caller{
		{Role: identity.Buyer, Subject: "achat@plomberie-lyonnaise.fr", Merchant: Hydro, Customer: "C0001"},
		{Role: identity.Buyer, Subject: "inkoop@hydrobel.be", Merchant: Hydro, Customer: "C0004"},
		{Role: identity.Buyer, Subject: "einkauf@rhein-pumpen.de", Merchant: Hydro, Customer: "C0008"},
		{Role: identity.Buyer, Subject: "marie.martin@example.fr", Merchant: Hydro, Customer: "P0001"},
		{Role: identity.Buyer, Subject: "achats@flandres-maintenance.fr", Merchant: Hydro, Customer: AssortedCustomer},
		{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: Hydro, Rep: "R01"},
		{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: Hydro, Rep: "R02"},
		{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: Hydro},
		{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: Jardin},
	}
}

// Build generates the demo data.
func Build() Data {
	d := Data{
		Storefronts: Storefronts(),
		Merchants: []dynamo.Merchant{
			// The two readings of "fin de mois", one per merchant.
			{ID: Hydro, Name: "Hydrotech Industrie", Country: "FR", DefaultLanguage: "fr", Currency: "EUR", Domains: Domains(Hydro), MonthEnd: payment.EndOfMonthThenDays},
			{ID: Jardin, Name: "Jardin Saison", Country: "FR", DefaultLanguage: "fr", Currency: "EUR", Domains: Domains(Jardin), MonthEnd: payment.DaysThenEndOfMonth},
		},
		Categories: map[merchant.ID][]catalog.Category{},
		Products:   map[merchant.ID][]catalog.Product{},
	}
	d.Categories[Hydro], d.Products[Hydro] = hydroCatalog()
	d.Categories[Hydro] = catalog.InheritRestrictions(d.Categories[Hydro])
	d.Products[Hydro], d.CustomerPrices, d.Rules = hydroTariffs(d.Categories[Hydro], d.Products[Hydro])
	d.Categories[Jardin], d.Products[Jardin] = jardinCatalog()
	d.PriceCats = []customer.PriceCategory{{ID: "1", Name: "Revendeurs"}, {ID: "2", Name: "Installateurs"}}
	d.BuyingGroups = []customer.BuyingGroup{{ID: "ACHATPRO", Name: "Centrale Achat-Pro"}}
	d.Customers = hydroCustomers()
	d.Reps = []customer.Rep{
		{ID: "R01", Name: "Lucie Bernard", Merchant: Hydro, Customers: []string{"C0001", "C0002", "C0003", "C0004", "C0005"}},
		{ID: "R02", Name: "Klaus Vogel", Merchant: Hydro, Customers: []string{"C0006", "C0007", "C0008", "C0009", "C0010"}},
	}
	d.Warehouses = []stock.Warehouse{
		{ID: "1", Name: "Lyon Saint-Priest", Country: "FR"},
		{ID: "2", Name: "Lille Lesquin", Country: "FR"},
		{ID: "3", Name: "Strasbourg Port du Rhin", Country: "FR"},
	}
	r := rand.New(rand.NewPCG(7, 11))
	for _, p := range d.Products[Hydro] {
		for _, w := range d.Warehouses {
			onHand := int64(r.IntN(120))
			if r.IntN(10) == 0 {
				onHand = 0
			}
			level := stock.Level{Ref: p.Ref, Warehouse: w.ID, OnHand: onHand, Reserved: int64(r.IntN(5)), Min: 10, Max: 100}
			if l, ok := seedStock[p.Ref+"@"+w.ID]; ok {
				level = l
			}
			d.StockLevels = append(d.StockLevels, level)
		}
	}
	d.Assortments = []catalog.Assortment{{Scope: catalog.ForCustomer, ScopeID: AssortedCustomer,
		Categories: []string{"ETANCH", "VANNES"}, Products: []string{PumpRef}}}
	thirtyEOM := payment.ThirtyDaysEndOfMonth
	d.JardinClients = []customer.Customer{{ID: "J001", Name: "Pépinières du Val", Kind: customer.Pro, Country: "FR", CreditLimit: decimal.NewFromInt(5000),
		Address: customer.Address{Line1: "3 route des Serres", PostalCode: "49000", City: "Angers", Country: "FR"},
		Payment: customer.PaymentAccount{Terms: &thirtyEOM}}}
	d.JardinWarehouses = []stock.Warehouse{{ID: JardinWarehouse, Name: "Angers", Country: "FR"}}
	for _, p := range d.Products[Jardin] {
		d.JardinStock = append(d.JardinStock, stock.Level{Ref: p.Ref, Warehouse: JardinWarehouse, OnHand: 200, Min: 20, Max: 300})
	}
	return d
}

// seedStock are the levels of the seed's linked articles, set rather than
// drawn: the pump in every warehouse with its seal kits (more kits than
// pumps everywhere, so that a pump is never refused for want of its kit),
// and the backorderable filter short in Lyon and out elsewhere.
var seedStock = map[string]stock.Level{
	PumpRef + "@1":    {Ref: PumpRef, Warehouse: "1", OnHand: 12, Min: 2, Max: 12},
	PumpRef + "@2":    {Ref: PumpRef, Warehouse: "2", OnHand: 8, Min: 2, Max: 12},
	PumpRef + "@3":    {Ref: PumpRef, Warehouse: "3", OnHand: 5, Min: 2, Max: 12},
	SealKitRef + "@1": {Ref: SealKitRef, Warehouse: "1", OnHand: 80, Min: 10, Max: 100},
	SealKitRef + "@2": {Ref: SealKitRef, Warehouse: "2", OnHand: 60, Min: 10, Max: 100},
	SealKitRef + "@3": {Ref: SealKitRef, Warehouse: "3", OnHand: 40, Min: 10, Max: 100},
	FilterRef + "@1":  {Ref: FilterRef, Warehouse: "1", OnHand: 6, Min: 24, Max: 240},
	FilterRef + "@2":  {Ref: FilterRef, Warehouse: "2", OnHand: 0, Min: 24, Max: 240},
	FilterRef + "@3":  {Ref: FilterRef, Warehouse: "3", OnHand: 0, Min: 24, Max: 240},
}

// Load writes the demo data into the table and returns what it wrote.
func Load(ctx context.Context, t dynamo.Table) (Summary, error) {
	d := Build()
	sum := Summary{Merchants: len(d.Merchants), Storefronts: d.Storefronts}
	if err := (&dynamo.Storefronts{Table: t}).Save(ctx, d.Storefronts); err != nil {
		return sum, fmt.Errorf("demo storefronts: %w", err)
	}
	cat := &dynamo.Catalog{Table: t}
	for _, m := range []merchant.ID{Hydro, Jardin} {
		if err := cat.SaveCategories(ctx, m, d.Categories[m]); err != nil {
			return sum, fmt.Errorf("demo categories of %s: %w", m, err)
		}
		if err := cat.SaveProducts(ctx, m, d.Products[m]); err != nil {
			return sum, fmt.Errorf("demo products of %s: %w", m, err)
		}
		sum.Categories += len(d.Categories[m])
		sum.Products += len(d.Products[m])
	}
	acc := &dynamo.Accounts{Table: t}
	hb := acc.NewBatch(Hydro).Merchant(d.Merchants[0])
	for _, pc := range d.PriceCats {
		hb.PriceCategory(pc)
	}
	for _, g := range d.BuyingGroups {
		hb.BuyingGroup(g)
	}
	for _, c := range d.Customers {
		hb.Customer(c)
	}
	for _, rep := range d.Reps {
		hb.Rep(rep)
	}
	for _, w := range d.Warehouses {
		hb.Warehouse(w)
	}
	for _, l := range d.StockLevels {
		hb.StockLevel(l)
	}
	if err := saveAccounts(ctx, acc, hb, jardinAccounts(acc, d)); err != nil {
		return sum, err
	}
	prices := &dynamo.Pricing{Table: t}
	if err := prices.SaveCustomerPrices(ctx, Hydro, d.CustomerPrices); err != nil {
		return sum, fmt.Errorf("demo customer prices: %w", err)
	}
	if err := prices.SaveRuleSet(ctx, Hydro, d.Rules); err != nil {
		return sum, fmt.Errorf("demo rules: %w", err)
	}
	if err := (&dynamo.Assortments{Table: t}).Save(ctx, Hydro, d.Assortments...); err != nil {
		return sum, fmt.Errorf("demo assortments: %w", err)
	}
	if err := loadExchangeRates(ctx, t); err != nil {
		return sum, err
	}
	sum.Customers = len(d.Customers) + len(d.JardinClients)
	sum.Reps, sum.Warehouses, sum.StockLevels = len(d.Reps), len(d.Warehouses)+len(d.JardinWarehouses), len(d.StockLevels)+len(d.JardinStock)
	return sum, nil
}

// Demo customers of the tax scenarios, beside the pros C0001 to C0010 (French,
// Belgian and German, numbers checked) and the consumers P0001 (France) and
// P0002 (Belgium).
const (
	// BEProTwoSites is Hydrobel NV (Antwerpen), whose default delivery
	// address is in Belgium and whose second one is a depot in Lille.
	BEProTwoSites = "C0004"
	// BEProInvalidVAT is a Belgian pro whose VAT number fails its check
	// digits: its lines are taxed as domestic sales, with the reason.
	BEProInvalidVAT = "C0011"
	// CHPro is a Swiss pro: an export.
	CHPro = "C0012"
	// BEConsumer, DEConsumer and USConsumer are consumers in Belgium,
	// Germany and the United States.
	BEConsumer = "P0002"
	DEConsumer = "P0003"
	USConsumer = "P0004"
)

// VATCheckedAt is when the demo's VAT numbers were checked (offline: the
// format and check digits).
var VATCheckedAt = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func hydroCustomers() []customer.Customer {
	type pro struct {
		id, name, country, vatBody, cat, group, city, zip string
	}
	pros := []pro{
		{"C0001", "Plomberie Lyonnaise SARL", "FR", "FR:732829320", "1", "", "Lyon", "69003"},
		{"C0002", "Chimie Process Normandie", "FR", "FR:552081317", "2", "ACHATPRO", "Rouen", "76000"},
		{"C0003", "Agro Pompes Bretagne", "FR", "FR:403335904", "2", "", "Rennes", "35000"},
		{"C0004", "Hydrobel NV", "BE", "BE:04031707", "1", "ACHATPRO", "Antwerpen", "2000"},
		{"C0005", "Wallonie Fluides SA", "BE", "BE:04521234", "2", "", "Liège", "4000"},
		{"C0006", "Ets Meunier Alsace", "FR", "FR:542065479", "1", "ACHATPRO", "Colmar", "68000"},
		{"C0007", "Saar Industrietechnik GmbH", "DE", "DE:13669597", "2", "", "Saarbrücken", "66111"},
		{"C0008", "Rhein Pumpen GmbH", "DE", "DE:81123456", "1", "", "Köln", "50667"},
		{"C0009", "Bayern Chemie Service GmbH", "DE", "DE:24681357", "2", "ACHATPRO", "München", "80331"},
		{"C0010", "Flandres Maintenance SAS", "FR", "FR:380129866", "1", "", "Lille", "59000"},
		{BEProInvalidVAT, "Brabant Hydraulique SRL", "BE", "BE!04174971", "2", "", "Leuven", "3000"},
		{CHPro, "Léman Pompes SA", "CH", "", "1", "", "Genève", "1201"},
	}
	out := make([]customer.Customer, 0, len(pros)+4)
	for i, p := range pros {
		c := customer.Customer{
			ID: p.id, Name: p.name, Kind: customer.Pro, Country: p.country,
			VATNumber: vatNumber(p.vatBody), PriceCategory: p.cat, BuyingGroup: p.group,
			CreditLimit: decimal.NewFromInt(int64(10000 + 5000*i)),
			Language:    map[string]string{"FR": "fr", "BE": "fr", "DE": "de", "CH": "fr"}[p.country],
			Address:     customer.Address{Line1: strconv.Itoa(10+i) + " rue de l'Industrie", PostalCode: p.zip, City: p.city, Country: p.country},
		}
		if c.VATNumber != "" && p.country != "FR" {
			// The numbers of the buyers in other member states were checked,
			// as the intra-EU exemption needs.
			check, _ := vat.Offline{}.Validate(context.Background(), c.VATNumber, VATCheckedAt)
			c.VATCheck = &check
		}
		out = append(out, c)
	}
	// Payment accounts: four pros approved for paying on account, one with
	// each of the terms the brief names, within their credit limits.
	terms := func(t payment.Terms) *payment.Terms { return &t }
	out[0].Payment = customer.PaymentAccount{Terms: terms(payment.ThirtyDaysEndOfMonth)}
	out[0].CreditLimit, out[0].PreferredWarehouse = decimal.NewFromInt(50000), "1"
	out[1].Payment = customer.PaymentAccount{Terms: terms(payment.SixtyDaysNet), Methods: []payment.Method{payment.Transfer}}
	out[2].Payment = customer.PaymentAccount{Terms: terms(payment.ThirtyDaysAfterDelivery)}
	out[3].Payment = customer.PaymentAccount{Terms: terms(payment.FortyFiveDaysEndOfMonth)}
	out[3].PreferredWarehouse = "2"
	out[7].PreferredWarehouse = "3"
	out[3].DeliveryAddresses = []customer.DeliveryAddress{
		{ID: "antwerpen", Default: true, Address: customer.Address{Line1: "Haven 420, Noorderlaan 147", PostalCode: "2030", City: "Antwerpen", Country: "BE"}},
		{ID: "lille", Address: customer.Address{Line1: "Dépôt Hydrobel, 8 rue du Port", PostalCode: "59000", City: "Lille", Country: "FR"}},
	}
	consumer := func(id, name, country, lang, line1, zip, city string) customer.Customer {
		return customer.Customer{ID: id, Name: name, Kind: customer.Consumer, Country: country, Language: lang, CreditLimit: decimal.Zero,
			Address: customer.Address{Line1: line1, PostalCode: zip, City: city, Country: country}}
	}
	out = append(out,
		consumer("P0001", "Marie Martin", "FR", "fr", "4 allée des Tilleuls", "69100", "Villeurbanne"),
		consumer(BEConsumer, "Luc Peeters", "BE", "fr", "Rue Haute 12", "1000", "Bruxelles"),
		consumer(DEConsumer, "Hannah Schmidt", "DE", "de", "Kastanienallee 7", "10435", "Berlin"),
		consumer(USConsumer, "Emily Carter", "US", "en", "21 Beacon Street", "02108", "Boston"),
	)
	return out
}

// vatNumber completes a VAT number body with its check digits: "FR:<siren>",
// "BE:<first 8 digits>", "DE:<first 8 digits>"; "BE!<first 8 digits>" gets
// wrong Belgian check digits (97 − n mod 97, plus one); "" stays empty.
func vatNumber(spec string) string {
	if spec == "" {
		return ""
	}
	cc, body := spec[:2], spec[3:]
	if spec[2] == '!' {
		n, _ := strconv.Atoi(body)
		return fmt.Sprintf("BE%s%02d", body, (97-n%97)%97+1)
	}
	switch cc {
	case "FR":
		return fmt.Sprintf("FR%02d%s", vat.FRKey(body), body)
	case "BE":
		n, _ := strconv.Atoi(body)
		return fmt.Sprintf("BE%s%02d", body, 97-n%97)
	case "DE":
		return fmt.Sprintf("DE%s%d", body, vat.DECheckDigit(body))
	}
	return ""
}

// jardinAccounts is Jardin Saison's merchant, customers, warehouses and
// stock levels, which no ERP file brings.
func jardinAccounts(acc *dynamo.Accounts, d Data) *dynamo.Batch {
	jb := acc.NewBatch(Jardin).Merchant(d.Merchants[1])
	for _, c := range d.JardinClients {
		jb.Customer(c)
	}
	for _, w := range d.JardinWarehouses {
		jb.Warehouse(w)
	}
	for _, l := range d.JardinStock {
		jb.StockLevel(l)
	}
	return jb
}

// saveAccounts saves the merchants' account batches.
func saveAccounts(ctx context.Context, acc *dynamo.Accounts, batches ...*dynamo.Batch) error {
	for _, b := range batches {
		if err := acc.Save(ctx, b); err != nil {
			return fmt.Errorf("demo accounts: %w", err)
		}
	}
	return nil
}
