package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ImportJobs stores ERP import jobs.
//
// Keys:
//
//	import job  PK=M#<m>#IMPORT  SK=JOB#<object key>#<etag>
type ImportJobs struct{ Table Table }

var _ erp.JobStore = (*ImportJobs)(nil)

const typeImportJob = "ImportJob"

func importJobKey(m merchant.ID, objectKey, etag string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#IMPORT", "JOB#" + objectKey + "#" + etag, err
}

// Record puts the job unless this object version is already recorded, so a
// notification delivered twice makes one job.
func (s *ImportJobs) Record(ctx context.Context, job erp.ImportJob) (bool, error) {
	pk, sk, err := importJobKey(job.Merchant, job.Key, job.ETag)
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
		return false, fmt.Errorf("record import job %s: %w", job.Key, err)
	}
	return true, nil
}

// Jobs lists a merchant's import jobs.
func (s *ImportJobs) Jobs(ctx context.Context, m merchant.ID) ([]erp.ImportJob, error) {
	pk, _, err := importJobKey(m, "", "")
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, "JOB#")
	if err != nil {
		return nil, fmt.Errorf("import jobs of %s: %w", m, err)
	}
	return decodeAll[erp.ImportJob](items)
}
