package devstack

import (
	"fmt"
	"io"
	"net"
	"text/tabwriter"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
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

// WriteGuide prints what a developer needs to try the local stack: the
// storefront URLs (hosts under .localhost resolve to 127.0.0.1), one token
// per identity and a few curl commands. apiAddr is the gateway's listening
// address (127.0.0.1:3000).
func WriteGuide(w io.Writer, apiAddr string, res *Resources, fronts []merchant.Storefront, ids []Identity) error {
	_, port, err := net.SplitHostPort(apiAddr)
	if err != nil {
		return fmt.Errorf("guide: %w", err)
	}
	url := func(host string) string { return "http://" + host + ":" + port }
	p := &printer{w: w}
	p.printf("\nComptoir local stack: API Gateway on http://%s\n", apiAddr)
	if res != nil {
		p.printf("  table %s, ERP bucket %s, %d queues (prefix %s)\n", res.TableName, res.BucketName, len(res.Queues), res.Prefix)
	}
	p.printf("\nStorefronts:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, s := range fronts {
		fmt.Fprintf(tw, "  %s\t%s\t%s/%s\t%s\n", url(s.Host), s.Merchant, s.Country, s.Language, s.Mode)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("guide: %w", err)
	}
	p.printf("\nTokens (12h, dev issuer; export the one you need):\n")
	for _, id := range ids {
		who := string(id.Caller.Role)
		switch {
		case id.Caller.Customer != "":
			who += " of customer " + id.Caller.Customer
		case id.Caller.Rep != "":
			who += " " + id.Caller.Rep
		}
		p.printf("  # %s, merchant %s (%s)\n  export TOKEN_%s=%s\n", id.Caller.Subject, id.Caller.Merchant, who, envName(id.Caller.Subject), id.Token)
	}
	if len(fronts) > 0 {
		host := url(fronts[0].Host)
		p.printf("\nTry:\n")
		p.printf("  curl %s/catalog/categories\n", host)
		p.printf("  curl '%s/catalog/products/{ref}'\n", host)
		if len(ids) > 0 {
			p.printf("  curl -H \"Authorization: Bearer $TOKEN_%s\" %s/catalog/categories\n", envName(ids[0].Caller.Subject), host)
			p.printf("  curl -H \"Authorization: Bearer $TOKEN_%s\" %s/orders\n", envName(ids[0].Caller.Subject), host)
		}
		p.printf("  curl %s/orders                # 401 from the JWT authorizer\n", host)
		p.printf("  curl http://%s/openapi.json\n", apiAddr)
	}
	if res != nil && res.BucketName != "" {
		p.printf("  # drop an ERP file: it becomes an S3 event on the erp-ingest queue\n")
		p.printf("  aws --endpoint-url <sqs endpoint> s3 cp articles.csv s3://%s/hydro/inbox/articles.csv\n", res.BucketName)
	}
	p.printf("\nCtrl-C stops the runner.\n\n")
	return p.err
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
