package erp

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNoLambdaHTTPOrAWS keeps the ERP connector a domain package:
// the queue adapter decodes SQS messages and S3 notifications, the dynamo
// and wiring packages talk to DynamoDB and S3.
func TestImportsNoLambdaHTTPOrAWS(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
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
			for _, banned := range []string{"github.com/aws/", "net/http", "github.com/comptoir/comptoir/shared/dynamo", "github.com/comptoir/comptoir/shared/queue"} {
				if strings.HasPrefix(path, banned) {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}
