package vindex

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseShardName(t *testing.T) {
	for _, tc := range []struct {
		name, start, end, str, wantErr string
	}{
		{name: "-80", start: "", end: "80", str: "-80"},
		{name: "80-", start: "80", end: "", str: "80-"},
		{name: "40-80", start: "40", end: "80", str: "40-80"},
		{name: "-", str: "-"},
		{name: "0", str: "-"},
		{name: "-8A", end: "8a", str: "-8a"},
		{name: "4000-8000", start: "4000", end: "8000", str: "4000-8000"},
		{name: "10-20-30", wantErr: "invalid shardId, can only contain one '-': 10-20-30"},
		{name: "80-40", wantErr: "out of order keys: 80 is not strictly smaller than 40"},
		{name: "80-80", wantErr: "out of order keys: 80 is not strictly smaller than 80"},
		{name: "80-8000", wantErr: "out of order keys: 80 is not strictly smaller than 8000"},
		{name: "8-", wantErr: `invalid shard name "8-": start key: encoding/hex: odd length hex string`},
		{name: "-zz", wantErr: `invalid shard name "-zz": end key: encoding/hex: invalid byte: U+007A 'z'`},
		{name: "", wantErr: "empty shard name"},
	} {
		kr, err := ParseShardName(tc.name)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseShardName(%q) err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseShardName(%q): %v", tc.name, err)
			continue
		}
		if fmt.Sprintf("%x", kr.Start) != tc.start || fmt.Sprintf("%x", kr.End) != tc.end || kr.String() != tc.str {
			t.Errorf("ParseShardName(%q) = [%x, %x) %q; want [%s, %s) %q", tc.name, kr.Start, kr.End, kr.String(), tc.start, tc.end, tc.str)
		}
	}
}

func TestKeyRangeContains(t *testing.T) {
	for _, tc := range []struct {
		shard, ksid string
		want        bool
	}{
		{"-80", "166b40b44aba4bd6", true},                    // hash(1)
		{"80-", "166b40b44aba4bd6", false},                   //
		{"80-", "d2fd8867d50d2dfe", true},                    // hash(4)
		{"-80", "80", false},                                 // end exclusive
		{"80-", "80", true},                                  // start inclusive
		{"80-", "8000000000000000", true},                    // 80 == 8000… after normalization
		{"-80", "7fffffffffffffff", true},                    //
		{"40-80", "40", true},                                //
		{"40-80", "3fff", false},                             //
		{"-80", "00", true},                                  // null vindex: 00 normalizes to empty
		{"-80", "", true},                                    //
		{"80-", "", false},                                   //
		{"-", "ff", true},                                    //
		{"0", "ff", true},                                    //
		{"0000-80", "00", true},                              // start 0000 == empty
		{"-40", "400000", false},                             //
		{"55-aa", "0b5edbb401fd7524393690491d64f1f5", false}, // 16-byte md5 ids compare the same way
		{"-55", "0b5edbb401fd7524393690491d64f1f5", true},
	} {
		kr, err := ParseShardName(tc.shard)
		if err != nil {
			t.Fatal(err)
		}
		if got := kr.Contains(unhex(t, tc.ksid)); got != tc.want {
			t.Errorf("%s contains %s = %v, want %v", tc.shard, tc.ksid, got, tc.want)
		}
	}
}

func TestShardNames(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{1, "-"},
		{2, "-80 80-"},
		{3, "-55 55-aa aa-"},
		{4, "-40 40-80 80-c0 c0-"},
		{7, "-24 24-49 49-6d 6d-92 92-b6 b6-db db-"},
		{8, "-20 20-40 40-60 60-80 80-a0 a0-c0 c0-e0 e0-"},
	} {
		got, err := ShardNames(tc.n)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("ShardNames(%d) = %v, %v; want %s", tc.n, got, err, tc.want)
		}
		if err := CheckCoverage(got); err != nil {
			t.Errorf("ShardNames(%d) does not cover: %v", tc.n, err)
		}
	}
	names, _ := ShardNames(256)
	if names[0] != "-01" || names[1] != "01-02" || names[255] != "ff-" {
		t.Errorf("ShardNames(256) = %s %s … %s", names[0], names[1], names[255])
	}
	names, _ = ShardNames(512)
	if names[0] != "-0080" || names[511] != "ff80-" {
		t.Errorf("ShardNames(512) = %s … %s", names[0], names[511])
	}
	// Vitess's float math: 49*(256/98) truncates to 127, not 128.
	names, _ = ShardNames(98)
	if names[48] != "7d-7f" || names[49] != "7f-82" {
		t.Errorf("ShardNames(98)[48:50] = %v", names[48:50])
	}
	for _, n := range []int{0, -1, 65537} {
		if _, err := ShardNames(n); err == nil {
			t.Errorf("ShardNames(%d) did not fail", n)
		}
	}
	for _, n := range []int{98, 100, 255, 300, 1000, 65536} {
		names, err := ShardNames(n)
		if err != nil || len(names) != n {
			t.Fatalf("ShardNames(%d): %d names, %v", n, len(names), err)
		}
		if err := CheckCoverage(names); err != nil {
			t.Errorf("ShardNames(%d) does not cover: %v", n, err)
		}
	}
}

func TestCheckCoverage(t *testing.T) {
	for _, tc := range []struct {
		names string
		want  []string // every line of the joined error; nil = ok
	}{
		{"-80 80-", nil},
		{"80- -80", nil},
		{"-", nil},
		{"0", nil},
		{"-40 40-80 80-c0 c0-", nil},
		{"-80 8000-", nil}, // 80 == 8000
		{"-80 40-", []string{"shards -80 and 40- overlap"}},
		{"-40 80-", []string{"gap between -40 and 80-: nothing covers 40-80"}},
		{"-80", []string{"nothing covers 80-"}},
		{"80-", []string{"nothing covers -80"}},
		{"40-80", []string{"nothing covers -40", "nothing covers 80-"}},
		{"0 -80 80-", []string{"shard 0 is not a key range (like -80 or 80-); such a name is only allowed as a keyspace's only shard"}},
		{"- -80 80-", []string{"shards -80 and - overlap", "shards - and 80- overlap"}},
		{"-80 -80 80-", []string{"shard -80 is listed twice"}},
		{"-80 80-40 c0-", []string{"shard 80-40: out of order keys: 80 is not strictly smaller than 40"}},
		{"-80 40-60 40- c0-", []string{
			"shards -80 and 40-60 overlap",
			"shards -80 and 40- overlap",
			"shards 40-60 and 40- overlap",
			"shards 40- and c0- overlap",
		}},
		{"-20 40-60 80-", []string{"gap between -20 and 40-60: nothing covers 20-40", "gap between 40-60 and 80-: nothing covers 60-80"}},
		{"", []string{"no shards"}},
	} {
		err := CheckCoverage(strings.Fields(tc.names))
		var got []string
		if err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("CheckCoverage(%s):\n got %q\nwant %q", tc.names, got, tc.want)
		}
	}
}

func TestShardRangesFind(t *testing.T) {
	ranges, names, err := NewShardRanges([]string{"c0-", "-40", "80-c0", "40-80"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, " ") != "-40 40-80 80-c0 c0-" {
		t.Fatalf("sorted names = %v", names)
	}
	for _, tc := range []struct {
		ksid string
		want string
	}{
		{"", "-40"},
		{"00", "-40"},
		{"166b40b44aba4bd6", "-40"},
		{"40", "40-80"},
		{"4000000000000000", "40-80"},
		{"7fff", "40-80"},
		{"80", "80-c0"},
		{"d2fd8867d50d2dfe", "c0-"},
		{"ffffffffffffffff", "c0-"},
	} {
		i := ranges.Find(unhex(t, tc.ksid))
		if i < 0 || names[i] != tc.want {
			t.Errorf("Find(%s) = %d, want %s", tc.ksid, i, tc.want)
		}
	}
	// A set with a gap: nothing holds 50.
	gappy, _, _ := NewShardRanges([]string{"-40", "60-"})
	if i := gappy.Find(unhex(t, "50")); i != -1 {
		t.Errorf("Find in gap = %d, want -1", i)
	}
	if got := ranges.Intersecting(KeyRange{}); len(got) != 4 {
		t.Errorf("Intersecting(all) = %v", got)
	}
	kr, _ := ParseShardName("30-90")
	if got := fmt.Sprint(ranges.Intersecting(kr)); got != "[0 1 2]" {
		t.Errorf("Intersecting(30-90) = %s", got)
	}
	if _, _, err := NewShardRanges([]string{"-80", "x-"}); err == nil {
		t.Error("NewShardRanges accepted a bad name")
	}
}

func BenchmarkShardRangesFind(b *testing.B) {
	for _, n := range []int{2, 64, 4096} {
		names, _ := ShardNames(n)
		ranges, _, _ := NewShardRanges(names)
		h := &Hash{}
		ksids := make([]KeyspaceID, 1024)
		for i := range ksids {
			ksids[i], _ = h.Hash(NewInt64(int64(i)))
		}
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if ranges.Find(ksids[i&1023]) < 0 {
					b.Fatal("not found")
				}
			}
		})
	}
}

func TestKeyRangeEqualIntersects(t *testing.T) {
	p := func(s string) KeyRange {
		kr, err := ParseShardName(s)
		if err != nil {
			t.Fatal(err)
		}
		return kr
	}
	for _, tc := range []struct {
		a, b              string
		equal, intersects bool
	}{
		{"-80", "-8000", true, true},
		{"00-80", "-80", true, true},
		{"-80", "80-", false, false},
		{"-80", "40-c0", false, true},
		{"-", "40-80", false, true},
		{"0", "-", true, true},
	} {
		a, b := p(tc.a), p(tc.b)
		if a.Equal(b) != tc.equal || a.Intersects(b) != tc.intersects || b.Intersects(a) != tc.intersects {
			t.Errorf("%s vs %s: equal %v intersects %v/%v", tc.a, tc.b, a.Equal(b), a.Intersects(b), b.Intersects(a))
		}
	}
	if !p("-").IsComplete() || !p("0").IsComplete() || p("-80").IsComplete() {
		t.Error("IsComplete")
	}
}
