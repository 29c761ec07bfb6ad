package vindex

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// mustCreate builds a vindex or fails the test.
func mustCreate(t testing.TB, typ string, params map[string]string) Vindex {
	t.Helper()
	v, err := Create(typ, typ+"_vdx", params)
	if err != nil {
		t.Fatalf("Create(%s): %v", typ, err)
	}
	return v
}

func unhex(t testing.TB, s string) KeyspaceID {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// destString renders a destination for comparisons: hex ksid, "none",
// "range(-80)", "ids(a,b)".
func destString(d Destination) string {
	switch d := d.(type) {
	case DestinationKeyspaceID:
		return hex.EncodeToString(d)
	case DestinationKeyspaceIDs:
		var s []string
		for _, id := range d {
			s = append(s, hex.EncodeToString(id))
		}
		return "ids(" + strings.Join(s, ",") + ")"
	case DestinationKeyRange:
		return "range(" + d.Range.String() + ")"
	case DestinationNone:
		return "none"
	}
	return "?"
}

var null = Value{Kind: Null}

// vectors are the Vitess test vectors (reference §2 and
// go/vt/vtgate/vindexes/*_test.go); "none" means DestinationNone.
var vectors = []struct {
	vindex string
	in     Value
	want   string
}{
	{"hash", NewInt64(1), "166b40b44aba4bd6"},
	{"hash", NewInt64(2), "06e7ea22ce92708f"},
	{"hash", NewInt64(3), "4eb190c9a2fa169c"},
	{"hash", NewInt64(4), "d2fd8867d50d2dfe"},
	{"hash", NewInt64(5), "70bb023c810ca87a"},
	{"hash", NewInt64(6), "f098480ac4c4be71"},
	{"hash", NewInt64(-1), "355550b2150e2451"},
	{"hash", NewUint64(1), "166b40b44aba4bd6"},
	{"hash", NewVarChar("1"), "166b40b44aba4bd6"},
	{"hash", NewVarChar(" 1\t"), "166b40b44aba4bd6"},
	{"hash", NewUint64(18446744073709551615), "355550b2150e2451"},
	{"hash", Value{HexNum, []byte{0x00, 0x01}}, "166b40b44aba4bd6"},                          // 0x0001 is the number 1
	{"hash", Value{HexNum, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}}, "none"},                       // more than 64 bits
	{"unicode_loose_md5", Value{HexNum, []byte("Test")}, "0b5edbb401fd7524393690491d64f1f5"}, // a string vindex reads its bytes
	{"hash", null, "none"},
	{"hash", NewVarChar("aa"), "none"},
	{"hash", NewVarChar("-1"), "none"}, // only signed kinds wrap
	{"hash", Value{Decimal, []byte("1.0")}, "none"},
	{"hash", NewUint64(0).withRaw("18446744073709551616"), "none"},

	{"xxhash", NewVarChar("test1"), "d01ab7e4d6978f0b"},
	{"xxhash", NewVarChar("test2"), "87eb11714c0a0e89"},
	{"xxhash", NewVarChar("testaverylongvaluetomakesurethisworks"), "81d8c38e0d850e6a"},
	{"xxhash", NewInt64(1), "d46405367612b4b7"},
	{"xxhash", NewVarChar("1"), "d46405367612b4b7"},
	{"xxhash", null, "99e9d85137db46ef"},
	{"xxhash", NewInt64(-1), "d8e2a6a7c8c7623d"},
	{"xxhash", NewUint64(18446744073709551615), "477cfa8d6d8f1f8d"},
	{"xxhash", NewInt64(9223372036854775807), "b37eb01f7bffafd8"},
	{"xxhash", NewUint64(9223372036854775807), "b37eb01f7bffafd8"},
	{"xxhash", NewInt64(-9223372036854775808), "102c27ddb26a609e"},

	{"unicode_loose_md5", NewVarChar("Test"), "0b5edbb401fd7524393690491d64f1f5"},
	{"unicode_loose_md5", NewVarChar("TEST"), "0b5edbb401fd7524393690491d64f1f5"},
	{"unicode_loose_md5", NewVarChar("Te\u0301st"), "0b5edbb401fd7524393690491d64f1f5"},
	{"unicode_loose_md5", NewVarChar("Tést"), "0b5edbb401fd7524393690491d64f1f5"},
	{"unicode_loose_md5", NewVarChar("Test "), "0b5edbb401fd7524393690491d64f1f5"},
	{"unicode_loose_md5", NewVarChar("Bést"), "c2b2332e4f73d00741026249706f2fb6"},
	{"unicode_loose_md5", NewVarChar(" Test"), "a2e3515c7e8df1ffd2ccfc11c6b19dd1"},
	{"unicode_loose_md5", NewVarChar("Test\t"), "82456dd87a9c7a02b1c2056b5abaa272"},
	{"unicode_loose_md5", NewVarChar("TéstLooong"), "9683e12b80430cd453f5dfdfba81c9a5"},
	{"unicode_loose_md5", NewVarChar("T"), "ac0f9179f51db87fe8ecc0cf40cab97a"},

	{"unicode_loose_xxhash", NewVarBinary([]byte("Test")), "42d21361087a4c07"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("TEst")), "42d21361087a4c07"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("Te\u0301st")), "42d21361087a4c07"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("Tést")), "42d21361087a4c07"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("Test ")), "42d21361087a4c07"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("Bést")), "926975b9ce2ec316"},
	{"unicode_loose_xxhash", NewVarBinary([]byte(" Test")), "4fcb8be34ec05775"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("Test\t")), "20af87fc36e3fd51"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("TéstLooong")), "d3ea873942b484a7"},
	{"unicode_loose_xxhash", NewVarBinary([]byte("T")), "f81c3be2d501fe18"},
	{"unicode_loose_xxhash", null, "99e9d85137db46ef"},

	{"binary", NewVarChar("test1"), "7465737431"},
	{"binary", NewVarBinary([]byte{0, 0xff}), "00ff"},
	{"binary", NewInt64(1), "31"},
	{"binary", null, ""},

	{"binary_md5", NewVarBinary([]byte("Test")), "0cbc6611f5540bd0809a388dc95a615b"},
	{"binary_md5", NewVarBinary([]byte("TEST")), "033bd94b1168d7e4f0d644c3c95e35bf"},
	{"binary_md5", null, "d41d8cd98f00b204e9800998ecf8427e"},

	{"numeric", NewInt64(1), "0000000000000001"},
	{"numeric", NewUint64(8), "0000000000000008"},
	{"numeric", NewVarChar("7"), "0000000000000007"},
	{"numeric", NewUint64(18446744073709551615), "ffffffffffffffff"},
	{"numeric", NewInt64(-1), "none"},
	{"numeric", Value{Float64, []byte("1.1")}, "none"},
	{"numeric", NewVarChar("aa"), "none"},
	{"numeric", null, "none"},

	{"reverse_bits", NewInt64(1), "8000000000000000"},
	{"reverse_bits", NewInt64(2), "4000000000000000"},
	{"reverse_bits", NewInt64(3), "c000000000000000"},
	{"reverse_bits", NewInt64(4), "2000000000000000"},
	{"reverse_bits", NewInt64(5), "a000000000000000"},
	{"reverse_bits", NewInt64(6), "6000000000000000"},
	{"reverse_bits", null, "none"},
	{"reverse_bits", NewInt64(-1), "none"},

	{"null", NewInt64(1), "00"},
	{"null", null, "00"},
	{"null", NewVarChar("x"), "00"},
}

// withRaw replaces a value's text, for values the constructors can't make.
func (v Value) withRaw(s string) Value { v.Raw = []byte(s); return v }

func TestFunctionalVectors(t *testing.T) {
	for _, tc := range vectors {
		v := mustCreate(t, tc.vindex, nil).(SingleColumn)
		got, err := v.Map(context.Background(), nil, []Value{tc.in})
		if err != nil {
			t.Errorf("%s.Map(%v): %v", tc.vindex, tc.in, err)
			continue
		}
		if s := destString(got[0]); s != tc.want {
			t.Errorf("%s.Map(%v) = %s, want %s", tc.vindex, tc.in, s, tc.want)
		}
		// Hash agrees with Map, and a mapped value verifies.
		ksid, err := v.(Hashing).Hash(tc.in)
		if tc.want == "none" {
			if err == nil {
				t.Errorf("%s.Hash(%v) = %x, want an error", tc.vindex, tc.in, ksid)
			}
			continue
		}
		if err != nil || hex.EncodeToString(ksid) != tc.want {
			t.Errorf("%s.Hash(%v) = %x, %v; want %s", tc.vindex, tc.in, ksid, err, tc.want)
		}
	}
}

// The golden cases are copied from Vitess's
// go/vt/vtgate/vindexes/testdata/unicode_hash_golden.json (base64 input,
// base64 XXHash and MD5 keyspace ids).
var unicodeGolden = []struct{ input, xxhash, md5 string }{
	{
		"QWxiZXJ0IEVpbnN0ZWluICgqIDE0IGRhIG1hcnMgMTg3OSBhZCBVbG0sIFfDvHJ0dGVtYmVyZywgSW1wZXJpIHR1ZGVzdGc7IOKAoCAxOCBk4oCZYXZyaWdsIDE5NTUgYSBQcmluY2V0b24sIE5ldyBKZXJzZXksIFN0YWRpcyBVbmlkcykgdmVnbiBjb25zaWRlcsOgIHNjbyBpbCBwbGkgaW1wdXJ0YW50IGZpc2ljaGVyIHRlb3JldGljIGRhIGzigJlpc3RvcmdpYSBkYSBsYSBzY2llbnphIGUgdmFsYSBzY28gaWwgcGxpIGZhbXVzIHNjaWVuemnDoCBkYWwgdGVtcCBtb2Rlcm4gZW4gdHV0IGlsIG11bmQuIFNpYXMgcGVyc2NydXRheml1bnMgYXJlZ3VhcmQgbGEgbWF0ZXJpYSwgaWwgc3BhemkgZWQgaWwgdGVtcCBzY28gZXIgc2lhcyBzY3V2ZXJ0YXMgZW4gY29ubmV4IGN1biBsYSBncmF2aXRheml1biBoYW4gbWlkw6AgYSBtb2RhIGVzc2VuemlhbGEgaWwgbWFsZXRnIGRhbCBtdW5kIHRlbm9yIE5ld3RvbiBjaGUgZG9taW5hdmEgcGxpIGJhdWQuCkzigJlvdnJhIHByaW5jaXBhbGEgZGFkIEVpbnN0ZWluLCBsYSB0ZW9yaWEgZGEgbGEgcmVsYXRpdml0YWQsIGFsIGhhIGZhdGcgZW5jb251c2NoZW50IGVuIHR1dCBpbCBtdW5kLiBM4oCZb25uIDE5MDUgw6ggY3VtcGFyaWRhIHNpYSBsYXZ1ciDigLladXIgRWxla3Ryb2R5bmFtaWsgYmV3ZWd0ZXIgS8O2cnBlcuKAuiwgaWwgY3VudGVnbiBkYSBsYSBxdWFsYSB2ZWduIG51bW5hZGEgb3ogdGVvcmlhIGRhIGxhIHJlbGF0aXZpdGFkIHNwZXppYWxhLiBJbCAxOTE1IGhhIGVsIHB1YmxpdGfDoCBsYSB0ZW9yaWEgZGEuLi4=",
		"rCB7Ewfhiug=", "A4QbpKL5AVOC7cZsMmJiMw==",
	},
	{
		"QWxiZXJ0IEVpbnN0ZWluICgxNC4gbcOkcnRzIDE4NzkgVWxtLCBTYWtzYW1hYSDigJMgMTguIGFwcmlsbCAxOTU1IFByaW5jZXRvbiwgVVNBKSBvbGkgU2Frc2FtYWFsdCBww6RyaXQgbmluZyBoaWxqZW0gxaB2ZWl0c2kgamEgQW1lZXJpa2Egw5xoZW5kcmlpa2lkZSBrb2Rha29uZHN1c2VnYSBqdXVkaSByYWh2dXNlc3QgZsO8w7xzaWthdGVvcmVldGlrLiBQYWxqdWQgcGVhdmFkIHRlZGEgMjAuIHNhamFuZGkgc3V1cmltYWtzIHRlYWRsYXNla3MuCkp1YmEgbm9vcmVsdCBoYWtrYXMgRWluc3RlaW4gYXJ2YW1hLCBldCBOZXd0b25pIHNlYWR1c3Rlc3QgZWkgcGlpc2Ega2xhc3Npa2FsaXNlIG1laGFhbmlrYSBzZWFkdXN0ZSDDvGhlbmRhbWlzZWtzIGVsZWt0cm9tYWduZXR2w6RsamEgc2VhZHVzdGVnYS4gU2VsbGluZSBzZWlzdWtvaHQgdmlpcyB0YSBsw7VwdWtzIGVyaXJlbGF0aWl2c3VzdGVvb3JpYSB2w6RsamF0w7bDtnRhbWlzZWxlLiBTZWVqw6RyZWwgdGFpcGFzIHRhLCBldCByZWxhdGlpdnN1c2UgcMO1aGltw7V0ZXQgc2FhYiBsYWllbmRhZGEgZ3Jhdml0YXRzaW9vbml2w6RsamFsZSwgamEgc2VlasOkcmVsIGF2YWxkYXMgdGEgMTkxNiDDvGxkcmVsYXRpaXZzdXN0ZW9vcmlhLiBUYSBqw6R0a2FzIHTDtsO2ZCBzdGF0aXN0aWxpc2UgbWVoYWFuaWthIGphIGt2YW50bWVoYWFuaWthIGFsYWwsIG1pcyB2aWlzIHRhIG9zYWtlc3RlIHRlb29yaWEgamEgQnJvd25pIGxpaWt1bWlzZSBzZWxnaXRhbWlzZW5pLiBUYSB1dXJpcyBrYSB2YWxndXNlIHNvb2p1c2xpa2tlLi4u",
		"UhYe3niPTG0=", "lOk+8WWSIcWS7p8cu/85xQ==",
	},
	{
		"QWxiZXJ0IEVpbnN0ZWluIFvDoWxiZXJ0IMOham7FoXRham5dIChpemdvdm9yamF2YSApLCBuZW3FoWtpIGZpemlrIGluIG1hdGVtYXRpaywgKiAxNC4gbWFyZWMgMTg3OSwgVWxtLCBXw7xydHRlbWJlcmcsIE5lbcSNaWphLCDigKAgMTguIGFwcmlsIDE5NTUsIFByaW5jZXRvbiwgTmV3IEplcnNleSwgWkRBLgoKCk1sYWRvc3QKRWluc3RlaW4gamUgYmlsIHNpbiBqdWRvdnNraWggcHJpc2VsamVuY2V2LiBOamVnb3Ygb8SNZSBIZXJtYW4gRWluc3RlaW4gamUgYmlsIHRyZ292ZWMsIG1hdGkgUGF1bGluYSBFaW5zdGVpbiwgcm9qZW5hIEtvY2gsIGplIGJpbGEgaMSNaSBwcmVtb8W+bmVqxaFlZ2EgdHJnb3ZjYSB6IMW+aXRvbS4gTmplZ292IG/EjWUgamUgemEga3JhdGtvIG9iZG9iamUgb2RwcmwgbWFqaG5vIHRyZ292aW5vIHogZWxla3Ryb3RlaG5pxaFraW1pIHBvdHJlYsWhxI1pbmFtaSAobmplZ292IHN0cmljIGplIHByb2RhamFsIGRpbmFtbykuIFN0YXLFoWEgc3RhIHNlIHBvcm/EjWlsYSB2IFN0dXRnYXJ0LUJhZCBDYW5uc3RhdHR1LiBSb2pzdG5hIGhpxaFhIG5hIEJhaG5ob2ZzdHJhw59lIGJsaXp1IMW+ZWxlem5pxaFrZSBwb3N0YWplIGluIGNlbG90bmEgc29zZcWhxI1pbmEgamUgYmlsYSB1bmnEjWVuYSBsZXRhIDE5NDQgbWVkIHphdmV6bmnFoWtpbSBib21iYXJkaXJhbmplbS4gVGFtIGplIGRhbmVzIG1hamhlbiBzcG9tZW5pay4KSG9kaWwgamUgdiBrYXRvbGnFoWtvIG9zbm92bm8gxaFvbG8uIE5hIG1hdGVyaW5vIHZ6dHJhamFuamUgc2UgamUgdcSNaWwuLi4=",
		"3ooEEQ6Q/KM=", "QLaWotU3ufKaPoOjlTWW1g==",
	},
}

func TestUnicodeGolden(t *testing.T) {
	md5v := mustCreate(t, "unicode_loose_md5", nil).(Hashing)
	xxv := mustCreate(t, "unicode_loose_xxhash", nil).(Hashing)
	for i, g := range unicodeGolden {
		in, err := base64.StdEncoding.DecodeString(g.input)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			v    Hashing
			want string
		}{{md5v, g.md5}, {xxv, g.xxhash}} {
			ksid, err := c.v.Hash(NewVarChar(string(in)))
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(ksid); got != c.want {
				t.Errorf("golden case %d (%.20q…) %T: got %s, want %s", i, in, c.v, got, c.want)
			}
		}
	}
}

func TestUnicodeLooseKeys(t *testing.T) {
	for _, tc := range []struct{ in, key string }{
		{"Test", "1816164c17f31816"},
		{"T", "1816"},
		{" Test", "01091816164c17f31816"},
		{"Test\t", "1816164c17f318160100"},
		{"Bést", "1605164c17f31816"},
	} {
		pc, key, err := looseKey([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(key); got != tc.key {
			t.Errorf("key(%q) = %s, want %s", tc.in, got, tc.key)
		}
		release(pc)
	}
}

func TestUnicodeInvalidUTF8(t *testing.T) {
	for _, typ := range []string{"unicode_loose_md5", "unicode_loose_xxhash"} {
		v := mustCreate(t, typ, nil).(SingleColumn)
		_, err := v.Map(context.Background(), nil, []Value{NewVarBinary([]byte("\x99\xeb\x9d\x18"))})
		prefix := map[string]string{"unicode_loose_md5": "UnicodeLooseMD5.Map: ", "unicode_loose_xxhash": "UnicodeLooseXXHash.Map: "}[typ]
		want := prefix + `cannot normalize string containing invalid UTF-8: "\x99\xeb\x9d\x18"`
		if err == nil || err.Error() != want {
			t.Errorf("%s.Map(invalid) err = %v, want %s", typ, err, want)
		}
	}
}

func TestFunctionalProperties(t *testing.T) {
	for _, tc := range []struct {
		typ        string
		cost       int
		reversible bool
	}{
		{"hash", 1, true},
		{"xxhash", 1, false},
		{"unicode_loose_md5", 1, false},
		{"unicode_loose_xxhash", 1, false},
		{"binary", 0, true},
		{"binary_md5", 1, false},
		{"numeric", 0, true},
		{"numeric_static_map", 1, false},
		{"reverse_bits", 1, true},
		{"null", 100, false},
	} {
		params := map[string]string{}
		if tc.typ == "numeric_static_map" {
			params["json"] = "{}"
		}
		v, err := Create(tc.typ, "name_"+tc.typ, params)
		if err != nil {
			t.Fatal(err)
		}
		_, rev := v.(Reversible)
		if v.String() != "name_"+tc.typ || v.Cost() != tc.cost || !v.IsUnique() || v.NeedsQuerier() || rev != tc.reversible {
			t.Errorf("%s: name %s cost %d unique %v querier %v reversible %v; want cost %d reversible %v",
				tc.typ, v.String(), v.Cost(), v.IsUnique(), v.NeedsQuerier(), rev, tc.cost, tc.reversible)
		}
		if _, ok := v.(Hashing); !ok {
			t.Errorf("%s does not implement Hashing", tc.typ)
		}
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		typ     string
		ids     []Value
		ksids   []string
		want    []bool
		wantErr string
	}{
		{"hash", []Value{NewInt64(1), NewInt64(2)}, []string{"166b40b44aba4bd6", "166b40b44aba4bd6"}, []bool{true, false}, ""},
		{"hash", []Value{NewInt64(-1)}, []string{"355550b2150e2451"}, nil, `cannot parse uint64 from "-1"`},
		{"hash", []Value{NewVarBinary([]byte("aa"))}, []string{""}, nil, `cannot parse uint64 from "aa"`},
		{"xxhash", []Value{NewUint64(1), NewUint64(2)}, []string{"d46405367612b4b7", "d46405367612b4b7"}, []bool{true, false}, ""},
		{"unicode_loose_md5", []Value{NewVarChar("Test"), NewVarChar("TEst"), NewVarChar("different")},
			[]string{"0b5edbb401fd7524393690491d64f1f5", "0b5edbb401fd7524393690491d64f1f5", "0b5edbb401fd7524393690491d64f1f5"}, []bool{true, true, false}, ""},
		{"unicode_loose_xxhash", []Value{NewVarChar("Test"), NewVarChar("TEst"), NewVarChar("different")},
			[]string{"42d21361087a4c07", "42d21361087a4c07", "20af87fc36e3fd51"}, []bool{true, true, false}, ""},
		{"binary_md5", []Value{NewVarChar("Test"), NewVarChar("TEst")}, []string{"0cbc6611f5540bd0809a388dc95a615b", "0cbc6611f5540bd0809a388dc95a615b"}, []bool{true, false}, ""},
		{"binary", []Value{NewVarChar("test1"), NewVarChar("test2")}, []string{"7465737431", "7465737431"}, []bool{true, false}, ""},
		{"numeric", []Value{NewInt64(1), NewUint64(4)}, []string{"0000000000000001", "06e7ea22ce92708f"}, []bool{true, false}, ""},
		{"numeric", []Value{Value{Float64, []byte("1.1")}}, []string{"00"}, nil, `Numeric.Verify: unparsed tail left after parsing uint64 from "1.1": ".1"`},
		{"reverse_bits", []Value{NewInt64(1), NewInt64(2)}, []string{"8000000000000000", "8000000000000000"}, []bool{true, false}, ""},
		{"reverse_bits", []Value{NewVarBinary([]byte("aa"))}, []string{""}, nil, `cannot parse uint64 from "aa"`},
		{"null", []Value{NewInt64(1), NewInt64(2)}, []string{"00", "01"}, []bool{true, false}, ""},
		{"hash", []Value{NewInt64(1)}, nil, nil, "vindex Verify: 1 values but 0 keyspace ids"},
	} {
		v := mustCreate(t, tc.typ, nil).(SingleColumn)
		var ksids []KeyspaceID
		for _, k := range tc.ksids {
			ksids = append(ksids, unhex(t, k))
		}
		got, err := v.Verify(ctx, nil, tc.ids, ksids)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s.Verify(%v) err = %v, want %q", tc.typ, tc.ids, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !equalBools(got, tc.want) {
			t.Errorf("%s.Verify(%v) = %v, %v; want %v", tc.typ, tc.ids, got, err, tc.want)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReverseMap(t *testing.T) {
	for _, tc := range []struct {
		typ, ksid, want, wantErr string
	}{
		{"hash", "166b40b44aba4bd6", "UINT64(1)", ""},
		{"hash", "355550b2150e2451", "UINT64(18446744073709551615)", ""},
		{"hash", "166b40b44aba4bd6166b40b44aba4bd6", "", "invalid keyspace id: 166b40b44aba4bd6166b40b44aba4bd6"},
		{"numeric", "0000000000000001", "UINT64(1)", ""},
		{"numeric", "6161", "", "Numeric.ReverseMap: length of keyspaceId is not 8: 2"},
		{"reverse_bits", "8000000000000000", "UINT64(1)", ""},
		{"reverse_bits", "80000000000000008000000000000000", "", "invalid keyspace id: 80000000000000008000000000000000"},
		{"binary", "7465737431", `VARBINARY("test1")`, ""},
	} {
		v := mustCreate(t, tc.typ, nil).(Reversible)
		got, err := v.ReverseMap([]KeyspaceID{unhex(t, tc.ksid)})
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s.ReverseMap(%s) err = %v, want %q", tc.typ, tc.ksid, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got[0].String() != tc.want {
			t.Errorf("%s.ReverseMap(%s) = %v, %v; want %s", tc.typ, tc.ksid, got, err, tc.want)
		}
	}
	if _, err := mustCreate(t, "binary", nil).(Reversible).ReverseMap([]KeyspaceID{nil}); err == nil ||
		err.Error() != "Binary.ReverseMap: keyspaceId is nil" {
		t.Errorf("binary ReverseMap(nil) err = %v", err)
	}
}

// Hash is its own inverse (the all-zero DES key is weak).
func TestHashIsInvolution(t *testing.T) {
	h := mustCreate(t, "hash", nil).(*Hash)
	for _, n := range []uint64{0, 1, 2, 42, 1 << 63, 18446744073709551615} {
		ksid, _ := h.Hash(NewUint64(n))
		again, _ := h.Hash(NewUint64(beUint64(ksid)))
		if beUint64(again) != n {
			t.Errorf("hash(hash(%d)) = %d", n, beUint64(again))
		}
	}
}

func beUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

func TestNumericStaticMap(t *testing.T) {
	ctx := context.Background()
	m := `{"1": 2, "3": 4, "18446744073709551615": 1}`
	for _, tc := range []struct {
		params map[string]string
		in     Value
		want   string
	}{
		{map[string]string{"json": m}, NewInt64(1), "0000000000000002"},
		{map[string]string{"json": m}, NewInt64(3), "0000000000000004"},
		{map[string]string{"json": m}, NewInt64(5), "0000000000000005"},
		{map[string]string{"json": m}, NewUint64(18446744073709551615), "0000000000000001"},
		{map[string]string{"json": m}, NewVarChar("x"), "none"},
		{map[string]string{"json": m}, NewInt64(-1), "none"},
		{map[string]string{"json": m, "fallback_type": "hash"}, NewInt64(1), "0000000000000002"},
		{map[string]string{"json": m, "fallback_type": "hash"}, NewInt64(5), "70bb023c810ca87a"},
		{map[string]string{"json": m, "fallback_type": "xxhash"}, NewInt64(1), "0000000000000002"},
		{map[string]string{"json": m, "fallback_type": "xxhash"}, NewVarChar("x"), "none"}, // strings never reach the fallback
	} {
		v, err := Create("numeric_static_map", "nsm", tc.params)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := v.(SingleColumn).Map(ctx, nil, []Value{tc.in})
		if s := destString(got[0]); s != tc.want {
			t.Errorf("numeric_static_map%v.Map(%v) = %s, want %s", tc.params, tc.in, s, tc.want)
		}
	}
	for _, tc := range []struct {
		params  map[string]string
		wantErr string
	}{
		{map[string]string{}, "NumericStaticMap: Could not find either `json_path` or `json` params in vschema"},
		{map[string]string{"json": "{}", "json_path": "x"}, "NumericStaticMap: Found both `json` and `json_path` params in vschema"},
		{map[string]string{"json": `{"a": 1}`}, `strconv.ParseUint: parsing "a": invalid syntax`},
		{map[string]string{"json": `{"1": "a"}`}, "NumericStaticMap: json: cannot unmarshal"},
		{map[string]string{"json": `{}`, "fallback_type": "nope"}, `NumericStaticMap: fallback_type: vindexType "nope" not found`},
		{map[string]string{"json_path": "/nonexistent/x.json"}, "NumericStaticMap: open /nonexistent/x.json"},
	} {
		_, err := Create("numeric_static_map", "nsm", tc.params)
		if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
			t.Errorf("Create(numeric_static_map, %v) err = %v, want prefix %q", tc.params, err, tc.wantErr)
		}
	}
	path := t.TempDir() + "/map.json"
	if err := writeFile(path, m); err != nil {
		t.Fatal(err)
	}
	v, err := Create("numeric_static_map", "nsm", map[string]string{"json_path": path})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.(SingleColumn).Map(ctx, nil, []Value{NewInt64(3)}); destString(got[0]) != "0000000000000004" {
		t.Errorf("json_path map: got %s", destString(got[0]))
	}
}

func TestParseUint64Errors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "cannot parse uint64 from empty string"},
		{"-1", `cannot parse uint64 from "-1"`},
		{"aa", `cannot parse uint64 from "aa"`},
		{"1.1", `unparsed tail left after parsing uint64 from "1.1": ".1"`},
		{"0x10", `unparsed tail left after parsing uint64 from "0x10": "x10"`},
		{"18446744073709551616", `cannot parse uint64 from "18446744073709551616": overflow`},
		{" \t12 \t", ""},
		{"18446744073709551615", ""},
	} {
		_, err := parseUint64([]byte(tc.in))
		if (err == nil && tc.want != "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("parseUint64(%q) err = %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(tc.want, "overflow") && !errors.Is(err, errOverflow) {
			t.Errorf("parseUint64(%q) does not wrap errOverflow", tc.in)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"+5", 5, true},
		{"-", 0, false},
	} {
		got, err := parseInt64([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseInt64(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
