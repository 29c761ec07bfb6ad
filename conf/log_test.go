package conf

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func slowQueryConfig(log string) string {
	return `
users: [{name: app}]
backend: {user: root}
keyspaces: {ks: {shards: {"0": {address: "127.0.0.1:3306", database: d}}}}
log: ` + log + "\n"
}

func TestSlowQuery(t *testing.T) {
	for log, want := range map[string]time.Duration{
		"{level: info}":                 0,
		"{slow_query: 100ms}":           100 * time.Millisecond,
		"{slow_query: 1s, level: warn}": time.Second,
		"{slow_query: 0}":               0,
		"{slow_query: 0s}":              0,
	} {
		cfg, err := loadString(t, slowQueryConfig(log), nil)
		if err != nil {
			t.Fatalf("log: %s: %v", log, err)
		}
		if cfg.Log.SlowQuery != want {
			t.Errorf("log: %s: slow_query = %v, want %v", log, cfg.Log.SlowQuery, want)
		}
	}
}

func TestSlowQueryInvalid(t *testing.T) {
	for _, text := range []string{"-1s", "fast", "100"} {
		_, err := loadString(t, slowQueryConfig("{slow_query: "+text+"}"), nil)
		want := `log.slow_query: "` + text + `" is not a duration`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("slow_query %s: error %v, want one containing %s", text, err, want)
		}
	}
}

func TestDescribeSlowQuery(t *testing.T) {
	cfg, err := loadString(t, slowQueryConfig("{slow_query: 250ms}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg.Describe(&out)
	if !strings.Contains(out.String(), "info, json, slow_query 250ms") {
		t.Errorf("Describe does not show the slow query log:\n%s", out.String())
	}
}
