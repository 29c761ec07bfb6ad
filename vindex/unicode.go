package vindex

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The unicode_loose_* vindexes hash the primary-level UCA collation key of a
// string: case, accents and width are ignored ("Test", "TEST", "Tést" and
// "Te\u0301st" are one value), trailing blanks (0x20 only) are trimmed, as
// MySQL's PAD SPACE comparison does. x/text's collate with language.English
// and collate.Loose produces exactly the keys of Vitess's vendored copy.

// pooledCollator pairs a collator with its key buffer. Neither is safe for
// concurrent use, hence the pool.
type pooledCollator struct {
	col *collate.Collator
	buf collate.Buffer
}

var collatorPool = sync.Pool{New: func() any {
	return &pooledCollator{col: collate.New(language.English, collate.Loose)}
}}

// looseKey returns the collation key of in, which lives in the pooled
// collator's buffer: hash it, then release the collator.
func looseKey(in []byte) (*pooledCollator, []byte, error) {
	if !utf8.Valid(in) {
		return nil, nil, fmt.Errorf("cannot normalize string containing invalid UTF-8: %q", in)
	}
	in = bytes.TrimRight(in, " ")
	pc := collatorPool.Get().(*pooledCollator)
	return pc, pc.col.Key(&pc.buf, in), nil
}

func release(pc *pooledCollator) {
	pc.buf.Reset()
	collatorPool.Put(pc)
}

// unicodeLooseMD5 is the 16-byte keyspace id of unicode_loose_md5.
func unicodeLooseMD5(in []byte) (KeyspaceID, error) {
	pc, key, err := looseKey(in)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(key)
	release(pc)
	return KeyspaceID(append(make([]byte, 0, md5.Size), sum[:]...)), nil
}

// unicodeLooseXXHash is the 8-byte keyspace id of unicode_loose_xxhash
// (little-endian, despite Vitess's type name XXHashBigEndian).
func unicodeLooseXXHash(in []byte) (KeyspaceID, error) {
	pc, key, err := looseKey(in)
	if err != nil {
		return nil, err
	}
	sum := xxhash.Sum64(key)
	release(pc)
	ksid := make(KeyspaceID, 8)
	binary.LittleEndian.PutUint64(ksid, sum)
	return ksid, nil
}
