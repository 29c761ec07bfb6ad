package vindex

import (
	"context"
	"encoding/binary"
	"fmt"
)

func init() {
	Register("numeric", func(name, _ string, p map[string]string) (Vindex, error) {
		return &Numeric{newFunctional(name, p)}, nil
	})
}

// Numeric is Vitess's "numeric" vindex: the keyspace id is the value as a
// big-endian uint64 (1 → 0000000000000001). Negative, fractional and
// non-numeric values map to nothing. Cost 0, reversible.
type Numeric struct{ functional }

func (*Numeric) Cost() int { return 0 }

func (*Numeric) Hash(id Value) (KeyspaceID, error) { return castUint64KeyspaceID(id, identity) }

func (v *Numeric) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapCastUint64(ids, identity), nil
}

func identity(n uint64) uint64 { return n }

func (v *Numeric) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(v, ids, ksids, "Numeric.Verify")
}

// ReverseMap returns the UINT64 of each 8-byte keyspace id.
func (*Numeric) ReverseMap(ksids []KeyspaceID) ([]Value, error) {
	out := make([]Value, len(ksids))
	for i, ksid := range ksids {
		if len(ksid) != 8 {
			return nil, fmt.Errorf("Numeric.ReverseMap: length of keyspaceId is not 8: %d", len(ksid))
		}
		out[i] = NewUint64(binary.BigEndian.Uint64(ksid))
	}
	return out, nil
}
