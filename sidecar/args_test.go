package sidecar

import (
	"reflect"
	"testing"

	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// TestSetString: a string argument replaced in the encoded parameters of an execute; the others,
// NULLs included, read as before.
func TestSetString(t *testing.T) {
	types := []byte{mysql.TypeLongLong, 0, mysql.TypeVarString, 0, mysql.TypeNull, 0, mysql.TypeVarString, 0}
	enc := []byte{0b0100, 1} // NULL bitmap (the third is NULL), new-params-bound
	enc = append(enc, types...)
	enc = append(enc, 7, 0, 0, 0, 0, 0, 0, 0)
	enc = mysql.AppendLenEncString(enc, "shop")
	enc = mysql.AppendLenEncString(enc, "orders")
	a := &stmtArgs{types: types, encoded: enc}
	if err := a.setString(1, "shop_lo"); err != nil {
		t.Fatal(err)
	}
	got, err := a.values()
	if err != nil {
		t.Fatal(err)
	}
	want := planner.Args{vindex.NewInt64(7), vindex.NewVarChar("shop_lo"), {Kind: vindex.Null}, vindex.NewVarChar("orders")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values %v, want %v", got, want)
	}
}

// TestBindArgsMissing: an execute without the parameters (or types) its statement has gets MariaDB's
// ERROR 1210, not a malformed packet: mysql2 sends execute('select ?', []) so.
func TestBindArgsMissing(t *testing.T) {
	for name, block := range map[string][]byte{
		"no block":            nil,
		"types cut short":     {0, 1, mysql.TypeLongLong},
		"no types remembered": {0, 0},
	} {
		st := &preparedStmt{numParams: 1}
		if _, err := st.bindArgs(block); sqlerr.From(err).Num != 1210 {
			t.Errorf("%s: %v, want ERROR 1210", name, err)
		}
	}
}
