package erpfile

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNoAdapter keeps the package pure: reading a file needs no AWS,
// HTTP, DynamoDB or queue, directly or through the project's packages it
// imports.
func TestImportsNoAdapter(t *testing.T) {
	const module = "github.com/comptoir/comptoir/"
	banned := []string{"github.com/aws/", "net/http", module + "shared/dynamo", module + "shared/queue",
		module + "shared/httpapi", module + "shared/wiring", module + "shared/devstack"}
	seen := map[string]bool{}
	var walk func(dir, pkg string)
	walk = func(dir, pkg string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("package %s: no Go files in %s (%v)", pkg, dir, err)
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
						t.Errorf("%s imports %s (through %s)", f, path, pkg)
					}
				}
				if rest, ok := strings.CutPrefix(path, module); ok {
					walk(filepath.Join("..", "..", rest), path)
				}
			}
		}
	}
	walk(".", "erpfile")
	if len(seen) < 5 {
		t.Fatalf("walked only %d packages: the walk is broken", len(seen))
	}
}
