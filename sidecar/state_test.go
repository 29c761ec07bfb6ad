package sidecar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/vschemaddl"
)

// reloadConfig has two unsharded keyspaces; nothing is dialed.
const reloadConfig = `
listen: 127.0.0.1:1
admin_listen: ""
users: [{name: u, password: p}]
backend: {user: root}
keyspaces:
  a: {shards: {"0": {address: "127.0.0.1:1", database: a}}}
  b: {shards: {"0": {address: "127.0.0.1:1", database: b}}}
`

func newReloadServer(t *testing.T) (*Server, string, *bytes.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	writeFile(t, path, reloadConfig)
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	srv, err := New(cfg, zerolog.New(&log))
	if err != nil {
		t.Fatal(err)
	}
	return srv, path, &log
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func shardOf(t *testing.T, srv *Server, keyspace string) *conf.Shard {
	t.Helper()
	return srv.topo().Keyspaces[keyspace].Shards[0]
}

func mustPool(t *testing.T, srv *Server, sh *conf.Shard) *backend.Pool {
	t.Helper()
	p, err := srv.pool(sh)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A reload keeps the pools of unchanged shards, replaces the others, and
// puts the new users in force.
func TestReloadPoolsAndUsers(t *testing.T) {
	srv, path, _ := newReloadServer(t)
	oldA, oldB := shardOf(t, srv, "a"), shardOf(t, srv, "b")
	poolA, poolB := mustPool(t, srv, oldA), mustPool(t, srv, oldB)

	changed := strings.NewReplacer("database: b}", "database: b, pool_size: 3}", "{name: u, password: p}", "{name: u, password: p}, {name: v}").Replace(reloadConfig)
	writeFile(t, path, changed+"  c: {shards: {\"0\": {address: \"127.0.0.1:1\", database: c}}}\n")
	if err := srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p := mustPool(t, srv, shardOf(t, srv, "a")); p != poolA || poolA.Retired() {
		t.Error("the unchanged shard a has a new pool")
	}
	if p := mustPool(t, srv, shardOf(t, srv, "b")); p == poolB || p.Shard.PoolSize != 3 || !poolB.Retired() {
		t.Error("shard b's pool_size changed but its pool did not")
	}
	// A plan made before the reload names the old shard: it finds the new pool.
	if p := mustPool(t, srv, oldB); p.Shard.PoolSize != 3 {
		t.Error("the old shard b does not find its pool in force")
	}
	if _, ok := srv.topo().Keyspaces["c"]; !ok {
		t.Error("keyspace c not added")
	}
	if _, ok := srv.auth.credential("v"); !ok {
		t.Error("user v not added")
	}

	// A keyspace removed: statements planned before get an error, not its old backend.
	writeFile(t, path, reloadConfig)
	if err := srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.pool(shardOf(t, srv, "a")); err != nil {
		t.Error(err)
	}
	if _, ok := srv.auth.credential("v"); ok {
		t.Error("user v still there")
	}
	c := &conf.Shard{Keyspace: "c", Name: "0"}
	if _, err := srv.pool(c); err == nil || !strings.Contains(err.Error(), "shard c/0 is no longer in the config") {
		t.Errorf("removed shard: %v", err)
	}
}

// A broken config changes nothing and is logged as sidecar check prints it;
// settings a reload cannot change stay, with a warning.
func TestReloadRefused(t *testing.T) {
	srv, path, log := newReloadServer(t)
	before := srv.state.Load()
	writeFile(t, path, strings.Replace(reloadConfig, "users:", "usres:", 1))
	if err := srv.Reload(t.Context()); err == nil {
		t.Fatal("a broken config was reloaded")
	}
	if srv.state.Load() != before {
		t.Error("a refused reload changed the state")
	}
	for _, want := range []string{path + `: usres: unknown key \"usres\"`, "reload refused: the config in force stays"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %s:\n%s", want, log)
		}
	}

	writeFile(t, path, strings.Replace(reloadConfig, "listen: 127.0.0.1:1", "listen: 127.0.0.1:2", 1))
	if err := srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if srv.config().Listen != "127.0.0.1:1" || !strings.Contains(log.String(), path+": listen: changed, but a reload cannot change it") {
		t.Errorf("listen %s, log:\n%s", srv.config().Listen, log)
	}
}

func TestAlterVSchemaNeedsMetadata(t *testing.T) {
	srv, path, _ := newReloadServer(t)
	stmt, err := vschemaddl.Parse("alter vschema add table a.t")
	if err != nil {
		t.Fatal(err)
	}
	err = srv.alterVSchema(stmt, "")
	if err == nil || !strings.Contains(err.Error(), "VSchema DDL needs a metadata keyspace") || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v", err)
	}
}

// A prepared statement executed after a reload is planned again, against
// the config in force.
func TestReplanAfterReload(t *testing.T) {
	srv, path, _ := newReloadServer(t)
	s := &session{srv: srv, keyspace: "a"}
	planner, sess := srv.planner(), s.planSession()
	plan, err := planner.PlanPrepared("select * from t where id = ?", sess)
	if err != nil {
		t.Fatal(err)
	}
	st := &preparedStmt{sql: plan.Query, plan: plan, text: "select * from t where id = ?", sess: sess, planner: planner}
	if err := s.replan(st); err != nil || st.plan != plan {
		t.Fatalf("planned again without a change: %v", err)
	}

	writeFile(t, path, strings.Replace(reloadConfig, "database: a}", "database: a2}", 1))
	if err := srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.replan(st); err != nil {
		t.Fatal(err)
	}
	if ks := st.plan.Keyspace; ks != srv.topo().Keyspaces["a"] || ks.Shards[0].Database != "a2" {
		t.Errorf("after the reload the statement is planned for %+v", ks)
	}

	// The session's sql_mode changes: the statement, as parsed, writes for
	// the new mode.
	s.mode.NoBackslashEscapes = true
	before := st.plan
	if err := s.replan(st); err != nil {
		t.Fatal(err)
	}
	if st.plan == before || st.plan.Mode != s.mode || st.plan.Stmt != before.Stmt || st.sess.Mode == s.mode {
		t.Errorf("after SET sql_mode: plan mode %+v (parsed again: %v), prepared in %+v", st.plan.Mode, st.plan.Stmt != before.Stmt, st.sess.Mode)
	}
}
