package vschemaddl

import (
	"sort"
	"strings"

	"sidecar/conf"
)

// Result is what a SHOW VSCHEMA statement answers: column names and rows,
// every value VARCHAR (vtgate's buildVarCharFields/buildVarCharRow), none
// NULL.
type Result struct {
	Columns []string
	Rows    [][]string
}

// Show answers SHOW VSCHEMA TABLES and SHOW VSCHEMA VINDEXES [ON t] from the
// VSchemas in force in topo, as vtgate does (planbuilder/show.go):
//
//   - TABLES: one column "Tables", the tables of the session's keyspace's
//     VSchema, sorted.
//   - VINDEXES: columns Keyspace, Name, Type, Params, Owner: every vindex of
//     every keyspace, keyspaces and then vindexes sorted by name.
//   - VINDEXES ON [ks.]t: columns Columns, Name, Type, Params, Owner: the
//     table's column vindexes in order (its columns joined by ", "); no rows
//     for a table of an unsharded keyspace.
//
// Params are "k=v" sorted and joined by "; " (from=name; table=ks.t;
// to=keyspace_id). Errors as vtgate's: VT09005 with no keyspace, VT05003 for
// an unknown one, VT05005 for a table not in a sharded keyspace's VSchema.
func Show(stmt *Statement, topo *conf.Topology, sessionKeyspace string) (*Result, error) {
	switch stmt.Kind {
	case ShowTables:
		ks, err := keyspace(topo, sessionKeyspace)
		if err != nil {
			return nil, err
		}
		res := &Result{Columns: []string{"Tables"}, Rows: [][]string{}}
		for _, t := range sortedKeys(vschemaOf(ks).Tables) {
			res.Rows = append(res.Rows, []string{t})
		}
		return res, nil
	case ShowVindexes:
		if stmt.Table.Name != "" {
			return showTableVindexes(stmt, topo, sessionKeyspace)
		}
		res := &Result{Columns: []string{"Keyspace", "Name", "Type", "Params", "Owner"}, Rows: [][]string{}}
		for _, ksName := range topo.Names {
			vs := vschemaOf(topo.Keyspaces[ksName])
			for _, name := range sortedKeys(vs.Vindexes) {
				v := vs.Vindexes[name]
				if v == nil {
					v = &conf.VindexDef{}
				}
				res.Rows = append(res.Rows, []string{ksName, name, v.Type, ParamsText(v.Params), v.Owner})
			}
		}
		return res, nil
	}
	return nil, errf("not a SHOW VSCHEMA statement: %s", stmt)
}

func showTableVindexes(stmt *Statement, topo *conf.Topology, sessionKeyspace string) (*Result, error) {
	ks, err := keyspace(topo, stmt.Keyspace(sessionKeyspace))
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: []string{"Columns", "Name", "Type", "Params", "Owner"}, Rows: [][]string{}}
	if !ks.Sharded {
		return res, nil
	}
	vs := vschemaOf(ks)
	t, ok := vs.Tables[stmt.Table.Name]
	if !ok {
		return nil, errNoTable(stmt.Table.Name, ks.Name)
	}
	for _, cv := range tableDef(t).ColumnVindexes {
		if cv == nil {
			continue
		}
		cols := cv.Columns
		if len(cols) == 0 {
			cols = []string{cv.Column}
		}
		row := []string{strings.Join(cols, ", "), cv.Name, "", "", ""}
		if v := vs.Vindexes[cv.Name]; v != nil {
			row[2], row[3], row[4] = v.Type, ParamsText(v.Params), v.Owner
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// ParamsText formats vindex params as SHOW VSCHEMA VINDEXES prints them:
// "k=v" sorted, joined by "; ".
func ParamsText(params map[string]string) string {
	kv := make([]string, 0, len(params))
	for k, v := range params {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, "; ")
}

// keyspace resolves a keyspace name as vtgate's TargetDestination does.
func keyspace(topo *conf.Topology, name string) (*conf.Keyspace, error) {
	if name == "" {
		return nil, errNoKeyspace()
	}
	ks, ok := topo.Keyspaces[name]
	if !ok {
		return nil, errUnknownKeyspace(name)
	}
	return ks, nil
}

func vschemaOf(ks *conf.Keyspace) *conf.VSchema {
	if ks.VSchema == nil {
		return &conf.VSchema{}
	}
	return ks.VSchema
}
