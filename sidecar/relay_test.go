package sidecar

import (
	"bytes"
	"testing"

	"sidecar/conf"
	"sidecar/mysql"
)

// TestRenameSchemaIn: in the rows of an information_schema read, the shard's database is shown as
// its keyspace in the columns that hold a database name, in text rows and in binary ones; other
// values, NULLs and other databases stay as they are.
func TestRenameSchemaIn(t *testing.T) {
	shard := &conf.Shard{Keyspace: "shop", Database: "shop_lo"}
	cols := []schemaCol{{typ: mysql.TypeVarString, schema: true}, {typ: mysql.TypeLongLong}, {typ: mysql.TypeVarString}, {typ: mysql.TypeVarString, schema: true}}
	text := func(vals ...any) []byte {
		var b []byte
		for _, v := range vals {
			if v == nil {
				b = append(b, 0xfb)
			} else {
				b = mysql.AppendLenEncString(b, v.(string))
			}
		}
		return b
	}
	binaryRow := func(nulls byte, vals ...[]byte) []byte {
		b := []byte{0x00, nulls << 2} // header, NULL bitmap (offset 2) of 4 columns
		for _, v := range vals {
			b = append(b, v...)
		}
		return b
	}
	str := func(s string) []byte { return mysql.AppendLenEncString(nil, s) }
	num := []byte{7, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		name      string
		row, want []byte
		binary    bool
	}{
		{"text", text("shop_lo", "7", "shop_lo", "mysql"), text("shop", "7", "shop_lo", "mysql"), false},
		{"text with NULLs", text(nil, nil, "x", "shop_lo"), text(nil, nil, "x", "shop"), false},
		{"text, nothing to rename", text("shop_lox", "7", "a", "b"), text("shop_lox", "7", "a", "b"), false},
		{"binary", binaryRow(0, str("shop_lo"), num, str("shop_lo"), str("shop_lo")), binaryRow(0, str("shop"), num, str("shop_lo"), str("shop")), true},
		{"binary with a NULL", binaryRow(0b0001, num, str("x"), str("shop_lo")), binaryRow(0b0001, num, str("x"), str("shop")), true},
		{"binary, cut short: as it is", binaryRow(0, str("shop_lo"), num[:3]), binaryRow(0, str("shop_lo"), num[:3]), true},
	} {
		if got := renameSchemaIn(tc.row, cols, shard, tc.binary); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
