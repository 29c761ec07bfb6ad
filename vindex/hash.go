package vindex

import (
	"context"
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

func init() {
	Register("hash", func(name, _ string, p map[string]string) (Vindex, error) {
		return &Hash{newFunctional(name, p)}, nil
	})
}

// Hash is Vitess's "hash" vindex: the value as a big-endian uint64 encrypted
// with single DES under the all-zero 8-byte key. Signed integers are taken as
// their two's complement (hash(-1) = 355550b2150e2451). The zero key is a DES
// weak key, so encrypting twice gives the input back: ReverseMap works.
type Hash struct{ functional }

// desBlock is safe for concurrent use: crypto/des ciphers hold only the
// expanded key schedule.
var desBlock cipher.Block

func init() {
	var err error
	desBlock, err = des.NewCipher(make([]byte, des.BlockSize))
	if err != nil {
		panic(err)
	}
}

func (*Hash) Cost() int { return 1 }

// Hash returns the keyspace id of one value; the only allocation is the
// returned 8 bytes.
func (*Hash) Hash(id Value) (KeyspaceID, error) {
	var n uint64
	if id.Kind == Int64 {
		v, err := parseInt64(id.Raw)
		if err != nil {
			return nil, err
		}
		n = uint64(v)
	} else {
		v, err := toCastUint64(id)
		if err != nil {
			return nil, err
		}
		n = v
	}
	return vhash(make(KeyspaceID, 8), n), nil
}

// vhash writes DES(n) into dst (8 bytes) and returns it. Encrypting in place
// keeps the input block off the heap.
func vhash(dst KeyspaceID, n uint64) KeyspaceID {
	binary.BigEndian.PutUint64(dst, n)
	desBlock.Encrypt(dst, dst)
	return dst
}

// vunhash is the inverse of vhash.
func vunhash(ksid KeyspaceID) (uint64, error) {
	if len(ksid) != 8 {
		return 0, fmt.Errorf("invalid keyspace id: %s", hex.EncodeToString(ksid))
	}
	var b [8]byte
	desBlock.Decrypt(b[:], ksid)
	return binary.BigEndian.Uint64(b[:]), nil
}

// Map maps unparsable values (NULL, "aa", 1.5) to DestinationNone.
func (h *Hash) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	out := make([]Destination, len(ids))
	buf := newKsidBuffer(len(ids), 8)
	for i, id := range ids {
		var n uint64
		var err error
		if id.Kind == Int64 {
			var v int64
			v, err = parseInt64(id.Raw)
			n = uint64(v)
		} else {
			n, err = toCastUint64(id)
		}
		if err != nil {
			out[i] = DestinationNone{}
			continue
		}
		out[i] = DestinationKeyspaceID(vhash(buf.next(), n))
	}
	return out, nil
}

// Verify, unlike Map, parses every value as unsigned (Vitess's ToCastUint64),
// so a negative value is an error rather than a match.
func (h *Hash) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	if err := checkVerifyArgs(ids, ksids); err != nil {
		return nil, err
	}
	out := make([]bool, len(ids))
	var b [8]byte
	for i, id := range ids {
		n, err := toCastUint64(id)
		if err != nil {
			return nil, err
		}
		out[i] = string(vhash(b[:], n)) == string(ksids[i])
	}
	return out, nil
}

// ReverseMap returns the UINT64 each keyspace id was computed from.
func (*Hash) ReverseMap(ksids []KeyspaceID) ([]Value, error) {
	out := make([]Value, len(ksids))
	for i, ksid := range ksids {
		n, err := vunhash(ksid)
		if err != nil {
			return nil, err
		}
		out[i] = NewUint64(n)
	}
	return out, nil
}
