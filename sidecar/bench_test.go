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

// startLocal serves a sidecar in-process on a loopback port. Its keyspace's
// backend does not exist: the benchmarks below only use commands the front
// end answers itself.
func startLocal(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "sidecar.yaml")
	cfgText := `
listen: 127.0.0.1:0
admin_listen: ""
users: [{name: u, password: p}]
backend: {user: root, password: ""}
keyspaces:
  ks:
    shards:
      "0": {address: "127.0.0.1:1", database: ks}
`
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(b.Context()) })
	return ln.Addr().String()
}

// BenchmarkFrontendRoundTrip is one command through the front end and back:
// read a packet, dispatch, write and flush the reply (COM_PING, and a local
// SELECT answered with a one-row result set).
func BenchmarkFrontendRoundTrip(b *testing.B) {
	addr := startLocal(b)
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
