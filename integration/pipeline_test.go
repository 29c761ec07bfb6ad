package integration

// ProxySQL behind the sidecar processes one command at a time: a command that arrives before the
// reply to the previous one makes it log "Unexpected packet from client" and drop the connection.
// These tests put a stand-in with that rule between the sidecar and each MariaDB shard, as
// ProxySQL would be, and run what wrote ahead before: transactions (a queued BEGIN went out with the
// next statement), savepoints replayed on a shard joining later, statement savepoints.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// oneCommandAtATime relays connections to a backend and drops any whose client sends a command
// before the backend has begun to answer the previous one.
type oneCommandAtATime struct {
	ln      net.Listener
	backend string
	dropped atomic.Int64
}

func startOneCommandAtATime(t *testing.T, backend string) *oneCommandAtATime {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", FreePort()))
	if err != nil {
		t.Fatal(err)
	}
	p := &oneCommandAtATime{ln: ln, backend: backend}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
	return p
}

func (p *oneCommandAtATime) addr() string { return p.ln.Addr().String() }

// relay copies packets both ways. A client packet with sequence number 0 starts a command; one that
// arrives while the previous command has no answer yet, or that came in one read with the command
// before it (written ahead of its reply, whenever the reply raced it here), drops the connection.
// Commands without a reply (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA) leave nothing
// awaited.
func (p *oneCommandAtATime) relay(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	defer server.Close()
	var mu sync.Mutex
	awaiting := false
	go func() {
		defer client.Close()
		for {
			pkt, err := readRawPacket(server)
			if err != nil {
				return
			}
			mu.Lock()
			awaiting = false
			mu.Unlock()
			if _, err := client.Write(pkt); err != nil {
				return
			}
		}
	}()
	in := bufio.NewReaderSize(client, 64<<10)
	for {
		pkt, err := readRawPacket(in)
		if err != nil {
			return
		}
		if pkt[3] == 0 && len(pkt) > 4 {
			mu.Lock()
			ahead := awaiting
			switch pkt[4] {
			case 0x01, 0x18, 0x19:
			default:
				awaiting = true
				ahead = ahead || in.Buffered() > 0
			}
			mu.Unlock()
			if ahead {
				p.dropped.Add(1)
				return
			}
		}
		if _, err := server.Write(pkt); err != nil {
			return
		}
	}
}

// readRawPacket reads one MySQL packet, header included.
func readRawPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(append(hdr[:3:3], 0)))
	pkt := make([]byte, 4+n)
	copy(pkt, hdr[:])
	_, err := io.ReadFull(r, pkt[4:])
	return pkt, err
}

// TestPipelineBehindProxySQL: with shards behind ProxySQL (a hostgroup in the config), the sidecar
// sends each statement only after the reply to the one before — cross-shard transactions, replayed
// savepoints and rollbacks work through the stand-in, which drops nothing. The control shows the
// stand-in catches what it should: without hostgroups the sidecar writes BEGIN ahead of the next
// statement, as MariaDB allows.
func TestPipelineBehindProxySQL(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	standIns := map[string]*oneCommandAtATime{"a": startOneCommandAtATime(t, e.a.Addr()), "b": startOneCommandAtATime(t, e.b.Addr())}
	config := func(hostgroups bool) string {
		t.Helper()
		b, err := os.ReadFile(e.config)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for name, m := range map[string]*MariaDB{"a": e.a, "b": e.b} {
			text = strings.ReplaceAll(text, fmt.Sprintf("address: %q", m.Addr()), fmt.Sprintf("address: %q", standIns[name].addr()))
		}
		if hostgroups {
			n := 0
			text = replaceEach(text, "}\n", func() string { n++; return fmt.Sprintf(", hostgroup: %d}\n", 10*n) }, "database: ")
		}
		listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
		text = strings.Replace(text, fmt.Sprintf("listen: %q", e.listen), fmt.Sprintf("listen: %q", listen), 1)
		path := filepath.Join(e.dir, "sidecar-"+strings.ReplaceAll(listen, ":", "-")+".yaml") // beside the VSchema files
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		MustStartSidecar(t, e.bin, path, listen)
		return listen
	}
	session := "BEGIN;\n" +
		"INSERT INTO customer (customer_id, email) VALUES (1, 'a');\n" + // shard -80
		"SAVEPOINT sp1;\n" +
		"INSERT INTO customer (customer_id, email) VALUES (4, 'b');\n" + // shard 80- joins: BEGIN and sp1 replayed
		"SAVEPOINT sp2;\n" +
		"UPDATE customer SET email = 'x' WHERE customer_id = 4;\n" +
		"ROLLBACK TO SAVEPOINT sp2;\n" +
		"COMMIT;\n" +
		"SELECT customer_id, email FROM customer ORDER BY customer_id;\n"

	addr := config(true)
	out, errOut, code := RunCLI(addr, seedUser, seedPassword, "customer", session, "--batch")
	if code != 0 || out != "customer_id\temail\n1\ta\n4\tb\n" {
		t.Errorf("transaction behind the stand-ins: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for name, p := range standIns {
		if n := p.dropped.Load(); n != 0 {
			t.Errorf("the stand-in of server %s dropped %d connections that sent a command ahead of a reply", name, n)
		}
	}

	// The control: MariaDB itself takes commands ahead of replies, and without hostgroups the
	// sidecar saves BEGIN's round trip. The stand-in must see it.
	addr = config(false)
	RunCLI(addr, seedUser, seedPassword, "customer", "BEGIN; SELECT * FROM customer WHERE customer_id = 1; ROLLBACK;\n", "--batch")
	if standIns["a"].dropped.Load() == 0 {
		t.Errorf("the stand-in let a BEGIN written ahead of the next statement through: it tests nothing")
	}
}

// replaceEach replaces every old in s that is on a line containing marker with what next returns.
func replaceEach(s, old string, next func() string, marker string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, marker) && strings.HasSuffix(l, old) {
			lines[i] = strings.TrimSuffix(l, old) + next()
		}
	}
	return strings.Join(lines, "")
}
