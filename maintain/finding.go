package maintain

import (
	"encoding/hex"
	"strconv"
	"strings"

	"sidecar/vindex"
)

// Kinds of findings.
const (
	KindWrong     = "wrong"     // a reversible column holds a value its row's keyspace id does not give
	KindMissing   = "missing"   // an owner row has no lookup row
	KindMismatch  = "mismatch"  // an owner row's lookup row holds another keyspace id
	KindOrphan    = "orphan"    // a lookup row no owner row holds
	KindConflict  = "conflict"  // a unique value held by owner rows with different keyspace ids
	KindUnmapped  = "unmapped"  // a row's primary vindex gives no keyspace id
	KindMisplaced = "misplaced" // a row lies on a shard its keyspace id is not in
	KindNull      = "null"      // an owner row with a NULL lookup value, which the vindex does not ignore
	KindFailed    = "failed"    // a row the shard refused to change
)

// Finding is one row a job reports: one line of output.
type Finding struct {
	Kind  string `json:"kind"`
	Shard string `json:"shard"`
	// Value is the lookup value (lookup jobs).
	Value string `json:"value,omitempty"`
	// KeyspaceID is the lookup row's keyspace id, OwnerKeyspaceID the owner
	// row's (the one the lookup row should hold); hex.
	KeyspaceID      string `json:"keyspace_id,omitempty"`
	OwnerKeyspaceID string `json:"owner_keyspace_id,omitempty"`
	// Key is the primary key of the row concerned: col=value,….
	Key string `json:"key,omitempty"`
	// Stored and Expected: a reversible column's value and the one its
	// row's keyspace id gives.
	Stored   string `json:"stored,omitempty"`
	Expected string `json:"expected,omitempty"`
	// Detail says what was done, or why nothing was.
	Detail string `json:"detail,omitempty"`
	// Problem: the data is left inconsistent (exit status 1).
	Problem bool `json:"problem"`
}

// String is the finding's output line: its kind, the lookup value, then
// name=value fields, then ": detail".
//
//	wrong pk=(corder_id=5,corder_event_id=2) stored=0x01 expected=0xD2FD8867D50D2DFE shard=80-
//	missing 7 keyspace_id=0x166B40B44ABA4BD6 pk=(corder_id=7) shard=-80: created
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Kind)
	if f.Value != "" {
		b.WriteString(" " + f.Value)
	}
	field := func(name, v string) {
		if v != "" {
			b.WriteString(" " + name + "=" + v)
		}
	}
	field("keyspace_id", f.KeyspaceID)
	field("owner_keyspace_id", f.OwnerKeyspaceID)
	if f.Key != "" {
		field("pk", "("+f.Key+")")
	}
	field("stored", f.Stored)
	field("expected", f.Expected)
	field("shard", f.Shard)
	if f.Detail != "" {
		b.WriteString(": " + f.Detail)
	}
	return b.String()
}

// showValue prints a value for a finding: binary strings in hex (0x…),
// numbers as they are, text as it is when it is one plain word and
// Go-quoted otherwise, so a line always splits into its fields.
func showValue(v vindex.Value) string {
	switch v.Kind {
	case vindex.Null:
		return "NULL"
	case vindex.VarBinary:
		return showKeyspaceID(v.Raw)
	case vindex.VarChar:
		s := string(v.Raw)
		if s == "" || strings.ContainsAny(s, " \t\r\n\"'`=,()\\") || s == "NULL" || !strconv.CanBackquote(s) {
			return strconv.Quote(s)
		}
		return s
	}
	return string(v.Raw)
}

// showValues prints a tuple of values, comma-separated.
func showValues(vals []vindex.Value) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = showValue(v)
	}
	return strings.Join(parts, ",")
}

// showKey prints a primary key as col=value,….
func showKey(cols []string, vals []vindex.Value) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + "=" + showValue(vals[i])
	}
	return strings.Join(parts, ",")
}

// showKeyspaceID prints a keyspace id as 0x and upper-case hex, as MySQL's
// hex() shows them.
func showKeyspaceID(ksid []byte) string {
	return "0x" + strings.ToUpper(hex.EncodeToString(ksid))
}
