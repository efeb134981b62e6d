package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// SeedItems returns the items the first save of each product writes in a
// table that does not hold it yet: the product (version 1, filed in its
// category's listing and, active, in the reference index), its EAN claim
// and its search entries. It is for bulk loads of a fresh table with
// BatchWriteItem (benchmarks of a large catalog), where SaveProducts'
// transactions would be the slow part: nothing is read or checked (two
// products claiming one EAN are not refused), and the categories' product
// counts are left as they are. Each product must be given once, with its
// Families set as a save sets them.
func (c *Catalog) SeedItems(m merchant.ID, products []catalog.Product) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for _, p := range products {
		s, err := prepareSave(storedProduct{}, p, p.Ref)
		if err != nil {
			return nil, err
		}
		w, err := c.productWrites(m, s, txSkips{})
		if err != nil {
			return nil, err
		}
		for _, it := range w.items {
			if it.Put != nil {
				out = append(out, it.Put.Item)
			}
		}
	}
	return out, nil
}
