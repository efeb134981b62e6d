package devstack_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/wiring"
)

type noFunctions struct{}

func (noFunctions) API(context.Context, string) (wiring.APIHandler, error) {
	return nil, errors.New("no function")
}

// TestGateway_LogsAtMostABoundedPartOfHostAndPath proves that the
// gateway's log line cuts a 100 KB Host and a 3,000-character path.
func TestGateway_LogsAtMostABoundedPartOfHostAndPath(t *testing.T) {
	var logs bytes.Buffer
	g, err := devstack.NewGateway(devstack.GatewayConfig{Functions: noFunctions{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/catalog/products/"+strings.Repeat("X", 3000), nil)
	req.Host = strings.Repeat("h", 100<<10)
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	if n := logs.Len(); n == 0 || n > 2048 {
		t.Errorf("a log line of %d bytes: %.300s", n, logs.String())
	}
}
