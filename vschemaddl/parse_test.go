package vschemaddl

import (
	"errors"
	"reflect"
	"sidecar/sqlerr"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want Statement
	}{
		// Seed 002's "Alternate VSchema DDL", verbatim.
		{"alter vschema add sequence product.corder_event_seq;",
			Statement{Kind: AddSequence, Table: Name{"product", "corder_event_seq"}}},
		{"alter vschema on customer.corder_event add vindex corder_keyspace_idx(corder_id);",
			Statement{Kind: AddColumnVindex, Table: Name{"customer", "corder_event"}, Vindex: "corder_keyspace_idx", Columns: []string{"corder_id"}}},
		{"alter vschema on customer.corder_event add auto_increment corder_event_id using product.corder_event_seq;",
			Statement{Kind: AddAutoIncrement, Table: Name{"customer", "corder_event"}, AutoIncrementColumn: "corder_event_id", Sequence: Name{"product", "corder_event_seq"}}},
		{"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`;",
			Statement{Kind: AddColumnVindex, Table: Name{"customer", "corder_event"}, Vindex: "binary", Columns: []string{"keyspace_id"}, Type: "binary"}},

		// Every form.
		{"ALTER VSCHEMA CREATE VINDEX hash_vdx USING hash",
			Statement{Kind: CreateVindex, Table: Name{"", "hash_vdx"}, Vindex: "hash_vdx", Type: "hash"}},
		{"alter vschema create vindex user.hash_vdx using hash",
			Statement{Kind: CreateVindex, Table: Name{"user", "hash_vdx"}, Vindex: "hash_vdx", Type: "hash"}},
		{"alter vschema create vindex customer.lk using consistent_lookup_unique with owner=`corder`, table=`product.corder_keyspace_idx`, from=corder_id, to=keyspace_id",
			Statement{Kind: CreateVindex, Table: Name{"customer", "lk"}, Vindex: "lk", Type: "consistent_lookup_unique", Params: []Param{
				{"owner", "corder"}, {"table", "product.corder_keyspace_idx"}, {"from", "corder_id"}, {"to", "keyspace_id"}}}},
		// values: qualified name, 'string', "string", number, keyword
		{"alter vschema create vindex v using lookup with table=product.lk_t, from='a,b', to=\"k\\\"s\", batch_size=100, write_only=true",
			Statement{Kind: CreateVindex, Table: Name{"", "v"}, Vindex: "v", Type: "lookup", Params: []Param{
				{"table", "product.lk_t"}, {"from", "a,b"}, {"to", `k"s`}, {"batch_size", "100"}, {"write_only", "true"}}}},
		{"alter vschema create vindex v", Statement{Kind: CreateVindex, Table: Name{"", "v"}, Vindex: "v"}},
		{"alter vschema drop vindex customer.hash", Statement{Kind: DropVindex, Table: Name{"customer", "hash"}, Vindex: "hash"}},
		{"alter vschema drop vindex hash", Statement{Kind: DropVindex, Table: Name{"", "hash"}, Vindex: "hash"}},
		{"alter vschema add table product.product", Statement{Kind: AddTable, Table: Name{"product", "product"}}},
		{"alter vschema add table t", Statement{Kind: AddTable, Table: Name{"", "t"}}},
		{"alter vschema drop table product.product", Statement{Kind: DropTable, Table: Name{"product", "product"}}},
		{"alter vschema on customer.customer add vindex hash(customer_id) using hash",
			Statement{Kind: AddColumnVindex, Table: Name{"customer", "customer"}, Vindex: "hash", Columns: []string{"customer_id"}, Type: "hash"}},
		{"alter vschema on test add vindex test_lookup (c1,c2) using lookup with owner=`test`, from=`c1,c2`, table=test_lookup, to=keyspace_id",
			Statement{Kind: AddColumnVindex, Table: Name{"", "test"}, Vindex: "test_lookup", Columns: []string{"c1", "c2"}, Type: "lookup", Params: []Param{
				{"owner", "test"}, {"from", "c1,c2"}, {"table", "test_lookup"}, {"to", "keyspace_id"}}}},
		{"alter vschema on t add vindex v(c) with owner=t", // WITH without USING parses, as in Vitess
			Statement{Kind: AddColumnVindex, Table: Name{"", "t"}, Vindex: "v", Columns: []string{"c"}, Params: []Param{{"owner", "t"}}}},
		{"alter vschema on customer.corder drop vindex corder_keyspace_idx",
			Statement{Kind: DropColumnVindex, Table: Name{"customer", "corder"}, Vindex: "corder_keyspace_idx"}},
		{"alter vschema drop sequence product.customer_seq", Statement{Kind: DropSequence, Table: Name{"product", "customer_seq"}}},
		{"alter vschema add sequence seq", Statement{Kind: AddSequence, Table: Name{"", "seq"}}},
		{"alter vschema on customer.customer add auto_increment customer_id using customer_seq",
			Statement{Kind: AddAutoIncrement, Table: Name{"customer", "customer"}, AutoIncrementColumn: "customer_id", Sequence: Name{"", "customer_seq"}}},
		{"alter vschema on customer.customer drop auto_increment", Statement{Kind: DropAutoIncrement, Table: Name{"customer", "customer"}}},
		{"show vschema tables", Statement{Kind: ShowTables}},
		{"SHOW VSCHEMA VINDEXES", Statement{Kind: ShowVindexes}},
		{"show vschema vindexes on customer.corder", Statement{Kind: ShowVindexes, Table: Name{"customer", "corder"}}},
		{"show vschema vindexes from corder;", Statement{Kind: ShowVindexes, Table: Name{"", "corder"}}},

		// Lexical freedom: case, blanks, comments, quoting.
		{"  /* a comment */ Alter /*x*/ VSchema\n\tON `customer` . `corder event` ADD vindex `x``y` ( `select` , b ) -- trailing\n",
			Statement{Kind: AddColumnVindex, Table: Name{"customer", "corder event"}, Vindex: "x`y", Columns: []string{"select", "b"}}},
		{"# hash comment\nalter vschema add table customer.`order` ; /* done */",
			Statement{Kind: AddTable, Table: Name{"customer", "order"}}},
		{"alter vschema add table customer.order", // a reserved word after the dot is fine (reserved_table_id)
			Statement{Kind: AddTable, Table: Name{"customer", "order"}}},
		{"alter vschema create vindex v using hash with `from`=`a b`, Table=x",
			Statement{Kind: CreateVindex, Table: Name{"", "v"}, Vindex: "v", Type: "hash", Params: []Param{{"from", "a b"}, {"Table", "x"}}}},
		{"alter vschema on t add vindex v(c) using lookup with table=ks.`order`",
			Statement{Kind: AddColumnVindex, Table: Name{"", "t"}, Vindex: "v", Columns: []string{"c"}, Type: "lookup", Params: []Param{{"table", "ks.`order`"}}}},
		{"alter vschema add table ünïcödé", Statement{Kind: AddTable, Table: Name{"", "ünïcödé"}}},
	} {
		got, err := Parse(tc.sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.sql, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q) =\n %#v, want\n %#v", tc.sql, *got, tc.want)
			continue
		}
		if !IsStatement(tc.sql) {
			t.Errorf("IsStatement(%q) = false", tc.sql)
		}
		// The canonical text parses back to the same statement.
		again, err := Parse(got.String())
		if err != nil {
			t.Errorf("Parse(String() = %q): %v", got.String(), err)
		} else if !reflect.DeepEqual(again, got) {
			t.Errorf("Parse(%q) = %#v, want %#v", got.String(), *again, *got)
		}
	}
}

func TestStatementString(t *testing.T) {
	for sql, want := range map[string]string{
		"ALTER VSCHEMA ON customer.corder_event ADD VINDEX `binary`(keyspace_id) USING `binary`": "alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`",
		"alter vschema create vindex lk using lookup with owner=t, table=`ks.t`, cache=10":       "alter vschema create vindex lk using lookup with owner=t, table=`ks.t`, cache=10",
		"alter vschema on `a b`.t add auto_increment `id` using product.`seq`":                   "alter vschema on `a b`.t add auto_increment id using product.seq",
		"show vschema vindexes from t": "show vschema vindexes on t",
	} {
		st, err := Parse(sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", sql, err)
		}
		if got := st.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", sql, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		// Seed 002: "binary needs to be backticked because it is a keyword".
		{"alter vschema on customer.corder_event add vindex binary(keyspace_id) using binary",
			"syntax error at position 57 near 'binary': expected a vindex name after ADD VINDEX; binary is a reserved keyword, write it as `binary`"},
		{"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using binary",
			"syntax error at position 85 near 'binary': expected a vindex type after USING; binary is a reserved keyword, write it as `binary`"},
		{"alter vschema add table order", "near 'order': expected a table name after ADD TABLE; order is a reserved keyword, write it as `order`"},
		{"alter vschema add table select.t", "near 'select': expected a table name after ADD TABLE; select is a reserved keyword"},
		{"alter vschema", "syntax error at position 14 at the end of the statement: expected CREATE, DROP, ADD or ON after ALTER VSCHEMA"},
		{"alter vschema modify table t", "near 'modify': expected CREATE, DROP, ADD or ON after ALTER VSCHEMA"},
		{"alter vschema drop", "at the end of the statement: expected VINDEX, TABLE or SEQUENCE after ALTER VSCHEMA DROP"},
		{"alter vschema add vindex v(c)", "near 'vindex': expected TABLE or SEQUENCE after ALTER VSCHEMA ADD (a vindex is added to a table with ALTER VSCHEMA ON table ADD VINDEX name(columns)"},
		{"alter vschema create table t", "near 'table': expected VINDEX after ALTER VSCHEMA CREATE"},
		{"alter vschema create vindex v using", "at the end of the statement: expected a vindex type after USING"},
		{"alter vschema create vindex v using hash with", "at the end of the statement: expected a vindex parameter name"},
		{"alter vschema create vindex v using lookup with table", "expected '=' after parameter `table`"},
		{"alter vschema create vindex v using lookup with table=", "expected a value for parameter `table`"},
		{"alter vschema create vindex v using lookup with table=(", "near '(': expected a value for parameter `table`"},
		{"alter vschema create vindex v using lookup with table=select.t", "near 'select': select is a reserved keyword"},
		{"alter vschema create vindex v using hash extra", "near 'extra': expected the end of the statement after alter vschema create vindex v using hash"},
		{"alter vschema on t add vindex v", "at the end of the statement: expected '(' and the vindex's columns after ADD VINDEX v"},
		{"alter vschema on t add vindex v()", "near ')': expected a column name"},
		{"alter vschema on t add vindex v(a,)", "near ')': expected a column name"},
		{"alter vschema on t add vindex v(a b)", "near 'b': expected ',' or ')' after column a"},
		{"alter vschema on t add vindex v(a", "expected ',' or ')' after column a"},
		{"alter vschema on t add auto_increment id", "at the end of the statement: expected USING after ADD AUTO_INCREMENT id"},
		{"alter vschema on t add auto_increment id using", "expected a sequence name after USING"},
		{"alter vschema on t add column c", "near 'column': expected VINDEX or AUTO_INCREMENT after ALTER VSCHEMA ON t ADD"},
		{"alter vschema on t rename", "near 'rename': expected ADD or DROP after ALTER VSCHEMA ON t"},
		{"alter vschema on t drop vindex", "expected a vindex name after DROP VINDEX"},
		{"alter vschema add table ks.", "at the end of the statement: expected a table name after ADD TABLE after ks."},
		{"alter vschema add table t; alter vschema add table u", "near 'alter': expected the end of the statement after alter vschema add table t"},
		{"alter vschema add table 'ks'", "near ''ks'': expected a table name after ADD TABLE"},
		{"alter vschema add table `t", "unterminated quoted identifier"},
		{"alter vschema add table ``", "empty quoted identifier"},
		{"alter vschema create vindex v using hash with a='b", "unterminated string"},
		{"alter vschema add table t /* no end", "unterminated comment"},
		{"alter vschema add table t!", "unexpected character '!'"},
		{"show vschema keyspaces", "near 'keyspaces': expected TABLES or VINDEXES after SHOW VSCHEMA"},
		{"show vschema vindexes on", "expected a table name after SHOW VSCHEMA VINDEXES ON"},
		{"show vschema tables from ks", "near 'from': expected the end of the statement after show vschema tables"},
		{"select 1", "near 'select': expected ALTER or SHOW after the start of the statement"},
		{"", "expected ALTER or SHOW"},
	} {
		_, err := Parse(tc.sql)
		var e *sqlerr.Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want a syntax error", tc.sql, err)
			continue
		}
		if e.Num != 1064 || e.State != "42000" || !strings.Contains(e.Message, tc.want) {
			t.Errorf("Parse(%q):\n got %d (%s) %s\nwant 1064 (42000) …%s…", tc.sql, e.Num, e.State, e.Message, tc.want)
		}
	}
}

func TestIsStatement(t *testing.T) {
	for sql, want := range map[string]bool{
		"alter vschema add table t":        true,
		"/* c */ SHOW\nVSCHEMA tables":     true,
		"show vschema keyspaces":           true, // Parse says what is wrong with it
		"alter table t add column c int":   false,
		"show tables":                      false,
		"select 'alter vschema'":           false,
		"alter `vschema` add table t":      false,
		"-- x\nalter vschema drop table t": true,
		"":                                 false,
		"alter":                            false,
	} {
		if got := IsStatement(sql); got != want {
			t.Errorf("IsStatement(%q) = %v, want %v", sql, got, want)
		}
	}
}
