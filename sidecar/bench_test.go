package sidecar

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/rs/zerolog"

	"sidecar/conf"
)

// startLocal serves a sidecar in-process on a loopback port, with one
// unsharded keyspace on the backend at shardAddr (user root, no password).
func startLocal(tb testing.TB, shardAddr string) (*Server, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sidecar.yaml")
	cfgText := `
listen: 127.0.0.1:0
admin_listen: ""
users: [{name: u, password: p}]
backend: {user: root, password: "", connect_timeout: 300ms}
keyspaces:
  ks:
    shards:
      "0": {address: "` + shardAddr + `", database: ks}
`
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := New(cfg, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Shutdown(tb.Context()) })
	return srv, ln.Addr().String()
}

// BenchmarkFrontendRoundTrip is one command through the front end and back:
// read a packet, dispatch, write and flush the reply (COM_PING, and a local
// SELECT answered with a one-row result set).
func BenchmarkFrontendRoundTrip(b *testing.B) {
	// No backend listens there: the benchmarks below only use commands the
	// front end answers itself.
	_, addr := startLocal(b, "127.0.0.1:1")
	c, err := client.Connect(addr, "u", "p", "ks")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Run("ping", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Ping(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("select_version_comment", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Execute("select @@version_comment limit 1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
