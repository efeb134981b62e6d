// Package testenv gives integration tests clients of the local stand-ins
// (DynamoDB Local, fauxqs for SQS and S3) and fresh tables shaped like the
// deployed one. Endpoints come from COMPTOIR_DYNAMODB_ENDPOINT and
// COMPTOIR_SQS_ENDPOINT (scripts/test.sh sets them); when one is missing the
// test is skipped, or fails when CI is "true" so that CI never passes by
// skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// Environment variables naming the local endpoints.
const (
	DynamoDBEndpointVar = "COMPTOIR_DYNAMODB_ENDPOINT"
	SQSEndpointVar      = "COMPTOIR_SQS_ENDPOINT"
)

// Endpoint returns the value of the environment variable name, skipping the
// test when it is unset (failing it when CI is "true").
func Endpoint(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: integration tests need the local stack (scripts/test.sh starts it)", name)
		}
		t.Skipf("%s is not set: start the local stack or run scripts/test.sh", name)
	}
	return v
}

// database is the DynamoDB Local database of the test process: one per
// test package, named after the package's folder (go test runs a
// package's tests in its folder).
var database = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		return localaws.DefaultDatabase
	}
	sum := sha256.Sum256([]byte(dir))
	return localaws.AccessKey("t" + filepath.Base(dir) + hex.EncodeToString(sum[:4]))
})

// Database is the DynamoDB Local database (localaws.Database) of the
// package under test: every client of a table that testenv made, the
// functions' included, names it. Each test package working in a database
// of its own, a burst in one never queues the others' requests behind it.
func Database() string { return database() }

// DynamoDB returns a client of DynamoDB Local that counts round trips
// (dynamo.WithCallCounter / dynamo.Calls), in the package's Database.
//
// Its retries are those of the local runner's functions
// (localaws.LambdaLikeRetries): many tests share one DynamoDB Local, whose
// lock waits under load answer 500s that DynamoDB itself would not give.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return localaws.DynamoDB(Endpoint(t, DynamoDBEndpointVar), dynamo.CountRoundTrips, localaws.LambdaLikeRetries, localaws.Database(Database()))
}

// SQS returns a client of the local SQS.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	return localaws.SQS(Endpoint(t, SQSEndpointVar))
}

// S3 returns a path-style client of the local S3 (served by fauxqs on the
// SQS endpoint).
func S3(t testing.TB) *s3.Client {
	t.Helper()
	return localaws.S3(Endpoint(t, SQSEndpointVar))
}

// Table creates a table with a unique name, shaped as template.yaml's table
// (keys, indexes, TTL) but without its stream, and deletes it when the test
// ends. A test that reads the stream uses StreamingTable: a stream makes
// DynamoDB Local keep a record of every write, which slows down every other
// test sharing it.
func Table(t testing.TB) dynamo.Table {
	t.Helper()
	return table(t, false)
}

// StreamingTable is Table with the template's stream.
func StreamingTable(t testing.TB) dynamo.Table {
	t.Helper()
	return table(t, true)
}

func table(t testing.TB, stream bool) dynamo.Table {
	t.Helper()
	c := DynamoDB(t)
	def, err := TableDefinition()
	if err != nil {
		t.Fatal(err)
	}
	if !stream {
		def.StreamViewType = ""
	}
	name := UniqueName("test")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := localaws.CreateTable(ctx, c, name, def); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := localaws.DeleteTable(ctx, c, name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return dynamo.Table{Client: c, Name: name}
}

var (
	tplOnce sync.Once
	tpl     *samtemplate.Template
	tplErr  error
)

// Template returns the repository's parsed template.yaml, found by walking
// up from the working directory to go.mod.
func Template() (*samtemplate.Template, error) {
	tplOnce.Do(func() {
		var path string
		if path, tplErr = samtemplate.Locate("."); tplErr == nil {
			tpl, tplErr = samtemplate.Load(path)
		}
	})
	return tpl, tplErr
}

// TableDefinition returns template.yaml's table definition.
func TableDefinition() (samtemplate.Table, error) {
	t, err := Template()
	if err != nil {
		return samtemplate.Table{}, err
	}
	return t.Table, nil
}

// UniqueName returns prefix followed by a random suffix, usable as a
// table, queue or (lower case) bucket name.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// WaitFor calls check until it reports done, failing the test at the
// deadline (within from now); it returns check's last value. Tests wait
// for an outcome this way, never for a fixed time.
func WaitFor[T any](t testing.TB, within time.Duration, check func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, done := check()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s; last value %+v", within, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
