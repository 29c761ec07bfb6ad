package vindex

import (
	"context"
	"errors"
)

func init() {
	Register("binary", func(name, _ string, p map[string]string) (Vindex, error) {
		return &Binary{newFunctional(name, p)}, nil
	})
}

// Binary is Vitess's "binary" vindex: the keyspace id is the value's bytes
// verbatim (any length; NULL gives the empty id). Cost 0, reversible.
type Binary struct{ functional }

func (*Binary) Cost() int { return 0 }

// Hash copies the value's bytes, so the keyspace id never aliases a packet
// buffer the value may point into.
func (*Binary) Hash(id Value) (KeyspaceID, error) {
	return KeyspaceID(append(make([]byte, 0, len(id.Raw)), id.Raw...)), nil
}

func (b *Binary) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapOrError(b, ids, "Binary.Map")
}

func (b *Binary) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(b, ids, ksids, "Binary.Verify")
}

// ReverseMap returns each keyspace id as a VARBINARY value.
func (*Binary) ReverseMap(ksids []KeyspaceID) ([]Value, error) {
	out := make([]Value, len(ksids))
	for i, ksid := range ksids {
		if ksid == nil {
			return nil, errors.New("Binary.ReverseMap: keyspaceId is nil")
		}
		out[i] = NewVarBinary(ksid)
	}
	return out, nil
}
