package pricing_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/pricing/benchdata"
)

// BenchmarkPrice100Lines measures the engine alone on a 100-line cart over
// the benchmark tariff (1,000 products with 10 price-category entries each,
// a customer price for every product, 20 rules of every kind): the CPU time
// and allocations of pricing one cart once its data are read. Carts and
// customers vary from one iteration to the next. scripts/bench reports the
// same figure.
func BenchmarkPrice100Lines(b *testing.B) {
	for _, policy := range []pricing.Policy{pricing.MostSpecific, pricing.BestPrice} {
		b.Run(string(policy), func(b *testing.B) {
			carts := benchCarts(policy)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c := carts[i%len(carts)]
				if q := pricing.Price(c.req, c.tariff); len(q.Lines) != benchdata.CartLines || !q.Valid() {
					b.Fatalf("cart %d: %d lines, valid %v", i%len(carts), len(q.Lines), q.Valid())
				}
			}
		})
	}
}

type benchCart struct {
	req    pricing.Request
	tariff pricing.Tariff
}

var benchData = benchdata.Generate(1)

// benchCarts are 16 carts of random customers, their tariffs assembled.
func benchCarts(policy pricing.Policy) []benchCart {
	r := rand.New(rand.NewPCG(2, 3))
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	out := make([]benchCart, 16)
	for i := range out {
		c := r.IntN(benchdata.Customers)
		cart := benchdata.Cart(r, benchdata.CartLines)
		req := benchData.Request(c, cart, day)
		req.Policy = policy
		out[i] = benchCart{req: req, tariff: benchData.Tariff(c, cart)}
	}
	return out
}
