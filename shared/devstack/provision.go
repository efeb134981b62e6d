// Package devstack runs the whole system on a workstation from template.yaml:
// it provisions the table, queues and bucket the template declares on the
// local stand-ins (DynamoDB Local, fauxqs), plays API Gateway (routes, JWT
// authorizer, payload v2.0 events) in front of the API functions, plays the
// SQS event source mappings with pollers and the DynamoDB stream event
// source mappings with stream pollers, and turns objects dropped in the
// ERP bucket into the S3 notifications S3 would send. Handlers are the very
// ones deployed, built through package wiring.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// DefaultPrefix prefixes the local physical names ("comptoir-dev-Table").
const DefaultPrefix = "comptoir-dev"

// Clients are the SDK clients of the local stand-ins.
type Clients struct {
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	S3       *s3.Client
	// Streams reads the table's stream; only the stream pollers use it.
	Streams *dynamodbstreams.Client
}

// ProvisionOptions say where and how to create the template's resources.
type ProvisionOptions struct {
	// Prefix of every physical name; DefaultPrefix when empty.
	Prefix string
	// VisibilityTimeout, when positive, replaces every queue's visibility
	// timeout, so that a failed message is retried within seconds locally.
	VisibilityTimeout time.Duration
}

// Queue is a provisioned queue.
type Queue struct {
	LogicalID string
	Name      string
	URL       string
	ARN       string
	// DLQ is the logical id of its dead-letter queue, "" for none.
	DLQ             string
	MaxReceiveCount int
	// VisibilityTimeout is the timeout set locally.
	VisibilityTimeout time.Duration
}

// Resources are the physical names of the provisioned resources.
type Resources struct {
	Prefix    string
	TableName string
	// StreamARN is the table's stream, "" when the template declares none.
	StreamARN  string
	BucketName string
	// Queues by logical id.
	Queues map[string]Queue
	// Resolver resolves the template's !Ref, !GetAtt and !Sub of these
	// resources, the parameters' defaults and the pseudo parameters.
	Resolver samtemplate.Resolver
	// CursorKey is the stack's CURSOR_KEY, generated at provisioning: the
	// template's CursorKey parameter has no default, as a deployment's key
	// is its own.
	CursorKey string
}

// Provision creates on the local stand-ins the table (with its indexes,
// TTL and stream), the queues (dead-letter queues first, then the queues with their
// redrive policy) and the bucket that tpl declares. It is idempotent: what
// exists already is kept (queue attributes are brought in line).
func Provision(ctx context.Context, tpl *samtemplate.Template, c Clients, opts ProvisionOptions) (*Resources, error) {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !namePattern.MatchString(prefix) {
		return nil, fmt.Errorf("provision: prefix %q must match %s", prefix, namePattern)
	}
	res := &Resources{Prefix: prefix, Queues: map[string]Queue{}, CursorKey: cursor.NewKey(), Resolver: samtemplate.Resolver{
		"AWS::Region":    localaws.Region,
		"AWS::AccountId": localaws.AccountID,
		"AWS::StackName": prefix,
		"AWS::Partition": "aws",
		"AWS::URLSuffix": "amazonaws.com",
	}}
	for name, def := range tpl.Parameters {
		res.Resolver[name] = def
	}
	for id, typ := range tpl.Resources {
		// Resources without a local stand-in resolve to a placeholder
		// (the local runner overrides the variables that matter).
		if typ != samtemplate.TypeQueue && typ != samtemplate.TypeTable && typ != samtemplate.TypeBucket {
			res.Resolver[id] = prefix + "-" + id
		}
	}

	res.TableName = prefix + "-" + tpl.Table.LogicalID
	if err := localaws.CreateTable(ctx, c.DynamoDB, res.TableName, tpl.Table); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	res.Resolver[tpl.Table.LogicalID] = res.TableName
	res.Resolver[tpl.Table.LogicalID+".Arn"] = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", localaws.Region, localaws.AccountID, res.TableName)
	if tpl.Table.StreamViewType != "" {
		arn, err := localaws.StreamARN(ctx, c.DynamoDB, res.TableName)
		if err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
		if arn == "" {
			return nil, fmt.Errorf("provision: table %s has no stream", res.TableName)
		}
		res.StreamARN = arn
		res.Resolver[tpl.Table.LogicalID+".StreamArn"] = arn
	}

	// Dead-letter queues first: their ARN goes into the redrive policies.
	ordered := make([]samtemplate.Queue, 0, len(tpl.Queues))
	for _, q := range tpl.Queues {
		if q.DLQ == "" {
			ordered = append(ordered, q)
		}
	}
	for _, q := range tpl.Queues {
		if q.DLQ != "" {
			ordered = append(ordered, q)
		}
	}
	for _, q := range ordered {
		pq, err := provisionQueue(ctx, c.SQS, prefix, q, res, opts.VisibilityTimeout)
		if err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
		res.Queues[q.LogicalID] = pq
		res.Resolver[q.LogicalID] = pq.URL
		res.Resolver[q.LogicalID+".Arn"] = pq.ARN
		res.Resolver[q.LogicalID+".QueueName"] = pq.Name
		res.Resolver[q.LogicalID+".QueueUrl"] = pq.URL
	}

	if tpl.Bucket.LogicalID != "" {
		res.BucketName = strings.ToLower(prefix + "-" + tpl.Bucket.LogicalID)
		if err := provisionBucket(ctx, c.S3, res.BucketName); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
		res.Resolver[tpl.Bucket.LogicalID] = res.BucketName
		res.Resolver[tpl.Bucket.LogicalID+".Arn"] = "arn:aws:s3:::" + res.BucketName
	}
	return res, nil
}

// namePattern is what SQS queue names, DynamoDB table names and (lower
// cased) bucket names all accept.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,40}$`)

func provisionQueue(ctx context.Context, c *sqs.Client, prefix string, q samtemplate.Queue, res *Resources, visibility time.Duration) (Queue, error) {
	pq := Queue{
		LogicalID: q.LogicalID, Name: prefix + "-" + q.LogicalID, DLQ: q.DLQ, MaxReceiveCount: q.MaxReceiveCount,
		VisibilityTimeout: time.Duration(q.VisibilityTimeout) * time.Second,
	}
	if visibility > 0 {
		pq.VisibilityTimeout = visibility
	}
	attrs := map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(pq.VisibilityTimeout.Round(time.Second) / time.Second)),
	}
	if q.MessageRetention > 0 {
		attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(q.MessageRetention)
	}
	if q.DLQ != "" {
		dlq, ok := res.Queues[q.DLQ]
		if !ok {
			return pq, fmt.Errorf("queue %s: dead-letter queue %s is not a queue of the template", q.LogicalID, q.DLQ)
		}
		policy, err := json.Marshal(map[string]string{
			"deadLetterTargetArn": dlq.ARN,
			"maxReceiveCount":     strconv.Itoa(q.MaxReceiveCount),
		})
		if err != nil {
			return pq, fmt.Errorf("queue %s: redrive policy: %w", q.LogicalID, err)
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(pq.Name), Attributes: attrs})
	var exists *sqstypes.QueueNameExists
	switch {
	case errors.As(err, &exists):
		got, gerr := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(pq.Name)})
		if gerr != nil {
			return pq, fmt.Errorf("queue %s: %w", pq.Name, gerr)
		}
		pq.URL = aws.ToString(got.QueueUrl)
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: attrs}); err != nil {
			return pq, fmt.Errorf("queue %s: update attributes: %w", pq.Name, err)
		}
	case err != nil:
		return pq, fmt.Errorf("create queue %s: %w", pq.Name, err)
	default:
		pq.URL = aws.ToString(out.QueueUrl)
	}
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(pq.URL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return pq, fmt.Errorf("queue %s: read ARN: %w", pq.Name, err)
	}
	pq.ARN = ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if pq.ARN == "" {
		return pq, fmt.Errorf("queue %s has no QueueArn attribute", pq.Name)
	}
	return pq, nil
}

func provisionBucket(ctx context.Context, c *s3.Client, name string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err == nil {
		return nil
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// LocalEnv is what the local runner sets in every function's environment on
// top of the template's: the dev issuer instead of Cognito, path-style S3,
// and the storefront cache lifetime.
type LocalEnv struct {
	// Database, when set, is the DynamoDB Local database of the stack
	// (localaws.Database): the functions' access key.
	Database string
	Issuer   string
	Audience string
	JWKSURL  string
	// CacheTTL, when positive, sets CACHE_TTL.
	CacheTTL time.Duration
	// LogLevel, when set, replaces LOG_LEVEL.
	LogLevel string
	// CursorKey, when set, replaces the CURSOR_KEY generated at
	// provisioning.
	CursorKey string
}

// Environ returns function f's environment: the template's variables
// resolved against the provisioned resources, then the local overrides.
func (r *Resources) Environ(f samtemplate.Function, local LocalEnv) (map[string]string, error) {
	env, err := f.Environ(r.Resolver)
	if err != nil {
		return nil, err
	}
	if local.Database != "" {
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = localaws.AccessKey(local.Database), "local"
	}
	env["AUTH_ISSUER"] = local.Issuer
	env["AUTH_AUDIENCE"] = local.Audience
	env["AUTH_JWKS_URL"] = local.JWKSURL
	env["S3_PATH_STYLE"] = "true"
	if _, ok := env["CURSOR_KEY"]; ok {
		env["CURSOR_KEY"] = r.CursorKey
		if local.CursorKey != "" {
			env["CURSOR_KEY"] = local.CursorKey
		}
	}
	if local.CacheTTL > 0 {
		env["CACHE_TTL"] = local.CacheTTL.String()
	}
	if local.LogLevel != "" {
		env["LOG_LEVEL"] = local.LogLevel
	}
	return env, nil
}

// Getenv returns a getenv function for wiring.Load: the function's
// environment, falling back to the process environment for AWS_* variables
// only, as in Lambda where the runtime sets those.
func Getenv(env map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if strings.HasPrefix(k, "AWS_") {
			return os.Getenv(k)
		}
		return ""
	}
}
