package vindex

import "context"

func init() {
	Register("lookup", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{autocommitParams: true, noVerifyParam: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &LookupNonUnique{lookupBase{c}}, nil
	})
	Register("lookup_unique", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{unique: true, autocommitParams: true, noVerifyParam: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &LookupUnique{lookupBase{c}}, nil
	})
}

// LookupNonUnique is Vitess's "lookup": a value may map to several keyspace
// ids (DestinationKeyspaceIDs). The `to` column holds the keyspace id bytes.
// Reads and writes join the user's transaction (CommitNormal), or run in
// autocommit with autocommit=true.
type LookupNonUnique struct{ lookupBase }

// LookupUnique is Vitess's "lookup_unique": at most one keyspace id per
// value; a second row for a value is an error at Map.
type LookupUnique struct{ lookupBase }

// lookupBase implements Lookup for the non-consistent lookup types.
type lookupBase struct{ *lookupCore }

// Create inserts one lookup row per owner row, in one statement:
// insert [ignore] into t(from…, to) values (…), (…) — sorted like Vitess;
// autocommit non-unique lookups upsert. ignoreMode is INSERT IGNORE / ON
// DUPLICATE KEY UPDATE of the owner statement.
func (l lookupBase) Create(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, ignoreMode bool) error {
	return l.create(ctx, q, rows, ksids, ignoreMode)
}

// Delete removes the lookup rows of rows → ksids; a no-op with autocommit
// (an autocommitted delete could not be rolled back with the owner row).
func (l lookupBase) Delete(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID) error {
	if l.autocommit {
		return nil
	}
	return l.delete(ctx, q, rows, ksids, CommitNormal)
}

// Update is Delete of the old values then Create of the new ones.
func (l lookupBase) Update(ctx context.Context, q Querier, oldValues [][]Value, ksids []KeyspaceID, newValues [][]Value) error {
	if err := l.Delete(ctx, q, oldValues, ksids); err != nil {
		return err
	}
	return l.create(ctx, q, newValues, ksids, false)
}

var (
	_ Lookup          = (*LookupNonUnique)(nil)
	_ Lookup          = (*LookupUnique)(nil)
	_ ParamValidating = (*LookupUnique)(nil)
)
