package erpfile

import (
	"slices"
	"strings"

	"github.com/comptoir/comptoir/shared/erp"
)

// column is one field of a kind of file: its Comptoir column name, its
// Sage 100 column name, and whether a file must have it.
type column struct {
	// name is the field, and the column's header in the Comptoir profile.
	name string
	// sage is the column's header in the Sage 100 profile; "" when Sage
	// has no such column: the Sage file then uses the Comptoir name.
	sage string
	// required columns must be in the header (a row may still leave
	// optional values empty).
	required bool
}

// Fields shared by every kind.
const (
	// fieldStamp is the row's modification stamp (Sage's cbModification,
	// the date and time of the row's last change).
	fieldStamp = "stamp"
	// namePrefix starts the columns of a text per language: "name.fr".
	namePrefix = "name."
)

// spec is what one kind of file holds and how a row becomes a record.
type spec struct {
	columns []column
	// names says that the kind has names per language: columns
	// "name.<language>", at least one of them.
	names bool
	build func(r *row) erp.Record
}

// stampColumn is every kind's stamp column.
var stampColumn = column{name: fieldStamp, sage: "cbModification"}

// specs maps every kind to its columns; see docs/erp-files.md.
var specs = map[erp.Kind]*spec{
	erp.KindCategories: {names: true, build: buildCategory, columns: []column{
		{name: "id", sage: "FA_CodeFamille", required: true},
		{name: "name.fr", sage: "FA_Intitule"},
		{name: "parent", sage: "FA_Central"},
		{name: "position"},
		{name: "restricted"},
	}},
	erp.KindProducts: {names: true, build: buildProduct, columns: []column{
		{name: "ref", sage: "AR_Ref", required: true},
		{name: "name.fr", sage: "AR_Design"},
		{name: "category", sage: "FA_CodeFamille", required: true},
		{name: "basePrice", sage: "AR_PrixVen", required: true},
		{name: "inactive", sage: "AR_Sommeil"},
		{name: "ean", sage: "AR_CodeBarre"},
		{name: "currency"},
		{name: "taxCategory"},
		{name: "packagings"},
		{name: "minOrderQty"},
		{name: "orderMultiple"},
		{name: "noDiscount"},
		{name: "links"},
	}},
	erp.KindCustomers: {build: buildCustomer, columns: []column{
		{name: "id", sage: "CT_Num", required: true},
		{name: "type", sage: "CT_Type"},
		{name: "name", sage: "CT_Intitule", required: true},
		{name: "country", sage: "CT_Pays", required: true},
		{name: "vatNumber", sage: "CT_Identifiant"},
		{name: "priceCategory", sage: "N_CatTarif"},
		{name: "buyingGroup", sage: "CT_NumCentrale"},
		{name: "creditLimit", sage: "CT_Encours"},
		{name: "rep", sage: "CO_No"},
		{name: "dormant", sage: "CT_Sommeil"},
		{name: "address", sage: "CT_Adresse"},
		{name: "postalCode", sage: "CT_CodePostal"},
		{name: "city", sage: "CT_Ville"},
		{name: "kind"},
		{name: "language"},
		{name: "paymentTerms"},
	}},
	erp.KindReps: {build: buildRep, columns: []column{
		{name: "id", sage: "CO_No", required: true},
		{name: "name", sage: "CO_Nom", required: true},
		{name: "firstName", sage: "CO_Prenom"},
		{name: "customers"},
	}},
	erp.KindPriceCategories: {build: buildPriceCategory, columns: []column{
		{name: "id", sage: "cbIndice", required: true},
		{name: "name", sage: "CT_Intitule", required: true},
	}},
	erp.KindPrices: {build: buildPrice, columns: []column{
		{name: "ref", sage: "AR_Ref", required: true},
		{name: "priceCategory", sage: "AC_Categorie"},
		{name: "customer", sage: "CT_Num"},
		{name: "buyingGroup"},
		{name: "price", sage: "AC_PrixVen", required: true},
		{name: "discount", sage: "AC_Remise"},
		{name: "mode", sage: "AC_QteMont"},
		{name: "currency"},
		{name: "validFrom"},
		{name: "validUntil"},
	}},
	erp.KindQuantityBreaks: {build: buildQuantityBreak, columns: []column{
		{name: "ref", sage: "AR_Ref", required: true},
		{name: "priceCategory", sage: "AC_Categorie"},
		{name: "customer", sage: "CT_Num"},
		{name: "buyingGroup"},
		{name: "from", required: true},
		{name: "value", sage: "TQ_Remise01REM_Valeur"},
		{name: "netPrice", sage: "TQ_PrixNet"},
	}},
	erp.KindFamilyDiscounts: {build: buildFamilyDiscount, columns: []column{
		{name: "customer", sage: "CT_Num", required: true},
		{name: "family", sage: "FA_CodeFamille", required: true},
		{name: "percent", sage: "FC_Remise", required: true},
	}},
	erp.KindWarehouses: {build: buildWarehouse, columns: []column{
		{name: "id", sage: "DE_No", required: true},
		{name: "name", sage: "DE_Intitule", required: true},
		{name: "country", sage: "DE_Pays"},
	}},
	erp.KindStock: {build: buildStock, columns: []column{
		{name: "ref", sage: "AR_Ref", required: true},
		{name: "warehouse", sage: "DE_No", required: true},
		{name: "onHand", sage: "AS_QteSto", required: true},
		{name: "reserved", sage: "AS_QteRes"},
		{name: "min", sage: "AS_QteMini"},
		{name: "max", sage: "AS_QteMaxi"},
	}},
	// Acknowledgements: one row per line of an order the ERP recorded
	// (Sage F_DOCLIGNE); the invoice, status and payment columns are the
	// profile's own, under their Comptoir names in both profiles.
	erp.KindAcknowledgements: {build: buildAck, columns: []column{
		{name: "order", sage: "DO_Ref", required: true},
		{name: "erpNumber", sage: "DO_Piece"},
		{name: "ref", sage: "AR_Ref"},
		{name: "shipped", sage: "DL_QteBL"},
		{name: "invoice"},
		{name: "invoiceDate"},
		{name: "status"},
		{name: "paidOn"},
	}},
	erp.KindExchangeRates: {build: buildRate, columns: []column{
		{name: "currency", sage: "D_CodeISO", required: true},
		{name: "perEur", sage: "D_Cours", required: true},
		{name: "date"},
	}},
}

// layout is a file's header resolved against its kind's columns: where
// each field is, and what its column is called.
type layout struct {
	// at maps a field to its position in a row.
	at map[string]int
	// header is the column header of each field, as the file writes it
	// (or as the profile names it, for a column the file lacks).
	header map[string]string
	// names lists the "name.<language>" fields the file has.
	names []string
	// width is the number of columns of the header.
	width int
}

// columnName is the header of a field in a profile, a merchant's mapping
// applied over it.
func columnName(c column, p Profile, m Mapping) string {
	if h, ok := m[c.name]; ok && h != "" {
		return h
	}
	if p == Sage100 && c.sage != "" {
		return c.sage
	}
	return c.name
}

// resolve finds the columns of a kind in a header. missing lists the
// required columns the header lacks, by the name the profile gives them;
// dup is a column the header holds twice.
func resolve(sp *spec, p Profile, m Mapping, headers []string) (l layout, missing []string, dup string) {
	pos := make(map[string]int, len(headers))
	for i, h := range headers {
		k := strings.ToLower(strings.TrimSpace(h))
		if k == "" {
			continue
		}
		if _, ok := pos[k]; ok && dup == "" {
			dup = strings.TrimSpace(h)
		}
		pos[k] = i
	}
	l = layout{at: map[string]int{}, header: map[string]string{}, width: len(headers)}
	claimed := map[int]bool{}
	cols := append(slices.Clip(sp.columns), stampColumn)
	if sp.names {
		// The merchant's mapping may name more languages.
		for f := range m {
			if strings.HasPrefix(f, namePrefix) && !slices.ContainsFunc(cols, func(c column) bool { return c.name == f }) {
				cols = append(cols, column{name: f})
			}
		}
	}
	for _, c := range cols {
		name := columnName(c, p, m)
		l.header[c.name] = name
		i, ok := pos[strings.ToLower(name)]
		if !ok {
			if c.required {
				missing = append(missing, name)
			}
			continue
		}
		l.at[c.name] = i
		l.header[c.name] = strings.TrimSpace(headers[i])
		claimed[i] = true
		if sp.names && strings.HasPrefix(c.name, namePrefix) {
			l.names = append(l.names, c.name)
		}
	}
	if sp.names {
		// Any other "name.<language>" column is a name in that language.
		for i, h := range headers {
			h = strings.TrimSpace(h)
			if claimed[i] || len(h) <= len(namePrefix) || !strings.EqualFold(h[:len(namePrefix)], namePrefix) {
				continue
			}
			f := namePrefix + strings.ToLower(h[len(namePrefix):])
			if _, ok := l.at[f]; ok {
				continue
			}
			l.at[f], l.header[f] = i, h
			l.names = append(l.names, f)
		}
		slices.Sort(l.names)
		if len(l.names) == 0 {
			missing = append(missing, l.header["name.fr"])
		}
	}
	return l, missing, dup
}

// Fields returns the fields of a kind of file, by their Comptoir column
// names (the keys of a merchant's Mapping), the stamp column included,
// and whether the kind takes names per language ("name.<language>"
// beyond name.fr); ok is false for a kind without files.
func Fields(k erp.Kind) (fields []string, namesPerLanguage bool, ok bool) {
	sp, ok := specs[k]
	if !ok {
		return nil, false, false
	}
	for _, c := range sp.columns {
		fields = append(fields, c.name)
	}
	return append(fields, stampColumn.name), sp.names, true
}
