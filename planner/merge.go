package planner

// Scatter merge planning. A SELECT on one sharded table that goes to several
// shards is answered from the shards' results the way MySQL would answer it
// from one server holding all rows:
//
//   - ORDER BY: every shard sorts, the executor merges the sorted streams.
//   - LIMIT o, n: every shard is asked for o+n rows, the merge skips o and
//     stops after n.
//   - GROUP BY, aggregates, DISTINCT: every shard groups and sorts by the
//     group keys, the executor combines equal groups of the merged stream:
//     COUNT and SUM add up, MIN and MAX compare, AVG is sent as AVG plus a
//     hidden SUM and COUNT and computed from those.
//   - HAVING: see having.go; expressions over aggregates (count(*) + 1):
//     project.go; COUNT/SUM(DISTINCT e): distinct.go.
//
// The shard statement is the client's with hidden columns appended at the
// end of the select list: ORDER BY / GROUP BY expressions that are not
// selected, the partial sums and counts of AVG, and for every key that may be
// a string, weight_string(key) and the collation's weight of a space (see
// padWeight). Comparing weight strings is how the merge orders and groups
// strings exactly as the shard did, whatever the column's collation: the
// column definitions of a result carry the connection's collation, not the
// column's, so the merge could not know it otherwise. Visible columns keep
// their position, and unaliased expressions get their text as typed by the
// client as alias, so the client sees the names and types MySQL would send.
//
// What the merge cannot answer exactly is refused, naming the construct.

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// unmergeable are aggregate functions whose partial results cannot be
// combined into MySQL's answer.
var unmergeable = map[string]bool{"std": true, "stddev": true, "stddev_pop": true, "stddev_samp": true,
	"variance": true, "var_pop": true, "var_samp": true, "json_arrayagg": true, "json_objectagg": true}

// PlanMerge plans a SELECT that goes to several shards. It returns nil when
// the shards' results can simply be concatenated (no ORDER BY, LIMIT,
// GROUP BY, aggregates or DISTINCT). The shard statement is printed from the
// parsed one, which the planner read in the session's sql_mode (plan.Mode).
//
// What depends on the statement's shape only (keys, aggregates, hidden
// columns, the shards' statement) is planned once per plan, so once per
// cached shape and per prepared statement; an execution only prints the
// shards' statement with its arguments. A LIMIT of arguments (LIMIT ? in a
// prepared statement) is the exception: its merge is planned per execution.
func PlanMerge(plan *Plan, args Args) (*engine.MergePlan, error) {
	b, err := plan.mergeTemplate().builderFor(plan, args)
	if err != nil || b == nil {
		return nil, err // nil: concatenated
	}
	return b.render(plan, args)
}

// PlanMergeEnums plans plan's merge again after the merge found keys that
// are ENUM or SET columns, names naming them (engine.EnumKeys): MySQL sorts
// and groups those by their index, which the shards then add as a hidden
// (key)+0 column. The statement does not say which columns are ENUMs; their
// column definitions do. The plan keeps the knowledge for its next
// executions (another execution may have added it meanwhile: it is added
// again, the same). A key that is no column of the table ("") has no index
// to ask for: refused.
func PlanMergeEnums(plan *Plan, args Args, names []string) (*engine.MergePlan, error) {
	refused := &engine.EnumKeys{Names: names}
	if len(names) == 0 || slices.Contains(names, "") {
		return nil, refused
	}
	enums := maps.Clone(plan.mergeTemplate().enums)
	if enums == nil {
		enums = map[string]bool{}
	}
	for _, name := range names {
		enums[name] = true
	}
	t := buildMergeTemplate(plan, enums)
	if plan.mergeEnums != nil {
		plan.mergeEnums.Store(&t)
	}
	b, err := t.builderFor(plan, args)
	if err != nil || b == nil {
		return nil, cmp.Or(err, error(refused))
	}
	return b.render(plan, args)
}

// builderFor is the template's builder, built for args when the template is
// planned per execution; nil when the shards' results are concatenated.
func (t *mergeTemplate) builderFor(plan *Plan, args Args) (*mergeBuilder, error) {
	switch {
	case t.err != nil:
		return nil, t.err
	case t.perExecution:
		b := &mergeBuilder{table: plan.Table.String(), args: args, hiddenKeys: map[string]int{}, enums: t.enums}
		if err := b.build(plan.Stmt.(*ast.SelectStmt), plan); err != nil || b.shard == nil {
			return nil, err
		}
		return b, nil
	}
	return t.builder, nil
}

// checkMerge refuses what PlanMerge cannot answer, before any shard is asked.
func checkMerge(plan *Plan) error {
	return plan.mergeTemplate().err
}

type mergeTemplate struct {
	builder *mergeBuilder // nil: the shards' results are concatenated
	// perExecution: LIMIT, HAVING or an expression over aggregates takes
	// arguments, which the merge's steps hold: planned per execution.
	perExecution bool
	err          error
	// enums are the key columns found to be ENUM or SET columns (by
	// MergeKey.Name; see PlanMergeEnums).
	enums map[string]bool
}

// mergeTemplate returns the plan's merge template, built the first time the
// statement goes to several shards (or the one PlanMergeEnums made).
func (plan *Plan) mergeTemplate() *mergeTemplate {
	if plan.mergeEnums != nil {
		if t := plan.mergeEnums.Load(); t != nil {
			return t
		}
	}
	return plan.merge.get(func() mergeTemplate { return buildMergeTemplate(plan, nil) })
}

func buildMergeTemplate(plan *Plan, enums map[string]bool) mergeTemplate {
	table := plan.Table.String()
	switch s := plan.Stmt.(type) {
	case *ast.SelectStmt:
		if s.Limit != nil && (isParam(s.Limit.Count) || isParam(s.Limit.Offset)) || s.Having != nil && contains(s.Having, isParam) || computedArgs(s) {
			// Validated without its arguments; planned per execution.
			b := &mergeBuilder{table: table, validate: true, hiddenKeys: map[string]int{}, enums: enums}
			return mergeTemplate{perExecution: true, err: b.build(s, plan), enums: enums}
		}
		b := &mergeBuilder{table: table, hiddenKeys: map[string]int{}, enums: enums}
		if err := b.build(s, plan); err != nil {
			return mergeTemplate{err: err}
		}
		if b.shard == nil {
			return mergeTemplate{}
		}
		return mergeTemplate{builder: b, enums: enums}
	case *ast.SetOprStmt:
		if plainUnionAll(s) {
			return mergeTemplate{} // every shard answers its part; concatenation is the union
		}
		return mergeTemplate{err: sqlerr.Unsupported("UNION in a SELECT across shards of %s (only UNION ALL of plain SELECTs)", table)}
	}
	return mergeTemplate{}
}

func isParam(n ast.Node) bool {
	_, ok := n.(*paramExpr)
	return ok
}

// concatenated: a SELECT of several co-located tables whose per-shard
// results together are the answer: nothing to order, limit, group,
// aggregate or deduplicate across shards.
func concatenated(s *ast.SelectStmt) bool {
	return rowWise(s) && s.With == nil && (s.SelectStmtOpts == nil || !s.SelectStmtOpts.CalcFoundRows) && s.From != nil
}

// plainUnionAll: UNION ALL of SELECTs that a concatenation answers.
func plainUnionAll(n ast.Node) bool {
	switch s := n.(type) {
	case *ast.SelectStmt:
		// A window function numbers or sums a shard's rows, not the
		// table's: rowWise leaves them out.
		return rowWise(s) && s.With == nil && !hasSubquery(s) && isTable(s.From)
	case *ast.SetOprStmt:
		return s.OrderBy == nil && s.Limit == nil && s.With == nil && plainUnionAll(s.SelectList)
	case *ast.SetOprSelectList:
		return s.OrderBy == nil && s.Limit == nil && s.With == nil && unionAll(s, plainUnionAll)
	}
	return false
}

// unionAll: the SELECTs of s are joined by UNION ALL only, and each is ok.
func unionAll(s *ast.SetOprSelectList, ok func(ast.Node) bool) bool {
	for i, sel := range s.Selects {
		var op *ast.SetOprType
		switch b := sel.(type) {
		case *ast.SelectStmt:
			op = b.AfterSetOperator
		case *ast.SetOprSelectList:
			op = b.AfterSetOperator
		}
		if (i > 0 && (op == nil || *op != ast.UnionAll)) || !ok(sel) {
			return false
		}
	}
	return true
}

// isTable reports a FROM clause that is one table; none (DUAL) is no table:
// every shard would return its constant row.
func isTable(from *ast.TableRefsClause) bool {
	if from == nil || from.TableRefs == nil || from.TableRefs.Right != nil {
		return false
	}
	ts, ok := from.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return false
	}
	_, ok = ts.Source.(*ast.TableName)
	return ok
}

type mergeBuilder struct {
	table    string
	args     Args
	validate bool

	shard      *ast.SelectStmt // the shards' statement, without its select list
	items      []mergeItem
	star       bool
	hidden     []*ast.SelectField
	hiddenKeys map[string]int // exprKey → hidden index
	grouped    bool
	groupExprs map[string]bool // exprKey of each GROUP BY expression (and alias)
	// tables: the statement reads several (co-located) tables, whose
	// qualifiers tell their columns apart.
	tables bool
	// enums: the keys that are ENUM or SET columns, by MergeKey.Name (see
	// PlanMergeEnums).
	enums map[string]bool
	// columns are the table's, lower-case, when a GROUP BY name is also an
	// alias (Plan.groupColumns).
	columns map[string]bool

	// The merge's steps (see steps): the shards' sort keys, the groups and
	// aggregates an Aggregate combines rows by, the columns computed from
	// them, the HAVING condition on the combined groups, their sort, OFFSET
	// and LIMIT.
	order, groups, post []engine.MergeKey
	aggs                []engine.MergeAgg
	computed            []engine.Computed
	filter              engine.Condition
	offset, count       uint64
	mp                  engine.MergePlan

	// COUNT/SUM(DISTINCT distinctArg): the shards group by it too (its key
	// distinctKey), and inner combines their groups before aggs do.
	distinctArg ast.ExprNode
	distinctKey engine.MergeKey
	inner       []engine.MergeAgg
}

// mergeItem is an item of the client's select list.
type mergeItem struct {
	expr  ast.ExprNode // nil for * and t.*
	alias string
	pos   int // column position; -1 after a *
	agg   *ast.AggregateFuncExpr
	// computed: an expression over aggregates (count(*) + 1), which the
	// merge computes from the combined aggregates (see project.go).
	computed bool
}

// build plans the merge of sel's results into b: b.mp (without its SQL) and
// b.shard, the shards' statement without its select list (see render). No
// merge is needed, the results are concatenated, when b.shard stays nil.
func (b *mergeBuilder) build(sel *ast.SelectStmt, plan *Plan) error {
	t := b.table
	b.columns = plan.groupColumns
	if hasSubquery(sel) || !isTable(sel.From) {
		// Co-located tables: a JoinRoute sends no other join or subquery to
		// several shards. Each shard's rows are its part of the answer, to
		// concatenate, or to merge as one table's are.
		if concatenated(sel) {
			return nil
		}
		b.tables = true
	}
	windows := len(sel.WindowSpecs) > 0 || hasWindow(sel.Fields) || sel.OrderBy != nil && contains(sel.OrderBy, isWindowFunc)
	if windows && !partitionedByVindex(sel, plan.Table) {
		return sqlerr.Unsupported("window functions not partitioned by the primary vindex column in a SELECT across shards of %s", t)
	}
	if sel.GroupBy != nil && sel.GroupBy.Rollup {
		return sqlerr.Unsupported("GROUP BY … WITH ROLLUP in a SELECT across shards of %s", t)
	}
	if sel.SelectStmtOpts != nil && sel.SelectStmtOpts.CalcFoundRows {
		return sqlerr.Unsupported("SQL_CALC_FOUND_ROWS in a SELECT across shards of %s", t)
	}
	if err := b.findDistinctArg(sel); err != nil {
		return err
	}
	hasAgg := false
	pos := 0
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			b.star = true
			pos = -1
			b.items = append(b.items, mergeItem{pos: -1})
			continue
		}
		// An expression over aggregates is computed from the combined
		// ones (see project.go), once the groups are planned.
		computed := containsAggregate(f.Expr) && !isAggregateCall(f.Expr)
		var agg *ast.AggregateFuncExpr
		if !computed {
			var err error
			if agg, err = b.aggregateOf(f.Expr); err != nil {
				return err
			}
		}
		hasAgg = hasAgg || agg != nil || computed
		b.items = append(b.items, mergeItem{expr: f.Expr, alias: f.AsName.L, pos: pos, agg: agg, computed: computed})
		if pos >= 0 {
			pos++
		}
	}
	var groupBy, orderBy []*ast.ByItem
	if sel.GroupBy != nil {
		groupBy = sel.GroupBy.Items
	}
	if sel.OrderBy != nil {
		orderBy = sel.OrderBy.Items
	}
	for _, g := range groupBy {
		if containsAggregate(g.Expr) {
			return sqlerr.Unsupported("aggregate functions in GROUP BY (%s)", nodeText(g.Expr))
		}
		if g.Desc {
			return sqlerr.Unsupported("GROUP BY … DESC in a SELECT across shards of %s (ORDER BY … DESC says it)", t)
		}
	}
	b.grouped = len(groupBy) > 0 || hasAgg
	distinct := sel.Distinct
	switch {
	case sel.Having != nil && (!b.grouped || hasSubquery(sel.Having)):
		return sqlerr.Unsupported("HAVING in a SELECT across shards of %s", t)
	case windows && b.grouped:
		return sqlerr.Unsupported("window functions together with GROUP BY or aggregate functions in a SELECT across shards of %s", t)
	case b.grouped && b.star:
		return sqlerr.Unsupported("* together with GROUP BY or aggregate functions in a SELECT across shards of %s", t)
	case distinct && b.grouped:
		return sqlerr.Unsupported("DISTINCT together with GROUP BY or aggregate functions in a SELECT across shards of %s", t)
	case distinct && b.star:
		return sqlerr.Unsupported("SELECT DISTINCT * across shards of %s (name the columns)", t)
	}
	for _, o := range orderBy {
		if !b.grouped && containsAggregate(o.Expr) {
			return sqlerr.Unsupported("aggregate functions in ORDER BY without GROUP BY across shards of %s", t)
		}
		if b.grouped {
			if _, err := b.aggregateOf(o.Expr); err != nil {
				return err
			}
		}
	}
	b.offset, b.count = 0, engine.NoLimit
	if sel.Limit != nil {
		var err error
		if b.offset, b.count, err = b.limit(sel.Limit); err != nil {
			return err
		}
	}
	if !b.grouped && !distinct && len(orderBy) == 0 && sel.Limit == nil {
		return nil
	}

	shard := *sel // the shard's statement: a copy, the plan's AST is shared
	var order []mergeOrder
	for _, o := range orderBy {
		if isNull(o.Expr) || (b.grouped && len(groupBy) == 0) {
			continue // ORDER BY NULL, or of the one row of aggregates without GROUP BY
		}
		col, expr, err := b.resolve(o.Expr, false)
		if err != nil {
			return err
		}
		order = append(order, mergeOrder{col: col, expr: expr, desc: o.Desc})
	}
	pushLimit := true
	switch {
	case b.grouped:
		if err := b.planGroups(groupBy, order, &pushLimit); err != nil {
			return err
		}
		if b.distinctArg != nil {
			if err := b.planDistinctArg(len(groupBy) > 0); err != nil {
				return err
			}
			pushLimit = false // a LIMIT of groups does not limit the shards' (group, value) rows
		}
		if err := b.planComputed(); err != nil {
			return err
		}
		if sel.Having != nil {
			pushed, filter, err := b.having(sel.Having.Expr)
			if err != nil {
				return err
			}
			shard.Having = nil
			if len(pushed) > 0 {
				shard.Having = &ast.HavingClause{Expr: conjoin(pushed)}
			}
			if b.filter = filter; filter != nil {
				pushLimit = false // the groups the filter drops leave room for others
			}
		}
	case distinct:
		if err := b.planDistinct(order); err != nil {
			return err
		}
		if len(b.hidden) > 0 {
			// The shards' DISTINCT is over the hidden columns too: 'beta' and
			// 'Beta ' are one value but two weight strings, two rows that
			// would fill a LIMIT the merge then leaves short.
			pushLimit = false
		}
	default:
		for _, o := range order {
			b.order = append(b.order, b.key(o.col, o.expr, o.desc))
		}
	}

	b.mp.Hidden = len(b.hidden)
	b.mp.Columns = len(b.items)
	if b.star {
		b.mp.Columns = -1
	}
	if b.grouped {
		shard.GroupBy = nil
		if groups := b.shardGroups(); len(groups) > 0 {
			shard.GroupBy = &ast.GroupByClause{}
			for _, k := range groups {
				shard.GroupBy.Items = append(shard.GroupBy.Items, &ast.ByItem{Expr: b.ordinal(k.Col)})
			}
		}
	}
	if !b.star {
		shard.OrderBy = nil // else positions after a * are unknown: as the client wrote it
		if len(b.order) > 0 {
			shard.OrderBy = &ast.OrderByClause{}
			for _, k := range b.order {
				shard.OrderBy.Items = append(shard.OrderBy.Items, &ast.ByItem{Expr: b.ordinal(k.Col), Desc: k.Desc})
			}
		}
	}
	shard.Limit = nil
	if sel.Limit != nil && pushLimit {
		n := b.offset + b.count
		if n < b.offset {
			n = engine.NoLimit // overflow: everything
		}
		shard.Limit = &ast.Limit{Count: literal(vindex.Value{Kind: vindex.Uint64, Raw: strconv.AppendUint(nil, n, 10)})}
	}
	b.mp.Top = b.steps(b.grouped || distinct)
	b.shard = &shard
	return nil
}

// steps is the merge's tree: the shards' streams merged by the sort keys or
// concatenated, equal groups combined (aggregate: GROUP BY, aggregates or
// DISTINCT), the columns computed from the combined aggregates, the groups
// filtered by HAVING, sorted, OFFSET and LIMIT.
func (b *mergeBuilder) steps(aggregate bool) engine.MergeStep {
	var top engine.MergeStep = &engine.Concat{}
	if len(b.order) > 0 {
		top = &engine.MergeSort{Keys: b.order}
	}
	if b.distinctArg != nil {
		// The shards' groups of (group keys, distinct value) combined
		// first, then the groups.
		top = &engine.Aggregate{Groups: b.shardGroups(), Aggregates: b.inner, Source: top}
	}
	if aggregate {
		top = &engine.Aggregate{Groups: b.groups, Aggregates: b.aggs, Source: top}
	}
	if len(b.computed) > 0 {
		top = &engine.Project{Columns: b.computed, Source: top}
	}
	if b.filter != nil {
		top = &engine.Filter{Cond: b.filter, Source: top}
	}
	if len(b.post) > 0 {
		top = &engine.MemorySort{Keys: b.post, Source: top}
	}
	if b.offset > 0 || b.count != engine.NoLimit {
		top = &engine.Limit{Offset: b.offset, Count: b.count, Source: top}
	}
	return top
}

// render is the merge plan of one execution: the shards' statement gets the
// client's select list (named as the client typed it, see namedItems) and
// the hidden columns, and is printed with the execution's arguments.
func (b *mergeBuilder) render(plan *Plan, args Args) (*engine.MergePlan, error) {
	mp := b.mp
	shard := *b.shard
	fields := namedItems(plan.Stmt.(*ast.SelectStmt), plan.Query)
	for _, c := range b.computed {
		fields[c.Col.Index] = typeOnly(fields[c.Col.Index])
	}
	shard.Fields = &ast.FieldList{Fields: append(fields, b.hidden...)}
	mp.SQL = printStmt(plan.Leading, &shard, args, plan.Mode)
	return &mp, nil
}

type mergeOrder struct {
	col  engine.MergeCol
	expr ast.ExprNode
	desc bool
}

// planGroups plans GROUP BY and aggregates: shards group and sort by the
// group keys. When the client's ORDER BY uses only group keys, the shards
// sort in that order and the merged groups stream out; otherwise the groups
// are merged in group-key order, held, and sorted at the end.
func (b *mergeBuilder) planGroups(groupBy []*ast.ByItem, order []mergeOrder, pushLimit *bool) error {
	b.groupExprs = map[string]bool{}
	for _, g := range groupBy {
		col, expr, err := b.resolve(g.Expr, true)
		if err != nil {
			return err
		}
		if _, pos := g.Expr.(*ast.PositionExpr); !pos {
			b.groupExprs[b.exprKey(g.Expr)] = true
		}
		if expr != nil {
			b.groupExprs[b.exprKey(expr)] = true
		}
		if !b.hasGroup(col) {
			b.groups = append(b.groups, b.key(col, expr, false))
		}
	}
	for i, it := range b.items {
		if it.agg != nil {
			if err := b.addAggregate(engine.MergeCol{Index: i}, it.agg); err != nil {
				return err
			}
		}
	}
	if len(b.groups) == 0 {
		return nil // one group: ORDER BY has nothing to order
	}
	onGroups := true
	for _, o := range order {
		if !b.hasGroup(o.col) {
			onGroups = false
		}
	}
	if onGroups {
		b.orderByGroups(order)
		return nil
	}
	b.order = append(b.order, b.groups...)
	for _, o := range order {
		b.post = append(b.post, b.key(o.col, o.expr, o.desc))
	}
	*pushLimit = false
	return nil
}

// planDistinct treats SELECT DISTINCT like GROUP BY on every selected column.
func (b *mergeBuilder) planDistinct(order []mergeOrder) error {
	for i, it := range b.items {
		b.groups = append(b.groups, b.key(engine.MergeCol{Index: i}, it.expr, false))
	}
	for _, o := range order {
		if o.col.Hidden {
			return sqlerr.Unsupported("ORDER BY of a column that is not selected in a SELECT DISTINCT across shards of %s", b.table)
		}
	}
	b.orderByGroups(order)
	return nil
}

// orderByGroups sorts the shards' rows by the client's ORDER BY, whose keys
// are all group keys, then by the other group keys: equal groups come out
// adjacent, in the client's order.
func (b *mergeBuilder) orderByGroups(order []mergeOrder) {
	used := map[engine.MergeCol]bool{}
	for _, o := range order {
		if !used[o.col] {
			used[o.col] = true
			k := b.groupKey(o.col)
			k.Desc = o.desc
			b.order = append(b.order, k)
		}
	}
	for _, k := range b.groups {
		if !used[k.Col] {
			b.order = append(b.order, k)
		}
	}
}

func (b *mergeBuilder) hasGroup(c engine.MergeCol) bool {
	for _, k := range b.groups {
		if k.Col == c {
			return true
		}
	}
	return false
}

func (b *mergeBuilder) hasAggregate(c engine.MergeCol) bool {
	for _, a := range b.aggs {
		if a.Col == c {
			return true
		}
	}
	return false
}

func (b *mergeBuilder) groupKey(c engine.MergeCol) engine.MergeKey {
	for _, k := range b.groups {
		if k.Col == c {
			return k
		}
	}
	return engine.MergeKey{Col: c}
}

// addAggregate registers how an aggregate column is combined, adding AVG's
// partial SUM and COUNT and the weights of MIN/MAX of strings as hidden
// columns.
func (b *mergeBuilder) addAggregate(col engine.MergeCol, f *ast.AggregateFuncExpr) error {
	fn := engine.AggFuncNamed(strings.ToLower(f.F))
	a := engine.MergeAgg{Func: fn, Col: col}
	switch fn {
	case engine.AggAvg:
		a.Sum = b.addHidden(&ast.AggregateFuncExpr{F: "sum", Args: f.Args})
		a.Count = b.addHidden(&ast.AggregateFuncExpr{F: "count", Args: f.Args})
	case engine.AggMin, engine.AggMax:
		if len(f.Args) == 1 && numericExpr(f.Args[0]) {
			break
		}
		a.HasWeight = true
		a.Weight = b.addHidden(weightString(f))
		a.Pad = b.addHidden(padWeight(f))
	}
	b.aggs = append(b.aggs, a)
	b.inner = append(b.inner, innerAggregates(a, f)...)
	return nil
}

// key makes a sort or group key of a column; expr (nil when unknown: a
// position inside a *) gets weight columns unless it is surely a number.
func (b *mergeBuilder) key(col engine.MergeCol, expr ast.ExprNode, desc bool) engine.MergeKey {
	k := engine.MergeKey{Col: col, Desc: desc}
	if cn, ok := expr.(*ast.ColumnNameExpr); ok { // maybe an ENUM or SET
		name := cn.Name.Name.L // t.e and e are one column of one table; co-located tables tell theirs apart
		if cn.Name.Table.L != "" && b.tables {
			name = cn.Name.Table.L + "." + name
		}
		k.Name = name
		if b.enums[name] {
			k.HasIndex = true
			k.Index = b.addHidden(&ast.BinaryOperationExpr{Op: opcode.Plus, L: cn, R: literal(vindex.NewInt64(0))})
		}
	}
	if expr != nil && !numericExpr(expr) {
		if agg, _ := expr.(*ast.AggregateFuncExpr); agg != nil && engine.AggFuncNamed(strings.ToLower(agg.F)) != 0 {
			// An aggregate key: MIN/MAX weights are the aggregate's own.
			for _, a := range b.aggs {
				if a.Col == col && a.HasWeight {
					k.HasWeight, k.Weight, k.Pad = true, a.Weight, a.Pad
					return k
				}
			}
		}
		k.HasWeight = true
		k.Weight = b.addHidden(weightString(expr))
		k.Pad = b.addHidden(padWeight(expr))
	}
	return k
}

// resolve finds the column an ORDER BY or GROUP BY expression designates: a
// position, an alias (ORDER BY looks at aliases first, as MySQL does), a
// selected expression, or else a new hidden column.
func (b *mergeBuilder) resolve(e ast.ExprNode, group bool) (engine.MergeCol, ast.ExprNode, error) {
	clause := "order clause"
	if group {
		clause = "group statement"
	}
	if p, ok := e.(*ast.PositionExpr); ok {
		n := p.N
		if p.P != nil || n < 1 || (!b.star && n > len(b.items)) {
			return engine.MergeCol{}, nil, sqlerr.New(1054, "42S22", "Unknown column '%s' in '%s'", nodeText(p), clause)
		}
		col := engine.MergeCol{Index: n - 1}
		for _, it := range b.items {
			if it.pos == n-1 {
				return col, it.expr, nil
			}
		}
		return col, nil, nil // inside a *
	}
	if cn, ok := e.(*ast.ColumnNameExpr); ok && cn.Name.Table.L == "" && !(group && b.columns[cn.Name.Name.L]) {
		// (GROUP BY a name of the table's columns and of an alias is the
		// column, in MySQL.)
		name := cn.Name.Name.L
		for _, it := range b.items {
			if it.alias == "" || it.alias != name {
				continue
			}
			if it.pos < 0 { // after a *: its position is unknown, a hidden copy has its values
				return b.addHidden(it.expr), it.expr, nil
			}
			if group && b.exprKey(it.expr) != b.exprKey(cn) && b.columns == nil && b.namesColumn(name) {
				// MySQL groups by the table's column of that name, not by the
				// alias: which one the client meant is not visible here (the
				// table's columns are not known: co-located tables).
				return engine.MergeCol{}, nil, sqlerr.Unsupported("GROUP BY %s, both an alias and a column, across shards of %s", cn.Name.Name.O, b.table)
			}
			return engine.MergeCol{Index: it.pos}, it.expr, nil
		}
	}
	key := b.exprKey(e)
	for _, it := range b.items {
		if it.expr != nil && it.pos >= 0 && b.exprKey(it.expr) == key {
			return engine.MergeCol{Index: it.pos}, it.expr, nil
		}
	}
	col := b.addHidden(e)
	if b.grouped {
		agg, err := b.aggregateOf(e)
		if err != nil {
			return engine.MergeCol{}, nil, err
		}
		if agg != nil && !b.hasAggregate(col) {
			return col, e, b.addAggregate(col, agg)
		}
	}
	return col, e, nil
}

// namesColumn reports whether the statement refers to a column of this name
// anywhere (evidence that the table has one).
func (b *mergeBuilder) namesColumn(name string) bool {
	found := false
	for _, it := range b.items {
		walk(it.expr, func(n ast.Node) bool {
			if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Name.L == name {
				found = true
			}
			return !found
		})
	}
	return found
}

func (b *mergeBuilder) addHidden(e ast.ExprNode) engine.MergeCol {
	key := b.exprKey(e)
	if i, ok := b.hiddenKeys[key]; ok {
		return engine.MergeCol{Index: i, Hidden: true}
	}
	b.hiddenKeys[key] = len(b.hidden)
	b.hidden = append(b.hidden, &ast.SelectField{Expr: e})
	return engine.MergeCol{Index: len(b.hidden) - 1, Hidden: true}
}

// ordinal is the 1-based position of a column in the shard's select list
// (known: there is no * when this is used).
func (b *mergeBuilder) ordinal(c engine.MergeCol) ast.ExprNode {
	n := c.Index + 1
	if c.Hidden {
		n += len(b.items)
	}
	return literal(vindex.NewInt64(int64(n)))
}

// aggregateOf returns e if it is an aggregate the merge combines, nil if e
// has no aggregate, and an error naming what cannot be merged.
func (b *mergeBuilder) aggregateOf(e ast.ExprNode) (*ast.AggregateFuncExpr, error) {
	t := b.table
	if f, ok := e.(*ast.AggregateFuncExpr); ok {
		name := strings.ToLower(f.F)
		if name == "group_concat" {
			return nil, sqlerr.Unsupported("GROUP_CONCAT in a SELECT across shards of %s (%s)", t, nodeText(f))
		}
		fn := engine.AggFuncNamed(name)
		if unmergeable[name] || fn == 0 {
			return nil, sqlerr.Unsupported("%s in a SELECT across shards of %s", strings.ToUpper(name), t)
		}
		if f.Distinct && fn != engine.AggMin && fn != engine.AggMax {
			if err := b.distinctAggregate(f, fn); err != nil {
				return nil, err
			}
		}
		for _, a := range f.Args {
			if containsAggregate(a) {
				return nil, sqlerr.Unsupported("nested aggregate functions (%s)", nodeText(f))
			}
		}
		return f, nil
	}
	if containsAggregate(e) {
		return nil, sqlerr.Unsupported("aggregate functions inside an expression in a SELECT across shards of %s (%s)", t, nodeText(e))
	}
	return nil, nil
}

func containsAggregate(node ast.Node) bool {
	return contains(node, func(n ast.Node) bool { _, ok := n.(*ast.AggregateFuncExpr); return ok })
}

// hasWindow reports a window function in a select list.
func hasWindow(fields *ast.FieldList) bool {
	return fields != nil && contains(fields, isWindowFunc)
}

func isWindowFunc(n ast.Node) bool { _, ok := n.(*ast.WindowFuncExpr); return ok }

// partitionedByVindex: every window of sel partitions by the table's primary
// vindex column, so no partition spans shards and each shard computes its
// rows' window values exactly.
func partitionedByVindex(sel *ast.SelectStmt, t *conf.Table) bool {
	pv := t.Primary()
	if pv == nil || len(pv.Columns) != 1 {
		return false
	}
	named := map[string]*ast.WindowSpec{}
	for i := range sel.WindowSpecs {
		named[sel.WindowSpecs[i].Name.L] = &sel.WindowSpecs[i]
	}
	alias := aliasOf(sel.From)
	partitioned := func(spec *ast.WindowSpec) bool {
		// A window naming another inherits its PARTITION BY.
		for seen := 0; spec != nil && spec.PartitionBy == nil && seen < len(named)+1; seen++ {
			ref := spec.Ref.L
			if spec.OnlyAlias || ref == "" {
				ref = spec.Name.L
			}
			if next := named[ref]; next != spec {
				spec = next
			} else {
				break
			}
		}
		if spec == nil || spec.PartitionBy == nil {
			return false
		}
		for _, item := range spec.PartitionBy.Items {
			if cn, ok := item.Expr.(*ast.ColumnNameExpr); ok && ownColumn(cn, t, alias) && strings.EqualFold(cn.Name.Name.O, pv.Columns[0]) {
				return true
			}
		}
		return false
	}
	ok := true
	for i := range sel.WindowSpecs {
		ok = ok && partitioned(&sel.WindowSpecs[i])
	}
	for _, n := range clauses(sel) {
		walk(n, func(n ast.Node) bool {
			switch w := n.(type) {
			case *ast.SubqueryExpr:
				return false
			case *ast.WindowFuncExpr:
				ok = ok && partitioned(&w.Spec)
			}
			return ok
		})
	}
	return ok
}

// contains reports a node for which is is true, outside subqueries.
func contains(node ast.Node, is func(ast.Node) bool) bool {
	found := false
	walk(node, func(n ast.Node) bool {
		if _, sub := n.(*ast.SubqueryExpr); sub {
			return false
		}
		found = found || is(n)
		return !found
	})
	return found
}

// limit reads LIMIT [o,] n / LIMIT n OFFSET o: literals or bound arguments.
func (b *mergeBuilder) limit(l *ast.Limit) (offset, count uint64, err error) {
	read := func(e ast.ExprNode) (uint64, error) {
		if e == nil {
			return 0, nil
		}
		if _, ok := e.(*paramExpr); ok && b.validate {
			return 0, nil // bound at execute
		}
		v, ok := valueOf(e, b.args)
		if ok {
			if n, err := strconv.ParseUint(string(v.Raw), 10, 64); err == nil {
				return n, nil
			}
		}
		return 0, sqlerr.Unsupported("LIMIT %s in a SELECT across shards of %s (a non-negative integer is needed)", nodeText(e), b.table)
	}
	if offset, err = read(l.Offset); err != nil {
		return 0, 0, err
	}
	count, err = read(l.Count)
	return offset, count, err
}

// namedItems is the client's select list for the shard, with unaliased
// expressions aliased by their text as the client typed it: the name MySQL
// gives such a column, which re-printing the statement would change
// (`COUNT( * )` would come back as `COUNT(1)`).
func namedItems(sel *ast.SelectStmt, query string) []*ast.SelectField {
	out := make([]*ast.SelectField, len(sel.Fields.Fields))
	copy(out, sel.Fields.Fields)
	texts := selectListTexts(query)
	if len(texts) != len(out) {
		return out
	}
	for i, f := range out {
		if f.WildCard != nil || f.AsName.O != "" || texts[i] == "" || len(texts[i]) > 256 {
			continue
		}
		switch e := f.Expr.(type) {
		case *ast.ColumnNameExpr:
			continue // named by the column however printed
		case *driver.ValueExpr:
			if e.Kind() == driver.KindNull || e.Kind() == driver.KindString {
				continue // named by its value (NULL: "NULL")
			}
		}
		out[i] = &ast.SelectField{Expr: f.Expr, AsName: ast.NewCIStr(texts[i])}
	}
	return out
}

// isNull reports the NULL literal.
func isNull(e ast.ExprNode) bool {
	v, ok := e.(*driver.ValueExpr)
	return ok && v.Kind() == driver.KindNull
}

// numericExpr: expressions that are surely numbers (or temporal values),
// which need no collation weights.
func numericExpr(e ast.ExprNode) bool {
	switch e := e.(type) {
	case *driver.ValueExpr:
		switch e.Kind() {
		case driver.KindInt64, driver.KindUint64, driver.KindFloat32, driver.KindFloat64, driver.KindMysqlDecimal:
			return true
		}
	case *ast.AggregateFuncExpr:
		switch engine.AggFuncNamed(strings.ToLower(e.F)) {
		case engine.AggCount, engine.AggSum, engine.AggAvg, engine.AggBitAnd, engine.AggBitOr, engine.AggBitXor:
			return true
		case engine.AggMin, engine.AggMax:
			return len(e.Args) == 1 && numericExpr(e.Args[0])
		}
	case *ast.BinaryOperationExpr:
		switch e.Op {
		case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod:
			return true
		}
	case *ast.UnaryOperationExpr:
		return e.Op == opcode.Minus
	case *ast.ParenthesesExpr:
		return numericExpr(e.Expr)
	}
	return false
}

func call(name string, args ...ast.ExprNode) *ast.FuncCallExpr {
	return &ast.FuncCallExpr{FnName: ast.NewCIStr(name), Args: args}
}

// weightString is weight_string(e): the collation's sort key of a string.
func weightString(e ast.ExprNode) ast.ExprNode { return call("weight_string", e) }

// padWeight is the weight of a space in e's collation if the collation pads
// with spaces (PAD SPACE: 'a' = 'a '), else the empty string:
//
//	if(left(concat(' ', e), 1) = '', weight_string(left(concat(' ', e), 1)), '')
//
// weight_string keeps trailing spaces, so the merge compares weight strings
// as if the shorter one went on with spaces, as the collation does.
func padWeight(e ast.ExprNode) ast.ExprNode {
	str := func(s string) ast.ExprNode { return literal(vindex.Value{Kind: vindex.VarChar, Raw: []byte(s)}) }
	space := call("left", call("concat", str(" "), e), literal(vindex.NewInt64(1)))
	return call("if", &ast.BinaryOperationExpr{Op: opcode.EQ, L: space, R: str("")}, call("weight_string", space), str(""))
}

// exprKey prints an expression for comparing it with others: identifiers and
// function names lowercased, table qualifiers dropped when one table is read.
func (mb *mergeBuilder) exprKey(e ast.Node) string {
	var b strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordLowercase | format.RestoreNameLowercase |
		format.RestoreNameBackQuotes | format.RestoreWithoutSchemaName
	if !mb.tables {
		flags |= format.RestoreWithoutTableName
	}
	if err := e.Restore(format.NewRestoreCtx(flags, &b)); err != nil {
		return fmt.Sprintf("%p", e) // equal only to itself
	}
	return b.String()
}

// selectListTexts returns the text of each item of the select list of sql's
// main query (after its WITH clause; the first SELECT of a UNION) as the
// client typed it (trimmed), or nil when sql is no query.
func selectListTexts(sql string) []string {
	i := skipSpace(sql, 0)
	for i < len(sql) && sql[i] == '(' {
		i = skipSpace(sql, i+1)
	}
	if hasWordAt(sql, i, "with") {
		i = mainSelect(sql, i)
	}
	if !hasWordAt(sql, i, "select") {
		return nil
	}
	i += len("select")
	for { // select options
		i = skipSpace(sql, i)
		w := wordAt(sql, i)
		if !selectOptions[strings.ToLower(w)] {
			break
		}
		i += len(w)
	}
	var items []string
	start, depth := i, 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i)
			continue
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*', c == '#', c == '-' && strings.HasPrefix(sql[i:], "--"):
			if j := skipSpace(sql, i); j > i {
				i = j
				continue
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			items = append(items, strings.TrimSpace(sql[start:i]))
			start = i + 1
		case c == ';' && depth == 0:
			return append(items, strings.TrimSpace(sql[start:i]))
		case isWordByte(c):
			w := wordAt(sql, i)
			if depth == 0 && (i == 0 || !isWordByte(sql[i-1])) && listEnd[strings.ToLower(w)] {
				return append(items, strings.TrimSpace(sql[start:i]))
			}
			i += len(w)
			continue
		}
		i++
	}
	return append(items, strings.TrimSpace(sql[start:]))
}

// mainSelect returns where the main query's SELECT starts after the WITH
// clause at i: the first SELECT outside the parentheses of the common table
// expressions.
func mainSelect(sql string, i int) int {
	depth := 0
	for _, t := range scanTokens(sql[i:]) {
		switch t.word {
		case "(":
			depth++
		case ")":
			depth--
		case "select":
			if depth == 0 {
				return i + t.start
			}
		}
	}
	return len(sql)
}

var selectOptions = map[string]bool{"all": true, "distinct": true, "distinctrow": true, "high_priority": true,
	"straight_join": true, "sql_small_result": true, "sql_big_result": true, "sql_buffer_result": true,
	"sql_cache": true, "sql_no_cache": true, "sql_calc_found_rows": true}

var listEnd = map[string]bool{"from": true, "into": true, "where": true, "group": true, "having": true,
	"order": true, "limit": true, "procedure": true, "for": true, "lock": true, "union": true, "except": true,
	"intersect": true, "window": true}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func wordAt(s string, i int) string {
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return s[i:j]
}

func hasWordAt(s string, i int, w string) bool {
	return strings.EqualFold(wordAt(s, i), w)
}

// skipSpace skips white space and comments (not /*! … */ nor /*+ … */,
// which are part of the statement).
func skipSpace(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n':
			i++
		case strings.HasPrefix(s[i:], "/*") && !strings.HasPrefix(s[i:], "/*!") && !strings.HasPrefix(s[i:], "/*+"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += end + 4
		case s[i] == '#' || strings.HasPrefix(s[i:], "--") && i+2 < len(s) && s[i+2] <= ' ':
			// -- and a blank or a control character: MariaDB's comment
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				return len(s)
			}
			i += end + 1
		default:
			return i
		}
	}
	return i
}

// skipQuoted skips a quoted string or identifier starting at s[i]: doubled
// quotes and (outside backticks) backslash escapes stay inside.
func skipQuoted(s string, i int) int { return skipString(s, i, s[i] != '`') }
