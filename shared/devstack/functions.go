package devstack

import (
	"context"
	"fmt"
	"sync"

	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// APIInvoker gives the handler of an API function by its folder.
type APIInvoker interface {
	API(ctx context.Context, folder string) (wiring.APIHandler, error)
}

// Functions builds the deployed handlers, once per function as Lambda's
// init phase would, with their template environment resolved against the
// provisioned resources and the local clients.
type Functions struct {
	Template  *samtemplate.Template
	Resources *Resources
	Env       LocalEnv
	Clients   Clients

	mu     sync.Mutex
	api    map[string]wiring.APIHandler
	queue  map[string]wiring.QueueHandler
	stream map[string]wiring.StreamHandler
}

var _ APIInvoker = (*Functions)(nil)

// Deps builds the dependencies of function folder: wiring.Load with the
// function's environment, then the local clients in place of the default
// ones so that no process-wide AWS_ENDPOINT_URL_* setting is needed.
func (fs *Functions) Deps(ctx context.Context, folder string) (wiring.Deps, error) {
	f, ok := fs.Template.Function(folder)
	if !ok {
		return wiring.Deps{}, fmt.Errorf("function %s is not in the template", folder)
	}
	env, err := fs.Resources.Environ(f, fs.Env)
	if err != nil {
		return wiring.Deps{}, err
	}
	d, err := wiring.Load(ctx, folder, Getenv(env))
	if err != nil {
		return wiring.Deps{}, fmt.Errorf("load %s: %w", folder, err)
	}
	d.DynamoDB = fs.Clients.DynamoDB
	if d.S3 != nil { // only the functions that read the bucket have one
		d.S3 = fs.Clients.S3
	}
	if d.SQS != nil { // only the functions that send to a queue have one
		d.SQS = fs.Clients.SQS
	}
	return d, nil
}

// API returns the handler of API function folder, built on first use.
func (fs *Functions) API(ctx context.Context, folder string) (wiring.APIHandler, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if h, ok := fs.api[folder]; ok {
		return h, nil
	}
	build, ok := wiring.APIFunctions[folder]
	if !ok {
		return nil, fmt.Errorf("%s is not in wiring.APIFunctions", folder)
	}
	d, err := fs.Deps(ctx, folder)
	if err != nil {
		return nil, err
	}
	h := build(d)
	if fs.api == nil {
		fs.api = map[string]wiring.APIHandler{}
	}
	fs.api[folder] = h
	return h, nil
}

// Queue returns the handler of SQS function folder, built on first use.
func (fs *Functions) Queue(ctx context.Context, folder string) (wiring.QueueHandler, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if h, ok := fs.queue[folder]; ok {
		return h, nil
	}
	build, ok := wiring.QueueFunctions[folder]
	if !ok {
		return nil, fmt.Errorf("%s is not in wiring.QueueFunctions", folder)
	}
	d, err := fs.Deps(ctx, folder)
	if err != nil {
		return nil, err
	}
	h := build(d)
	if fs.queue == nil {
		fs.queue = map[string]wiring.QueueHandler{}
	}
	fs.queue[folder] = h
	return h, nil
}

// Stream returns the handler of stream function folder, built on first
// use.
func (fs *Functions) Stream(ctx context.Context, folder string) (wiring.StreamHandler, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if h, ok := fs.stream[folder]; ok {
		return h, nil
	}
	build, ok := wiring.StreamFunctions[folder]
	if !ok {
		return nil, fmt.Errorf("%s is not in wiring.StreamFunctions", folder)
	}
	d, err := fs.Deps(ctx, folder)
	if err != nil {
		return nil, err
	}
	h := build(d)
	if fs.stream == nil {
		fs.stream = map[string]wiring.StreamHandler{}
	}
	fs.stream[folder] = h
	return h, nil
}
