package sidecar

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"

	"sidecar/backend"
)

// TestDefaultsLearnedWhenFirstShardAnswers: a first shard that is down when
// the sidecar starts leaves the sessions' sql_mode unknown; once it answers,
// the sidecar reads it (here NO_BACKSLASH_ESCAPES, which changes how values
// are written) and sessions start in it.
func TestDefaultsLearnedWhenFirstShardAnswers(t *testing.T) {
	shard := newLateShard(t, "NO_BACKSLASH_ESCAPES")
	srv, _ := startLocal(t, shard.addr())

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
				if err := auth.AddUser("root", ""); err != nil {
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
