package conf

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// metaConfig is badBase with vs as keyspace ks's VSchema and more keys
// appended.
func metaConfig(vs, more string) string {
	return strings.Replace(badBase, "%s", vs, 1) + more
}

const shardedKS = `{sharded: true, vindexes: {hash: {type: hash}}, tables: {t: {column_vindexes: [{column: id, name: hash}]}}}`

func TestMetadata(t *testing.T) {
	cfg, err := loadString(t, metaConfig(shardedKS, "metadata: {keyspace: product}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := *cfg.Metadata; got != (Metadata{Keyspace: "product", PollInterval: DefaultPollInterval}) {
		t.Errorf("metadata %+v", got)
	}
	var described strings.Builder
	cfg.Describe(&described)
	if !regexp.MustCompile(`\n  metadata +keyspace product, polled every 2s\n`).MatchString(described.String()) {
		t.Errorf("sidecar check does not show the metadata keyspace:\n%s", described.String())
	}
	cfg, err = loadString(t, metaConfig(shardedKS, "metadata: {keyspace: product, poll_interval: 250ms}\n"), nil)
	if err != nil || cfg.Metadata.PollInterval != 250*time.Millisecond {
		t.Errorf("poll_interval: %+v %v", cfg.Metadata, err)
	}
	cfg, err = loadString(t, metaConfig(shardedKS, ""), nil)
	if err != nil || cfg.Metadata != nil {
		t.Errorf("no metadata: %+v %v", cfg.Metadata, err)
	}

	for _, tc := range []struct{ metadata, want string }{
		{"metadata: {poll_interval: 1s}", `metadata.keyspace: required (an unsharded keyspace of keyspaces) (line 14)`},
		{"metadata: {keyspace: nope}", `metadata.keyspace: keyspace nope is not defined in keyspaces (ks, product) (line 14)`},
		{"metadata: {keyspace: ks}", `metadata.keyspace: keyspace ks is sharded: the metadata keyspace must be unsharded (line 14)`},
		{"metadata: {keyspace: product, poll_interval: often}", `metadata.poll_interval: "often" is not a positive duration (like 500ms, 5s, 1m) (line 14)`},
		{"metadata: {keyspace: product, pol_interval: 1s}", `metadata.pol_interval: unknown key "pol_interval" (expected one of: keyspace, poll_interval) (line 14)`},
	} {
		_, err := loadString(t, metaConfig(shardedKS, tc.metadata+"\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "sidecar.yaml: "+tc.want) {
			t.Errorf("%s:\n got %v\nwant …sidecar.yaml: %s", tc.metadata, err, tc.want)
		}
	}
}

// A VSchema change may not make the metadata keyspace sharded.
func TestWithVSchemasKeepsMetadataUnsharded(t *testing.T) {
	cfg, err := loadString(t, metaConfig(shardedKS, "metadata: {keyspace: product}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.WithVSchemas(map[string]*VSchema{"product": {Sharded: true}})
	if err == nil || !strings.Contains(err.Error(), "metadata.keyspace: keyspace product is sharded: the metadata keyspace must be unsharded") {
		t.Errorf("got %v", err)
	}
}

func TestReloaded(t *testing.T) {
	const settings = "listen: 127.0.0.1:1\nadmin_listen: \"\"\nlog: {level: info}\nmax_connections: 10\nmetadata: {keyspace: product}\n"
	cur, err := loadString(t, metaConfig(shardedKS, settings), nil)
	if err != nil {
		t.Fatal(err)
	}

	// Reloadable settings change; the others keep their value in force, each with a message.
	changed := "listen: 127.0.0.1:2\nadmin_listen: 127.0.0.1:3\nlog: {level: debug}\nmax_connections: 20\nmetadata: {keyspace: product, poll_interval: 1s}\nlookup_cache: {size: 0}\n"
	next, err := loadString(t, metaConfig(shardedKS, changed), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, msgs, err := cur.Reloaded(next)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxConnections != 20 || got.Listen != cur.Listen || got.AdminListen != cur.AdminListen || got.Log != cur.Log ||
		got.LookupCache != cur.LookupCache || got.Metadata != cur.Metadata || got.Topology != next.Topology {
		t.Errorf("reloaded %+v", got)
	}
	want := []string{"listen", "admin_listen", "lookup_cache", "log", "metadata"}
	if len(msgs) != len(want) {
		t.Fatalf("messages %q, want one for each of %v", msgs, want)
	}
	for i, key := range want {
		if w := next.Path + ": " + key + ": changed, but a reload cannot change it: restart the sidecar to apply it"; msgs[i] != w {
			t.Errorf("message %d: %q, want %q", i, msgs[i], w)
		}
	}

	// Unchanged: nothing to say.
	if _, msgs, err := cur.Reloaded(cur); err != nil || len(msgs) != 0 {
		t.Errorf("same config: %q %v", msgs, err)
	}

	// The metadata keyspace in force must still fit the new keyspaces.
	gone, err := loadString(t, `users: [{name: app}]
backend: {user: root}
keyspaces: {other: {shards: {"0": {address: "127.0.0.1:3306", database: o}}}}
metadata: {keyspace: other}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cur.Reloaded(gone)
	var problems Errors
	if !errors.As(err, &problems) || len(problems) != 1 || problems[0].Path != "metadata.keyspace" ||
		!strings.Contains(problems[0].Msg, "keyspace product is not defined in keyspaces (other)") {
		t.Errorf("metadata keyspace gone: %v", err)
	}
}

func TestSameBackend(t *testing.T) {
	load := func(backend string) *Shard {
		t.Helper()
		cfg, err := loadString(t, strings.Replace(metaConfig(shardedKS, ""), "backend: {user: root}", "backend: {"+backend+"}", 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Topology.Keyspaces["ks"].Shards[0]
	}
	base := load("user: root")
	if !base.SameBackend(load("user: root")) {
		t.Error("the same settings loaded twice are not the same backend")
	}
	for _, backend := range []string{"user: app", "user: root, password: x", "user: root, pool_size: 3",
		"user: root, connect_timeout: 1s", "user: root, lock_wait_timeout: 2s", "user: root, tls: {skip_verify: true}"} {
		if base.SameBackend(load(backend)) {
			t.Errorf("%s: the same backend", backend)
		}
	}
	tlsShard := load("user: root, tls: {skip_verify: true}")
	if !tlsShard.SameBackend(load("user: root, tls: {skip_verify: true}")) {
		t.Error("the same TLS settings loaded twice are not the same backend")
	}
}
