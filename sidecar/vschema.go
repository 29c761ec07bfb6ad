package sidecar

import "sidecar/vschemaddl"

// vschemaStatement answers ALTER VSCHEMA and SHOW VSCHEMA, which vtgate
// answers itself: they never reach a backend. A change is in force for the
// session's next statement.
func (s *session) vschemaStatement(sql string, more bool) error {
	stmt, err := vschemaddl.Parse(sql)
	if err != nil {
		return err
	}
	if !stmt.Kind.IsShow() {
		if err := s.srv.alterVSchema(stmt, s.keyspace); err != nil {
			return err
		}
		return s.ok(more)
	}
	res, err := vschemaddl.Show(stmt, s.srv.topo(), s.keyspace)
	if err != nil {
		return err
	}
	cols := make([]column, len(res.Columns))
	for i, name := range res.Columns {
		cols[i] = column{name: name}
	}
	rows := make([][]*string, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = make([]*string, len(r))
		for j := range r {
			rows[i][j] = &r[j]
		}
	}
	return s.writeTable(more, cols, rows)
}
