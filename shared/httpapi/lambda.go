package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/comptoir/comptoir/shared/merchant"
)

// LambdaHandler adapts h to the events of API Gateway's HTTP API (payload
// format 2.0): the Lambda handler of an API function. The request's URL is
// built from the event's domain name, so a Host that is not a host name
// ("hydro%2dfr.localhost", a NUL, 100 KB) cannot even make a request: it
// is answered here with the 404 unknown-storefront problem the pipeline
// would give, and an event that cannot be read otherwise with a 400 problem,
// never with a function error (which the gateway turns into a 500).
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	var accessor core.RequestAccessorV2
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		w := core.NewProxyResponseWriterV2()
		host := ev.Headers["host"]
		if host == "" {
			host = ev.RequestContext.DomainName
		}
		if !plausibleHost(host) || !plausibleHost(ev.RequestContext.DomainName) {
			refuseEvent(w, ev, UnknownStorefront(host))
			return w.GetProxyResponse()
		}
		req, err := accessor.EventToRequestWithContext(ctx, ev)
		if err != nil {
			refuseEvent(w, ev, InvalidParameter("the request's path or query cannot be read"))
			return w.GetProxyResponse()
		}
		h.ServeHTTP(w, req)
		return w.GetProxyResponse()
	}
}

// plausibleHost reports whether host is a DNS name with an optional port;
// an event without a domain name (a direct invocation) is let through.
func plausibleHost(host string) bool {
	if host == "" {
		return true
	}
	_, err := merchant.RequestHost(host)
	return err == nil
}

// refuseEvent writes p for an event that never became a request, as the
// pipeline would: no DynamoDB round trip was made.
func refuseEvent(w http.ResponseWriter, ev events.APIGatewayV2HTTPRequest, p *Problem) {
	w.Header().Set(CallsHeader, "0")
	writeProblem(w, &http.Request{URL: &url.URL{Path: ev.RequestContext.HTTP.Path}}, p)
}
