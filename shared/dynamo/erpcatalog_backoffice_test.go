package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/testenv"
)

// A back-office save of a product the ERP wrote keeps the ERP row's stamp:
// an older ERP file dropped afterwards still changes nothing.
func TestERPCatalog_ABackOfficeSaveKeepsTheERPStamp(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	a := dynamo.ERPCatalog{Table: tbl}
	for _, ch := range catalogChunks("new", erpDay) {
		applyChunk(t, a, ch)
	}
	ctx := context.Background()
	cat := &dynamo.Catalog{Table: tbl}
	if _, _, err := cat.UpdateProduct(ctx, "m1", "VIS-10", func(p *catalog.Product, exists bool) error {
		if !exists {
			t.Fatal("VIS-10 is not there")
		}
		p.Descriptions = map[string]string{"fr": "Décrite au bureau"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	older := erpDay.Add(-24 * time.Hour)
	if c, rej := applyChunk(t, a, chunk("old", erp.KindProducts, older, erpProduct("VIS-10", "QUINC", "Vieille vis", "9.99"))); c != (erp.Counts{Unchanged: 1}) || len(rej) > 0 {
		t.Errorf("an older file after a back-office save: %+v %+v, want 1 unchanged", c, rej)
	}
	p, err := cat.Product(ctx, "m1", "VIS-10")
	if err != nil || p.Names["fr"] != "Vis inox 10" || p.Descriptions["fr"] != "Décrite au bureau" {
		t.Errorf("product %+v %v: want the newer file's name and the back office's description", p, err)
	}
}
