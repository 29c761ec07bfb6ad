package sidecar

import (
	"testing"

	"sidecar/backend"
)

// The handshake's collation id becomes the SET NAMES of the client's backend
// connections, for every collation of the table, not a hand-picked few.
func TestNamesForCollation(t *testing.T) {
	for id, want := range map[uint8]string{
		8:   "SET NAMES latin1 COLLATE latin1_swedish_ci",
		33:  "SET NAMES utf8 COLLATE utf8_general_ci",
		45:  backend.DefaultNames,
		46:  "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
		63:  "SET NAMES binary",
		95:  "SET NAMES cp932 COLLATE cp932_japanese_ci",
		224: "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
		246: "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_520_ci",
		255: "SET NAMES utf8mb4",  // MySQL 8's utf8mb4_0900_ai_ci: MariaDB picks its own default
		0:   backend.DefaultNames, // no such collation
	} {
		if got := namesForCollation(id); got != want {
			t.Errorf("collation %d: %q, want %q", id, got, want)
		}
	}
}
