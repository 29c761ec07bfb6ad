package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/conf"
	"sidecar/engine"
)

// planJoin plans the route of a statement that reads a sharded keyspace's
// tables more than once: joins, subqueries, derived tables, UNIONs inside
// them. It runs as one query only when every table it reads is pinned to
// one shard, and the same one for all: the primary vindex column of each
// table reference is bound to a value by a condition that restricts which
// of its rows can contribute to the answer. Anything else would need a
// cross-shard join or a subquery evaluated across shards, which the router
// refuses (and the engine may answer).
//
// Not every equality restricts rows: a LEFT JOIN's ON condition filters the
// right side only (the left side's rows all appear), and a subquery's WHERE
// filters the subquery's tables, never the outer query's. So values flow
// from a condition only into the table references it restricts.
//
// Tables joined by equalities of their primary vindex columns, all of the
// same vindex, are co-located: the rows that meet are on one shard whatever
// their values, and the statement runs on every shard as it is (the merge
// only concatenates; anything more goes to the engine).
//
// What binds each column (a literal or an argument) is worked out here,
// once per statement shape; each execution maps the values
// (engine.JoinRoute).
func planJoin(sel *ast.SelectStmt, ks *conf.Keyspace) *engine.JoinRoute {
	c := &colocation{ks: ks, facts: map[columnOf]engine.Cell{}}
	c.selectStatement(sel, nil)
	c.solve()
	j := &engine.JoinRoute{Keyspace: ks, Colocated: c.colocated() && rowWiseNested(sel) && shardRows(sel, ks)}
	for _, ref := range c.refs {
		t := engine.JoinedTable{Table: ref.table, Alias: ref.alias}
		if pv := ref.table.Primary(); pv != nil && len(pv.Columns) == 1 {
			t.Vindex = pv
			t.Value, t.Bound = c.facts[columnOf{ref, strings.ToLower(pv.Columns[0])}]
		}
		j.Tables = append(j.Tables, t)
	}
	return j
}

// joinedSelect is the SELECT whose FROM and WHERE decide where a statement
// joining tables runs: the statement itself, or for a multi-table UPDATE or
// DELETE, a SELECT of its tables and conditions.
func joinedSelect(stmt ast.StmtNode) *ast.SelectStmt {
	switch s := stmt.(type) {
	case *ast.SelectStmt:
		return s
	case *ast.UpdateStmt:
		return &ast.SelectStmt{From: s.TableRefs, Where: s.Where, Fields: &ast.FieldList{}}
	case *ast.DeleteStmt:
		return &ast.SelectStmt{From: s.TableRefs, Where: s.Where, Fields: &ast.FieldList{}}
	}
	return nil
}

// colocated reports that equalities of primary vindex columns of one vindex
// connect every table reference: rows of different shards never meet.
func (c *colocation) colocated() bool {
	group := make(map[*fromRef]*fromRef, len(c.refs))
	var find func(r *fromRef) *fromRef
	find = func(r *fromRef) *fromRef {
		if p, ok := group[r]; ok && p != r {
			root := find(p)
			group[r] = root
			return root
		}
		return r
	}
	primary := func(ref *fromRef, col string) *conf.ColumnVindex {
		if ref.table == nil {
			return nil
		}
		pv := ref.table.Primary()
		if pv == nil || len(pv.Columns) != 1 || !strings.EqualFold(pv.Columns[0], col) {
			return nil
		}
		return pv
	}
	for _, cond := range c.conds {
		if cond.value != nil || cond.left == cond.right || !cond.restricts[cond.left] && !cond.restricts[cond.right] {
			// An outer join's ON binds only its nullable side: in
			// `c LEFT JOIN o ON o.k = c.k AND c.k = x.k` every row of c
			// appears, whatever x's.
			continue
		}
		l, r := primary(cond.left, cond.lcol), primary(cond.right, cond.rcol)
		if l != nil && r != nil && l.Name == r.Name {
			group[find(cond.left)] = find(cond.right)
		}
	}
	for _, ref := range c.refs {
		if find(ref) != find(c.refs[0]) {
			return false
		}
	}
	return true
}

// rowWiseNested: the derived tables of sel keep or drop rows one by one (no
// grouping, aggregates, DISTINCT, LIMIT, ordering, windows or UNION without
// ALL), and there is no WITH, so a shard's part of each is its own rows' part:
// a scatter of co-located tables may still concatenate the shards' answers.
// Subqueries in expressions need nothing of the kind: co-location makes them
// correlated with their outer rows by the primary vindex, and the rows they
// read are on the outer row's shard.
func rowWiseNested(sel *ast.SelectStmt) bool {
	ok := true
	walk(sel, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.WithClause:
			ok = false
		case *ast.SubqueryExpr:
			return false
		case *ast.TableSource:
			if t.Source != nil {
				if _, base := t.Source.(*ast.TableName); !base {
					if _, join := t.Source.(*ast.Join); !join {
						ok = ok && rowWise(t.Source)
					}
				}
			}
		}
		return ok
	})
	return ok
}

// shardRows: every row of q comes from rows of sharded tables, which are on
// one shard each, so each shard answers only its own rows. A SELECT without
// FROM (`select exists (…)`), of reference tables only, a UNION with such a
// part, or an outer join whose sharded tables are all on its optional side
// would be answered by every shard alike.
func shardRows(q ast.Node, ks *conf.Keyspace) bool {
	switch s := q.(type) {
	case *ast.SelectStmt:
		return s.From != nil && fromShardRows(s.From.TableRefs, ks)
	case *ast.SetOprStmt:
		return shardRows(s.SelectList, ks)
	case *ast.SetOprSelectList:
		for _, sel := range s.Selects {
			if !shardRows(sel, ks) {
				return false
			}
		}
		return true
	}
	return false
}

// fromShardRows: each row of the FROM item n holds a row of a sharded table
// (see shardRows).
func fromShardRows(n ast.ResultSetNode, ks *conf.Keyspace) bool {
	switch n := n.(type) {
	case *ast.Join:
		switch {
		case n.Right == nil:
			return fromShardRows(n.Left, ks)
		case n.Tp == ast.LeftJoin:
			return fromShardRows(n.Left, ks)
		case n.Tp == ast.RightJoin:
			return fromShardRows(n.Right, ks)
		}
		return fromShardRows(n.Left, ks) || fromShardRows(n.Right, ks)
	case *ast.TableSource:
		switch src := n.Source.(type) {
		case *ast.TableName:
			t := ks.Tables[src.Name.O]
			return t != nil && t.Type == conf.TypeTable && (src.Schema.L == "" || strings.EqualFold(src.Schema.O, ks.Name))
		case *ast.SelectStmt, *ast.SetOprStmt:
			return shardRows(src, ks)
		case *ast.Join:
			return fromShardRows(src, ks)
		}
	}
	return false
}

// rowWise: a query that filters and computes row by row (no grouping,
// aggregates, DISTINCT, LIMIT, ordering, windows or UNION without ALL), so
// the shards' answers together are its answer: a derived table of co-located
// tables, a part of a UNION ALL, a statement to concatenate.
func rowWise(n ast.Node) bool {
	switch s := n.(type) {
	case *ast.SelectStmt:
		return s.GroupBy == nil && s.Having == nil && !s.Distinct && s.Limit == nil && s.OrderBy == nil &&
			s.Fields != nil && !containsAggregate(s.Fields) && !hasWindow(s.Fields) && len(s.WindowSpecs) == 0
	case *ast.SetOprStmt:
		return s.OrderBy == nil && s.Limit == nil && rowWise(s.SelectList)
	case *ast.SetOprSelectList:
		return s.OrderBy == nil && s.Limit == nil && unionAll(s, rowWise)
	}
	return false
}

// fromRef is one item of a FROM clause: a table (a table joined twice is
// two references) or a derived table.
type fromRef struct {
	table *conf.Table // nil for a derived table
	alias string
}

// columnOf is a column of one table reference.
type columnOf struct {
	ref    *fromRef
	column string
}

// scope is one SELECT's FROM clause: the references its conditions can name,
// and the scope around it (for correlated subqueries).
type scope struct {
	outer *scope
	refs  []*fromRef
}

// condition is an equality that restricts the rows of the references in
// restricts: `col = value` or `col = col`.
type condition struct {
	left, right *fromRef
	lcol, rcol  string
	value       *engine.Cell // set for col = value (left side only)
	restricts   map[*fromRef]bool
}

// colocation collects the table references of a statement and the equalities
// that bind their columns to values (literals or arguments).
type colocation struct {
	ks    *conf.Keyspace
	refs  []*fromRef
	conds []condition
	facts map[columnOf]engine.Cell
}

func (c *colocation) selectStatement(stmt ast.Node, outer *scope) {
	switch s := stmt.(type) {
	case *ast.SelectStmt:
		c.with(s.With, outer)
		sc := &scope{outer: outer}
		var ons []joinOn
		if s.From != nil {
			ons = c.tableExpr(s.From.TableRefs, sc, ons)
		}
		// ON conditions are read once every reference of the scope is known,
		// and once WHERE has said which outer joins are inner joins.
		rejected := nullRejected(s.Where, sc)
		for _, on := range ons {
			restricts := refSet(on.nullable)
			if !on.outer || anyIn(on.nullable, rejected) {
				for _, r := range on.preserved {
					restricts[r] = true
				}
			}
			c.conjuncts(on.cond, sc, restricts)
			c.subqueries(sc, on.cond)
		}
		if s.Where != nil {
			c.conjuncts(s.Where, sc, refSet(sc.refs))
		}
		c.subqueries(sc, clauses(s)...)
	case *ast.SetOprStmt:
		c.with(s.With, outer)
		c.selectStatement(s.SelectList, outer)
	case *ast.SetOprSelectList:
		c.with(s.With, outer)
		for _, sel := range s.Selects {
			c.selectStatement(sel, outer)
		}
	case *ast.SubqueryExpr:
		c.selectStatement(s.Query, outer)
	}
}

// with reads the common table expressions of a WITH clause, each a scope of
// its own: a reference to one is like a derived table.
func (c *colocation) with(w *ast.WithClause, outer *scope) {
	if w == nil {
		return
	}
	for _, cte := range w.CTEs {
		c.selectStatement(cte.Query, outer)
	}
}

// joinOn is the ON condition of a join. An outer join's condition filters
// the rows of its nullable side only: every row of the preserved side appears.
type joinOn struct {
	cond                ast.ExprNode
	outer               bool
	preserved, nullable []*fromRef
}

// tableExpr adds the references of a FROM item to sc and returns the ON
// conditions to read once all references are known.
func (c *colocation) tableExpr(node ast.ResultSetNode, sc *scope, ons []joinOn) []joinOn {
	switch t := node.(type) {
	case *ast.TableSource:
		switch e := t.Source.(type) {
		case *ast.TableName:
			ref := &fromRef{alias: e.Name.O}
			if t.AsName.O != "" {
				ref.alias = t.AsName.O
			}
			if found, err := c.ks.FindTable(e.Name.O); err == nil {
				ref.table = found
				c.refs = append(c.refs, ref)
			}
			sc.refs = append(sc.refs, ref)
		default:
			// A derived table: its own scope; the outer query sees only its
			// columns, which bind none of the tables inside.
			c.selectStatement(e, sc.outer)
			sc.refs = append(sc.refs, &fromRef{alias: t.AsName.O})
		}
	case *ast.Join:
		before := len(sc.refs)
		ons = c.tableExpr(t.Left, sc, ons)
		middle := len(sc.refs)
		if t.Right == nil {
			return ons
		}
		ons = c.tableExpr(t.Right, sc, ons)
		if t.On == nil {
			return ons
		}
		left, right := sc.refs[before:middle:middle], sc.refs[middle:]
		on := joinOn{cond: t.On.Expr, nullable: sc.refs[before:]}
		switch t.Tp {
		case ast.LeftJoin:
			on = joinOn{cond: t.On.Expr, outer: true, preserved: left, nullable: right}
		case ast.RightJoin:
			on = joinOn{cond: t.On.Expr, outer: true, preserved: right, nullable: left}
		}
		ons = append(ons, on)
	}
	return ons
}

// nullRejected lists the references a WHERE equality names: rows of theirs
// extended with NULLs by an outer join never pass it, which makes that join
// an inner one.
func nullRejected(where ast.ExprNode, sc *scope) map[*fromRef]bool {
	set := map[*fromRef]bool{}
	for _, conj := range splitAnd(where, nil) {
		cmp, ok := conj.(*ast.BinaryOperationExpr)
		if !ok || cmp.Op != opcode.EQ {
			continue
		}
		for _, side := range []ast.ExprNode{cmp.L, cmp.R} {
			if cn, ok := side.(*ast.ColumnNameExpr); ok {
				if ref := sc.resolve(cn); ref != nil {
					set[ref] = true
				}
			}
		}
	}
	return set
}

func anyIn(refs []*fromRef, set map[*fromRef]bool) bool {
	for _, r := range refs {
		if set[r] {
			return true
		}
	}
	return false
}

// subqueries reads the subqueries found in nodes, each in a scope of its own
// inside sc.
func (c *colocation) subqueries(sc *scope, nodes ...ast.Node) {
	for _, n := range nodes {
		walk(n, func(node ast.Node) bool {
			if sq, ok := node.(*ast.SubqueryExpr); ok {
				c.selectStatement(sq.Query, sc)
				return false
			}
			return true
		})
	}
}

// conjuncts records the AND-ed equalities of e, read in sc, restricting the
// rows of the references in restricts.
func (c *colocation) conjuncts(e ast.ExprNode, sc *scope, restricts map[*fromRef]bool) {
	for _, conj := range splitAnd(e, nil) {
		cmp, ok := conj.(*ast.BinaryOperationExpr)
		if !ok || cmp.Op != opcode.EQ {
			continue
		}
		l, lok := cmp.L.(*ast.ColumnNameExpr)
		r, rok := cmp.R.(*ast.ColumnNameExpr)
		switch {
		case lok && rok:
			lref, rref := sc.resolve(l), sc.resolve(r)
			if lref != nil && rref != nil {
				c.conds = append(c.conds, condition{left: lref, lcol: l.Name.Name.L, right: rref, rcol: r.Name.Name.L, restricts: restricts})
			}
		case lok || rok:
			col, other := l, cmp.R
			if rok {
				col, other = r, cmp.L
			}
			ref := sc.resolve(col)
			if v := valueCell(other); (v.Known || v.Arg > 0) && ref != nil {
				c.conds = append(c.conds, condition{left: ref, lcol: col.Name.Name.L, value: &v, restricts: restricts})
			}
		}
	}
}

// solve derives the values columns are bound to, letting a value flow through
// an equality only into a reference whose rows that equality restricts.
func (c *colocation) solve() {
	for changed := true; changed; {
		changed = false
		learn := func(ref *fromRef, col string, v engine.Cell, restricts map[*fromRef]bool) {
			k := columnOf{ref, col}
			if _, known := c.facts[k]; !known && restricts[ref] {
				c.facts[k] = v
				changed = true
			}
		}
		for _, cond := range c.conds {
			if cond.value != nil {
				learn(cond.left, cond.lcol, *cond.value, cond.restricts)
				continue
			}
			if v, ok := c.facts[columnOf{cond.right, cond.rcol}]; ok {
				learn(cond.left, cond.lcol, v, cond.restricts)
			}
			if v, ok := c.facts[columnOf{cond.left, cond.lcol}]; ok {
				learn(cond.right, cond.rcol, v, cond.restricts)
			}
		}
	}
}

// resolve finds the reference a column names: by qualifier, innermost scope
// first; unqualified, only when its scope reads one table.
func (sc *scope) resolve(cn *ast.ColumnNameExpr) *fromRef {
	q := cn.Name.Table.O
	if q == "" {
		if len(sc.refs) == 1 {
			return sc.refs[0]
		}
		return nil
	}
	for s := sc; s != nil; s = s.outer {
		for _, ref := range s.refs {
			if strings.EqualFold(ref.alias, q) {
				return ref
			}
		}
	}
	return nil
}

func refSet(refs []*fromRef) map[*fromRef]bool {
	set := make(map[*fromRef]bool, len(refs))
	for _, r := range refs {
		set[r] = true
	}
	return set
}

// clauses are the parts of a SELECT besides FROM that may hold subqueries:
// those it has (an absent clause is a nil pointer, which no walk may visit).
func clauses(s *ast.SelectStmt) []ast.Node {
	var out []ast.Node
	if s.Fields != nil {
		out = append(out, s.Fields)
	}
	if s.Where != nil {
		out = append(out, s.Where)
	}
	if s.GroupBy != nil {
		out = append(out, s.GroupBy)
	}
	if s.Having != nil {
		out = append(out, s.Having)
	}
	if s.OrderBy != nil {
		out = append(out, s.OrderBy)
	}
	return out
}
