package payment

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestManual_Start(t *testing.T) {
	cases := []struct {
		name             string
		req              Request
		wantRef          string
		wantInstructions []string
		wantErr          bool
	}{
		{name: "card: the merchant's terminal takes it under the order's reference",
			req:     Request{Order: "20261202-K3M9Q2TX", Method: Card, Amount: dec("120"), Currency: "EUR", Customer: "C1"},
			wantRef: "card-20261202-K3M9Q2TX", wantInstructions: []string{"20261202-K3M9Q2TX"}},
		{name: "transfer: the order number is the transfer's reference, the amount in minor units",
			req:     Request{Order: "20261202-AB12CD34", Method: Transfer, Amount: dec("1054.2"), Currency: "EUR", Customer: "C1"},
			wantRef: "transfer-20261202-AB12CD34", wantInstructions: []string{"Virement", "1054.20 EUR", "référence 20261202-AB12CD34"}},
		{name: "transfer in a currency without minor units",
			req:     Request{Order: "20261202-AB12CD35", Method: Transfer, Amount: dec("1500"), Currency: "JPY"},
			wantRef: "transfer-20261202-AB12CD35", wantInstructions: []string{"1500 JPY"}},
		{name: "on account is not paid through a provider", req: Request{Order: "X", Method: OnAccount}, wantErr: true},
		{name: "no order number", req: Request{Method: Card}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Manual{}.Start(context.Background(), c.req)
			if c.wantErr {
				if !errors.Is(err, ErrNotStartable) {
					t.Fatalf("error %v, want ErrNotStartable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Reference != c.wantRef {
				t.Errorf("reference %q, want %q", got.Reference, c.wantRef)
			}
			for _, w := range c.wantInstructions {
				if !strings.Contains(got.Instructions, w) {
					t.Errorf("instructions %q do not say %q", got.Instructions, w)
				}
			}
		})
	}
}
