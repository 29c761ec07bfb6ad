package vindex

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

func init() {
	Register("reverse_bits", func(name, _ string, p map[string]string) (Vindex, error) {
		return &ReverseBits{newFunctional(name, p)}, nil
	})
}

// ReverseBits is Vitess's "reverse_bits": the value as a uint64 with its bit
// order reversed, big-endian (1 → 8000000000000000), which spreads
// sequential ids across shards. Reversible.
type ReverseBits struct{ functional }

func (*ReverseBits) Cost() int { return 1 }

func (*ReverseBits) Hash(id Value) (KeyspaceID, error) {
	return castUint64KeyspaceID(id, bits.Reverse64)
}

func (r *ReverseBits) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapCastUint64(ids, bits.Reverse64), nil
}

func (r *ReverseBits) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(r, ids, ksids, "")
}

// ReverseMap returns the UINT64 each keyspace id was computed from.
func (*ReverseBits) ReverseMap(ksids []KeyspaceID) ([]Value, error) {
	out := make([]Value, len(ksids))
	for i, ksid := range ksids {
		if len(ksid) != 8 {
			return nil, fmt.Errorf("invalid keyspace id: %s", hex.EncodeToString(ksid))
		}
		out[i] = NewUint64(bits.Reverse64(binary.BigEndian.Uint64(ksid)))
	}
	return out, nil
}
