package wiring

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/queue"
)

// The functions below are deployed with their routes and queues so that the
// whole system stands in template.yaml, but their endpoints and message
// processing are not built yet: every request gets a 404 problem, and every
// message is refused so that it is retried and then kept in the dead-letter
// queue rather than lost.

// RepsAPI builds the sales reps function.
func RepsAPI(d Deps) APIHandler { return serve(httpapi.NewRouter()) }

// ERPSync builds the function that applies ERP file chunks.
func ERPSync(d Deps) QueueHandler { return refuse(d) }

// StockUpdate builds the function that applies stock movements.
func StockUpdate(d Deps) QueueHandler { return refuse(d) }

func refuse(d Deps) QueueHandler {
	return queue.Worker{Logger: d.Logger, Process: func(context.Context, events.SQSMessage) error {
		return fmt.Errorf("%s has no message processor yet; the message is kept for later", d.Env.Function)
	}}.Handle
}
