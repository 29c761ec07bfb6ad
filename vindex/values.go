package vindex

import (
	"errors"
	"fmt"
	"math"
)

// errOverflow is wrapped by the integer parsers on overflow.
var errOverflow = errors.New("overflow")

// isBlank is fastparse's notion of skippable space: blank and TAB only.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// toCastUint64 is Vitess's Value.ToCastUint64: the raw text parsed as a
// base-10 uint64 whatever the value's type (so INT64 -1 fails), with
// fastparse's errors. It does not allocate unless it fails.
func toCastUint64(v Value) (uint64, error) {
	if v.Kind == HexNum {
		n, ok := hexUint64(v.Raw)
		if !ok {
			return 0, fmt.Errorf("cannot parse uint64 from 0x%x: %w", v.Raw, errOverflow)
		}
		return n, nil
	}
	return parseUint64(v.Raw)
}

// hexUint64 is the number a 0x… literal's bytes are; ok false beyond 64
// bits.
func hexUint64(b []byte) (n uint64, ok bool) {
	if len(b) > 8 {
		return 0, false
	}
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, true
}

// HexAsNumber is a HexNum as the BIGINT UNSIGNED MySQL reads it as where a
// number is wanted; ok false beyond 64 bits.
func HexAsNumber(v Value) (Value, bool) {
	n, ok := hexUint64(v.Raw)
	return NewUint64(n), ok
}

// parseUint64 parses base-10 text, skipping leading and trailing blanks and
// TABs, with the error texts of Vitess's fastparse.ParseUint64.
func parseUint64(s []byte) (uint64, error) {
	if len(s) == 0 {
		return 0, errors.New("cannot parse uint64 from empty string")
	}
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	start := i
	var d uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		if d > math.MaxUint64/10 {
			return math.MaxUint64, fmt.Errorf("cannot parse uint64 from %q: %w", s, errOverflow)
		}
		d *= 10
		if d > math.MaxUint64-uint64(c-'0') {
			return math.MaxUint64, fmt.Errorf("cannot parse uint64 from %q: %w", s, errOverflow)
		}
		d += uint64(c - '0')
	}
	if i == start {
		return 0, fmt.Errorf("cannot parse uint64 from %q", s)
	}
	tail := i
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	if i < len(s) {
		return d, fmt.Errorf("unparsed tail left after parsing uint64 from %q: %q", s, s[tail:])
	}
	return d, nil
}

// parseInt64 parses base-10 signed text like fastparse.ParseInt64.
func parseInt64(s []byte) (int64, error) {
	if len(s) == 0 {
		return 0, errors.New("cannot parse int64 from empty string")
	}
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var d uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		if d > (1<<63)/10+1 {
			return 0, fmt.Errorf("cannot parse int64 from %q: %w", s, errOverflow)
		}
		d = d*10 + uint64(c-'0')
		if d > 1<<63 {
			return 0, fmt.Errorf("cannot parse int64 from %q: %w", s, errOverflow)
		}
	}
	if i == start {
		return 0, fmt.Errorf("cannot parse int64 from %q", s)
	}
	tail := i
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	if i < len(s) {
		return 0, fmt.Errorf("unparsed tail left after parsing int64 from %q: %q", s, s[tail:])
	}
	if neg {
		return -int64(d), nil // -(1<<63) wraps to MinInt64, as wanted
	}
	if d > math.MaxInt64 {
		return 0, fmt.Errorf("cannot parse int64 from %q: %w", s, errOverflow)
	}
	return int64(d), nil
}

// isIntegral reports whether v is an integer value (the values Vitess always
// batches in lookup queries).
func (v Value) isIntegral() bool { return v.Kind == Int64 || v.Kind == Uint64 }

// checkVerifyArgs is the common length check of Verify.
func checkVerifyArgs(ids []Value, ksids []KeyspaceID) error {
	if len(ids) != len(ksids) {
		return fmt.Errorf("vindex Verify: %d values but %d keyspace ids", len(ids), len(ksids))
	}
	return nil
}

// ksidBuffer hands out fixed-size keyspace ids carved from one allocation,
// so Map over n values allocates the ids once instead of n times. Each id is
// capped, so appending to one never overwrites the next.
type ksidBuffer struct {
	buf  []byte
	size int
}

func newKsidBuffer(n, size int) ksidBuffer {
	return ksidBuffer{buf: make([]byte, n*size), size: size}
}

func (b *ksidBuffer) next() KeyspaceID {
	id := b.buf[:b.size:b.size]
	b.buf = b.buf[b.size:]
	return KeyspaceID(id)
}
