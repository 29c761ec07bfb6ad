package vindex

func init() {
	Register("lookup_hash", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{hashed: true, autocommitParams: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &LookupHash{lookupBase{c}}, nil
	})
	Register("lookup_hash_unique", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{unique: true, hashed: true, autocommitParams: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &LookupHashUnique{lookupBase{c}}, nil
	})
}

// LookupHash is Vitess's "lookup_hash": a non-unique lookup whose `to`
// column stores not the keyspace id but the uint64 whose hash-vindex image
// it is (so keyspace ids must be 8 bytes, as hash's are); Map hashes the
// stored number back into the keyspace id.
type LookupHash struct{ lookupBase }

// LookupHashUnique is the unique form of LookupHash.
type LookupHashUnique struct{ lookupBase }

var (
	_ Lookup = (*LookupHash)(nil)
	_ Lookup = (*LookupHashUnique)(nil)
)
