package planner

import "testing"

// sameSQL reports whether got is want, or want as the sidecar prints a
// statement it rewrites: the tests' expectations are written the way people
// write SQL.
func sameSQL(t *testing.T, got, want string) bool {
	t.Helper()
	if got == want {
		return true
	}
	stmt, err := parse(want, SQLMode{})
	if err != nil {
		t.Fatalf("the expected statement %q does not parse: %v", want, err)
	}
	return got == printStmt(leadingComments(want), stmt, nil, SQLMode{})
}
