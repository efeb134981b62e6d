package httpapi

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// TestIsServerFault: the database's own failures left after the SDK's
// retries (internal errors, throttling) are told apart from the request's
// faults, so that they answer 503 with Retry-After rather than 500.
func TestIsServerFault(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"internal error", &smithy.GenericAPIError{Code: "InternalServerError", Fault: smithy.FaultServer}, true},
		{"lock wait, wrapped", fmt.Errorf("write cart: %w", &smithy.GenericAPIError{Code: "InternalServerError", Message: "too long waiting for a lock"}), true},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}, true},
		{"provisioned throughput", &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Fault: smithy.FaultClient}, true},
		{"another server fault", &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}, true},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}, false},
		{"condition", &smithy.GenericAPIError{Code: "ConditionalCheckFailedException", Fault: smithy.FaultClient}, false},
		{"not the database's", errors.New("boom"), false},
	} {
		if got := isServerFault(tc.err); got != tc.want {
			t.Errorf("%s: isServerFault = %v, want %v", tc.name, got, tc.want)
		}
	}
}
