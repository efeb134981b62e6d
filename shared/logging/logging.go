// Package logging builds the structured JSON logger every function uses: each
// line carries the function name, and the request id and merchant of the
// request being served when the context has them. No field is longer than
// MaxField bytes: what a caller sent is cut (Truncate), never logged whole.
package logging

import (
	"context"
	"io"
	"log/slog"
)

type fieldsKey struct{}

// fields are the per-request attributes added to every log line.
type fields struct {
	requestID string
	merchant  string
}

// WithRequest returns a context whose log lines carry the request id.
func WithRequest(ctx context.Context, requestID string) context.Context {
	f, _ := ctx.Value(fieldsKey{}).(*fields)
	nf := &fields{requestID: requestID}
	if f != nil {
		nf.merchant = f.merchant
	}
	return context.WithValue(ctx, fieldsKey{}, nf)
}

// SetMerchant records the merchant on the request's fields once it is known.
// It must be called on a context made by WithRequest.
func SetMerchant(ctx context.Context, merchant string) {
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok {
		f.merchant = merchant
	}
}

// New returns a JSON logger for function writing to w.
func New(w io.Writer, function string, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{h}).With("function", function)
}

type contextHandler struct{ slog.Handler }

// Handle bounds every field (truncateAttr) and adds the request's fields.
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.NumAttrs() > 0 {
		bounded := slog.NewRecord(r.Time, r.Level, Truncate(r.Message, MaxField), r.PC)
		r.Attrs(func(a slog.Attr) bool {
			bounded.AddAttrs(truncateAttr(a))
			return true
		})
		r = bounded
	}
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok {
		if f.requestID != "" {
			r.AddAttrs(slog.String("request_id", f.requestID))
		}
		if f.merchant != "" {
			r.AddAttrs(slog.String("merchant", f.merchant))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	bounded := make([]slog.Attr, len(as))
	for i, a := range as {
		bounded[i] = truncateAttr(a)
	}
	return contextHandler{h.Handler.WithAttrs(bounded)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
