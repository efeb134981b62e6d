// Package localaws builds AWS SDK clients for the local stand-ins of the
// stack (DynamoDB Local, fauxqs for SQS and S3) and creates the single table
// from its template definition. The local runner and the integration test
// helpers share it.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/comptoir/comptoir/shared/samtemplate"
)

// Region is the region the local stack pretends to run in.
const Region = "eu-west-3"

// AccountID is the account id of local ARNs.
const AccountID = "000000000000"

// DefaultDatabase is the DynamoDB Local database of the clients that name
// none: the one the local runner and the benchmarks use.
const DefaultDatabase = "local"

// Config returns an AWS configuration with static "local" credentials and
// the local region; it reads nothing from the environment.
func Config() aws.Config {
	return aws.Config{Region: Region, Credentials: credentials(DefaultDatabase)}
}

// AccessKey is the access key that names database db in DynamoDB Local:
// db's ASCII letters and digits (the stand-in refuses other characters),
// DefaultDatabase when none.
func AccessKey(db string) string {
	key := make([]byte, 0, len(db))
	for i := 0; i < len(db); i++ {
		if c := db[i]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			key = append(key, c)
		}
	}
	if len(key) == 0 {
		return DefaultDatabase
	}
	return string(key)
}

// credentials are static credentials naming database db.
func credentials(db string) aws.CredentialsProvider {
	key := AccessKey(db)
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: "local", Source: "localaws"}, nil
	})
}

// Database makes a DynamoDB client work in database db of DynamoDB Local
// (AccessKey names it).
//
// DynamoDB Local, started without -sharedDb as scripts/stack.sh starts it,
// keeps one database per access key and region, and runs every statement
// of a database on that database's one thread, in turn. In one shared
// database a burst of one test queues every request of every other test
// behind it, table creations included; in databases of their own, the
// tests' requests run side by side on the machine's cores. A database
// costs the stand-in a few threads and about 1 MB for as long as it runs,
// so the tests take one per test package or local stack, not one per
// table. Every client of a table must name the table's database.
func Database(db string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.Credentials = credentials(db) }
}

// MaxTableRequests is the most requests the clients of one process send
// at once to DynamoDB Local on one table; the others wait in the client,
// in turn, for one of them to finish.
//
// DynamoDB Local serves every request on a thread of its own and makes a
// write wait for the locks another write holds. Hundreds of writes at once
// on one item (300 checkouts of a hot product) then starve every other
// request it serves, whatever its table: measured on 2 cores, updates of
// other items fell from about 1,500 to 4 per second, with 5 s waits, while
// 300 transactions queued on one item, and to about 250 per second, with
// waits under 100 ms, while 32 did; the hot item's own transactions went
// faster with fewer writers at once. The bound is per table, so that the
// tests and functions working on other tables never wait behind a hot
// one. DynamoDB answers a conflict at once instead of waiting, so a
// Lambda function needs no such bound: it is the stand-in's.
const MaxTableRequests = 16

// tableGates are the per-table semaphores of MaxTableRequests, shared by
// every client of the process.
var tableGates sync.Map // table name -> chan struct{}

func tableGate(table string) chan struct{} {
	if g, ok := tableGates.Load(table); ok {
		return g.(chan struct{})
	}
	g, _ := tableGates.LoadOrStore(table, make(chan struct{}, MaxTableRequests))
	return g.(chan struct{})
}

// tableOf names the one table an operation works on; "" for an operation
// on none or on several (ListTables, a batch over several tables), which
// goes ungated.
func tableOf(in any) string {
	one := func(names ...*string) string {
		t := ""
		for _, n := range names {
			switch {
			case n == nil:
			case t == "":
				t = *n
			case *n != t:
				return ""
			}
		}
		return t
	}
	switch v := in.(type) {
	case *dynamodb.GetItemInput:
		return one(v.TableName)
	case *dynamodb.PutItemInput:
		return one(v.TableName)
	case *dynamodb.UpdateItemInput:
		return one(v.TableName)
	case *dynamodb.DeleteItemInput:
		return one(v.TableName)
	case *dynamodb.QueryInput:
		return one(v.TableName)
	case *dynamodb.ScanInput:
		return one(v.TableName)
	case *dynamodb.BatchGetItemInput:
		names := make([]*string, 0, len(v.RequestItems))
		for k := range v.RequestItems {
			names = append(names, &k)
		}
		return one(names...)
	case *dynamodb.BatchWriteItemInput:
		names := make([]*string, 0, len(v.RequestItems))
		for k := range v.RequestItems {
			names = append(names, &k)
		}
		return one(names...)
	case *dynamodb.TransactWriteItemsInput:
		names := make([]*string, 0, len(v.TransactItems))
		for _, it := range v.TransactItems {
			switch {
			case it.Put != nil:
				names = append(names, it.Put.TableName)
			case it.Update != nil:
				names = append(names, it.Update.TableName)
			case it.Delete != nil:
				names = append(names, it.Delete.TableName)
			case it.ConditionCheck != nil:
				names = append(names, it.ConditionCheck.TableName)
			}
		}
		return one(names...)
	case *dynamodb.TransactGetItemsInput:
		names := make([]*string, 0, len(v.TransactItems))
		for _, it := range v.TransactItems {
			if it.Get != nil {
				names = append(names, it.Get.TableName)
			}
		}
		return one(names...)
	}
	return ""
}

// gateTables holds each operation on a table, retries included, within
// MaxTableRequests of the process for that table.
func gateTables(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("comptoirLocalTableGate",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			table := tableOf(in.Parameters)
			if table == "" {
				return next.HandleInitialize(ctx, in)
			}
			g := tableGate(table)
			select {
			case g <- struct{}{}:
			case <-ctx.Done():
				return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			defer func() { <-g }()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// DynamoDB returns a client of the DynamoDB stand-in at endpoint. All the
// clients of a process send at most MaxTableRequests requests at once on
// one table.
func DynamoDB(endpoint string, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(), append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.APIOptions = append(o.APIOptions, gateTables)
	}}, opts...)...)
}

// LambdaLikeRetries makes a DynamoDB client retry as the functions' clients
// do in Lambda, for a local runner that serves many requests at once from
// one process. In Lambda each concurrent request runs in its own execution
// environment, with its own client and so its own SDK retry quota; one
// client shared by hundreds of requests would run out of quota after a few
// dozen retries and fail requests that Lambda retries. DynamoDB Local also
// makes a write wait for a lock while other transactions hold it, and
// answers 500 when the wait is long, a refusal it says DynamoDB itself
// would not give: the standard retryer retries it like any 500, here up to
// 10 attempts.
func LambdaLikeRetries(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.RateLimiter = ratelimit.None
		so.MaxAttempts = 10
	})
}

// DynamoDBStreams returns a client of the streams of database db (see
// Database) of the DynamoDB stand-in at endpoint (DynamoDB Local serves
// them on its own endpoint).
func DynamoDBStreams(endpoint, db string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(Config(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Credentials = credentials(db)
	})
}

// SQS returns a client of the SQS stand-in at endpoint.
func SQS(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// S3 returns a path-style client of the S3 stand-in at endpoint.
func S3(endpoint string) *s3.Client {
	return s3.NewFromConfig(Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// CreateTable creates table name as def describes it (keys, attribute
// definitions, global secondary indexes, on-demand billing, stream), waits
// until it is active and enables its TTL attribute. A table that already
// exists is left as it is, TTL and stream aside: a table made before the
// template declared a stream gets it.
func CreateTable(ctx context.Context, c *dynamodb.Client, name string, def samtemplate.Table) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(def.Keys),
	}
	for _, a := range def.Attributes {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.Name), AttributeType: types.ScalarAttributeType(a.Type),
		})
	}
	for _, g := range def.GSIs {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(g.Name),
			KeySchema:  keySchema(g.Keys),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.Projection)},
		})
	}
	if def.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(def.StreamViewType)}
	}
	_, err := c.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if err := enableStream(ctx, c, name, def.StreamViewType); err != nil {
		return err
	}
	if def.TTLAttribute == "" {
		return nil
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == types.TimeToLiveStatusEnabled &&
		aws.ToString(d.AttributeName) == def.TTLAttribute {
		return nil
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(def.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}

// enableStream turns the stream of an existing table on when def wants one
// and it has none.
func enableStream(ctx context.Context, c *dynamodb.Client, name, viewType string) error {
	if viewType == "" {
		return nil
	}
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", name, err)
	}
	if s := out.Table.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		if string(s.StreamViewType) != viewType {
			return fmt.Errorf("table %s streams %s, the template %s: delete the local table", name, s.StreamViewType, viewType)
		}
		return nil
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName:           aws.String(name),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(viewType)},
	})
	if err != nil {
		return fmt.Errorf("enable the stream of %s: %w", name, err)
	}
	return nil
}

// StreamARN returns the ARN of table name's current stream, "" when it
// has none.
func StreamARN(ctx context.Context, c *dynamodb.Client, name string) (string, error) {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", name, err)
	}
	return aws.ToString(out.Table.LatestStreamArn), nil
}

// DeleteTable deletes table name; a table that does not exist is not an
// error.
func DeleteTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete table %s: %w", name, err)
	}
	return nil
}

func keySchema(keys []samtemplate.KeyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: types.KeyType(k.Type)})
	}
	return out
}
