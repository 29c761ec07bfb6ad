package conf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"sidecar/vindex"
)

// Topology is the resolved, validated VSchema of every keyspace with its
// shards. It is immutable once Load returns it: the server swaps a whole new
// Topology on reload and never changes one in place, so readers need no lock.
type Topology struct {
	Keyspaces map[string]*Keyspace
	Names     []string // keyspace names, sorted

	global map[string][]*Table // unqualified table name → tables of that name (routable keyspaces only)
}

// Errors of FindTable; match them with errors.Is.
var (
	ErrKeyspaceNotFound = errors.New("keyspace not found")
	ErrTableNotFound    = errors.New("table not found")
	ErrAmbiguousTable   = errors.New("ambiguous table reference")
)

// FindTable resolves a table the way vtgate does. With a keyspace, the table
// must be in its VSchema, except in an unsharded keyspace, where any name is
// fine (everything goes to its one shard) and a Table is synthesized. Without
// a keyspace the name must belong to exactly one keyspace (keyspaces with
// require_explicit_routing don't count); if the topology has a single,
// unsharded keyspace, any name resolves to it. Table names are case-sensitive,
// like MySQL's on Linux.
func (t *Topology) FindTable(keyspace, table string) (*Table, error) {
	if keyspace != "" {
		ks, ok := t.Keyspaces[keyspace]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrKeyspaceNotFound, keyspace)
		}
		return ks.FindTable(table)
	}
	switch found := t.global[table]; len(found) {
	case 1:
		return found[0], nil
	case 0:
		if len(t.Names) == 1 {
			if ks := t.Keyspaces[t.Names[0]]; !ks.Sharded {
				return ks.FindTable(table)
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrTableNotFound, table)
	default:
		names := make([]string, len(found))
		for i, tb := range found {
			names[i] = tb.Keyspace.Name
		}
		return nil, fmt.Errorf("%w: %s is in keyspaces %s; qualify it", ErrAmbiguousTable, table, strings.Join(names, ", "))
	}
}

// Keyspace is one logical database: its shards, vindexes and tables.
type Keyspace struct {
	Name    string
	Sharded bool
	// RequireExplicitRouting keeps this keyspace's tables out of unqualified
	// name resolution (Vitess's require_explicit_routing).
	RequireExplicitRouting bool
	// Shards cover the keyspace id space exactly once, sorted by key range
	// start. An unsharded keyspace has exactly one.
	Shards   []*Shard
	Vindexes map[string]vindex.Vindex // by vindex name
	Tables   map[string]*Table        // by table name, as spelled in the VSchema
	// VSchema is the document the keyspace was built from (empty if none);
	// VSchemaFile is where it came from ("" when inline or absent).
	VSchema     *VSchema
	VSchemaFile string
}

// FindTable returns the table of this keyspace; see Topology.FindTable.
func (ks *Keyspace) FindTable(name string) (*Table, error) {
	if t, ok := ks.Tables[name]; ok {
		return t, nil
	}
	if !ks.Sharded {
		return &Table{Keyspace: ks, Name: name, Synthesized: true}, nil
	}
	return nil, fmt.Errorf("%w: %s in keyspace %s", ErrTableNotFound, name, ks.Name)
}

// ShardFor returns the shard whose key range holds ksid. The shards are
// sorted and cover the whole space, so the first shard whose end lies above
// ksid is the one; comparisons go through vindex.KeyRange.Contains so keyspace
// ids compare exactly as Vitess compares them (trailing zero bytes ignored).
func (ks *Keyspace) ShardFor(ksid vindex.KeyspaceID) *Shard {
	if i := ks.shardIndex(ksid); i >= 0 {
		return ks.Shards[i]
	}
	return nil
}

// OnlyShardFor is the list of the one shard ShardFor returns, a piece of
// Shards (its capacity ends with it: appending copies).
func (ks *Keyspace) OnlyShardFor(ksid vindex.KeyspaceID) []*Shard {
	i := ks.shardIndex(ksid)
	if i < 0 {
		return nil
	}
	return ks.Shards[i : i+1 : i+1]
}

func (ks *Keyspace) shardIndex(ksid vindex.KeyspaceID) int {
	if len(ks.Shards) == 1 {
		return 0
	}
	i := sort.Search(len(ks.Shards), func(i int) bool {
		end := ks.Shards[i].Range.End
		// ksid < end  ⇔  ksid is not in [end, ∞)
		return len(end) == 0 || !(vindex.KeyRange{Start: end}).Contains(ksid)
	})
	if i == len(ks.Shards) {
		return -1 // unreachable when Load validated coverage
	}
	return i
}

// Shard is one backend database holding a key range of a keyspace.
type Shard struct {
	Keyspace string
	Name     string          // as written in the config: -80, 80-, 0
	Range    vindex.KeyRange // the zero KeyRange covers everything
	Address  string          // host:port (or a unix socket path)
	Database string
	User     string
	Password string
	PoolSize int
	// Hostgroup is the ProxySQL hostgroup, when HasHostgroup.
	Hostgroup      int
	HasHostgroup   bool
	ConnectTimeout time.Duration
	// LockWaitTimeout is the innodb_lock_wait_timeout of the sidecar's
	// connections to the shard; 0 leaves the server's default.
	LockWaitTimeout time.Duration
	// TLS of the sidecar's connections to the shard; nil: plain TCP.
	TLS *tls.Config
}

// Table types.
const (
	TypeTable     = ""
	TypeSequence  = "sequence"
	TypeReference = "reference"
)

// Table is a table of the VSchema with its vindexes resolved.
type Table struct {
	Keyspace *Keyspace
	Name     string
	Type     string // TypeTable, TypeSequence or TypeReference
	// ColumnVindexes: index 0 is the primary vindex, which computes the
	// keyspace id of a row. Empty for unsharded keyspaces, reference,
	// sequence and pinned tables.
	ColumnVindexes []*ColumnVindex
	// Owned are the lookup vindexes this table writes, in column-vindex order.
	Owned         []*ColumnVindex
	AutoIncrement *AutoIncrement
	// Pinned is the keyspace id every row of a pinned table lives at.
	Pinned vindex.KeyspaceID
	// Columns declared in the VSchema (original spelling) but the invisible
	// ones, and whether that list is the table's whole column list (an
	// INSERT without a column list then names them).
	Columns                 []string
	ColumnListAuthoritative bool
	// Synthesized tables are not in the VSchema: names of an unsharded
	// keyspace resolved by FindTable.
	Synthesized bool
}

// Primary returns the primary vindex, or nil if the table has none.
func (t *Table) Primary() *ColumnVindex {
	if len(t.ColumnVindexes) == 0 {
		return nil
	}
	return t.ColumnVindexes[0]
}

// VindexesOn returns the column vindexes that use column (compared
// case-insensitively, like MySQL column names), in column-vindex order.
func (t *Table) VindexesOn(column string) []*ColumnVindex {
	var out []*ColumnVindex
	for _, cv := range t.ColumnVindexes {
		if cv.ColumnIndex(column) >= 0 {
			out = append(out, cv)
		}
	}
	return out
}

// String is keyspace.table.
func (t *Table) String() string { return t.Keyspace.Name + "." + t.Name }

// ColumnVindex is a vindex applied to columns of a table.
type ColumnVindex struct {
	Columns []string // original spelling
	Name    string   // vindex name in the keyspace
	Type    string   // vindex type
	Vindex  vindex.Vindex
	// Owned: the vindex is a lookup whose owner is this table, so inserts and
	// deletes of the table maintain its rows.
	Owned bool

	keys []string // lower-cased Columns
}

// ColumnIndex returns the position of column among Columns (compared
// case-insensitively), or -1.
func (cv *ColumnVindex) ColumnIndex(column string) int {
	for i, k := range cv.keys {
		if k == column || strings.EqualFold(k, column) {
			return i
		}
	}
	return -1
}

// AutoIncrement fills Column from a sequence when an insert leaves it NULL/0.
type AutoIncrement struct {
	Column   string // original spelling; compare with strings.EqualFold
	Sequence *Table // a TypeSequence table of an unsharded keyspace
}
