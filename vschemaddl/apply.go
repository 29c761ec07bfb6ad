package vschemaddl

import (
	"encoding/json"
	"maps"
	"sidecar/sqlerr"
	"sort"
	"strings"

	"sidecar/conf"
)

// Apply applies an ALTER VSCHEMA statement with vtgate's semantics
// (topotools.ApplyVSchemaDDL) and returns the keyspace it changes and that
// keyspace's new VSchema. vschemas holds the VSchema in force of every
// keyspace (nil or empty for a keyspace without one); it is not changed, the
// new VSchema is a copy. The keyspace is the statement's qualifier, else
// sessionKeyspace.
//
// Apply refuses what vtgate refuses before saving, with its messages (ERROR
// 1105): a vindex that exists or doesn't, one still used by a table, a table
// or auto_increment missing, a table or sequence added to a sharded
// keyspace… Whether the result is a valid VSchema (known vindex types,
// unique primary vindexes, resolvable sequences and lookup tables) is for
// Validate, as vtgate leaves it to BuildKeyspace.
func Apply(stmt *Statement, vschemas map[string]*conf.VSchema, sessionKeyspace string) (string, *conf.VSchema, error) {
	if stmt.Kind.IsShow() || stmt.Kind == 0 {
		return "", nil, errf("not an ALTER VSCHEMA statement: %s", stmt)
	}
	ksName := stmt.Keyspace(sessionKeyspace)
	if ksName == "" {
		return "", nil, errNoKeyspace()
	}
	cur, ok := vschemas[ksName]
	if !ok {
		return "", nil, errUnknownKeyspace(ksName)
	}
	ks, err := cloneVSchema(cur)
	if err != nil {
		return "", nil, err
	}
	if ks.Tables == nil {
		ks.Tables = map[string]*conf.TableDef{}
	}
	if ks.Vindexes == nil {
		ks.Vindexes = map[string]*conf.VindexDef{}
	}
	if err := apply(ksName, ks, stmt); err != nil {
		return "", nil, err
	}
	// Empty maps are left out of the JSON anyway; nil keeps copies equal.
	if len(ks.Tables) == 0 {
		ks.Tables = nil
	}
	if len(ks.Vindexes) == 0 {
		ks.Vindexes = nil
	}
	return ksName, ks, nil
}

func apply(ksName string, ks *conf.VSchema, stmt *Statement) error {
	tableName := stmt.Table.Name
	table := ks.Tables[tableName]
	switch stmt.Kind {
	case CreateVindex:
		name := stmt.Vindex
		if _, ok := ks.Vindexes[name]; ok {
			return errf("vindex %s already exists in keyspace %s", name, ksName)
		}
		// The first vindex of a keyspace makes it sharded.
		if len(ks.Vindexes) == 0 {
			ks.Sharded = true
		}
		owner, params := vindexParams(stmt.Params)
		ks.Vindexes[name] = &conf.VindexDef{Type: stmt.Type, Params: params, Owner: owner}

	case DropVindex:
		name := stmt.Vindex
		if _, ok := ks.Vindexes[name]; !ok {
			return errf("vindex %s does not exists in keyspace %s", name, ksName)
		}
		for _, tname := range sortedKeys(ks.Tables) {
			for _, cv := range tableDef(ks.Tables[tname]).ColumnVindexes {
				if cv != nil && cv.Name == name {
					return errf("can not drop vindex cause %s still defined on table %s", name, tname)
				}
			}
		}
		delete(ks.Vindexes, name)

	case AddTable:
		if ks.Sharded {
			return errf("add vschema table: unsupported on sharded keyspace %s", ksName)
		}
		if _, ok := ks.Tables[tableName]; ok {
			return errf("vschema already contains table %s in keyspace %s", tableName, ksName)
		}
		ks.Tables[tableName] = &conf.TableDef{}

	case DropTable:
		if _, ok := ks.Tables[tableName]; !ok {
			return errf("vschema does not contain table %s in keyspace %s", tableName, ksName)
		}
		delete(ks.Tables, tableName)

	case AddColumnVindex:
		// With USING, the vindex is created if new, else its definition must
		// be the same; without, it must exist.
		name := stmt.Vindex
		if stmt.Type != "" {
			owner, params := vindexParams(stmt.Params)
			if v, ok := ks.Vindexes[name]; ok && v != nil {
				if v.Type != stmt.Type {
					return errf("vindex %s defined with type %s not %s", name, v.Type, stmt.Type)
				}
				if v.Owner != owner {
					return errf("vindex %s defined with owner %s not %s", name, v.Owner, owner)
				}
				if (len(v.Params) != 0 || len(params) != 0) && !maps.Equal(v.Params, params) {
					return errf("vindex %s defined with different parameters", name)
				}
			} else {
				if len(ks.Vindexes) == 0 {
					ks.Sharded = true
				}
				ks.Vindexes[name] = &conf.VindexDef{Type: stmt.Type, Params: params, Owner: owner}
			}
		} else if _, ok := ks.Vindexes[name]; !ok {
			return errf("vindex %s does not exist in keyspace %s", name, ksName)
		}
		// The first vindex of a table creates its entry.
		if table == nil {
			table = &conf.TableDef{}
		}
		for _, cv := range table.ColumnVindexes {
			if cv != nil && cv.Name == name {
				return errf("vindex %s already defined on table %s", name, tableName)
			}
		}
		table.ColumnVindexes = append(table.ColumnVindexes, &conf.ColumnVindexDef{
			Name:    name,
			Columns: append([]string(nil), stmt.Columns...),
		})
		ks.Tables[tableName] = table

	case DropColumnVindex:
		name := stmt.Vindex
		if table == nil {
			return errf("table %s.%s not defined in vschema", ksName, tableName)
		}
		for i, cv := range table.ColumnVindexes {
			if cv != nil && cv.Name == name {
				table.ColumnVindexes = append(table.ColumnVindexes[:i], table.ColumnVindexes[i+1:]...)
				// A table without vindexes leaves the VSchema.
				if len(table.ColumnVindexes) == 0 {
					delete(ks.Tables, tableName)
				}
				return nil
			}
		}
		return errf("vindex %s not defined in table %s.%s", name, ksName, tableName)

	case AddSequence:
		if ks.Sharded {
			return errf("add sequence table: unsupported on sharded keyspace %s", ksName)
		}
		if _, ok := ks.Tables[tableName]; ok {
			return errf("vschema already contains sequence %s in keyspace %s", tableName, ksName)
		}
		ks.Tables[tableName] = &conf.TableDef{Type: conf.TypeSequence}

	case DropSequence:
		if ks.Sharded {
			return errf("drop sequence table: unsupported on sharded keyspace %s", ksName)
		}
		if _, ok := ks.Tables[tableName]; !ok {
			return errf("vschema does not contain sequence %s in keyspace %s", tableName, ksName)
		}
		delete(ks.Tables, tableName)

	case AddAutoIncrement:
		if table == nil {
			return errf("vschema does not contain table %s in keyspace %s", tableName, ksName)
		}
		if ai := table.AutoIncrement; ai != nil {
			return errf("vschema already contains auto inc column:%q sequence:%q on table %s in keyspace %s", ai.Column, ai.Sequence, tableName, ksName)
		}
		table.AutoIncrement = &conf.AutoIncrementDef{Column: stmt.AutoIncrementColumn, Sequence: stmt.Sequence.String()}

	case DropAutoIncrement:
		if table == nil {
			return errf("vschema does not contain table %s in keyspace %s", tableName, ksName)
		}
		if table.AutoIncrement == nil {
			return errf("vschema does not contain auto increment on table %s in keyspace %s", tableName, ksName)
		}
		table.AutoIncrement = nil

	default:
		return errf("unexpected vindex ddl operation %d", stmt.Kind)
	}
	return nil
}

// vindexParams splits WITH's params as Vitess's VindexSpec.ParseParams does:
// "owner" (any case) is the owner, the rest are params (nil if none).
func vindexParams(ps []Param) (owner string, params map[string]string) {
	for _, p := range ps {
		if strings.EqualFold(p.Key, "owner") {
			owner = p.Value
			continue
		}
		if params == nil {
			params = map[string]string{}
		}
		params[p.Key] = p.Value
	}
	return owner, params
}

func tableDef(t *conf.TableDef) *conf.TableDef {
	if t == nil {
		return &conf.TableDef{}
	}
	return t
}

// cloneVSchema deep-copies a VSchema (nil: an empty one). Through JSON, so
// fields conf adds later are copied too.
func cloneVSchema(vs *conf.VSchema) (*conf.VSchema, error) {
	out := &conf.VSchema{}
	if vs == nil {
		return out, nil
	}
	data, err := json.Marshal(vs)
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return nil, errf("copying the vschema: %v", err)
	}
	return out, nil
}

// Change is a validated VSchema change: the keyspace's new VSchema and the
// config with it in force.
type Change struct {
	Keyspace string
	VSchema  *conf.VSchema
	// Config is the config the change was applied to, with the new VSchema
	// and its resolved Topology (the one to swap in).
	Config *conf.Config
}

// Execute applies an ALTER VSCHEMA statement to the VSchemas in force in
// cfg (its Topology's) and validates the result: Apply, then Validate.
// Nothing is changed: on success the Change carries the new VSchema and a new
// Config; on failure the error is an *sqlerr.Error for the client.
func Execute(cfg *conf.Config, stmt *Statement, sessionKeyspace string) (*Change, error) {
	ks, vs, err := Apply(stmt, cfg.Topology.VSchemas(), sessionKeyspace)
	if err != nil {
		return nil, err
	}
	next, err := Validate(cfg, map[string]*conf.VSchema{ks: vs})
	if err != nil {
		return nil, err
	}
	return &Change{Keyspace: ks, VSchema: vs, Config: next}, nil
}

// Validate resolves cfg with the given keyspaces' VSchemas replaced, as
// `sidecar check` validates files (conf.Config.WithVSchemas), and returns
// the new config. A problem is an *sqlerr.Error 1105 (HY000) listing every problem
// found ("; " between them).
func Validate(cfg *conf.Config, vschemas map[string]*conf.VSchema) (*conf.Config, error) {
	next, err := cfg.WithVSchemas(vschemas)
	if err == nil {
		return next, nil
	}
	var msgs []string
	if problems, ok := err.(conf.Errors); ok {
		for _, p := range problems {
			msgs = append(msgs, p.Error())
		}
	} else {
		msgs = []string{err.Error()}
	}
	return nil, sqlerr.New(1105, "HY000", "%s", strings.Join(msgs, "; "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
