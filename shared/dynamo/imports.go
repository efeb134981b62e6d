package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ImportJobs stores ERP import jobs, received and failed, and says which
// merchants exist for the ERP ingest.
//
// Keys:
//
//	import job  PK=M#<m>#IMPORT  SK=JOB#<job id>   (erp.JobID: a hash of the object key and ETag)
//	merchant    PK=M#<m>         SK=MERCHANT       (read only)
type ImportJobs struct{ Table Table }

var (
	_ erp.JobStore  = (*ImportJobs)(nil)
	_ erp.Merchants = (*ImportJobs)(nil)
)

const typeImportJob = "ImportJob"

// ErrBadImportJob is returned for a job whose id cannot be part of a key.
var ErrBadImportJob = errors.New("invalid import job id")

// Record puts the job unless a job with its id (one object version) is
// already recorded, so a notification delivered twice makes one job.
func (s *ImportJobs) Record(ctx context.Context, job erp.ImportJob) (bool, error) {
	if job.ID == "" {
		return false, ErrBadImportJob
	}
	pk, sk, err := importJobKey(job.Merchant, job.ID)
	if err != nil {
		return false, err
	}
	av, err := item{PK: pk, SK: sk, Type: typeImportJob, Doc: job}.attributes()
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

// Jobs lists a merchant's import jobs, received and failed, oldest first.
func (s *ImportJobs) Jobs(ctx context.Context, m merchant.ID) ([]erp.ImportJob, error) {
	pk, _, err := importJobKey(m, "")
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, "JOB#")
	if err != nil {
		return nil, fmt.Errorf("import jobs of %s: %w", m, err)
	}
	jobs, err := decodeAll[erp.ImportJob](items)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(jobs, func(a, b erp.ImportJob) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Sequencer, b.Sequencer))
	})
	return jobs, nil
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
