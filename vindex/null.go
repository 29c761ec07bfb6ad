package vindex

import (
	"bytes"
	"context"
)

func init() {
	Register("null", func(name, _ string, p map[string]string) (Vindex, error) {
		return &NullVindex{newFunctional(name, p)}, nil
	})
}

// nullKsid is the one keyspace id of the null vindex; it normalizes to the
// empty id, so it lands in the first shard.
var nullKsid = KeyspaceID{0}

// NullVindex is Vitess's "null" vindex: every value, NULL included, maps to the
// keyspace id 00. Cost 100, so the planner uses it only as a last resort.
type NullVindex struct{ functional }

func (*NullVindex) Cost() int { return 100 }

func (*NullVindex) Hash(Value) (KeyspaceID, error) { return KeyspaceID{0}, nil }

func (*NullVindex) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	out := make([]Destination, len(ids))
	for i := range ids {
		out[i] = DestinationKeyspaceID(nullKsid)
	}
	return out, nil
}

func (*NullVindex) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	if err := checkVerifyArgs(ids, ksids); err != nil {
		return nil, err
	}
	out := make([]bool, len(ids))
	for i := range ids {
		out[i] = bytes.Equal(ksids[i], nullKsid)
	}
	return out, nil
}
