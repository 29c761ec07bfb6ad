// Package engine runs plans that are trees of primitives. A primitive sends
// statements through the client's Session (an Evaluate tree through the
// part of it that is a Cursor), the one way from a plan to the shards; the tree composes what no single statement answers (a join
// of tables on different shards, a subquery across shards, a UNION
// across keyspaces) out of statements that one shard, or the router's
// scatter merge, answers.
//
// The package knows nothing of the wire protocol: values are MySQL's text
// representation (nil is NULL), and a column's Kind says how to write its
// values back into SQL.
package engine

import (
	"context"
	"fmt"
	"strings"

	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Kind is how a column's values are written back into SQL as literals.
type Kind uint8

const (
	Text     Kind = iota // a string in the connection's character set
	Binary               // binary strings, BIT, geometry: X'…'
	Int                  // signed integers and YEAR
	Unsigned             // unsigned integers
	Decimal              // DECIMAL
	Float                // FLOAT, DOUBLE: written with an exponent, read back as DOUBLE
	Date                 // DATE'…'
	DateTime             // DATETIME and TIMESTAMP: TIMESTAMP'…'
	Time                 // TIME'…'
	JSON                 // MySQL 8's JSON type (binary charset on the wire)
	Null                 // the NULL type of a NULL literal
)

// Field is a column of a result. Def is its column definition as the backend
// sent it, which goes to the client unchanged unless Source says otherwise.
type Field struct {
	Name string
	Kind Kind
	Def  []byte
	// Table and OrgName are where the column comes from, as its definition
	// says: a table (alias) and its column; "" for an expression.
	Table, OrgName string
	// Loose: a UNION of the column with literals of its values types
	// them more loosely, but keeps their text: ENUM and SET (VARCHAR),
	// YEAR (DECIMAL), BIT (VARBINARY), TIMESTAMP (DATETIME), FLOAT
	// (DOUBLE, but for the literals appendDerived casts). See
	// Evaluate.sources.
	Loose bool
	// Source is the gathered column an evaluated column shows unchanged (a
	// plain reference to it): the client sees the table and column it comes
	// from, as MySQL names them, and its type too when SourceType (the
	// gathered column's is the more exact one). See Evaluate.sources.
	Source     *Field
	SourceType bool
}

// Result is a whole result set. A row's values are MySQL's text
// representation of the values; nil is NULL.
type Result struct {
	Fields []Field
	Rows   [][][]byte
}

// ValueOf is a value of a column of kind k read from a shard as the vindex
// value, or the literal a statement writes, it is: numbers as numbers,
// binary strings as bytes, the rest as strings.
func ValueOf(v []byte, k Kind) vindex.Value {
	switch {
	case v == nil:
		return vindex.Value{Kind: vindex.Null}
	case k == Int:
		return vindex.Value{Kind: vindex.Int64, Raw: v}
	case k == Unsigned:
		return vindex.Value{Kind: vindex.Uint64, Raw: v}
	case k == Decimal:
		return vindex.Value{Kind: vindex.Decimal, Raw: v}
	case k == Float:
		return vindex.Value{Kind: vindex.Float64, Raw: v}
	case k == Binary:
		return vindex.Value{Kind: vindex.VarBinary, Raw: v}
	}
	return vindex.Value{Kind: vindex.VarChar, Raw: v}
}

// Cursor runs the statements of an Evaluate tree on the client's session
// (its transaction, its sql_mode): the part of a Session the tree needs.
// The sidecar's session implements it; tests use a fake that records what
// the plan sends.
type Cursor interface {
	// Select runs a SELECT on a keyspace as the client's own statement
	// would run (planned, routed by its vindexes, merged across shards,
	// evaluated) and returns its rows.
	Select(ctx context.Context, r Read) (*Result, error)
	// SelectOn runs a SELECT that reads no table (or only temps), unchanged,
	// on one backend of the keyspace. The temporary tables are made and
	// filled first on the same connection, and dropped after the SELECT.
	SelectOn(ctx context.Context, keyspace, sql string, temps ...TempTable) (*Result, error)
}

// Env is one execution of a plan: the cursor, the execution's arguments (a
// prepared statement's, or the literals of a normalized statement's shape),
// how statements are written for the session, and the rows held so far
// against the limit.
type Env struct {
	Cursor Cursor
	Args   []vindex.Value
	// NoBackslashEscapes: the session's sql_mode reads a backslash in a
	// string as an ordinary character.
	NoBackslashEscapes bool
	MaxRows            int // 0: no bound
	// CastCollate: the evaluating backend reads CAST(… AS CHAR CHARACTER
	// SET cs COLLATE c) (MariaDB; MySQL 8 does not), which gathered strings
	// are written in (see Gather.collations).
	CastCollate bool
	held        int
}

// hold counts n more rows in memory and refuses past the limit.
func (e *Env) hold(n int) error {
	e.held += n
	if max := e.MaxRows; max > 0 && e.held > max {
		return TooManyRows(max)
	}
	return nil
}

// TooManyRows is the error of a statement that needs more than max rows held
// in the sidecar.
func TooManyRows(max int) *sqlerr.Error {
	return sqlerr.New(1105, "HY000", "in-memory row count exceeded allowed limit of %d (max_memory_rows): the statement needs more rows held in the sidecar", max)
}

// Primitive is a node of a plan that returns rows.
type Primitive interface {
	Execute(ctx context.Context, env *Env) (*Result, error)
	describer
}

// describer is a node VEXPLAIN and golden tests describe.
type describer interface {
	// describe writes the node and its children, one line each, indented
	// by depth.
	describe(b *strings.Builder, depth int)
}

// Describe is a plan (a Primitive, an Insert) as text, one node per line,
// children indented.
func Describe(p describer) string {
	var b strings.Builder
	p.describe(&b, 0)
	return b.String()
}

func line(b *strings.Builder, depth int, format string, args ...any) {
	b.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(b, format, args...)
	b.WriteByte('\n')
}
