package conf

// The Vitess VSchema JSON of one keyspace, as given to `vtctldclient
// ApplyVSchema` (proto vschema.Keyspace with its proto field names). The same
// structure is accepted inline in the YAML config, hence both tags. Load keeps
// the parsed document in Keyspace.VSchema; routing uses the resolved Tables.

// VSchema is one keyspace's VSchema.
type VSchema struct {
	Sharded                bool                  `json:"sharded" yaml:"sharded"`
	Vindexes               map[string]*VindexDef `json:"vindexes" yaml:"vindexes"`
	Tables                 map[string]*TableDef  `json:"tables" yaml:"tables"`
	RequireExplicitRouting bool                  `json:"require_explicit_routing" yaml:"require_explicit_routing"`
	// ForeignKeyMode is accepted so Vitess VSchemas load unchanged; the
	// sidecar leaves foreign keys to MySQL.
	ForeignKeyMode string `json:"foreign_key_mode" yaml:"foreign_key_mode"`
}

// VindexDef declares a vindex: its type, string params and, for lookups, the
// owner table that writes its rows.
type VindexDef struct {
	Type   string            `json:"type" yaml:"type"`
	Params map[string]string `json:"params" yaml:"params"`
	Owner  string            `json:"owner" yaml:"owner"`
}

// TableDef is one table's entry.
type TableDef struct {
	Type                    string             `json:"type" yaml:"type"` // "", "sequence" or "reference"
	ColumnVindexes          []*ColumnVindexDef `json:"column_vindexes" yaml:"column_vindexes"`
	AutoIncrement           *AutoIncrementDef  `json:"auto_increment" yaml:"auto_increment"`
	Columns                 []*ColumnDef       `json:"columns" yaml:"columns"`
	ColumnListAuthoritative bool               `json:"column_list_authoritative" yaml:"column_list_authoritative"`
	Pinned                  string             `json:"pinned" yaml:"pinned"` // hex keyspace id
	Source                  string             `json:"source" yaml:"source"` // reference tables: keyspace.table they copy
}

// ColumnVindexDef applies a vindex to a column (or columns).
type ColumnVindexDef struct {
	Column  string   `json:"column" yaml:"column"`
	Columns []string `json:"columns" yaml:"columns"`
	Name    string   `json:"name" yaml:"name"`
}

// AutoIncrementDef fills Column from a sequence table ("ks.seq" or "seq").
type AutoIncrementDef struct {
	Column   string `json:"column" yaml:"column"`
	Sequence string `json:"sequence" yaml:"sequence"`
}

// ColumnDef is a column declared in the VSchema (Vitess uses them when the
// column list is authoritative).
type ColumnDef struct {
	Name          string   `json:"name" yaml:"name"`
	Type          string   `json:"type" yaml:"type"`
	Invisible     bool     `json:"invisible" yaml:"invisible"`
	Default       string   `json:"default" yaml:"default"`
	CollationName string   `json:"collation_name" yaml:"collation_name"`
	Size          int32    `json:"size" yaml:"size"`
	Scale         int32    `json:"scale" yaml:"scale"`
	Nullable      *bool    `json:"nullable" yaml:"nullable"`
	Values        []string `json:"values" yaml:"values"`
}
