package vindex

import (
	"context"
	"testing"
)

// benchInputs are typical values per vindex type.
var benchInputs = []struct {
	typ string
	in  Value
}{
	{"hash", NewInt64(123456789)},
	{"xxhash", NewInt64(123456789)},
	{"unicode_loose_md5", NewVarChar("Some User Name")},
	{"unicode_loose_xxhash", NewVarChar("Some User Name")},
	{"binary", NewVarBinary([]byte("0123456789abcdef"))},
	{"binary_md5", NewVarChar("some-user-name@example.com")},
	{"numeric", NewInt64(123456789)},
	{"numeric_static_map", NewInt64(123456789)},
	{"reverse_bits", NewInt64(123456789)},
	{"null", NewInt64(1)},
}

func benchVindex(b *testing.B, typ string) Vindex {
	params := map[string]string{}
	if typ == "numeric_static_map" {
		params["json"] = `{"1": 2, "3": 4}`
		params["fallback_type"] = "hash"
	}
	v, err := Create(typ, typ, params)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkHash is the per-value path (Hashing.Hash): one allocation, the
// returned keyspace id.
func BenchmarkHash(b *testing.B) {
	for _, bi := range benchInputs {
		h := benchVindex(b, bi.typ).(Hashing)
		b.Run(bi.typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Hash(bi.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMap maps 100 values per call; ns/op and allocs/op are per call.
func BenchmarkMap100(b *testing.B) {
	for _, bi := range benchInputs {
		v := benchVindex(b, bi.typ).(SingleColumn)
		ids := make([]Value, 100)
		for i := range ids {
			ids[i] = bi.in
		}
		b.Run(bi.typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Map(context.Background(), nil, ids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendLiteral(b *testing.B) {
	buf := make([]byte, 0, 256)
	v := NewVarChar("O'Reilly \\ some name")
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendLiteral(buf[:0], v, false)
	}
}

// BenchmarkLookupMapSQL measures building and matching one batched lookup
// (100 values) against a querier that answers instantly.
func BenchmarkLookupMap100(b *testing.B) {
	v, err := Create("lookup_unique", "l", map[string]string{"table": "t", "from": "f", "to": "k"})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]Value, 100)
	res := &Result{}
	for i := range ids {
		ids[i] = NewInt64(int64(i))
		ksid, _ := (&Hash{}).Hash(ids[i])
		res.Rows = append(res.Rows, []Value{ids[i], NewVarBinary(ksid)})
	}
	q := constQuerier{res}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.(SingleColumn).Map(context.Background(), q, ids); err != nil {
			b.Fatal(err)
		}
	}
}

type constQuerier struct{ res *Result }

func (c constQuerier) Execute(context.Context, string, CommitOrder) (*Result, error) {
	return c.res, nil
}
func (c constQuerier) ExecuteKeyspaceID(context.Context, string, KeyspaceID, string, CommitOrder) (*Result, error) {
	return c.res, nil
}
func (constQuerier) InTransactionAndIsDML() bool { return false }
func (constQuerier) NoBackslashEscapes() bool    { return false }
