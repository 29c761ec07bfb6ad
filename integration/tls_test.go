package integration

// Front-end TLS: the sidecar's `tls: {cert, key, require}` section (paths relative to the config
// file). Clients negotiate TLS with the sidecar, so TestTLS proves TLS on the client side (the client's
// view of its connection), never with SHOW STATUS LIKE 'Ssl_%', which the sidecar sends to a backend;
// TestBackendTLS uses exactly that to prove the sidecar's own connections (`backend.tls`) are TLS.
//
// The same checks run straight against a MariaDB serving the same certificate, as a control of the
// checks themselves, except where MariaDB cannot take part (said where it happens).

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// File names of the server certificate and key in testCerts.dir; sidecar configs written there name
// them relatively, as a user's config next to its certificates would.
const (
	serverCertName = "server-cert.pem"
	serverKeyName  = "server-key.pem"
)

// testCerts is a throwaway PKI in a test's temporary directory: a CA, a server certificate it signed
// for 127.0.0.1, ::1 and localhost, and a second CA that signed nothing (a client trusting only that
// one must refuse the server).
type testCerts struct {
	dir                       string
	caFile, certFile, keyFile string
	otherCAFile               string
	caPool, otherPool         *x509.CertPool // trusting caFile, otherCAFile
}

// newTestCerts writes a fresh CA, server certificate and key (ECDSA P-256) and an unrelated CA into
// t.TempDir(). They are valid from an hour ago (clock skew) for a day.
func newTestCerts(t *testing.T) *testCerts {
	t.Helper()
	c := &testCerts{dir: t.TempDir()}
	ca, caKey := newTestCA(t, "sidecar integration test CA")
	other, _ := newTestCA(t, "unrelated integration test CA")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: testSerial(t),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}

	c.caFile = writePEM(t, c.dir, "ca.pem", "CERTIFICATE", ca.Raw)
	c.otherCAFile = writePEM(t, c.dir, "other-ca.pem", "CERTIFICATE", other.Raw)
	c.certFile = writePEM(t, c.dir, serverCertName, "CERTIFICATE", der)
	c.keyFile = writePEM(t, c.dir, serverKeyName, "PRIVATE KEY", keyDER)
	c.caPool, c.otherPool = x509.NewCertPool(), x509.NewCertPool()
	c.caPool.AddCert(ca)
	c.otherPool.AddCert(other)
	return c
}

func newTestCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          testSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func testSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mariadbTLSArgs make a mariadbd serve TLS (optionally: clients choose) with the test certificate.
func mariadbTLSArgs(c *testCerts) []string {
	return []string{"--ssl-ca=" + c.caFile, "--ssl-cert=" + c.certFile, "--ssl-key=" + c.keyFile}
}

// startTLSSidecar starts a sidecar with a tls section naming the test certificate relatively (the
// config is written next to it) on an unsharded keyspace `product` served by m, and, if socket is
// set, a Unix socket listener too.
func startTLSSidecar(t *testing.T, certs *testCerts, m *MariaDB, require bool, socket string) *Sidecar {
	t.Helper()
	bin := MustBuildSidecar(t)
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	yaml := unshardedYAML(listen, 4, unshardedKeyspace{"product", m.Addr(), "product"}) +
		fmt.Sprintf("tls: {cert: %s, key: %s, require: %t}\n", serverCertName, serverKeyName, require)
	if socket != "" {
		yaml += fmt.Sprintf("listen_socket: %q\n", socket)
	}
	path := filepath.Join(certs.dir, "sidecar-require-"+strconv.FormatBool(require)+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return MustStartSidecar(t, bin, path, listen)
}

// Names under which TestTLS registers its tls.Configs with go-sql-driver (the DSN's tls=NAME).
const (
	tlsTrustTestCA  = "integration-test-ca"
	tlsTrustOtherCA = "integration-other-ca"
)

// The error a plain TCP login gets from a sidecar with `require: true`: MySQL's
// ER_SECURE_TRANSPORT_REQUIRED, as MySQL sends it.
const (
	errSecureTransportRequired      = 3159
	errSecureTransportRequiredState = "HY000"
	errSecureTransportRequiredMsg   = "Connections using insecure transport are prohibited while --require_secure_transport=ON."
)

// sslCipherLine is the line of the mariadb client's `status` (\s) command that says the client's own
// connection is TLS: "SSL:\t\t\tCipher in use is TLS_AES_256_GCM_SHA384".
var sslCipherLine = regexp.MustCompile(`(?m)^SSL:\s+Cipher in use is \S+`)

// TestTLS: with a tls section, the mariadb client (--ssl-verify-server-cert), go-sql-driver
// (skip-verify and a tls.Config trusting the test CA; text and server-side prepared statements) and
// PyMySQL log in over TLS; a client trusting another CA refuses the server; caching_sha2_password's
// full authentication works over TLS (the password goes in clear inside it); plain TCP still works
// with require: false. With require: true, plain TCP logins get error 3159 while TLS logins and the
// Unix socket work.
func TestTLS(t *testing.T) {
	certs := newTestCerts(t)
	// The backend serves TLS too, for the control runs; the sidecar reaches it over plain TCP.
	m := MustStartMariaDB(t, Options{Args: mariadbTLSArgs(certs)})
	if err := m.CreateDatabases("product"); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateUser(appUser, appPassword); err != nil {
		t.Fatal(err)
	}
	m.MustExec(t, "product", "CREATE TABLE tls_rows (id INT PRIMARY KEY, note VARCHAR(60))")
	for name, pool := range map[string]*x509.CertPool{tlsTrustTestCA: certs.caPool, tlsTrustOtherCA: certs.otherPool} {
		if err := mysql.RegisterTLSConfig(name, &tls.Config{RootCAs: pool}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mysql.DeregisterTLSConfig(name) })
	}

	// MariaDB is the control of the login checks. It has no caching_sha2_password (10.11 does not
	// ship the server plugin), and no control of require: true is possible: MariaDB 10.11 with
	// require_secure_transport=ON answers a plain login with 1045 "Access denied", not MySQL's 3159.
	t.Run("mariadb", func(t *testing.T) {
		checkTLSLogins(t, certs, m.Addr(), false)
	})
	t.Run("sidecar", func(t *testing.T) {
		sc := startTLSSidecar(t, certs, m, false, "")
		checkTLSLogins(t, certs, sc.Addr(), true)
	})
	t.Run("sidecar_require", func(t *testing.T) {
		socket := filepath.Join(t.TempDir(), "sidecar.sock")
		sc := startTLSSidecar(t, certs, m, true, socket)
		checkRequireTLS(t, certs, sc.Addr(), socket)
	})
}

// tlsCheck is one named login check; they run in order, as subtests.
type tlsCheck struct {
	name string
	run  func(t *testing.T)
}

func runTLSChecks(t *testing.T, checks []tlsCheck) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, c.run)
	}
}

// checkTLSLogins runs the login checks against a server that offers TLS without requiring it.
// withSHA: it knows the caching_sha2_password user (the sidecar).
func checkTLSLogins(t *testing.T, certs *testCerts, addr string, withSHA bool) {
	runTLSChecks(t, []tlsCheck{
		// First: the fast-authentication cache must still be cold, so the first login is a full one.
		{"caching_sha2_full_auth", func(t *testing.T) {
			if !withSHA {
				t.Skip("MariaDB 10.11 has no caching_sha2_password server plugin")
			}
			checkSHALogins(t, addr)
		}},
		{"cli", func(t *testing.T) { checkCLIOverTLS(t, addr, certs.caFile) }},
		{"cli_wrong_ca", func(t *testing.T) {
			stdout, stderr, code := RunCLI(addr, appUser, appPassword, "product", "SELECT 1;\n",
				"--ssl", "--ssl-ca="+certs.otherCAFile, "--ssl-verify-server-cert")
			if code != 1 || !strings.Contains(stderr, "ERROR 2026 (HY000): TLS/SSL error") {
				t.Errorf("mariadb --ssl-verify-server-cert trusting another CA: exit %d, want 1 and ERROR 2026\nstdout:\n%s\nstderr:\n%s",
					code, stdout, stderr)
			}
		}},
		{"driver_skip_verify", func(t *testing.T) { exerciseDriver(t, addr, appUser, appPassword, "skip-verify") }},
		{"driver_ca", func(t *testing.T) { exerciseDriver(t, addr, appUser, appPassword, tlsTrustTestCA) }},
		{"driver_wrong_ca", func(t *testing.T) { expectUntrusted(t, addr) }},
		// A tls section must not lock out the clients that do not use it.
		{"driver_plain", func(t *testing.T) { exerciseDriver(t, addr, appUser, appPassword, "false") }},
		{"pymysql_ssl", func(t *testing.T) {
			requirePyMySQL(t)
			runPyMySQLChecks(t, addr, appUser, appPassword, "product", certs.caFile, "ssl")
		}},
	})
}

// checkRequireTLS runs the checks of a sidecar with require: true, listening on addr and socket.
func checkRequireTLS(t *testing.T, certs *testCerts, addr, socket string) {
	runTLSChecks(t, []tlsCheck{
		{"caching_sha2_full_auth", func(t *testing.T) { checkSHALogins(t, addr) }},
		{"plain_refused", func(t *testing.T) {
			for _, u := range []struct{ user, password string }{{appUser, appPassword}, {shaUser, shaPassword}} {
				db := openUnshardedDriver(t, addr, u.user, u.password, "product", func(c *mysql.Config) { c.TLSConfig = "false" })
				err := db.PingContext(boundedContext(t, 30*time.Second))
				if me := expectMySQLError(t, err, errSecureTransportRequired, errSecureTransportRequiredState); me != nil &&
					me.Message != errSecureTransportRequiredMsg {
					t.Errorf("plain TCP login as %s: message %q, want %q", u.user, me.Message, errSecureTransportRequiredMsg)
				}
				db.Close()
			}
		}},
		{"cli_plain_refused", func(t *testing.T) {
			// RunCLI's default is --skip-ssl.
			stdout, stderr, code := RunCLI(addr, appUser, appPassword, "product", "SELECT 1;\n")
			want := fmt.Sprintf("ERROR %d (%s): %s", errSecureTransportRequired, errSecureTransportRequiredState, errSecureTransportRequiredMsg)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("mariadb --skip-ssl: exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}
		}},
		{"cli", func(t *testing.T) { checkCLIOverTLS(t, addr, certs.caFile) }},
		{"driver_ca", func(t *testing.T) { exerciseDriver(t, addr, appUser, appPassword, tlsTrustTestCA) }},
		{"driver_skip_verify", func(t *testing.T) { exerciseDriver(t, addr, appUser, appPassword, "skip-verify") }},
		// The Unix socket is a secure transport, as it is for mysqld: no TLS needed there.
		{"unix_socket", func(t *testing.T) {
			for _, u := range []struct{ user, password string }{{appUser, appPassword}, {shaUser, shaPassword}} {
				db := openUnshardedDriver(t, socket, u.user, u.password, "product", func(c *mysql.Config) { c.Net = "unix" })
				var one int
				if err := db.QueryRowContext(boundedContext(t, 30*time.Second), "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Errorf("through the Unix socket as %s: %d, %v", u.user, one, err)
				}
				db.Close()
			}
		}},
		{"pymysql_ssl", func(t *testing.T) {
			requirePyMySQL(t)
			runPyMySQLChecks(t, addr, appUser, appPassword, "product", certs.caFile, "ssl")
		}},
	})
}

// checkSHALogins logs in twice as the caching_sha2_password user over TLS verified against the test
// CA. On a freshly started sidecar the first login is a full authentication (the client sends the
// password in clear, which it only does inside TLS) and the second a fast one, from the cache.
func checkSHALogins(t *testing.T, addr string) {
	t.Helper()
	for _, round := range []string{"first login (full authentication)", "second login (fast authentication)"} {
		db := openUnshardedDriver(t, addr, shaUser, shaPassword, "product", func(c *mysql.Config) { c.TLSConfig = tlsTrustTestCA })
		var one int
		if err := db.QueryRowContext(boundedContext(t, 30*time.Second), "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Errorf("%s as %s over TLS: %d, %v", round, shaUser, one, err)
		}
		db.Close()
	}
}

// checkCLIOverTLS runs the mariadb client with --ssl-verify-server-cert against the test CA. Its
// `status` command shows the cipher of its own connection, which proves TLS on the client side.
func checkCLIOverTLS(t *testing.T, addr, caFile string) {
	t.Helper()
	stdout, stderr, code := RunCLI(addr, appUser, appPassword, "product", "status\nSELECT 1 AS one;\n",
		"--ssl", "--ssl-ca="+caFile, "--ssl-verify-server-cert")
	if code != 0 || !sslCipherLine.MatchString(stdout) || !strings.HasSuffix(stdout, "one\n1\n") {
		t.Errorf("mariadb --ssl --ssl-verify-server-cert: exit %d; want exit 0, a line like %q and SELECT 1's result\nstdout:\n%s\nstderr:\n%s",
			code, "SSL: Cipher in use is ...", stdout, stderr)
	}
}

// exerciseDriver logs in with go-sql-driver and tls=tlsName ("false", "skip-verify" or a registered
// name) and writes and reads a row with server-side prepared statements (the driver prepares every
// statement with arguments) and with the text protocol. With any tls but "false" the driver insists
// on TLS: it fails with "TLS requested but server does not support TLS" if the server does not offer
// it, so a successful login is a TLS login.
func exerciseDriver(t *testing.T, addr, user, password, tlsName string) {
	t.Helper()
	ctx := boundedContext(t, time.Minute)
	db := openUnshardedDriver(t, addr, user, password, "product", func(c *mysql.Config) { c.TLSConfig = tlsName })
	defer db.Close()
	id := int(tlsRowID.Add(1))
	note := "tls=" + tlsName
	if _, err := db.ExecContext(ctx, "INSERT INTO tls_rows (id, note) VALUES (?, ?)", id, note); err != nil {
		t.Fatalf("prepared INSERT with tls=%s: %v", tlsName, err)
	}
	var got string
	if err := db.QueryRowContext(ctx, "SELECT note FROM tls_rows WHERE id = ?", id).Scan(&got); err != nil || got != note {
		t.Errorf("prepared SELECT with tls=%s: %q, %v; want %q", tlsName, got, err, note)
	}
	got = ""
	if err := db.QueryRowContext(ctx, "SELECT note FROM tls_rows WHERE id = "+strconv.Itoa(id)).Scan(&got); err != nil || got != note {
		t.Errorf("text SELECT with tls=%s: %q, %v; want %q", tlsName, got, err, note)
	}
}

// tlsRowID numbers the rows exerciseDriver writes, one per call.
var tlsRowID atomic.Int64

// expectUntrusted checks that go-sql-driver trusting only the other CA refuses the server's certificate.
func expectUntrusted(t *testing.T, addr string) {
	t.Helper()
	db := openUnshardedDriver(t, addr, appUser, appPassword, "product", func(c *mysql.Config) { c.TLSConfig = tlsTrustOtherCA })
	defer db.Close()
	err := db.PingContext(boundedContext(t, 30*time.Second))
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("login trusting another CA: %v; want a certificate verification error", err)
	}
}

// TestBackendTLS: backend.tls makes the shard connections TLS, verified against a CA.
func TestBackendTLS(t *testing.T) {
	certs := newTestCerts(t)
	m := MustStartMariaDB(t, Options{Args: mariadbTLSArgs(certs)})
	m.MustExec(t, "", "CREATE DATABASE product")
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	yaml := strings.Replace(unshardedYAML(listen, 2, unshardedKeyspace{"product", m.Addr(), "product"}),
		"connect_timeout: 2s}", fmt.Sprintf("connect_timeout: 2s, tls: {ca: %q}}", certs.caFile), 1)
	path := filepath.Join(t.TempDir(), "backend-tls.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := MustStartSidecar(t, MustBuildSidecar(t), path, listen)
	var name, cipher string
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "product")
	if err := db.QueryRowContext(boundedContext(t, time.Minute), "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatal(err)
	}
	if cipher == "" {
		t.Errorf("the sidecar's connection to the backend is not TLS (Ssl_cipher empty)")
	}
}
