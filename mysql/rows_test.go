package mysql

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestAppendBinaryValue(t *testing.T) {
	col := func(typ byte, flags uint16) Column { return Column{Type: typ, Flags: flags, Name: "c"} }
	le := func(n uint64, size int) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, n)
		return b[:size]
	}
	f32 := make([]byte, 4)
	binary.LittleEndian.PutUint32(f32, math.Float32bits(1.5))
	f64 := make([]byte, 8)
	binary.LittleEndian.PutUint64(f64, math.Float64bits(-0.25))
	cases := []struct {
		v    string
		c    Column
		want []byte
	}{
		{"-1", col(TypeTiny, 0), []byte{0xff}},
		{"255", col(TypeTiny, FlagUnsigned), []byte{0xff}},
		{"-2", col(TypeShort, 0), le(0xfffe, 2)},
		{"2024", col(TypeYear, FlagUnsigned), le(2024, 2)},
		{"70000", col(TypeInt24, 0), le(70000, 4)},
		{"-3", col(TypeLong, 0), le(0xfffffffd, 4)},
		{"4294967295", col(TypeLong, FlagUnsigned), le(4294967295, 4)},
		{"-9223372036854775808", col(TypeLongLong, 0), le(1<<63, 8)},
		{"18446744073709551615", col(TypeLongLong, FlagUnsigned), le(math.MaxUint64, 8)},
		{"1.5", col(TypeFloat, 0), f32},
		{"-0.25", col(TypeDouble, 0), f64},
		{"-12.50", col(TypeNewDecimal, 0), append([]byte{6}, "-12.50"...)},
		{"héllo", col(TypeVarString, 0), append([]byte{6}, "héllo"...)},
		{"", col(TypeBlob, 0), []byte{0}},
		{"2024-02-03", col(TypeDate, 0), []byte{4, 0xe8, 0x07, 2, 3}},
		{"0000-00-00", col(TypeDate, 0), []byte{0}},
		{"2024-02-03 00:00:00", col(TypeDateTime, 0), []byte{4, 0xe8, 0x07, 2, 3}},
		{"2024-02-03 04:05:06", col(TypeDateTime, 0), []byte{7, 0xe8, 0x07, 2, 3, 4, 5, 6}},
		{"2024-02-03 04:05:06.123", col(TypeTimestamp, 0), []byte{11, 0xe8, 0x07, 2, 3, 4, 5, 6, 0x78, 0xe0, 0x01, 0}},
		{"0000-00-00 00:00:00.000", col(TypeDateTime, 0), []byte{0}},
		{"00:00:00", col(TypeTime, 0), []byte{0}},
		{"05:06:07", col(TypeTime, 0), []byte{8, 0, 0, 0, 0, 0, 5, 6, 7}},
		{"-100:00:01", col(TypeTime, 0), []byte{8, 1, 4, 0, 0, 0, 4, 0, 1}},
		{"838:59:59.000001", col(TypeTime, 0), []byte{12, 0, 34, 0, 0, 0, 22, 59, 59, 1, 0, 0, 0}},
	}
	for _, c := range cases {
		got, err := appendBinaryValue(nil, []byte(c.v), c.c)
		if err != nil {
			t.Errorf("%q as type %d: %v", c.v, c.c.Type, err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%q as type %d: % x, want % x", c.v, c.c.Type, got, c.want)
		}
	}
	for _, bad := range []struct {
		v string
		c Column
	}{{"x", col(TypeLong, 0)}, {"-1", col(TypeLong, FlagUnsigned)}, {"2024-1-1", col(TypeDate, 0)}, {"1:2", col(TypeTime, 0)}} {
		if _, err := appendBinaryValue(nil, []byte(bad.v), bad.c); err == nil {
			t.Errorf("%q as type %d: want an error", bad.v, bad.c.Type)
		}
	}
}

func TestAppendBinaryRow(t *testing.T) {
	cols := []Column{{Type: TypeLong}, {Type: TypeVarString}, {Type: TypeLong}, {Type: TypeNull}, {Type: TypeLong},
		{Type: TypeLong}, {Type: TypeLong}, {Type: TypeLong}}
	row := [][]byte{[]byte("1"), nil, []byte("3"), nil, nil, nil, []byte("7"), nil}
	got, err := AppendBinaryRow(nil, row, cols)
	if err != nil {
		t.Fatal(err)
	}
	// Header, 2 bitmap bytes (8 columns + 2 reserved bits): NULLs at 1, 3, 4, 5, 7 → bits 3, 5, 6, 7, 9.
	want := []byte{0x00, 0xe8, 0x02, 1, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("row % x, want % x", got, want)
	}
}

// TestShowingColumn: an evaluated column showing a table's column takes its schema, original table
// and original name, its type only when asked, and keeps its own alias and name.
func TestShowingColumn(t *testing.T) {
	def := AppendColumnDef(nil, "vip", TypeLong, 63, 11, 0)
	src := columnDef("shop", "c", "customer", "is_vip", "is_vip", TypeTiny, FlagNotNull)
	for _, typ := range []bool{false, true} {
		got := ShowingColumn(def, src, typ)
		spans, ok := ColumnDefStrings(got)
		c, _ := ParseColumn(got)
		if !ok || string(got[spans[1][0]:spans[1][1]]) != "shop" || c.Table != "" || string(got[spans[3][0]:spans[3][1]]) != "customer" ||
			c.Name != "vip" || c.OrgName != "is_vip" {
			t.Errorf("typ %v: names of %+v", typ, c)
		}
		if want := map[bool]byte{false: TypeLong, true: TypeTiny}[typ]; c.Type != want {
			t.Errorf("typ %v: type %d, want %d", typ, c.Type, want)
		}
	}
	// NOT NULL only where both say so: a LEFT JOIN's column of a NOT NULL one may be NULL.
	for _, tc := range []struct{ def, src, want uint16 }{
		{0, FlagNotNull, 0},
		{FlagNotNull, FlagNotNull, FlagNotNull},
		{FlagNotNull, 0, 0},
		{FlagNotNull | FlagBinary, FlagUnsigned | FlagNotNull, FlagUnsigned | FlagNotNull},
	} {
		d := columnDef("", "i", "", "id", "", TypeLongLong, tc.def)
		s := columnDef("shop", "i", "item", "id", "id", TypeLongLong, tc.src)
		if c, _ := ParseColumn(ShowingColumn(d, s, true)); c.Flags != tc.want {
			t.Errorf("flags %#x showing %#x: %#x, want %#x", tc.def, tc.src, c.Flags, tc.want)
		}
	}
	expr := AppendColumnDef(nil, "n", TypeLongLong, 63, 21, 0) // count(*): no table, no column
	if c, _ := ParseColumn(ShowingColumn(def, expr, false)); c.Name != "vip" || c.OrgName != "" {
		t.Errorf("an expression's names replaced the column's: %+v", c)
	}
	if got := ShowingColumn(def, []byte{1}, true); string(got) != string(def) {
		t.Errorf("a malformed definition changed def")
	}
}

// columnDef is a column definition as a server sends one for a table's column.
func columnDef(schema, table, orgTable, name, orgName string, typ byte, flags uint16) []byte {
	b := AppendLenEncString(nil, "def")
	for _, s := range []string{schema, table, orgTable, name, orgName} {
		b = AppendLenEncString(b, s)
	}
	b = append(b, 0x0c, 63, 0, 4, 0, 0, 0, typ)
	b = binary.LittleEndian.AppendUint16(b, flags)
	return append(b, 0, 0, 0)
}
