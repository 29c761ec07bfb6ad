package sidecar

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
)

// TestDefaultsLearnedWhenFirstShardAnswers: a first shard that is down when
// the sidecar starts leaves the sessions' sql_mode unknown; once it answers,
// the sidecar reads it (here NO_BACKSLASH_ESCAPES, which changes how values
// are written) and sessions start in it.
func TestDefaultsLearnedWhenFirstShardAnswers(t *testing.T) {
	shard := newLateShard(t, "NO_BACKSLASH_ESCAPES")
	dir := t.TempDir()
	path := filepath.Join(dir, "sidecar.yaml")
	cfgText := `
listen: 127.0.0.1:0
admin_listen: ""
users: [{name: u, password: p}]
backend: {user: u, password: p, connect_timeout: 300ms}
keyspaces:
  ks:
    shards:
      "0": {address: "` + shard.addr() + `", database: ks}
`
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	t.Cleanup(func() { srv.Shutdown(t.Context()); <-served })

	time.Sleep(100 * time.Millisecond) // Serve's first attempt, against the shard that is down
	if d := srv.defaults.Load(); d.text != backend.UnknownMode || d.mode.NoBackslashEscapes {
		t.Fatalf("shard down: sessions start in %q", d.text)
	}
	shard.up.Store(true)
	deadline := time.Now().Add(3 * learnRetry)
	for srv.defaults.Load().text == backend.UnknownMode && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d := srv.defaults.Load(); d.text != "NO_BACKSLASH_ESCAPES" || !d.mode.NoBackslashEscapes {
		t.Errorf("shard up: sessions start in %q (%+v), want NO_BACKSLASH_ESCAPES", d.text, d.mode)
	}
}

// lateShard is a MySQL server (go-mysql's server package) that closes every
// connection until up, then answers SELECT @@SESSION.sql_mode with mode and
// anything else with OK.
type lateShard struct {
	ln   net.Listener
	up   atomic.Bool
	mode string
}

func newLateShard(t *testing.T, mode string) *lateShard {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &lateShard{ln: ln, mode: mode}
	srv := server.NewServer("10.11.99-MariaDB-fake", gomysql.DEFAULT_COLLATION_ID, gomysql.AUTH_NATIVE_PASSWORD, nil, nil)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if !f.up.Load() {
				nc.Close()
				continue
			}
			go func() {
				defer nc.Close()
				auth := server.NewInMemoryAuthenticationHandler(gomysql.AUTH_NATIVE_PASSWORD)
				if err := auth.AddUser("u", "p"); err != nil {
					return
				}
				c, err := srv.NewCustomizedConn(nc, auth, f)
				if err != nil {
					return
				}
				for !c.Closed() {
					if err := c.HandleCommand(); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return f
}

func (f *lateShard) addr() string { return f.ln.Addr().String() }

func (f *lateShard) UseDB(string) error { return nil }

func (f *lateShard) HandleQuery(sql string) (*gomysql.Result, error) {
	if strings.Contains(sql, "@@SESSION.sql_mode") {
		rs, err := gomysql.BuildSimpleTextResultset([]string{"@@SESSION.sql_mode"}, [][]any{{f.mode}})
		if err != nil {
			return nil, err
		}
		return gomysql.NewResult(rs), nil
	}
	return nil, nil
}

func (f *lateShard) HandleFieldList(string, string) ([]*gomysql.Field, error) { return nil, nil }

func (f *lateShard) HandleStmtPrepare(string) (int, int, any, error) { return 0, 0, nil, nil }

func (f *lateShard) HandleStmtExecute(any, string, []any) (*gomysql.Result, error) { return nil, nil }

func (f *lateShard) HandleStmtClose(any) error { return nil }

func (f *lateShard) HandleOtherCommand(byte, []byte) error { return nil }
