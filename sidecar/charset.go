package sidecar

import (
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/charset"

	"sidecar/backend"
)

func itoa(n int) string { return strconv.Itoa(n) }

// namesForCollation is the SET NAMES that gives a backend connection the
// character set and collation a client asked for in its handshake, from the
// collation table go-mysql uses (TiDB's copy of MySQL 8's). MySQL 8's
// *_0900_* collations are unknown to MariaDB: for those only the character
// set is named and the server picks its default collation.
func namesForCollation(id uint8) string {
	c, err := charset.GetCollationByID(int(id))
	switch {
	case err != nil || id == 45:
		return backend.DefaultNames
	case c.Name == c.CharsetName || strings.Contains(c.Name, "_0900_"):
		return "SET NAMES " + c.CharsetName
	}
	return "SET NAMES " + c.CharsetName + " COLLATE " + c.Name
}

// knownNames remembers SET NAMES statements a backend accepted, so a client
// that sends one on every connect costs a round trip only the first time.
type knownNames struct {
	mu    sync.Mutex
	texts map[string]bool
}

// maxKnownNames bounds knownNames: clients send few distinct texts, and a
// client sending many must not grow the server's memory.
const maxKnownNames = 1000

func (k *knownNames) known(text string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.texts[text]
}

func (k *knownNames) add(text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.texts == nil {
		k.texts = map[string]bool{}
	}
	if len(k.texts) < maxKnownNames {
		k.texts[text] = true
	}
}
