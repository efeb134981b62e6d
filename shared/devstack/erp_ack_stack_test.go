package devstack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/order"
)

// TestStack_ERPAcknowledgement_ShipsInvoicesAndSettlesAnOrder places an
// order on account through the API, then drops the ERP's acknowledgement
// file (Sage F_DOCLIGNE, Windows-1252, ';') into the local bucket: the
// order the API serves then carries the ERP's number, the units shipped
// and what remains to ship, the invoice, and is paid, its amount off the
// customer's outstanding; a row naming an unknown order is in the report;
// the same rows dropped again change nothing and the job says so.
func TestStack_ERPAcknowledgement_ShipsInvoicesAndSettlesAnOrder(t *testing.T) {
	t.Parallel()
	e := startERPStack(t)
	if code, body := call(t, e.running, erpHost, http.MethodPost, "/cart/lines", e.buyer, map[string]any{"ref": demo.PumpRef, "quantity": 1}, nil); code != http.StatusOK {
		t.Fatalf("add the pump: %d %s", code, body)
	}
	var placed httpapi.OrderView
	if code, body := call(t, e.running, erpHost, http.MethodPost, "/checkout", e.buyer,
		map[string]any{"shippingMethod": "standard", "paymentMethod": "on-account"}, &placed); code != http.StatusCreated {
		t.Fatalf("checkout: %d %s", code, body)
	}
	if placed.Status != order.Accepted || len(placed.Lines) < 2 {
		t.Fatalf("placed %s with %d lines, want accepted with the pump and its kit", placed.Status, len(placed.Lines))
	}
	gross := placed.Totals.Gross.Decimal
	if got := e.outstanding(t, "C0001"); !got.Equal(gross) {
		t.Fatalf("outstanding %s after the order, want its %s", got, gross)
	}
	var kit httpapi.OrderLineView
	for _, l := range placed.Lines {
		if l.Ref != demo.PumpRef {
			kit = l
		}
	}

	const stamp = "2026-12-03 09:00:00"
	file := "DO_Piece;DO_Ref;AR_Ref;DL_QteBL;invoice;invoiceDate;status;paidOn;cbModification\r\n" +
		fmt.Sprintf("BC00042;%s;%s;1;;;;;%s\r\n", placed.ID, demo.PumpRef, stamp) +
		fmt.Sprintf("BC00042;%s;;;FA00077;15/12/2026;;20/12/2026;%s\r\n", placed.ID, stamp) +
		fmt.Sprintf("BC00043;20261203-INCONNUE;;;;;;;%s\r\n", stamp)
	job := e.job(t, e.drop(t, "F_DOCLIGNE_20261203.csv", file))
	if job.Status != "applied" || job.Applied != 2 || job.Rejected != 1 || job.Unchanged != 0 {
		t.Fatalf("acknowledgement job: %+v", job)
	}
	if r := e.report(t, job.ID); !strings.Contains(r, "\n4;order;unknown order;20261203-INCONNUE") {
		t.Errorf("report without the unknown order of line 4:\n%s", r)
	}

	var got httpapi.OrderView
	if code, body := call(t, e.running, erpHost, http.MethodGet, "/orders/"+placed.ID, e.buyer, nil, &got); code != http.StatusOK {
		t.Fatalf("GET the order: %d %s", code, body)
	}
	if got.Status != order.Paid || got.ERP == nil || got.ERP.Number != "BC00042" || got.ERP.Invoice != "FA00077" ||
		got.ERP.InvoiceDate != "2026-12-15" || got.ERP.Fulfilment != order.Invoiced {
		t.Fatalf("order after the acknowledgement: status %s, erp %+v", got.Status, got.ERP)
	}
	for _, l := range got.Lines {
		switch {
		case l.Ref == demo.PumpRef && (l.Shipped != 1 || l.ToShip != 0):
			t.Errorf("pump shipped %d, to ship %d; want 1 and 0", l.Shipped, l.ToShip)
		case l.Ref == kit.Ref && (l.Shipped != 0 || l.ToShip != kit.Units):
			t.Errorf("kit shipped %d, to ship %d; want 0 and %d", l.Shipped, l.ToShip, kit.Units)
		}
	}
	if out := e.outstanding(t, "C0001"); !out.IsZero() {
		t.Errorf("outstanding %s after the ERP's payment, want 0", out)
	}

	// The same rows in another file: nothing changes, and the job says so.
	again := e.job(t, e.drop(t, "F_DOCLIGNE_20261203_bis.csv", file))
	if again.Applied != 0 || again.Unchanged != 2 || again.Rejected != 1 {
		t.Errorf("the same rows again: %+v", again)
	}
	if out := e.outstanding(t, "C0001"); !out.IsZero() {
		t.Errorf("outstanding %s after the same payment again, want 0", out)
	}
}

// outstanding is customer c's outstanding on account ("encours"), as
// staff read it through the API (GET /admin/customers/{id}/payment).
func (e *erpStack) outstanding(t *testing.T, c string) decimal.Decimal {
	t.Helper()
	var account httpapi.CustomerPaymentView
	if code, body := call(t, e.running, erpHost, http.MethodGet, "/admin/customers/"+c+"/payment", e.staff, nil, &account); code != http.StatusOK {
		t.Fatalf("payment account of %s: %d %s", c, code, body)
	}
	return account.Outstanding.Decimal
}
