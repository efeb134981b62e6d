package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
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

func TestNew_TruncatesLongFields(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "catalog", slog.LevelInfo).With("host", strings.Repeat("h", 100_000))
	long := strings.Repeat("é", 3000)
	log.Error("internal error", slog.String("path", "/catalog/products/"+long),
		slog.Any("error", errors.New("get C#"+long+": ValidationException")),
		slog.Group("request", slog.String("customer", long)), slog.Int("status", 500))
	line := buf.String()
	if len(line) > 6*MaxField {
		t.Errorf("log line of %d bytes", len(line))
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "path", "error"} {
		s, _ := got[k].(string)
		if !strings.HasSuffix(s, " bytes)") || len(s) > MaxField+20 {
			t.Errorf("%s not truncated: %d bytes", k, len(s))
		}
	}
	if s := got["request"].(map[string]any)["customer"].(string); len(s) > MaxField+20 || !utf8.ValidString(s) {
		t.Errorf("grouped field not truncated on a character boundary: %d bytes", len(s))
	}
	if got["status"] != float64(500) {
		t.Errorf("status %v", got["status"])
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"", 4, ""},
		{"abcd", 4, "abcd"},
		{"abcde", 4, "abcd…(5 bytes)"},
		{"ééé", 3, "é…(6 bytes)"}, // not half an é
		{"a\x00b", 8, "a\x00b"},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
