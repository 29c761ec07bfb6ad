package vindex

// LookupTable is what a tool that reads and writes a lookup vindex's table
// itself needs to know (the backfill and consistency check of
// `sidecar lookup`): the executor goes through Map/Create/Delete instead.
// Every lookup type of this package implements it.
type LookupTable interface {
	Lookup
	// Table is the table param as configured, maybe keyspace-qualified.
	Table() string
	// ToColumn is the column holding the keyspace id (`to`).
	ToColumn() string
	// ToValue is what the `to` column stores for ksid: the keyspace id's
	// bytes, or for lookup_hash the number whose hash it is.
	ToValue(ksid KeyspaceID) (Value, error)
	// KeyspaceIDOf reads a `to` value back into a keyspace id; false if it
	// cannot be one.
	KeyspaceIDOf(to Value) (KeyspaceID, bool)
	// IgnoresNulls: owner rows with a NULL from value have no lookup row.
	IgnoresNulls() bool
}

func (c *lookupCore) ToColumn() string                         { return c.to }
func (c *lookupCore) ToValue(ksid KeyspaceID) (Value, error)   { return c.toValue(ksid) }
func (c *lookupCore) KeyspaceIDOf(to Value) (KeyspaceID, bool) { return c.ksidOf(to) }
func (c *lookupCore) IgnoresNulls() bool                       { return c.ignoreNulls }

var (
	_ LookupTable = (*LookupNonUnique)(nil)
	_ LookupTable = (*LookupUnique)(nil)
	_ LookupTable = (*LookupHash)(nil)
	_ LookupTable = (*LookupHashUnique)(nil)
	_ LookupTable = (*ConsistentLookup)(nil)
	_ LookupTable = (*ConsistentLookupUnique)(nil)
)
