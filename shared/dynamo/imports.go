package dynamo

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ImportJobs stores ERP import jobs, received and failed, what streaming
// their file found and what applying its chunks did, and says which
// merchants exist for the ERP ingest.
//
// Keys:
//
//	import job    PK=M#<m>#IMPORT  SK=JOB#<job id>                 (erp.JobID: a hash of the object key and ETag)
//	              GSI1PK=M#<m>#IMPORTS  GSI1SK=<received at, UTC>#<job id>   (the jobs newest first)
//	chunk marker  PK=M#<m>#IMPORT  SK=JOB#<job id>#CHUNK#<seq, 6 digits>  (one per chunk applied)
//	merchant      PK=M#<m>         SK=MERCHANT                     (read only)
//
// The job item holds the job as recorded in Doc, the stream summary in
// Stream (erp.StreamSummary as JSON), and the counters the chunks add:
// Applied, Unchanged, ApplyRejected and ChunksDone.
type ImportJobs struct{ Table Table }

var (
	_ erp.JobStore    = (*ImportJobs)(nil)
	_ erp.Merchants   = (*ImportJobs)(nil)
	_ erp.StreamStore = (*ImportJobs)(nil)
	_ erp.SweepStore  = (*ImportJobs)(nil)
)

const (
	typeImportJob   = "ImportJob"
	typeImportChunk = "ImportChunk"

	attrStream        = "Stream"
	attrApplied       = "Applied"
	attrUnchanged     = "Unchanged"
	attrApplyRejected = "ApplyRejected"
	attrChunksDone    = "ChunksDone"
	attrSwept         = "Swept"
)

// ErrBadImportJob is returned for a job whose id cannot be part of a key.
var ErrBadImportJob = errors.New("invalid import job id")

// Record puts the job unless a job with its id (one object version) is
// already recorded, so a notification delivered twice makes one job. One
// round trip (a conditional PutItem).
func (s *ImportJobs) Record(ctx context.Context, job erp.ImportJob) (bool, error) {
	if job.ID == "" {
		return false, ErrBadImportJob
	}
	pk, sk, err := importJobKey(job.Merchant, job.ID)
	if err != nil {
		return false, err
	}
	gpk, err := importJobsByTimePK(job.Merchant)
	if err != nil {
		return false, err
	}
	av, err := item{PK: pk, SK: sk, GSI1PK: gpk, GSI1SK: importJobsByTimeSK(job.ReceivedAt, job.ID), Type: typeImportJob, Doc: job}.attributes()
	if err != nil {
		return false, err
	}
	_, err = s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table.Name),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record import job %s of %s: %w", job.ID, job.Merchant, err)
	}
	return true, nil
}

// Jobs lists a merchant's import jobs as their notifications recorded them
// (received or failed), oldest first, without what streaming and applying
// added: Job and JobsPage give those.
func (s *ImportJobs) Jobs(ctx context.Context, m merchant.ID) ([]erp.ImportJob, error) {
	pk, _, err := importJobKey(m, "")
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, "JOB#")
	if err != nil {
		return nil, fmt.Errorf("import jobs of %s: %w", m, err)
	}
	items = slices.DeleteFunc(items, func(av map[string]types.AttributeValue) bool { return str(av, AttrType) != typeImportJob })
	jobs, err := decodeAll[erp.ImportJob](items)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(jobs, func(a, b erp.ImportJob) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Sequencer, b.Sequencer))
	})
	return jobs, nil
}

// Job returns one import job with what streaming its file found and what
// applying its chunks did so far (erp.ErrNoJob when none). One round trip
// (a strongly consistent GetItem).
func (s *ImportJobs) Job(ctx context.Context, m merchant.ID, id string) (erp.ImportJob, error) {
	pk, sk, err := importJobKey(m, id)
	if err != nil {
		return erp.ImportJob{}, fmt.Errorf("%w: %w", erp.ErrNoJob, err)
	}
	out, err := s.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return erp.ImportJob{}, fmt.Errorf("get import job %s of %s: %w", id, m, err)
	}
	if out.Item == nil || str(out.Item, AttrType) != typeImportJob {
		return erp.ImportJob{}, erp.ErrNoJob
	}
	return decodeImportJob(out.Item)
}

// ErrBadImportCursor is returned for a page cursor JobsPage never gave.
var ErrBadImportCursor = fmt.Errorf("%w of import jobs", erp.ErrBadCursor)

// JobsPage lists a merchant's import jobs newest first, limit at a time
// (1 to 100), from the cursor a previous page gave ("" for the first).
// One round trip (a Query of GSI1, eventually consistent: a job recorded
// a moment ago may show a moment later).
func (s *ImportJobs) JobsPage(ctx context.Context, m merchant.ID, limit int, cursor string) (erp.JobPage, error) {
	gpk, err := importJobsByTimePK(m)
	if err != nil {
		return erp.JobPage{}, err
	}
	pk, _, err := importJobKey(m, "")
	if err != nil {
		return erp.JobPage{}, err
	}
	limit = min(max(limit, 1), 100)
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table.Name),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: gpk},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	if cursor != "" {
		gsk, id, err := parseImportCursor(cursor)
		if err != nil {
			return erp.JobPage{}, err
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: "JOB#" + id},
			AttrGSI1PK: &types.AttributeValueMemberS{Value: gpk}, AttrGSI1SK: &types.AttributeValueMemberS{Value: gsk},
		}
	}
	out, err := s.Table.Client.Query(ctx, in)
	if err != nil {
		return erp.JobPage{}, fmt.Errorf("import jobs of %s: %w", m, err)
	}
	page := erp.JobPage{Jobs: make([]erp.ImportJob, 0, len(out.Items))}
	for _, av := range out.Items {
		j, err := decodeImportJob(av)
		if err != nil {
			return erp.JobPage{}, err
		}
		page.Jobs = append(page.Jobs, j)
	}
	if len(out.LastEvaluatedKey) > 0 {
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(str(out.LastEvaluatedKey, AttrGSI1SK)))
	}
	return page, nil
}

// parseImportCursor returns the GSI1SK a cursor holds and its job id,
// checking that it has the shape JobsPage gives.
func parseImportCursor(cursor string) (gsk, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) > 128 {
		return "", "", ErrBadImportCursor
	}
	at, id, ok := strings.Cut(string(raw), "#")
	if !ok || id == "" || len(id) > 64 || strings.ContainsAny(id, "#/ ") {
		return "", "", ErrBadImportCursor
	}
	if _, err := time.Parse(importTimeLayout, at); err != nil {
		return "", "", ErrBadImportCursor
	}
	return string(raw), id, nil
}

// decodeImportJob decodes a job item: the job as recorded, with the stream
// summary and the chunks' counters over it, and its status from them.
func decodeImportJob(av map[string]types.AttributeValue) (erp.ImportJob, error) {
	var j erp.ImportJob
	if err := decodeDoc(av, &j); err != nil {
		return j, err
	}
	if s, ok := av[attrStream].(*types.AttributeValueMemberS); ok {
		var sum erp.StreamSummary
		if err := json.Unmarshal([]byte(s.Value), &sum); err != nil {
			return j, fmt.Errorf("decode the stream summary of import job %s: %w", j.ID, err)
		}
		at := sum.At
		j.Kind, j.Profile, j.Full, j.Format = sum.Kind, sum.Profile, sum.Full, sum.Format
		j.Received, j.Rejected, j.Chunks, j.Report, j.StreamedAt = sum.Received, sum.Rejected, sum.Chunks, sum.Report, &at
		j.DeactivateMissing, j.FileStamp = sum.DeactivateMissing, sum.FileStamp
		if sum.SweepSkipped != "" {
			j.Sweep = &erp.SweepResult{Skipped: sum.SweepSkipped}
		}
		j.Status = erp.StatusStreamed
		if sum.Reason != "" {
			j.Status, j.Reason, j.Detail = erp.StatusFailed, sum.Reason, sum.Detail
		}
	}
	if sw, ok := av[attrSwept].(*types.AttributeValueMemberS); ok {
		var res erp.SweepResult
		if err := json.Unmarshal([]byte(sw.Value), &res); err != nil {
			return j, fmt.Errorf("decode the sweep of import job %s: %w", j.ID, err)
		}
		j.Sweep = &res
	}
	j.Applied = importCounter(av, attrApplied)
	j.Unchanged = importCounter(av, attrUnchanged)
	j.Rejected += importCounter(av, attrApplyRejected)
	j.ChunksDone = importCounter(av, attrChunksDone)
	if j.Status == erp.StatusStreamed && j.ChunksDone >= j.Chunks {
		j.Status = erp.StatusApplied
	}
	return j, nil
}

// importCounter reads a counter of a job item; 0 when absent.
func importCounter(av map[string]types.AttributeValue, name string) int {
	if n, ok := av[name].(*types.AttributeValueMemberN); ok {
		v, _ := strconv.Atoi(n.Value)
		return v
	}
	return 0
}

// Streamed records what streaming the job's file found, once: a summary
// recorded before is kept (a notification delivered again streams the
// same file). erp.ErrNoJob when the job was never recorded. One round
// trip (a conditional UpdateItem), two when it was recorded before.
func (s *ImportJobs) Streamed(ctx context.Context, m merchant.ID, id string, sum erp.StreamSummary) error {
	pk, sk, err := importJobKey(m, id)
	if err != nil {
		return err
	}
	data, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("encode the stream summary of import job %s: %w", id, err)
	}
	_, err = s.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table.Name),
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #s = :s"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND attribute_not_exists(#s)"),
		ExpressionAttributeNames: map[string]string{"#s": attrStream},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": &types.AttributeValueMemberS{Value: string(data)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if _, err := s.Job(ctx, m, id); err != nil {
			return err
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("record streamed import job %s of %s: %w", id, m, err)
	}
	return nil
}

// chunkMarker is the document of a chunk marker: what applying the chunk
// did, and the rows it refused (at most erp.MaxStoredRejects).
type chunkMarker struct {
	Job     string         `json:"job"`
	Seq     int            `json:"seq"`
	Counts  erp.Counts     `json:"counts"`
	Rejects []erp.RowError `json:"rejects,omitempty"`
	// Cut counts the rejections not stored.
	Cut int       `json:"cut,omitempty"`
	At  time.Time `json:"at"`
}

// maxChunkDoneAttempts bounds the retries of a chunk's transaction that
// conflicts with another (TransactionConflict).
const maxChunkDoneAttempts = 8

// ChunkDone records that chunk seq of the job was applied with counts c
// and the rows it refused: the chunk's marker is put (attribute_not_exists)
// and the job's counters added in ONE transaction, so a chunk applied
// again (a message delivered twice, a file streamed again) counts once;
// first says whether this call counted it. erp.ErrNoJob when the job was
// never recorded. One round trip (TransactWriteItems of two actions),
// more only when it conflicts with another chunk's.
func (s *ImportJobs) ChunkDone(ctx context.Context, m merchant.ID, job string, seq int, c erp.Counts, rejects []erp.RowError) (bool, error) {
	pk, sk, err := importJobKey(m, job)
	if err != nil {
		return false, err
	}
	msk, err := importChunkSK(job, seq)
	if err != nil {
		return false, err
	}
	mk := chunkMarker{Job: job, Seq: seq, Counts: c, Rejects: rejects, At: time.Now().UTC()}
	if len(mk.Rejects) > erp.MaxStoredRejects {
		mk.Cut, mk.Rejects = len(mk.Rejects)-erp.MaxStoredRejects, mk.Rejects[:erp.MaxStoredRejects]
	}
	for i := range mk.Rejects {
		mk.Rejects[i].Value = erp.Truncate(mk.Rejects[i].Value, 80)
		mk.Rejects[i].Reason = erp.Truncate(mk.Rejects[i].Reason, 300)
		mk.Rejects[i].Column = erp.Truncate(mk.Rejects[i].Column, 80)
	}
	marker, err := item{PK: pk, SK: msk, Type: typeImportChunk, Doc: mk}.attributes()
	if err != nil {
		return false, err
	}
	n := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: aws.String(s.Table.Name), Item: marker,
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}},
		{Update: &types.Update{
			TableName:           aws.String(s.Table.Name),
			Key:                 key(pk, sk),
			UpdateExpression:    aws.String("ADD #a :a, #u :u, #r :r, #d :one"),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{
				"#a": attrApplied, "#u": attrUnchanged, "#r": attrApplyRejected, "#d": attrChunksDone,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":a": n(c.Applied), ":u": n(c.Unchanged), ":r": n(c.Rejected), ":one": n(1),
			},
		}},
	}}
	for attempt := 0; ; attempt++ {
		_, err = s.Table.Client.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			break
		}
		reasons := tce.CancellationReasons
		code := func(i int) string {
			if i < len(reasons) {
				return aws.ToString(reasons[i].Code)
			}
			return ""
		}
		switch {
		case code(0) == "ConditionalCheckFailed":
			return false, nil
		case code(1) == "ConditionalCheckFailed":
			return false, fmt.Errorf("chunk %d of import job %s: %w", seq, job, erp.ErrNoJob)
		case attempt+1 < maxChunkDoneAttempts && slices.ContainsFunc(reasons, func(r types.CancellationReason) bool {
			return aws.ToString(r.Code) == "TransactionConflict"
		}):
			if err := backoff(ctx, attempt); err != nil {
				return false, err
			}
			continue
		}
		break
	}
	if err != nil {
		return false, fmt.Errorf("record chunk %d of import job %s: %w", seq, job, err)
	}
	return true, nil
}

// ApplyRejects returns the rows refused when the job's chunks were applied
// (at most erp.MaxStoredRejects per chunk), in the order of their chunks.
// One Query of the job's markers (paged: one round trip per 1 MB).
func (s *ImportJobs) ApplyRejects(ctx context.Context, m merchant.ID, job string) ([]erp.RowError, error) {
	pk, _, err := importJobKey(m, job)
	if err != nil {
		return nil, err
	}
	prefix, err := importChunkSK(job, 0)
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, strings.TrimSuffix(prefix, "000000"))
	if err != nil {
		return nil, fmt.Errorf("chunks of import job %s: %w", job, err)
	}
	markers, err := decodeAll[chunkMarker](items)
	if err != nil {
		return nil, err
	}
	var rejects []erp.RowError
	for _, mk := range markers {
		rejects = append(rejects, mk.Rejects...)
		if mk.Cut > 0 {
			rejects = append(rejects, erp.RowError{Reason: fmt.Sprintf("%d more rows of chunk %d were refused and are not listed", mk.Cut, mk.Seq)})
		}
	}
	return rejects, nil
}

// MerchantExists reports whether the merchant item of m exists. An id that
// cannot be part of a key names no merchant.
func (s *ImportJobs) MerchantExists(ctx context.Context, m merchant.ID) (bool, error) {
	pk, sk, err := merchantRecordKey(m)
	if err != nil {
		return false, nil
	}
	out, err := s.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(s.Table.Name),
		Key:                  key(pk, sk),
		ProjectionExpression: aws.String(AttrPK),
	})
	if err != nil {
		return false, fmt.Errorf("get merchant %s: %w", m, err)
	}
	return out.Item != nil, nil
}

// Swept records what the sweep of a full file did on its job, once: a
// result recorded before is kept (a sweep run again counts the same).
// erp.ErrNoJob when the job was never recorded. One round trip (a
// conditional UpdateItem), two when recorded before.
func (s *ImportJobs) Swept(ctx context.Context, m merchant.ID, id string, r erp.SweepResult) error {
	pk, sk, err := importJobKey(m, id)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table.Name),
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #s = :s"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND attribute_not_exists(#s)"),
		ExpressionAttributeNames: map[string]string{"#s": attrSwept},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": &types.AttributeValueMemberS{Value: string(data)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		_, err := s.Job(ctx, m, id)
		return err
	}
	if err != nil {
		return fmt.Errorf("record the sweep of import job %s of %s: %w", id, m, err)
	}
	return nil
}
