package wiring

import (
	"log/slog"
	"testing"
	"time"
)

func TestReadEnv(t *testing.T) {
	env := map[string]string{
		"TABLE_NAME": "t", "AUTH_ISSUER": "https://iss", "AUTH_AUDIENCE": "aud", "AUTH_JWKS_URL": "https://iss/jwks",
		"CACHE_TTL": "30s", "LOG_LEVEL": "debug", "S3_PATH_STYLE": "true", "ERP_SYNC_QUEUE_URL": "http://q",
		"CURSOR_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
	}
	e, err := ReadEnv("catalog", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if e.TableName != "t" || e.CacheTTL != 30*time.Second || e.LogLevel != slog.LevelDebug || e.QueueURLs["ERP_SYNC_QUEUE_URL"] != "http://q" || len(e.CursorKey) != 32 {
		t.Errorf("env %+v", e)
	}
	for name, bad := range map[string]map[string]string{
		"no table":              {},
		"bad cache ttl":         {"TABLE_NAME": "t", "CACHE_TTL": "soon"},
		"bad log level":         {"TABLE_NAME": "t", "LOG_LEVEL": "loud"},
		"no cursor key":         {"TABLE_NAME": "t"},
		"short cursor key":      {"TABLE_NAME": "t", "CURSOR_KEY": "BwcHBwcHBwcHBwcHBwcHBw=="},
		"cursor key not base64": {"TABLE_NAME": "t", "CURSOR_KEY": "not a key"},
	} {
		if _, err := ReadEnv("catalog", func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadEnv_OnlyTheCatalogNeedsACursorKey(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t"}
	if _, err := ReadEnv("pricing", func(k string) string { return env[k] }); err != nil {
		t.Errorf("pricing without CURSOR_KEY: %v", err)
	}
	if _, err := ReadEnv("catalog", func(k string) string { return env[k] }); err == nil {
		t.Error("catalog started without CURSOR_KEY")
	}
}

func TestEveryFunctionHasAConstructor(t *testing.T) {
	for name, build := range APIFunctions {
		if build == nil {
			t.Errorf("API function %s has no constructor", name)
		}
	}
	for name, build := range QueueFunctions {
		if build == nil {
			t.Errorf("queue function %s has no constructor", name)
		}
	}
	if len(APIFunctions) != 7 || len(QueueFunctions) != 5 {
		t.Errorf("%d API and %d queue functions", len(APIFunctions), len(QueueFunctions))
	}
}
