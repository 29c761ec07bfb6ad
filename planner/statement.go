package planner

import (
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/engine"
	"sidecar/sqlerr"
)

// PlanStatement is the engine's plan of a statement the sidecar does more
// with than forward (see Plan.Forwarded): planned once per plan (so once per
// cached statement shape and per prepared statement) and shared by its
// executions.
func PlanStatement(plan *Plan) (engine.Statement, error) {
	if err := refuseStatement(plan); err != nil {
		return nil, err // with the statement's own text, so not kept
	}
	t := plan.statement.get(func() statementTemplate {
		st, err := planStatement(plan)
		return statementTemplate{st, err}
	})
	return t.st, t.err
}

type statementTemplate struct {
	st  engine.Statement
	err error
}

// refuseStatement refuses the kinds of statements no shard of a sharded
// keyspace can answer.
func refuseStatement(plan *Plan) error {
	ks := plan.Keyspace
	switch {
	case plan.SelectFrom != nil || plan.Subqueries || plan.Engine, plan.Kind == KindDDL, plan.Kind == KindLockTables:
		return nil
	case plan.Table == nil:
		switch plan.Kind {
		case KindShow, KindSelect, KindExplain, KindDo:
			return nil
		}
	case plan.Kind == KindReplace && len(plan.Table.Owned) > 0:
		return sqlerr.Unsupported("REPLACE into table %s, which owns lookup vindexes", plan.Table)
	case plan.Kind == KindInsert, plan.Kind == KindReplace, plan.Kind == KindSelect, plan.Kind == KindUpdate, plan.Kind == KindDelete:
		return nil
	}
	if plan.Kind == KindOther && !startsStatement(plan.Query) {
		// Not a statement at all (selec 1): MySQL says so first.
		return errSyntax(fmt.Errorf("near '%.80s'", StripLeadingComments(plan.Query)))
	}
	return sqlerr.Unsupported("%s statements on sharded keyspace %s: %.80s", plan.Kind, ks.Name, plan.Query)
}

// splitIn is the statement as a template when its route is an IN list of
// arguments, which each shard gets its own values of (nil otherwise). A
// SELECT is split only when it selects columns: MariaDB names and types an
// expression's column after its text, which printing it again may change
// (`1 + 1` as `1+1`, `.5` as a DECIMAL(2,1)).
func splitIn(plan *Plan) *engine.SplitIn {
	route, ok := plan.router.(*engine.Route)
	if !ok || route.Opcode != engine.IN {
		return nil
	}
	switch s := plan.Stmt.(type) {
	case *ast.SelectStmt:
		for _, f := range s.Fields.Fields {
			if _, column := f.Expr.(*ast.ColumnNameExpr); !column && f.WildCard == nil {
				return nil
			}
		}
	case *ast.UpdateStmt, *ast.DeleteStmt:
	default:
		return nil
	}
	t, _ := printTemplate(plan.Leading, plan.Stmt, plan.Mode)
	if plan.Tail != "" {
		t = append(t, engine.Piece{Text: plan.Tail})
	}
	in, ok := t.InList(route)
	if !ok {
		return nil
	}
	return &engine.SplitIn{Statement: t, In: in, NoBackslashEscapes: plan.Mode.NoBackslashEscapes}
}

// planWriteLimit is the UPDATE or DELETE of plan for its shards one after
// another: its text with the LIMIT's count an argument of its own, after the
// statement's, and the IN list of its route, if any.
func planWriteLimit(plan *Plan, limit *ast.Limit) *engine.WriteLimit {
	arg := plan.Params() + 1
	counted := &ast.Limit{Count: &paramExpr{n: arg - 1}}
	var stmt ast.StmtNode
	var from *ast.TableRefsClause
	var where ast.ExprNode
	var order *ast.OrderByClause
	switch s := plan.Stmt.(type) {
	case *ast.UpdateStmt:
		c := *s
		c.Limit, stmt = counted, &c
		from, where, order = s.TableRefs, s.Where, s.Order
	case *ast.DeleteStmt:
		c := *s
		c.Limit, stmt = counted, &c
		from, where, order = s.TableRefs, s.Where, s.Order
	}
	t, _ := printTemplate(plan.Leading, stmt, plan.Mode)
	if plan.Tail != "" {
		t = append(t, engine.Piece{Text: plan.Tail})
	}
	wl := &engine.WriteLimit{Statement: t, Arg: arg, Count: valueCell(limit.Count), NoBackslashEscapes: plan.Mode.NoBackslashEscapes}
	if order != nil {
		// Which rows come first over all shards: their primary vindex
		// values, read and locked as the write would lock them.
		cv := plan.Table.Primary()
		sel := &ast.SelectStmt{
			SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
			From:           from, Where: where, OrderBy: order, Limit: counted,
			LockInfo: &ast.SelectLockInfo{LockType: ast.SelectLockForUpdate},
			Fields:   &ast.FieldList{Fields: []*ast.SelectField{{Expr: &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(cv.Columns[0])}}}}},
		}
		wl.Read, _ = printTemplate(plan.Leading, sel, plan.Mode)
		wl.Vindex = cv
	}
	if route, ok := plan.router.(*engine.Route); ok {
		if in, ok := t.InList(route); ok {
			wl.In = &in
		}
	}
	return wl
}

func planStatement(plan *Plan) (engine.Statement, error) {
	ks := plan.Keyspace
	switch {
	case plan.SelectFrom != nil || plan.Subqueries:
		return &engine.Staged{Keyspace: ks}, nil
	case plan.Engine:
		return &engine.Evaluated{Keyspace: ks}, nil
	case plan.Kind == KindDDL:
		return &engine.EveryShard{Keyspace: ks, What: "DDL"}, nil
	case plan.Kind == KindLockTables:
		return &engine.EveryShard{Keyspace: ks, What: "LOCK TABLES", Undo: "UNLOCK TABLES"}, nil
	case plan.Table == nil:
		return &engine.AnyShard{Keyspace: ks}, nil
	case plan.Kind == KindInsert || plan.Kind == KindReplace:
		return PlanInsert(plan)
	case plan.Kind == KindSelect:
		return &engine.Select{Keyspace: ks, Route: plan.router, Split: splitIn(plan)}, nil
	}
	w := &engine.Write{Keyspace: ks, Route: plan.router, Split: splitIn(plan), Update: plan.Kind == KindUpdate, Columns: returningColumns(plan)}
	if limit, _ := writeLimit(plan); limit != nil {
		w.Limit = planWriteLimit(plan, limit)
	}
	owned, err := PlanOwnedDML(plan)
	if err != nil {
		return nil, err
	}
	w.Owned = owned
	return w, nil
}

// returningColumns is a SELECT of a DELETE … RETURNING's list from its
// table that reads no rows: its columns, for the answer to one routed to no
// shard. "" for any other statement, and for a list that is no plain list
// of expressions, or has a ? (its text goes as the client wrote it, where
// the column names come from).
func returningColumns(plan *Plan) string {
	del, ok := plan.Stmt.(*ast.DeleteStmt)
	const keyword = " returning"
	if !ok || plan.Unparsed != "RETURNING" || del.IsMultiTable || len(plan.Tail) < len(keyword) ||
		!strings.EqualFold(plan.Tail[:len(keyword)], keyword) || strings.Contains(plan.Tail, "?") {
		return ""
	}
	list := plan.Tail[len(keyword):]
	stmt, err := parse("SELECT"+list, plan.Mode)
	sel, ok := stmt.(*ast.SelectStmt)
	if err != nil || !ok || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.Having != nil || sel.OrderBy != nil ||
		sel.Limit != nil || sel.LockInfo != nil || sel.SelectIntoOpt != nil || len(sel.WindowSpecs) > 0 {
		return ""
	}
	// On a line of its own: the list may end in a -- comment.
	return "SELECT" + list + "\nFROM " + printStmt("", del.TableRefs, nil, plan.Mode) + " LIMIT 0"
}

// Execution is the planner's part of one execution of plan with args, in
// the client's session sess.
func (p *Planner) Execution(plan *Plan, args Args, sess Session) engine.Planned {
	return &execution{p: p, plan: plan, args: args, sess: sess}
}

type execution struct {
	p    *Planner
	plan *Plan
	args Args
	sess Session
	dml  *DMLSubqueries // the subqueries of a staged UPDATE/DELETE, once read
}

func (e *execution) Route(ctx context.Context, cur engine.VindexCursor) (*engine.Routed, error) {
	return RouteStatement(ctx, e.plan, e.args, cur)
}

func (e *execution) Merge() (*engine.MergePlan, error) { return PlanMerge(e.plan, e.args) }
func (e *execution) MergeEnums(names []string) (*engine.MergePlan, error) {
	return PlanMergeEnums(e.plan, e.args, names)
}
func (e *execution) Text() string { return e.plan.Text(e.args) }
func (e *execution) Sent() string { return e.plan.AsSent() }
func (e *execution) InsertIDGenerated(id uint64) bool {
	return InsertIDGenerated(e.plan, e.args, id)
}

func (e *execution) Reads() ([]engine.Read, error) {
	if e.plan.SelectFrom != nil {
		return []engine.Read{{Keyspace: e.plan.SelectFrom.Name, SQL: InsertSource(e.plan, e.args)}}, nil
	}
	d, err := e.dmlSubqueries()
	if err != nil {
		return nil, err
	}
	reads := make([]engine.Read, len(d.Selects))
	for i, sql := range d.Selects {
		reads[i] = engine.Read{Keyspace: d.Keyspaces[i], SQL: sql}
	}
	return reads, nil
}

// dmlSubqueries lists the subqueries of a staged UPDATE or DELETE, once
// per execution: its write is the same parse with their rows written in.
func (e *execution) dmlSubqueries() (*DMLSubqueries, error) {
	if e.dml == nil {
		d, err := e.p.PlanDMLSubqueries(e.plan, e.args, e.sess)
		if err != nil {
			return nil, err
		}
		e.dml = d
	}
	return e.dml, nil
}

func (e *execution) Write(results []*engine.Result) (string, error) {
	if e.plan.SelectFrom != nil {
		if len(results[0].Rows) == 0 {
			return "", nil
		}
		return InsertValues(e.plan, e.args, results[0])
	}
	d, err := e.dmlSubqueries()
	if err != nil {
		return "", err
	}
	return d.Substitute(results)
}
