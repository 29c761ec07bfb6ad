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

// TestBindArgsAllNull: an execute whose arguments are all NULL may come without types before any
// were bound (go-mysql's client sends none then), as MariaDB accepts; the NULLs have no type, for
// that execute alone: a later one without types and with a value still gets ERROR 1210.
func TestBindArgsAllNull(t *testing.T) {
	st := &preparedStmt{numParams: 2}
	args, err := st.bindArgs([]byte{0b11, 0})
	if err != nil {
		t.Fatal(err)
	}
	got, err := args.values()
	if want := (planner.Args{{Kind: vindex.Null}, {Kind: vindex.Null}}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("values %v, %v; want %v", got, err, want)
	}
	if _, err := st.bindArgs([]byte{0b01, 0, 7}); sqlerr.From(err).Num != 1210 {
		t.Errorf("a value without types: %v, want ERROR 1210", err)
	}
}
