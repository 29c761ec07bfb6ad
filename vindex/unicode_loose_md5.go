package vindex

import "context"

func init() {
	Register("unicode_loose_md5", func(name, _ string, p map[string]string) (Vindex, error) {
		return &UnicodeLooseMD5{newFunctional(name, p)}, nil
	})
}

// UnicodeLooseMD5 is Vitess's "unicode_loose_md5": MD5 of the primary-level
// collation key (see unicode.go), a 16-byte keyspace id. Invalid UTF-8 is an
// error. Not reversible.
type UnicodeLooseMD5 struct{ functional }

func (*UnicodeLooseMD5) Cost() int { return 1 }

func (*UnicodeLooseMD5) Hash(id Value) (KeyspaceID, error) { return unicodeLooseMD5(id.Raw) }

func (u *UnicodeLooseMD5) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapOrError(u, ids, "UnicodeLooseMD5.Map")
}

func (u *UnicodeLooseMD5) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(u, ids, ksids, "UnicodeLooseMD5.Verify")
}
