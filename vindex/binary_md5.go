package vindex

import (
	"context"
	"crypto/md5"
)

func init() {
	Register("binary_md5", func(name, _ string, p map[string]string) (Vindex, error) {
		return &BinaryMD5{newFunctional(name, p)}, nil
	})
}

// BinaryMD5 is Vitess's "binary_md5": MD5 of the value's bytes, 16 bytes
// (NULL → md5("")). Case-sensitive, unlike unicode_loose_md5. Not reversible.
type BinaryMD5 struct{ functional }

func (*BinaryMD5) Cost() int { return 1 }

func (*BinaryMD5) Hash(id Value) (KeyspaceID, error) {
	sum := md5.Sum(id.Raw)
	return KeyspaceID(append(make([]byte, 0, md5.Size), sum[:]...)), nil
}

func (b *BinaryMD5) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapOrError(b, ids, "BinaryMD5.Map")
}

func (b *BinaryMD5) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(b, ids, ksids, "BinaryMD5.Verify")
}
