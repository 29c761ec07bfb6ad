package integration

import "testing"

// MustStartMariaDB starts a server for a test and stops it (removing its datadir) in t.Cleanup. If the
// test failed, the server log's tail is logged first, since a backend error is often explained there.
func MustStartMariaDB(t testing.TB, opts Options) *MariaDB {
	t.Helper()
	m, err := StartMariaDB(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- tail of %s:\n%s", m.ErrorLogPath(), m.ErrorLog(30))
		}
		if err := m.Stop(); err != nil {
			t.Errorf("stop mariadbd on %s: %v", m.Addr(), err)
		}
	})
	return m
}

// MustBuildSidecar is BuildSidecar for tests: it fails the test if the build fails.
func MustBuildSidecar(t testing.TB) string {
	t.Helper()
	bin, err := BuildSidecar()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// MustStartSidecar starts the sidecar for a test and stops it in t.Cleanup, logging its output if the
// test failed.
func MustStartSidecar(t testing.TB, bin, configPath, listenAddr string, extraArgs ...string) *Sidecar {
	t.Helper()
	s, err := StartSidecar(bin, configPath, listenAddr, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop sidecar: %v", err)
		}
		if t.Failed() {
			t.Logf("--- sidecar output:\n%s", tail(s.Logs(), 60))
		}
	})
	return s
}

// MustExec runs Exec and fails the test on error.
func (m *MariaDB) MustExec(t testing.TB, db, query string, args ...any) {
	t.Helper()
	if err := m.Exec(db, query, args...); err != nil {
		t.Fatal(err)
	}
}

// MustQuery runs Query and fails the test on error.
func (m *MariaDB) MustQuery(t testing.TB, db, query string, args ...any) [][]string {
	t.Helper()
	rows, err := m.Query(db, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
