// Package vindex computes keyspace ids the way Vitess does: functional vindexes
// (hash, xxhash, unicode_loose_*, binary, numeric, …), the lookup family, key
// ranges and shard names. It knows nothing about SQL sessions or config files;
// lookup vindexes reach the database only through the Querier interface, which
// the executor implements.
package vindex

import (
	"context"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
)

// KeyspaceID is the routing key of a row: a shard holds the keyspace ids inside
// its key range.
type KeyspaceID []byte

// Kind is the SQL type class of a Value; it decides how vindexes read the value
// (hash reinterprets signed integers as two's complement, xxhash hashes the
// decimal text, binary takes the bytes verbatim).
type Kind uint8

const (
	Null      Kind = iota
	Int64          // signed integer literal or column; Raw is decimal text
	Uint64         // unsigned integer; Raw is decimal text
	Float64        // Raw is the text as written
	Decimal        // Raw is the text as written
	VarChar        // text in the connection character set
	VarBinary      // a binary string: _binary'…' literals, binary columns, keyspace ids
	// HexNum is a 0x… literal, its bytes in Raw: MySQL reads it as the
	// BIGINT UNSIGNED of those bytes where a number is wanted (MariaDB reads
	// X'…' as a string there), as the bytes where a string is.
	HexNum
	// HexString is an X'…' literal, its bytes in Raw: bytes, as a binary
	// string's, where a string is wanted, but not compared with a number as
	// a binary string is (MariaDB finds no DECIMAL 3.75 > X'332e35', where it
	// finds 3.75 > _binary'3.5'), so written as the client wrote it.
	HexString
)

var kindNames = [...]string{"NULL", "INT64", "UINT64", "FLOAT64", "DECIMAL", "VARCHAR", "VARBINARY", "HEXNUM", "HEXSTRING"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one SQL value as a vindex sees it. Raw holds what Vitess's
// sqltypes.Value.ToBytes would return: decimal text for numbers, decoded bytes
// for hex literals, nil for NULL.
type Value struct {
	Kind Kind
	Raw  []byte
}

func NewInt64(v int64) Value   { return Value{Int64, strconv.AppendInt(nil, v, 10)} }
func NewUint64(v uint64) Value { return Value{Uint64, strconv.AppendUint(nil, v, 10)} }

// NewCount is a LIMIT's row count or offset, typed INT64 where it fits so
// that it prints as the plain literal a LIMIT takes (AppendArgument writes a
// small UINT64 as a CAST).
func NewCount(n uint64) Value {
	if n <= math.MaxInt64 {
		return NewInt64(int64(n))
	}
	return NewUint64(n)
}
func NewVarChar(s string) Value   { return Value{VarChar, []byte(s)} }
func NewVarBinary(b []byte) Value { return Value{VarBinary, b} }

// IsNull reports whether v is SQL NULL.
func (v Value) IsNull() bool { return v.Kind == Null }

// Negate is -v for a number written without a sign (how a statement's -5
// reads: minus applied to 5), typed as MySQL types the literal: INT64 if it
// fits, else DECIMAL. ok is false for anything else.
func Negate(v Value) (Value, bool) {
	if len(v.Raw) == 0 || v.Raw[0] == '-' {
		return Value{}, false
	}
	raw := append([]byte{'-'}, v.Raw...)
	switch v.Kind {
	case Int64, Decimal, Float64:
		return Value{v.Kind, raw}, true
	case Uint64:
		if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return Value{Int64, raw}, true
		}
		return Value{Decimal, raw}, true
	}
	return Value{}, false
}

// String formats v as Vitess prints values in errors: INT64(6), VARCHAR("x"),
// NULL — the text of `could not map [INT64(6)] to a keyspace id`.
func (v Value) String() string {
	switch v.Kind {
	case Null:
		return "NULL"
	case VarChar, VarBinary:
		return v.Kind.String() + "(" + strconv.Quote(string(v.Raw)) + ")"
	case HexNum, HexString:
		return v.Kind.String() + "(0x" + hex.EncodeToString(v.Raw) + ")"
	default:
		return v.Kind.String() + "(" + string(v.Raw) + ")"
	}
}

// Destination is where a vindex maps one value.
type Destination interface{ isDestination() }

// DestinationKeyspaceID: exactly one keyspace id (unique vindexes).
type DestinationKeyspaceID KeyspaceID

// DestinationKeyspaceIDs: several keyspace ids (non-unique lookups).
type DestinationKeyspaceIDs []KeyspaceID

// DestinationKeyRange: every shard intersecting the range; the zero KeyRange
// means all shards (scatter), as write_only lookups return.
type DestinationKeyRange struct{ Range KeyRange }

// DestinationNone: the value maps to no keyspace id. A SELECT then matches no
// rows; an INSERT fails with "could not map … to a keyspace id".
type DestinationNone struct{}

func (DestinationKeyspaceID) isDestination()  {}
func (DestinationKeyspaceIDs) isDestination() {}
func (DestinationKeyRange) isDestination()    {}
func (DestinationNone) isDestination()        {}

// Vindex is what every vindex type has.
type Vindex interface {
	// String returns the vindex's name in the VSchema.
	String() string
	// Cost orders vindexes when a statement could route by several: lowest wins.
	Cost() int
	// IsUnique reports whether a value maps to at most one keyspace id.
	IsUnique() bool
	// NeedsQuerier reports whether Map/Verify reach the database (lookups).
	NeedsQuerier() bool
}

// SingleColumn maps the values of one column.
type SingleColumn interface {
	Vindex
	Map(ctx context.Context, q Querier, ids []Value) ([]Destination, error)
	Verify(ctx context.Context, q Querier, ids []Value, ksids []KeyspaceID) ([]bool, error)
}

// TextMapper is a lookup vindex's Map that also says, for each id, whether
// every lookup row it found holds the id's own text, and no other text can
// equal it (a number compared with a text column matches '0123' too). The
// lookup cache keeps only those: a row found under the column's collation
// ('FOO' finding foo's row) is forgotten under foo when its owner goes, not
// under every spelling.
type TextMapper interface {
	MapByText(ctx context.Context, q Querier, ids []Value) (dests []Destination, ownText []bool, err error)
}

// Hashing is the allocation-light path of functional vindexes: one value in,
// one keyspace id out. An error means the value maps to nothing.
type Hashing interface {
	Hash(id Value) (KeyspaceID, error)
}

// ForText reports whether vdx is made for text or byte columns
// (unicode_loose_md5, unicode_loose_xxhash, binary, binary_md5): MySQL
// compares such a column with a number as numbers, not as the text the
// vindex hashes.
func ForText(vdx Vindex) bool {
	switch vdx.(type) {
	case *UnicodeLooseMD5, *UnicodeLooseXXHash, *Binary, *BinaryMD5:
		return true
	}
	return false
}

// Reversible vindexes compute the column value back from a keyspace id; the
// INSERT planner uses it to fill keyspace_id / customer_id columns.
type Reversible interface {
	SingleColumn
	ReverseMap(ksids []KeyspaceID) ([]Value, error)
}

// Lookup vindexes keep a table from column value(s) to keyspace id. Rows are
// the from-column values of each owner row, in `from` order.
type Lookup interface {
	SingleColumn
	Create(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, ignoreMode bool) error
	// Delete removes the lookup rows of rows, row i pointing at ksids[i], in
	// one statement.
	Delete(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID) error
	// Update moves the lookup rows of owners whose values change: row i from
	// oldValues[i] to newValues[i], pointing at ksids[i]. All the rows of one
	// UPDATE come in one call, so a unique vindex refuses two owners given
	// equal values as one MySQL table would.
	Update(ctx context.Context, q Querier, oldValues [][]Value, ksids []KeyspaceID, newValues [][]Value) error
	// Owner is the owning table's name as the VSchema gives it ("" if unowned).
	Owner() string
	// FromColumns are the lookup table's from columns.
	FromColumns() []string
}

// WantsOwnerInfo is implemented by consistent lookups: the duplicate protocol
// checks the owner table for the row holding a value.
type WantsOwnerInfo interface {
	SetOwnerInfo(keyspace, table string, columns []string) error
}

// CommitOrder says which of the session's transaction lists a nested statement
// joins: consistent lookups write in Pre (commits first) and delete in Post
// (commits last); Autocommit runs outside the user's transaction.
type CommitOrder uint8

const (
	CommitNormal CommitOrder = iota
	CommitPre
	CommitPost
	CommitAutocommit
)

// Result is what a nested statement returns to a vindex.
type Result struct {
	Rows         [][]Value
	RowsAffected uint64
}

// Querier runs the statements lookup vindexes need. The executor implements it
// on the caller's own session, so every internal query carries the caller's
// identity and transaction (the lesson of Vitess's "missing caller id" bug).
type Querier interface {
	// Execute plans and runs sql as if the client had sent it, routing by the
	// lookup table's own vindexes; shard transactions it opens join order.
	Execute(ctx context.Context, sql string, order CommitOrder) (*Result, error)
	// ExecuteKeyspaceID runs sql on the shard of keyspace that holds ksid.
	ExecuteKeyspaceID(ctx context.Context, keyspace string, ksid KeyspaceID, sql string, order CommitOrder) (*Result, error)
	// InTransactionAndIsDML reports whether lookup reads must take row locks.
	InTransactionAndIsDML() bool
	// NoBackslashEscapes reports the session's sql_mode has
	// NO_BACKSLASH_ESCAPES: the statements' literals are written for it
	// (AppendLiteral).
	NoBackslashEscapes() bool
}

// TxnRows may be implemented by a Querier to remember, until its transaction
// ends, what the transaction's Pre and Post sessions did to lookup rows, by
// key (consistentBase.txnKey). Each session holds a row it wrote or deleted
// locked until it commits, and the other session would wait for that lock,
// one of the client's own transaction, until lock_wait_timeout. So:
//
//   - a row Pre wrote is deleted in Pre: both commit before the owner row's
//     deletion could fail to, and neither row then remains;
//   - a row Post deleted is written again in Post, for the same keyspace id
//     (the owner row deleted and written again, or its value changed and
//     changed back): should Post fail to commit after the owner rows did, the
//     row it deleted stays, which is the row the owner needs. For another
//     keyspace id no order of commits keeps every owner row's lookup row, and
//     a unique lookup refuses it at once rather than wait;
//   - a row Post wrote again is written again in Post too (the value is
//     taken: its duplicate is found there).
//
// A ROLLBACK TO or a failed statement undoes a session's change of a row but
// not its lock: the row stays that session's (TxnRow answers so, unchanged).
type TxnRows interface {
	NoteTxnRow(key string, r TxnRow)
	TxnRow(key string) (TxnRow, bool)
	// LocksOutlastStatement reports that the Pre and Post sessions keep
	// their locks past the statement (an explicit transaction): a later
	// statement's Pre insert may wait on the Post session's locks.
	LocksOutlastStatement() bool
}

// TxnRow is what a transaction did last to a lookup row (see TxnRows).
type TxnRow struct {
	Session    CommitOrder // CommitPre or CommitPost
	Deleted    bool        // Post deleted the row (else the session wrote it)
	KeyspaceID KeyspaceID  // where the row points (a unique lookup's key leaves it out)
}

// SQLError is implemented by errors that carry a MySQL error number, such as
// the backend errors the Querier returns.
type SQLError interface {
	error
	SQLErrorNumber() uint16
}

// ErrorNumber returns the MySQL error number carried by err, or 0.
func ErrorNumber(err error) uint16 {
	var se SQLError
	if errors.As(err, &se) {
		return se.SQLErrorNumber()
	}
	return 0
}
