package sidecar

import (
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/charset"

	"sidecar/backend"
	"sidecar/planner"
	"sidecar/sqlerr"
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

// backslashCharsets are the character sets some of whose characters end in
// the byte of a backslash (0x5c), as 表 is 95 5C in sjis. The sidecar reads
// statements and writes values byte by byte: under these it would read such
// a character's last byte as an escape, and route by, or write, what the
// backend reads otherwise (a value could end its literal early).
var backslashCharsets = map[string]bool{"big5": true, "cp932": true, "gbk": true, "gb18030": true, "sjis": true}

// useNames makes names (SET NAMES cs [COLLATE c], or SET CHARACTER SET cs)
// the session's character set for its backend connections. A word of it
// outside comments naming one of backslashCharsets, or a collation of one,
// marks the session.
func (s *session) useNames(names string) {
	s.names, s.namesCharset = names, ""
	for _, w := range strings.FieldsFunc(strings.ToLower(planner.WithoutComments(names)), func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		cs, _, _ := strings.Cut(w, "_")
		if backslashCharsets[cs] {
			s.namesCharset = cs
			return
		}
	}
}

// connCharset is the character set of backslashCharsets bc's client or
// connection character set is, "" if neither.
func connCharset(bc *backend.Conn) (string, error) {
	res, err := bc.Exec("SELECT @@SESSION.character_set_client, @@SESSION.character_set_connection LIMIT 1")
	if err != nil || len(res.Rows) != 1 {
		return "", err
	}
	for _, cs := range res.Rows[0] {
		if backslashCharsets[string(cs)] {
			return string(cs), nil
		}
	}
	return "", nil
}

// backslashCharset is the session's character set if one of
// backslashCharsets, "" otherwise: its SET NAMES', or one a SET it keeps
// put its connection in. Such a SET goes on every connection the session
// opens, after its SET NAMES, so nothing but COM_RESET_CONNECTION (or a new
// connection) takes that one back.
func (s *session) backslashCharset() string {
	if s.namesCharset != "" {
		return s.namesCharset
	}
	return s.setCharset
}

// readsText: the sidecar routes plan's statement by what it reads in it, or
// writes statements of its own from it (printed again from its parse, with
// values written in). One without a table of a sharded keyspace (SELECT
// @@character_set_client, DDL) goes to its shards as the client wrote it.
func readsText(plan *planner.Plan) bool {
	return plan.Table != nil || plan.Engine || plan.SelectFrom != nil || plan.Subqueries || plan.Rewritten
}

// errBackslashCharset refuses a statement the sidecar would route or write
// by reading its text, or write values into, under such a character set.
func errBackslashCharset(cs string) error {
	return sqlerr.Unsupported("statements the sidecar routes or rewrites under the client character set %s, some of whose characters end in the byte of a backslash, which the sidecar would misread: use utf8mb4 (statements forwarded unchanged to one backend are fine)", cs)
}

// misread is the error of a statement the sidecar could not read: under a
// character set of backslashCharsets, likely through a character it reads
// as an escape, which the client is told.
func (s *session) misread(err error) error {
	if cs := s.backslashCharset(); cs != "" && sqlerr.From(err).Num == 1064 {
		return errBackslashCharset(cs)
	}
	return err
}

// knownNames remembers SET NAMES statements a backend accepted, with the
// character set of backslashCharsets each left the connection in ("" for
// none), so a client that sends one on every connect costs a round trip
// only the first time. A text naming a user variable is not kept: its
// result is the session's.
type knownNames struct {
	mu    sync.Mutex
	texts map[string]string
}

// maxKnownNames bounds knownNames: clients send few distinct texts, and a
// client sending many must not grow the server's memory.
const maxKnownNames = 1000

func (k *knownNames) known(text string) (charset string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	charset, ok = k.texts[text]
	return charset, ok
}

func (k *knownNames) add(text, charset string) {
	if strings.Contains(text, "@") {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.texts == nil {
		k.texts = map[string]string{}
	}
	if len(k.texts) < maxKnownNames {
		k.texts[text] = charset
	}
}
