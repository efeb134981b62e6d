// Package layering holds the test that keeps the packages in their layers:
// domain packages know nothing of Lambda, HTTP, AWS or DynamoDB, and the
// HTTP layer reaches storage only through the ports the domain declares.
package layering

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/comptoir/comptoir/shared/"

// adapters are the packages that talk to AWS, Lambda or HTTP.
var adapters = []string{
	"github.com/aws/", "net/http", module + "dynamo", module + "queue", module + "httpapi", module + "wiring", module + "devstack",
}

// rules maps each package under shared/ to the import prefixes it must not
// use.
var rules = map[string][]string{
	"merchant": adapters, "identity": adapters, "catalog": adapters, "customer": adapters,
	"stock": adapters, "vat": adapters, "tax": adapters, "money": adapters, "tariff": adapters,
	"pricing": adapters, "erp": adapters, "fx": adapters, "vatledger": adapters, "orderevent": adapters,
	"cursor": adapters, "payment": adapters, "cart": adapters, "order": adapters,
	// The HTTP layer serves Lambda through the proxy, but never reads the
	// table or a queue itself.
	"httpapi": {"github.com/aws/aws-sdk-go-v2", module + "dynamo", module + "queue", module + "wiring"},
}

func TestPackagesStayInTheirLayer(t *testing.T) {
	for pkg, banned := range rules {
		files, err := filepath.Glob(filepath.Join("..", pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("package %s: no Go files (%v)", pkg, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range banned {
					if strings.HasPrefix(path, b) {
						t.Errorf("%s imports %s", f, path)
					}
				}
			}
		}
	}
}
