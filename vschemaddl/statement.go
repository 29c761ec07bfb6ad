// Package vschemaddl is Vitess's VSchema DDL for the sidecar: ALTER VSCHEMA
// and SHOW VSCHEMA statements parsed with Vitess's grammar (go/vt/sqlparser
// sql.y), applied to a keyspace's VSchema with Vitess's semantics
// (go/vt/topotools/vschema_ddl.go) and validated as `sidecar check` validates
// a file, and the results of SHOW VSCHEMA as vtgate prints them. It also
// writes VSchemas as the JSON of a vschema_file. Everything is pure: the
// server stores and swaps what it returns.
package vschemaddl

import "strings"

// Kind is the kind of a VSchema statement.
type Kind int

const (
	CreateVindex      Kind = iota + 1 // ALTER VSCHEMA CREATE VINDEX [ks.]v [USING type] [WITH k=v, …]
	DropVindex                        // ALTER VSCHEMA DROP VINDEX [ks.]v
	AddTable                          // ALTER VSCHEMA ADD TABLE [ks.]t
	DropTable                         // ALTER VSCHEMA DROP TABLE [ks.]t
	AddColumnVindex                   // ALTER VSCHEMA ON [ks.]t ADD VINDEX v(c, …) [USING type] [WITH k=v, …]
	DropColumnVindex                  // ALTER VSCHEMA ON [ks.]t DROP VINDEX v
	AddSequence                       // ALTER VSCHEMA ADD SEQUENCE [ks.]seq
	DropSequence                      // ALTER VSCHEMA DROP SEQUENCE [ks.]seq
	AddAutoIncrement                  // ALTER VSCHEMA ON [ks.]t ADD AUTO_INCREMENT c USING [ks.]seq
	DropAutoIncrement                 // ALTER VSCHEMA ON [ks.]t DROP AUTO_INCREMENT
	ShowTables                        // SHOW VSCHEMA TABLES
	ShowVindexes                      // SHOW VSCHEMA VINDEXES [{ON | FROM} [ks.]t]
)

// IsShow reports whether k is a SHOW VSCHEMA statement (answered with rows)
// rather than an ALTER VSCHEMA one (a change).
func (k Kind) IsShow() bool { return k == ShowTables || k == ShowVindexes }

// Name is a possibly qualified name: [Keyspace.]Name.
type Name struct {
	Keyspace string // "" when not qualified
	Name     string
}

// String prints the name as SQL, quoting what needs quotes.
func (n Name) String() string {
	if n.Keyspace == "" {
		return quoteIdent(n.Name)
	}
	return quoteIdent(n.Keyspace) + "." + quoteIdent(n.Name)
}

// Param is one WITH k=v of a vindex, as written.
type Param struct {
	Key   string
	Value string
}

// Statement is a parsed VSchema statement. Identifiers are unquoted and keep
// their case, as Vitess keeps it (names are compared exactly).
type Statement struct {
	Kind Kind
	// Table is what the statement works on: the table of ADD/DROP TABLE and
	// of ON t …, the sequence of ADD/DROP SEQUENCE, the vindex of CREATE/DROP
	// VINDEX (whose qualifier is a keyspace too), the table of SHOW VSCHEMA
	// VINDEXES ON t. Its Keyspace, when given, chooses the keyspace;
	// otherwise the session's does. Empty for SHOW VSCHEMA TABLES and SHOW
	// VSCHEMA VINDEXES without ON.
	Table Name
	// Vindex is the vindex name: of CREATE/DROP VINDEX (= Table.Name) and of
	// ON t ADD/DROP VINDEX.
	Vindex string
	// Columns of ON t ADD VINDEX v(c, …).
	Columns []string
	// Type is the vindex type of USING ("" when absent).
	Type string
	// Params of WITH, in the order written (an "owner" key among them is
	// the vindex's owner).
	Params []Param
	// AutoIncrementColumn and Sequence of ON t ADD AUTO_INCREMENT c USING seq.
	AutoIncrementColumn string
	Sequence            Name
}

// Keyspace returns the keyspace the statement applies to: its qualifier, or
// the session's keyspace.
func (s *Statement) Keyspace(sessionKeyspace string) string {
	if s.Table.Keyspace != "" {
		return s.Table.Keyspace
	}
	return sessionKeyspace
}

// String prints the statement in canonical form: lower-case keywords,
// identifiers quoted where needed. Parse(s.String()) gives s back.
func (s *Statement) String() string {
	var b strings.Builder
	switch s.Kind {
	case CreateVindex:
		b.WriteString("alter vschema create vindex " + s.Table.String())
		s.writeUsing(&b)
	case DropVindex:
		b.WriteString("alter vschema drop vindex " + s.Table.String())
	case AddTable:
		b.WriteString("alter vschema add table " + s.Table.String())
	case DropTable:
		b.WriteString("alter vschema drop table " + s.Table.String())
	case AddSequence:
		b.WriteString("alter vschema add sequence " + s.Table.String())
	case DropSequence:
		b.WriteString("alter vschema drop sequence " + s.Table.String())
	case AddColumnVindex:
		b.WriteString("alter vschema on " + s.Table.String() + " add vindex " + quoteIdent(s.Vindex) + "(")
		for i, c := range s.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(c))
		}
		b.WriteString(")")
		s.writeUsing(&b)
	case DropColumnVindex:
		b.WriteString("alter vschema on " + s.Table.String() + " drop vindex " + quoteIdent(s.Vindex))
	case AddAutoIncrement:
		b.WriteString("alter vschema on " + s.Table.String() + " add auto_increment " + quoteIdent(s.AutoIncrementColumn) + " using " + s.Sequence.String())
	case DropAutoIncrement:
		b.WriteString("alter vschema on " + s.Table.String() + " drop auto_increment")
	case ShowTables:
		b.WriteString("show vschema tables")
	case ShowVindexes:
		b.WriteString("show vschema vindexes")
		if s.Table.Name != "" {
			b.WriteString(" on " + s.Table.String())
		}
	}
	return b.String()
}

func (s *Statement) writeUsing(b *strings.Builder) {
	if s.Type != "" {
		b.WriteString(" using " + quoteIdent(s.Type))
	}
	for i, p := range s.Params {
		if i == 0 {
			b.WriteString(" with ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(paramWord(p.Key) + "=" + paramWord(p.Value))
	}
}

// paramWord writes a WITH key or value: any plain word, reserved or not
// (reserved_sql_id), or digits (INTEGRAL) as is; anything else backquoted.
func paramWord(s string) string {
	if s == "" {
		return "''"
	}
	if isDigits(s) || isPlainWord(s) {
		return s
	}
	return quoteIdent(s)
}

// quoteIdent writes an identifier as SQL: as is when it is a plain word that
// is not a reserved keyword, else backquoted (a backquote doubled).
func quoteIdent(s string) string {
	if isPlainWord(s) && !isReserved(s) {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// isPlainWord reports whether s lexes as one unquoted word that is not a
// number: letters, digits, _ and $ (and any non-ASCII byte), not all digits.
func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) {
			return false
		}
		if c < '0' || c > '9' {
			digits = false
		}
	}
	return !digits
}
