package vschemaddl

import "sidecar/sqlerr"

// errf is vtgate's vterrors.Errorf(Code_INTERNAL, …), which clients receive
// as ERROR 1105 (HY000): every ApplyVSchemaDDL refusal.
func errf(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(1105, "HY000", format, args...)
}

// errNoKeyspace is vtgate's VT09005, for a statement that names no keyspace
// when the session has none.
func errNoKeyspace() *sqlerr.Error {
	return sqlerr.New(1046, "3D000", "VT09005: no database selected: use keyspace<:shard><@type> or keyspace<[range]><@type> (<> are optional)")
}

// errUnknownKeyspace is vtgate's VT05003.
func errUnknownKeyspace(ks string) *sqlerr.Error {
	return sqlerr.New(1049, "42000", "VT05003: unknown database '%s' in vschema", ks)
}

// errNoTable is vtgate's VT05005 (SHOW VSCHEMA VINDEXES ON an unknown table).
func errNoTable(table, ks string) *sqlerr.Error {
	return sqlerr.New(1146, "42S02", "VT05005: table '%s' does not exist in keyspace '%s'", table, ks)
}
