package vindex

import (
	"bytes"
	"encoding/binary"
)

// functional is embedded by the vindexes that compute keyspace ids from the
// value alone: named, unique, never reaching the database.
type functional struct {
	name string
	unknownParams
}

func (f *functional) String() string     { return f.name }
func (f *functional) IsUnique() bool     { return true }
func (f *functional) NeedsQuerier() bool { return false }
func newFunctional(name string, p map[string]string) functional {
	return functional{name: name, unknownParams: newParams(p).unknown()}
}

// castUint64KeyspaceID is Hash for the vindexes whose keyspace id is f of the
// value cast to uint64, big-endian (numeric, reverse_bits).
func castUint64KeyspaceID(id Value, f func(uint64) uint64) (KeyspaceID, error) {
	n, err := toCastUint64(id)
	if err != nil {
		return nil, err
	}
	ksid := make(KeyspaceID, 8)
	binary.BigEndian.PutUint64(ksid, f(n))
	return ksid, nil
}

// mapCastUint64 is Map for those vindexes: a value that cannot be cast maps to
// DestinationNone. The keyspace ids share one allocation.
func mapCastUint64(ids []Value, f func(uint64) uint64) []Destination {
	out := make([]Destination, len(ids))
	buf := newKsidBuffer(len(ids), 8)
	for i, id := range ids {
		n, err := toCastUint64(id)
		if err != nil {
			out[i] = DestinationNone{}
			continue
		}
		ksid := buf.next()
		binary.BigEndian.PutUint64(ksid, f(n))
		out[i] = DestinationKeyspaceID(ksid)
	}
	return out
}

// mapOrNone is Map for vindexes whose unmappable values give
// DestinationNone (numeric_static_map).
func mapOrNone(h Hashing, ids []Value) []Destination {
	out := make([]Destination, len(ids))
	for i, id := range ids {
		ksid, err := h.Hash(id)
		if err != nil {
			out[i] = DestinationNone{}
			continue
		}
		out[i] = DestinationKeyspaceID(ksid)
	}
	return out
}

// mapOrError is Map for vindexes whose unmappable values are errors
// (xxhash, unicode_loose_*, binary, binary_md5); prefix names the vindex
// type as Vitess does ("UnicodeLooseMD5.Map").
func mapOrError(h Hashing, ids []Value, prefix string) ([]Destination, error) {
	out := make([]Destination, len(ids))
	for i, id := range ids {
		ksid, err := h.Hash(id)
		if err != nil {
			return nil, wrapf(prefix, err)
		}
		out[i] = DestinationKeyspaceID(ksid)
	}
	return out, nil
}

// verifyByHash is Verify for functional vindexes: a value verifies if it
// hashes to the given keyspace id; a value that cannot be hashed is an error.
func verifyByHash(h Hashing, ids []Value, ksids []KeyspaceID, prefix string) ([]bool, error) {
	if err := checkVerifyArgs(ids, ksids); err != nil {
		return nil, err
	}
	out := make([]bool, len(ids))
	for i, id := range ids {
		ksid, err := h.Hash(id)
		if err != nil {
			return nil, wrapf(prefix, err)
		}
		out[i] = bytes.Equal(ksid, ksids[i])
	}
	return out, nil
}

// wrapf prefixes err with "prefix: " (keeping it for errors.Is/As) unless
// prefix is empty.
func wrapf(prefix string, err error) error {
	if prefix == "" {
		return err
	}
	return &prefixedError{prefix: prefix, err: err}
}

type prefixedError struct {
	prefix string
	err    error
}

func (e *prefixedError) Error() string { return e.prefix + ": " + e.err.Error() }
func (e *prefixedError) Unwrap() error { return e.err }

// compile-time capability checks for the functional vindexes.
var (
	_ Reversible = (*Hash)(nil)
	_ Reversible = (*Numeric)(nil)
	_ Reversible = (*Binary)(nil)
	_ Reversible = (*ReverseBits)(nil)
	_ Hashing    = (*Hash)(nil)
	_ Hashing    = (*XXHash)(nil)
	_ Hashing    = (*UnicodeLooseMD5)(nil)
	_ Hashing    = (*UnicodeLooseXXHash)(nil)
	_ Hashing    = (*Binary)(nil)
	_ Hashing    = (*BinaryMD5)(nil)
	_ Hashing    = (*Numeric)(nil)
	_ Hashing    = (*NumericStaticMap)(nil)
	_ Hashing    = (*ReverseBits)(nil)
	_ Hashing    = (*NullVindex)(nil)
)
