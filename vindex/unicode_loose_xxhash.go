package vindex

import "context"

func init() {
	Register("unicode_loose_xxhash", func(name, _ string, p map[string]string) (Vindex, error) {
		return &UnicodeLooseXXHash{newFunctional(name, p)}, nil
	})
}

// UnicodeLooseXXHash is Vitess's "unicode_loose_xxhash": XXH64 of the
// primary-level collation key (see unicode.go) written little-endian, an
// 8-byte keyspace id. Invalid UTF-8 is an error. Not reversible.
type UnicodeLooseXXHash struct{ functional }

func (*UnicodeLooseXXHash) Cost() int { return 1 }

func (*UnicodeLooseXXHash) Hash(id Value) (KeyspaceID, error) { return unicodeLooseXXHash(id.Raw) }

func (u *UnicodeLooseXXHash) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapOrError(u, ids, "UnicodeLooseXXHash.Map")
}

func (u *UnicodeLooseXXHash) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(u, ids, ksids, "UnicodeLooseXXHash.Verify")
}
