package vindex

import (
	"context"
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

func init() {
	Register("xxhash", func(name, _ string, p map[string]string) (Vindex, error) {
		return &XXHash{newFunctional(name, p)}, nil
	})
}

// XXHash is Vitess's "xxhash" vindex: XXH64 (seed 0) of the value's bytes
// (decimal text for integers, so INT64 1 and VARCHAR '1' collide; NULL hashes
// the empty string), written little-endian. It is not reversible.
type XXHash struct{ functional }

func (*XXHash) Cost() int { return 1 }

// Hash never fails; the only allocation is the returned 8 bytes.
func (*XXHash) Hash(id Value) (KeyspaceID, error) {
	ksid := make(KeyspaceID, 8)
	binary.LittleEndian.PutUint64(ksid, xxhash.Sum64(id.Raw))
	return ksid, nil
}

func (*XXHash) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	out := make([]Destination, len(ids))
	buf := newKsidBuffer(len(ids), 8)
	for i, id := range ids {
		ksid := buf.next()
		binary.LittleEndian.PutUint64(ksid, xxhash.Sum64(id.Raw))
		out[i] = DestinationKeyspaceID(ksid)
	}
	return out, nil
}

func (x *XXHash) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(x, ids, ksids, "XXHash.Verify")
}
