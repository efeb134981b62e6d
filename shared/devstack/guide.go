package devstack

import (
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Identity is a caller with a token signed by the dev issuer.
type Identity struct {
	Caller identity.Caller
	Token  string
}

// SignAll signs a token valid for ttl for each caller.
func SignAll(iss *auth.DevIssuer, callers []identity.Caller, ttl time.Duration) ([]Identity, error) {
	out := make([]Identity, 0, len(callers))
	for _, c := range callers {
		tok, err := iss.Sign(c, ttl)
		if err != nil {
			return nil, fmt.Errorf("sign token for %s: %w", c.Subject, err)
		}
		out = append(out, Identity{Caller: c, Token: tok})
	}
	return out, nil
}

// Example is one request of the guide, on the demo data. The README shows
// the same requests: both are rendered by WriteExamples.
type Example struct {
	// Comment is printed above the request, one "# " line per line.
	Comment string
	// Host is the storefront host; "" sends the request to the runner's
	// own address (the OpenAPI document).
	Host string
	// Method is GET when empty.
	Method string
	// Path is the path with its query; "" prints only the comment.
	Path string
	// As is the subject of the demo identity whose exported token variable
	// authorizes the request; "" for an anonymous call.
	As string
	// Body is a JSON body.
	Body string
	// Status is the answer expected when it is not a 2xx; the guide prints
	// it after the request.
	Status int
	// Why names the answer printed with Status (its problem type).
	Why string
}

// DemoExamples are the first requests of a buyer, a rep and the back office
// on the demo data that make dev loads: the catalog, a quote, then a cart,
// its checkout and the orders.
func DemoExamples() []Example {
	const (
		fr    = "hydro-fr.localhost"
		buyer = "achat@plomberie-lyonnaise.fr"
		rep   = "l.bernard@hydrotech.fr"
		staff = "admin@hydrotech.fr"
		valve = "VANNES-BILLE-101"
	)
	return []Example{
		{Comment: "Anonymous visitor on the partially open storefront: categories, products without prices", Host: fr, Path: "/catalog/categories"},
		{Host: fr, Path: "/catalog/categories/POMPES-CENTRI/products?limit=5"},
		{Comment: "A buyer of Plomberie Lyonnaise (customer C0001): their prices appear", Host: fr, Path: "/catalog/categories/POMPES-CHIMIE/products?limit=50", As: buyer},
		{Comment: "Search by reference, EAN or name words", Host: fr, Path: "/catalog/search?q=vanne&limit=5", As: buyer},
		{Comment: "The seed's pump and its mandatory acid-resistant seal kit, in English", Host: fr, Path: "/catalog/products/" + demo.PumpRef + "?lang=en", As: buyer},
		{
			Comment: "A quote with the explanation of every line: which price source won, the\ndiscounts applied in order, and why the other sources and rules did not apply",
			Host:    fr, Method: "POST", Path: "/pricing/quote", As: buyer,
			Body: `{"lines":[{"ref":"` + valve + `","quantity":12},{"ref":"` + valve + `","quantity":1,"packaging":"pallet"}]}`,
		},
		{Comment: "A rep (L. Bernard, portfolio C0001 to C0005) sees a customer exactly as that customer would", Host: fr, Path: "/catalog/products/" + valve + "?customer=C0001", As: rep},
		{Comment: "The closed extranet refuses anonymous callers with a problem+json 401", Host: "hydro-de.localhost", Path: "/catalog/categories", Status: 401, Why: "unauthenticated"},
		{Comment: "The back office: the merchant's staff reads the category tree and the discount rules", Host: fr, Path: "/admin/categories", As: staff},
		{Host: fr, Path: "/admin/pricing", As: staff},
		{
			Comment: "VAT: Hydrobel (C0004, a valid Belgian VAT number) is exempt with the legal mention;\na Belgian consumer (" + demo.BEConsumer + ") pays French VAT until the distance-selling threshold is exceeded",
			Host:    fr, Method: "POST", Path: "/pricing/quote", As: staff,
			Body: `{"customer":"C0004","lines":[{"ref":"` + valve + `","quantity":12}]}`,
		},
		{Host: fr, Method: "POST", Path: "/pricing/quote", As: staff, Body: `{"customer":"` + demo.BEConsumer + `","lines":[{"ref":"` + demo.FilterRef + `","quantity":10}]}`},
		{Comment: "The same quote in Swiss francs: the exchange rate of the day and the VAT in euros", Host: fr, Method: "POST", Path: "/pricing/quote", As: staff,
			Body: `{"customer":"` + demo.BEConsumer + `","currency":"CHF","lines":[{"ref":"` + demo.FilterRef + `","quantity":10}]}`},
		{
			Comment: "The buyer's cart: the acid pump brings its mandatory seal kit at its ratio, and\nsuggests its optional filter; the kit cannot leave while the pump needs it",
			Host:    fr, Method: "POST", Path: "/cart/lines", As: buyer, Body: `{"ref":"` + demo.PumpRef + `","quantity":1}`,
		},
		{Host: fr, Method: "DELETE", Path: "/cart/lines/" + demo.SealKitRef, As: buyer, Status: 422, Why: "mandatory-companion"},
		{Comment: "Many lines at once (a quick order), then the cart priced live, its version in the ETag", Host: fr, Method: "POST", Path: "/cart/quick-order", As: buyer,
			Body: `{"lines":[{"ref":"` + valve + `","quantity":12},{"ref":"` + demo.BackorderRef + `","quantity":10}]}`},
		{Host: fr, Path: "/cart", As: buyer},
		{
			Comment: "Checkout on account (30 days end of month): stock taken from Lyon first, the filters\nshort in stock backordered, the due date and the VAT per rate printed on the order",
			Host:    fr, Method: "POST", Path: "/checkout", As: buyer,
			Body: `{"shippingMethod":"standard","paymentMethod":"on-account","orderReference":"BC-2026-0042"}`,
		},
		{Comment: "The company's orders, newest first; a rep sees those of a customer of the portfolio", Host: fr, Path: "/orders?limit=10", As: buyer},
		{Host: fr, Path: "/orders?customer=C0001", As: rep},
		{Comment: "The back office: every order as CSV, and the stock alerts the orders raised", Host: fr, Path: "/orders/export", As: staff},
		{Host: fr, Path: "/admin/stock/alerts", As: staff},
		{Comment: "The distance-selling ledger, its alerts, the VAT rates and the exchange rates", Host: fr, Path: "/admin/vat/ledger", As: staff},
		{Host: fr, Path: "/admin/vat/alerts", As: staff},
		{Host: fr, Path: "/admin/tax/rates?country=BE", As: staff},
		{Host: fr, Path: "/admin/exchange-rates", As: staff},
		{Comment: "Next page of a list: the same request with &cursor=<nextCursor of the previous answer>"},
		{Comment: "The OpenAPI 3.1 document", Path: "/openapi.yaml"},
	}
}

// TokenVar is the shell variable the guide exports the token of subject in
// (TOKEN_ACHAT_PLOMBERIE_LYONNAISE_FR).
func TokenVar(subject string) string { return "TOKEN_" + envName(subject) }

// WriteExamples renders examples as the shell commands the guide and the
// README show, for a runner listening on port of 127.0.0.1.
func WriteExamples(w io.Writer, port string, examples []Example) error {
	p := &printer{w: w}
	for i, e := range examples {
		if e.Comment != "" {
			if i > 0 {
				p.printf("\n")
			}
			for _, line := range strings.Split(e.Comment, "\n") {
				p.printf("# %s\n", line)
			}
		}
		if e.Path == "" {
			continue
		}
		host := e.Host
		if host == "" {
			host = "127.0.0.1"
		}
		flags := "-s"
		if e.Status != 0 {
			flags = "-si"
		}
		cmd := "curl " + flags
		if e.As != "" {
			cmd += ` -H "Authorization: Bearer $` + TokenVar(e.As) + `"`
		}
		if e.Body != "" {
			cmd += " -H 'Content-Type: application/json'"
		}
		if e.Method != "" && e.Method != "GET" && e.Body == "" {
			cmd += " -X " + e.Method
		}
		url := "http://" + host + ":" + port + e.Path
		if strings.ContainsAny(url, "?&") {
			url = "'" + url + "'"
		}
		if e.Body != "" {
			p.printf("%s \\\n  %s \\\n  -d '%s'", cmd, url, e.Body)
		} else {
			p.printf("%s %s", cmd, url)
		}
		if e.Status != 0 {
			p.printf("   # %d %s", e.Status, e.Why)
		}
		p.printf("\n")
	}
	return p.err
}

// Guide is what the runner prints once the stack is up.
type Guide struct {
	// APIAddr is the gateway's listening address (127.0.0.1:3000).
	APIAddr string
	// Resources are the provisioned table, bucket and queues; may be nil.
	Resources *Resources
	// S3Endpoint is where the ERP bucket is served (fauxqs).
	S3Endpoint  string
	Storefronts []merchant.Storefront
	Identities  []Identity
	// Examples are printed under "Try"; DemoExamples once the demo data
	// are loaded.
	Examples []Example
}

// Write prints the guide: the storefront URLs (hosts under .localhost
// resolve to 127.0.0.1), an export line per identity's token, and the
// examples.
func (g Guide) Write(w io.Writer) error {
	_, port, err := net.SplitHostPort(g.APIAddr)
	if err != nil {
		return fmt.Errorf("guide: %w", err)
	}
	url := func(host string) string { return "http://" + host + ":" + port }
	p := &printer{w: w}
	p.printf("\nComptoir local stack: API Gateway on http://%s\n", g.APIAddr)
	if res := g.Resources; res != nil {
		p.printf("  table %s, %d queues (prefix %s), ERP bucket %s", res.TableName, len(res.Queues), res.Prefix, res.BucketName)
		if g.S3Endpoint != "" {
			p.printf(" on %s", g.S3Endpoint)
		}
		p.printf("\n")
	}
	p.printf("\nStorefronts:\n")
	if p.err == nil {
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		for _, s := range g.Storefronts {
			fmt.Fprintf(tw, "  %s\t%s\t%s/%s\t%s\n", url(s.Host), s.Merchant, s.Country, s.Language, s.Mode)
		}
		p.err = tw.Flush()
	}
	p.printf("\nTokens (12h, dev issuer); paste these lines into your shell:\n")
	for _, id := range g.Identities {
		who := string(id.Caller.Role)
		switch {
		case id.Caller.Customer != "":
			who += " of customer " + id.Caller.Customer
		case id.Caller.Rep != "":
			who += " " + id.Caller.Rep
		}
		p.printf("# %s, merchant %s (%s)\nexport %s=%s\n", id.Caller.Subject, id.Caller.Merchant, who, TokenVar(id.Caller.Subject), id.Token)
	}
	if len(g.Examples) > 0 && p.err == nil {
		p.printf("\nTry (the README's first requests):\n\n")
		if p.err == nil {
			p.err = WriteExamples(w, port, g.Examples)
		}
	}
	p.printf("\nCtrl-C stops everything.\n\n")
	if p.err != nil {
		return fmt.Errorf("guide: %w", p.err)
	}
	return nil
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// envName turns a subject into a shell variable suffix.
func envName(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}
