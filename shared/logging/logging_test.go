package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestNew_AddsFunctionRequestAndMerchant(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "catalog", slog.LevelInfo)
	ctx := WithRequest(context.Background(), "req-1")
	SetMerchant(ctx, "hydro")
	log.InfoContext(ctx, "hello", slog.Int("n", 1))
	log.DebugContext(ctx, "hidden")
	log.Info("no request")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	if first["function"] != "catalog" || first["request_id"] != "req-1" || first["merchant"] != "hydro" || first["msg"] != "hello" {
		t.Errorf("first line %v", first)
	}
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	if _, ok := second["request_id"]; ok || second["function"] != "catalog" {
		t.Errorf("second line %v", second)
	}
}
