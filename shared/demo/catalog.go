package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
)

// family is a top-level category with its sub-categories and the product
// lines generated in each.
type family struct {
	id, fr, en string
	restricted bool
	subs       []sub
}

type sub struct {
	id, fr, en string
	// lines are name stems (fr, en) combined with sizes to make products.
	lines [][2]string
	// price is the base list price of the smallest size, in euros.
	price int64
	// lot, pallet are packaging sizes; zero when the product has none.
	lot, pallet int
	proOnly     bool
}

var families = []family{
	{id: "POMPES", fr: "Pompes", en: "Pumps", subs: []sub{
		{id: "POMPES-CENTRI", fr: "Pompes centrifuges", en: "Centrifugal pumps", price: 420, pallet: 8,
			lines: [][2]string{{"Pompe centrifuge monobloc", "Close-coupled centrifugal pump"}, {"Pompe centrifuge multicellulaire", "Multistage centrifugal pump"}}},
		{id: "POMPES-DOSEUSES", fr: "Pompes doseuses", en: "Dosing pumps", price: 610, proOnly: true,
			lines: [][2]string{{"Pompe doseuse à membrane", "Diaphragm dosing pump"}, {"Pompe doseuse électromagnétique", "Solenoid dosing pump"}}},
		{id: "POMPES-CHIMIE", fr: "Pompes chimie", en: "Chemical pumps", price: 980, proOnly: true,
			lines: [][2]string{{"Pompe chimie à entraînement magnétique", "Magnetic drive chemical pump"}, {"Pompe vide-fût inox", "Stainless drum pump"}}},
	}},
	{id: "ETANCH", fr: "Joints et étanchéité", en: "Seals and sealing", subs: []sub{
		{id: "ETANCH-TORIQUES", fr: "Joints toriques", en: "O-rings", price: 2, lot: 50, pallet: 5000,
			lines: [][2]string{{"Joint torique NBR", "NBR O-ring"}, {"Joint torique FKM", "FKM O-ring"}, {"Joint torique EPDM", "EPDM O-ring"}}},
		{id: "ETANCH-MECA", fr: "Garnitures mécaniques", en: "Mechanical seals", price: 145, lot: 5,
			lines: [][2]string{{"Garniture mécanique simple", "Single mechanical seal"}, {"Garniture mécanique double", "Double mechanical seal"}}},
		{id: "ETANCH-KITS", fr: "Kits de joints", en: "Seal kits", price: 38, lot: 10,
			lines: [][2]string{{"Kit de joints pompe", "Pump seal kit"}}},
	}},
	{id: "VANNES", fr: "Vannes", en: "Valves", subs: []sub{
		{id: "VANNES-BILLE", fr: "Vannes à boisseau sphérique", en: "Ball valves", price: 24, lot: 10, pallet: 400,
			lines: [][2]string{{"Vanne à bille laiton", "Brass ball valve"}, {"Vanne à bille inox 316", "316 stainless ball valve"}, {"Vanne à bille PVC", "PVC ball valve"}}},
		{id: "VANNES-PAPILLON", fr: "Vannes papillon", en: "Butterfly valves", price: 88, pallet: 60,
			lines: [][2]string{{"Vanne papillon à oreilles", "Lug butterfly valve"}, {"Vanne papillon wafer", "Wafer butterfly valve"}}},
		{id: "VANNES-CLAPETS", fr: "Clapets anti-retour", en: "Check valves", price: 31, lot: 10,
			lines: [][2]string{{"Clapet anti-retour à battant", "Swing check valve"}, {"Clapet anti-retour à ressort", "Spring check valve"}}},
	}},
	{id: "TUYAU", fr: "Tuyauterie et raccords", en: "Piping and fittings", subs: []sub{
		{id: "TUYAU-INOX", fr: "Raccords inox", en: "Stainless fittings", price: 6, lot: 25, pallet: 2000,
			lines: [][2]string{{"Coude inox 90°", "90° stainless elbow"}, {"Té égal inox", "Stainless equal tee"}, {"Manchon inox", "Stainless socket"}}},
		{id: "TUYAU-FLEX", fr: "Flexibles", en: "Hoses", price: 19, lot: 10,
			lines: [][2]string{{"Flexible chimie PTFE", "PTFE chemical hose"}, {"Flexible hydraulique", "Hydraulic hose"}}},
	}},
	{id: "FILTRE", fr: "Filtration", en: "Filtration", subs: []sub{
		{id: "FILTRE-CART", fr: "Cartouches filtrantes", en: "Filter cartridges", price: 12, lot: 12, pallet: 960,
			lines: [][2]string{{"Cartouche filtrante polypropylène", "Polypropylene filter cartridge"}, {"Cartouche filtrante charbon actif", "Activated carbon cartridge"}}},
		{id: "FILTRE-CORPS", fr: "Corps de filtre", en: "Filter housings", price: 74,
			lines: [][2]string{{"Corps de filtre inox", "Stainless filter housing"}}},
	}},
	{id: "SAV", fr: "Pièces détachées SAV", en: "Service spare parts", restricted: true, subs: []sub{
		{id: "SAV-ROUES", fr: "Roues et turbines", en: "Impellers", price: 65,
			lines: [][2]string{{"Roue de pompe bronze", "Bronze pump impeller"}, {"Turbine inox", "Stainless impeller"}}},
		{id: "SAV-MOTEURS", fr: "Moteurs", en: "Motors", price: 240, pallet: 12,
			lines: [][2]string{{"Moteur triphasé IE3", "IE3 three-phase motor"}}},
	}},
}

var (
	sizes     = []string{"DN15", "DN20", "DN25", "DN32", "DN40", "DN50", "DN65", "DN80", "DN100", "DN125", "DN150", "DN200"}
	pressures = []string{"PN10", "PN16"}
)

// variantSizes lists, for each variant of a product line, the index of its
// size: every size in every pressure class.
func variantSizes() []int {
	out := make([]int, 0, len(sizes)*len(pressures))
	for zi := range sizes {
		for range pressures {
			out = append(out, zi)
		}
	}
	return out
}

func hydroCatalog() ([]catalog.Category, []catalog.Product) {
	r := rand.New(rand.NewPCG(42, 1054))
	var cats []catalog.Category
	var products []catalog.Product
	seq := 0
	for fi, f := range families {
		cats = append(cats, catalog.Category{ID: f.id, Names: map[string]string{"fr": f.fr, "en": f.en}, Position: fi, Restricted: f.restricted})
		for si, s := range f.subs {
			cats = append(cats, catalog.Category{ID: s.id, ParentID: f.id, Names: map[string]string{"fr": s.fr, "en": s.en}, Position: si})
			for li, line := range s.lines {
				for vi, zi := range variantSizes() {
					size := sizes[zi] + " " + pressures[vi%len(pressures)]
					seq++
					base := decimal.NewFromInt(s.price).Mul(decimal.NewFromFloat32(1).Add(decimal.New(int64(zi)*35, -2)))
					// Cents vary a little so that prices look real.
					base = base.Add(decimal.New(int64(r.IntN(100)), -2)).Round(2)
					p := catalog.Product{
						Ref:          fmt.Sprintf("%s-%d%02d", s.id, li+1, vi+1),
						EAN:          ean13(fmt.Sprintf("376%09d", seq)),
						CategoryID:   s.id,
						Names:        map[string]string{"fr": line[0] + " " + size, "en": line[1] + " " + size},
						Descriptions: map[string]string{"fr": line[0] + " " + size + ", gamme industrielle Hydrotech.", "en": line[1] + " " + size + ", Hydrotech industrial range."},
						Attributes:   map[string]string{"diametre": sizes[zi], "pression": pressures[vi%len(pressures)]},
						Images:       []string{fmt.Sprintf("https://cdn.hydrotech.example/p/%s-%d.jpg", s.id, li+1)},
						Packagings:   []catalog.Packaging{{Kind: catalog.Unit, Units: 1}},
						MinOrderQty:  1, OrderMultiple: 1,
						TaxCategory: "standard",
						BasePrice:   base,
						Currency:    "EUR",
						ProOnly:     s.proOnly,
						Inactive:    seq%53 == 0, // a few products "en sommeil"
					}
					if s.lot > 0 {
						p.Packagings = append(p.Packagings, catalog.Packaging{Kind: catalog.Lot, Units: s.lot})
						if s.price < 10 {
							p.MinOrderQty, p.OrderMultiple = s.lot, s.lot
						}
					}
					if s.pallet > 0 {
						p.Packagings = append(p.Packagings, catalog.Packaging{Kind: catalog.Pallet, Units: s.pallet})
					}
					products = append(products, p)
				}
			}
		}
	}
	// The seed's linked articles.
	products = append(products,
		catalog.Product{
			Ref: PumpRef, EAN: ean13("376999000100"), CategoryID: "POMPES-CHIMIE",
			Names:        map[string]string{"fr": "Pompe hydraulique d'extraction d'acide", "en": "Hydraulic acid extraction pump"},
			Descriptions: map[string]string{"fr": "Doit être livrée avec un kit de joints résistant aux acides.", "en": "Must ship with an acid-resistant seal kit."},
			Packagings:   []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.RequireFromString("1890.00"), Currency: "EUR", ProOnly: true,
			Links: []catalog.LinkedArticle{
				{Ref: SealKitRef, Kind: catalog.Mandatory, Ratio: decimal.NewFromInt(1)},
				{Ref: FilterRef, Kind: catalog.Optional, Ratio: decimal.NewFromInt(2)},
			},
		},
		catalog.Product{
			Ref: SealKitRef, EAN: ean13("376999000101"), CategoryID: "ETANCH-KITS",
			Names:      map[string]string{"fr": "Kit de joints résistant aux acides", "en": "Acid-resistant seal kit"},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.RequireFromString("74.50"), Currency: "EUR",
		},
		catalog.Product{
			Ref: FilterRef, EAN: ean13("376999000102"), CategoryID: "FILTRE-CART",
			Names:      map[string]string{"fr": "Cartouche filtrante anti-acide 20 µm", "en": "Acid-proof filter cartridge 20 µm"},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Lot, Units: 12}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.RequireFromString("18.90"), Currency: "EUR",
			// Backordered when short: the missing cartridges ship when the
			// goods come in.
			Backorder: true,
		},
	)
	return cats, products
}

// Jardin Saison's products taken on pre-order in the season of
// GardenSeason: garden seeds of the next season, one of them capped.
const (
	PreOrderRef       = "JS-014"
	CappedPreOrderRef = "JS-012"
	// PreOrderCap is the cap of CappedPreOrderRef, in units.
	PreOrderCap = 500
	// PreOrderMinimum is the fewest units a pre-order line of either takes.
	PreOrderMinimum = 5
)

// GardenSeason is the demo's pre-order season as of now: "jardin-<next
// year>", open from the first of January of this year to the last day of
// the next, the goods expected on the first of February after that; no
// cap, a minimum of PreOrderMinimum. So it is open now and for at least
// a year, whatever the day the demo is loaded or a test's clock in this
// year.
func GardenSeason(now time.Time) catalog.PreOrder {
	y := now.UTC().Year()
	return catalog.PreOrder{
		Season:        fmt.Sprintf("jardin-%d", y+1),
		Opens:         time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC),
		Closes:        time.Date(y+1, 12, 31, 0, 0, 0, 0, time.UTC),
		AvailableFrom: time.Date(y+2, 2, 1, 0, 0, 0, 0, time.UTC),
		MinQuantity:   PreOrderMinimum,
	}
}

func jardinCatalog() ([]catalog.Category, []catalog.Product) {
	cats := []catalog.Category{
		{ID: "SEMIS", Names: map[string]string{"fr": "Semis et graines", "en": "Seeds"}},
		{ID: "OUTILS", Names: map[string]string{"fr": "Outillage", "en": "Tools"}, Position: 1},
	}
	var products []catalog.Product
	// Seeds of the next season are taken on pre-order until the first of March.
	season := time.Date(time.Now().UTC().Year()+1, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 20; i++ {
		cat := cats[i%2].ID
		var from *time.Time
		if cat == "SEMIS" && i > 10 {
			from = &season
		}
		products = append(products, catalog.Product{
			AvailableFrom: from,
			Ref:           fmt.Sprintf("JS-%03d", i), EAN: ean13(fmt.Sprintf("376888%06d", i)), CategoryID: cat,
			Names:      map[string]string{"fr": fmt.Sprintf("Article jardin %d", i), "en": fmt.Sprintf("Garden item %d", i)},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.New(int64(500+i*37), -2), Currency: "EUR",
		})
	}
	// Two of the seeds are taken on pre-order in the current season.
	for i, p := range products {
		if p.Ref != PreOrderRef && p.Ref != CappedPreOrderRef {
			continue
		}
		po := GardenSeason(time.Now())
		if p.Ref == CappedPreOrderRef {
			po.Cap = PreOrderCap
		}
		from := po.AvailableFrom
		products[i].PreOrder, products[i].AvailableFrom = &po, &from
	}
	return cats, products
}

// ean13 appends the EAN-13 check digit to 12 digits.
func ean13(first12 string) string {
	d, ok := catalog.EAN13CheckDigit(first12)
	if !ok {
		panic("demo: not 12 digits: " + first12)
	}
	return first12 + string(d)
}
