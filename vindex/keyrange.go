package vindex

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// KeyRange is the half-open interval [Start, End) of keyspace ids a shard
// holds. A nil (or empty) Start means -inf, a nil End +inf, so the zero value
// is the whole range (the single shard of an unsharded keyspace, or the
// scatter destination of write_only lookups).
//
// Keyspace ids compare after trailing zero bytes are stripped (Vitess's
// key.Normalize): 80 == 8000 == 800000…, and a shorter id sorts before a
// longer one it prefixes.
type KeyRange struct {
	Start, End []byte
}

// normalize strips trailing 0x00 bytes; it returns a sub-slice, never
// allocates.
func normalize(id []byte) []byte {
	n := len(id)
	for n > 0 && id[n-1] == 0 {
		n--
	}
	return id[:n]
}

// compareIDs compares two keyspace ids (or range bounds) the Vitess way.
func compareIDs(a, b []byte) int {
	return bytes.Compare(normalize(a), normalize(b))
}

// IsComplete reports whether kr is the whole keyspace.
func (kr KeyRange) IsComplete() bool {
	return len(normalize(kr.Start)) == 0 && len(kr.End) == 0
}

// Contains reports whether id lies in kr: Start inclusive, End exclusive.
func (kr KeyRange) Contains(id KeyspaceID) bool {
	n := normalize(id)
	if len(kr.Start) > 0 && bytes.Compare(n, normalize(kr.Start)) < 0 {
		return false
	}
	if len(kr.End) > 0 && bytes.Compare(n, normalize(kr.End)) >= 0 {
		return false
	}
	return true
}

// Intersects reports whether kr and other share at least one keyspace id.
func (kr KeyRange) Intersects(other KeyRange) bool {
	// kr.Start < other.End && other.Start < kr.End, with empty End = +inf.
	if len(other.End) > 0 && compareIDs(kr.Start, other.End) >= 0 {
		return false
	}
	if len(kr.End) > 0 && compareIDs(other.Start, kr.End) >= 0 {
		return false
	}
	return true
}

// Equal reports whether both ranges hold the same keyspace ids.
func (kr KeyRange) Equal(other KeyRange) bool {
	return compareIDs(kr.Start, other.Start) == 0 && bytes.Equal(normalizeEnd(kr.End), normalizeEnd(other.End))
}

// normalizeEnd is normalize for an End bound; an End that normalizes to empty
// (e.g. "00") is not +inf but an empty range, so keep one zero byte for it.
func normalizeEnd(end []byte) []byte {
	if len(end) == 0 {
		return nil
	}
	if n := normalize(end); len(n) > 0 {
		return n
	}
	return []byte{0}
}

// String returns kr in shard-name form: "-80", "40-80", "80-", "-" for the
// whole range. Hex digits are lower case.
func (kr KeyRange) String() string {
	return hex.EncodeToString(kr.Start) + "-" + hex.EncodeToString(kr.End)
}

// IsRangeShardName reports whether name is range based ("-80", "80-", "-"),
// as opposed to a plain name like "0" used for unsharded keyspaces.
func IsRangeShardName(name string) bool {
	return strings.Contains(name, "-")
}

// ParseShardName returns the key range a shard name stands for, with Vitess's
// rules (topo.ValidateShardName, key.ParseKeyRangeParts): "-80", "80-",
// "40-80", "-" (whole range); a name without '-' such as "0" is not range
// based and covers everything. Hex digits may be upper or lower case.
func ParseShardName(name string) (KeyRange, error) {
	if !IsRangeShardName(name) {
		if name == "" {
			return KeyRange{}, errors.New("empty shard name")
		}
		return KeyRange{}, nil
	}
	parts := strings.Split(name, "-")
	if len(parts) != 2 {
		return KeyRange{}, fmt.Errorf("invalid shardId, can only contain one '-': %s", name)
	}
	start, err := hex.DecodeString(parts[0])
	if err != nil {
		return KeyRange{}, fmt.Errorf("invalid shard name %q: start key: %v", name, err)
	}
	end, err := hex.DecodeString(parts[1])
	if err != nil {
		return KeyRange{}, fmt.Errorf("invalid shard name %q: end key: %v", name, err)
	}
	if len(start) == 0 {
		start = nil
	}
	if len(end) == 0 {
		end = nil
	}
	// Vitess compares the raw bytes; we compare normalized ones, which also
	// rejects empty ranges such as "80-8000".
	if end != nil && compareIDs(start, end) >= 0 {
		return KeyRange{}, fmt.Errorf("out of order keys: %s is not strictly smaller than %s", hex.EncodeToString(start), hex.EncodeToString(end))
	}
	return KeyRange{Start: start, End: end}, nil
}

// ShardNames returns the names of n uniform shards the way Vitess's
// key.GenerateShardRanges does: boundaries at int(i*(256/n)) in float64 math
// (2 hex digits) for n <= 256, at int(i*(65536/n)) (4 hex digits) for
// n <= 65536. n=1 gives "-",
// n=3 gives -55, 55-aa, aa-.
func ShardNames(n int) ([]string, error) {
	var digits, space int
	switch {
	case n <= 0:
		return nil, errors.New("shards must be greater than zero")
	case n <= 256:
		digits, space = 2, 256
	case n <= 65536:
		digits, space = 4, 65536
	default:
		return nil, fmt.Errorf("cannot generate more than 65536 shard names, got %d", n)
	}
	bound := func(i int) string {
		if i == 0 || i == n {
			return ""
		}
		// Vitess computes the boundary in float64 (i * (space/n), truncated),
		// which for some n (e.g. 98) is one less than the exact i*space/n;
		// we do the same so names match Vitess's. (For i == n Vitess can
		// even produce a last end of "ff"; we always leave it open.)
		size := float64(space) / float64(n)
		s := strconv.FormatInt(int64(float64(i)*size), 16)
		return strings.Repeat("0", digits-len(s)) + s
	}
	names := make([]string, n)
	for i := range n {
		names[i] = bound(i) + "-" + bound(i+1)
	}
	return names, nil
}

// ShardRanges is a keyspace's shards sorted by Start (see NewShardRanges);
// Find locates the shard of a keyspace id by binary search.
type ShardRanges []KeyRange

// NewShardRanges parses shard names and returns their ranges sorted by start
// key together with the names in the same order. It does not check coverage;
// call CheckCoverage for that.
func NewShardRanges(names []string) (ShardRanges, []string, error) {
	type shard struct {
		name string
		kr   KeyRange
	}
	shards := make([]shard, len(names))
	var errs []error
	for i, name := range names {
		kr, err := ParseShardName(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("shard %s: %w", name, err))
		}
		shards[i] = shard{name, kr}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	sort.SliceStable(shards, func(i, j int) bool { return lessRange(shards[i].kr, shards[j].kr) })
	ranges := make(ShardRanges, len(shards))
	sorted := make([]string, len(shards))
	for i, s := range shards {
		ranges[i], sorted[i] = s.kr, s.name
	}
	return ranges, sorted, nil
}

// lessRange orders by start, then by end (+inf last).
func lessRange(a, b KeyRange) bool {
	if c := compareIDs(a.Start, b.Start); c != 0 {
		return c < 0
	}
	return compareEnds(a.End, b.End) < 0
}

// compareEnds compares two End bounds, empty meaning +inf.
func compareEnds(a, b []byte) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	return compareIDs(a, b)
}

// Find returns the index of the shard holding id, or -1 if no shard does
// (possible only for a set with gaps). O(log n); it does not allocate.
func (s ShardRanges) Find(id KeyspaceID) int {
	n := normalize(id)
	// First shard whose start is > id; the candidate is the one before it.
	i := sort.Search(len(s), func(i int) bool {
		return bytes.Compare(normalize(s[i].Start), n) > 0
	})
	if i == 0 {
		return -1
	}
	if !s[i-1].Contains(id) {
		return -1
	}
	return i - 1
}

// Intersecting returns the indexes of the shards sharing keyspace ids with kr
// (all of them for the zero KeyRange).
func (s ShardRanges) Intersecting(kr KeyRange) []int {
	var out []int
	for i, r := range s {
		if r.Intersects(kr) {
			out = append(out, i)
		}
	}
	return out
}

// maxCoverageErrors bounds CheckCoverage's report for badly broken configs.
const maxCoverageErrors = 20

// CheckCoverage reports whether a keyspace's shard names cover the whole
// keyspace id range exactly once. Every problem is reported (errors.Join),
// naming the shards involved: unparsable names, duplicates, overlaps
// ("shards -80 and 40- overlap"), gaps ("gap between -40 and 80-: nothing
// covers 40-80"), uncovered ends ("nothing covers 80-"), and a non-range name
// such as "0" next to other shards (it is only allowed alone).
func CheckCoverage(names []string) error {
	if len(names) == 0 {
		return errors.New("no shards")
	}
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	type shard struct {
		name string
		kr   KeyRange
	}
	var shards []shard
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[strings.ToLower(name)] {
			add(fmt.Errorf("shard %s is listed twice", name))
			continue
		}
		seen[strings.ToLower(name)] = true
		if !IsRangeShardName(name) && len(names) > 1 {
			add(fmt.Errorf("shard %s is not a key range (like -80 or 80-); such a name is only allowed as a keyspace's only shard", name))
			continue
		}
		kr, err := ParseShardName(name)
		if err != nil {
			add(fmt.Errorf("shard %s: %w", name, err))
			continue
		}
		shards = append(shards, shard{name, kr})
	}
	if len(errs) > 0 {
		// Coverage of a partly unparsable set would only repeat the problem.
		return errors.Join(errs...)
	}
	sort.SliceStable(shards, func(i, j int) bool { return lessRange(shards[i].kr, shards[j].kr) })

	// Sweep left to right. reach is the shard reaching furthest right so far;
	// active holds the earlier shards still open at the current start.
	var active []shard
	var reach *shard
	for i := range shards {
		cur := shards[i]
		kept := active[:0]
		for _, a := range active {
			if len(a.kr.End) == 0 || compareIDs(a.kr.End, cur.kr.Start) > 0 {
				kept = append(kept, a)
			}
		}
		active = kept
		for _, a := range active {
			add(fmt.Errorf("shards %s and %s overlap", a.name, cur.name))
		}
		switch {
		case reach == nil:
			if len(normalize(cur.kr.Start)) > 0 {
				add(fmt.Errorf("nothing covers %s", KeyRange{End: cur.kr.Start}))
			}
		case len(reach.kr.End) > 0 && compareIDs(reach.kr.End, cur.kr.Start) < 0:
			add(fmt.Errorf("gap between %s and %s: nothing covers %s", reach.name, cur.name, KeyRange{Start: reach.kr.End, End: cur.kr.Start}))
		}
		if reach == nil || compareEnds(cur.kr.End, reach.kr.End) > 0 {
			reach = &shards[i]
		}
		active = append(active, cur)
	}
	if len(reach.kr.End) > 0 {
		add(fmt.Errorf("nothing covers %s", KeyRange{Start: reach.kr.End}))
	}
	if len(errs) > maxCoverageErrors {
		more := len(errs) - maxCoverageErrors
		errs = append(errs[:maxCoverageErrors], fmt.Errorf("… and %d more problems", more))
	}
	return errors.Join(errs...)
}
