package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// cleanups are what a benchmark section leaves to undo, run last first.
type cleanups []func()

// add keeps f to run at cleanup.
func (c *cleanups) add(f func()) { *c = append(*c, f) }

// run runs every cleanup, the last added first.
func (c *cleanups) run() {
	for i := len(*c) - 1; i >= 0; i-- {
		(*c)[i]()
	}
}

// sectionTable creates a fresh table of the template's shape for one
// section of the benchmark, and returns the section's cleanups, whose
// first deletes that table.
func sectionTable(ctx context.Context, client *dynamodb.Client, tpl *samtemplate.Template, name string) (*cleanups, error) {
	if err := localaws.CreateTable(ctx, client, name, tpl.Table); err != nil {
		return nil, err
	}
	c := &cleanups{}
	c.add(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := localaws.DeleteTable(ctx, client, name); err != nil {
			logf("cleanup: %v", err)
		}
	})
	return c, nil
}
