package testenv_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestTable_IsShapedLikeTheTemplateAndCountsRoundTrips(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := dynamo.WithCallCounter(context.Background())
	out, err := tbl.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tbl.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if got := dynamo.Calls(ctx); got != 1 {
		t.Errorf("round trips counted: %d, want 1", got)
	}
	d := out.Table
	if len(d.KeySchema) != 2 || aws.ToString(d.KeySchema[0].AttributeName) != dynamo.AttrPK || d.KeySchema[0].KeyType != types.KeyTypeHash ||
		aws.ToString(d.KeySchema[1].AttributeName) != dynamo.AttrSK || d.KeySchema[1].KeyType != types.KeyTypeRange {
		t.Errorf("key schema %+v", d.KeySchema)
	}
	indexes := map[string]types.GlobalSecondaryIndexDescription{}
	for _, g := range d.GlobalSecondaryIndexes {
		indexes[aws.ToString(g.IndexName)] = g
	}
	g1, ok := indexes[dynamo.GSI1]
	if !ok || aws.ToString(g1.KeySchema[0].AttributeName) != dynamo.AttrGSI1PK || g1.Projection.ProjectionType != types.ProjectionTypeAll {
		t.Errorf("GSI1: %+v", g1)
	}
	ttl, err := tbl.Client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tbl.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ttl.TimeToLiveDescription.AttributeName) != dynamo.AttrExpires {
		t.Errorf("TTL %+v", ttl.TimeToLiveDescription)
	}
}

func TestTable_NamesAreUnique(t *testing.T) {
	t.Parallel()
	a, b := testenv.Table(t), testenv.Table(t)
	if a.Name == b.Name {
		t.Errorf("two tables named %s", a.Name)
	}
}
