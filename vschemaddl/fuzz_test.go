package vschemaddl

import (
	"reflect"
	"sidecar/sqlerr"
	"testing"
)

// FuzzParse: no input panics the parser, every error is a syntax error, and
// whatever parses prints (String) as text that parses to the same statement.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"alter vschema add sequence product.corder_event_seq;",
		"alter vschema on customer.corder_event add vindex corder_keyspace_idx(corder_id);",
		"alter vschema on customer.corder_event add auto_increment corder_event_id using product.corder_event_seq;",
		"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`;",
		"alter vschema create vindex v using lookup with table=product.lk_t, from='a,b', to=\"k\\\"s\", batch_size=100, x=''",
		"/* c */ ALTER VSCHEMA ON `a``b`.t DROP AUTO_INCREMENT -- x",
		"show vschema vindexes from ks.`t t`",
		"alter vschema drop sequence `ü`.s # end",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		IsStatement(sql)
		st, err := Parse(sql)
		if err != nil {
			if e, ok := err.(*sqlerr.Error); !ok || e.Num != 1064 {
				t.Fatalf("Parse(%q): %v is not a syntax error", sql, err)
			}
			return
		}
		again, err := Parse(st.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q: %v", sql, st.String(), err)
		}
		if !reflect.DeepEqual(again, st) {
			t.Fatalf("Parse(%q) = %#v, but its String %q parses as %#v", sql, *st, st.String(), *again)
		}
	})
}
