package vindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The lookup family (lookup, lookup_unique, lookup_hash, lookup_hash_unique,
// consistent_lookup, consistent_lookup_unique) keeps a table from column
// value(s) to keyspace id. This file holds what they share: params, the SQL
// they generate, and how results are matched back to the values asked for.
//
// Params (all strings):
//
//	table         lookup table, maybe keyspace-qualified ("ks.t")
//	from          comma-separated from column(s); Map/Verify use the first
//	to            the keyspace id column
//	ignore_nulls  rows with a NULL from value are skipped on Create; Map of a
//	              single NULL on a non-unique lookup scatters
//	write_only    backfill mode: Map scatters, Verify is always true; Create
//	              and Delete still maintain the table
//	read_lock     exclusive (default, "for update") | shared ("lock in share
//	              mode") | none — applied to Map only inside a DML transaction
//	batch_lookup  trust the batched query's text matching (see lookupRows)
//	autocommit    (not consistent) writes and reads run outside the user's
//	              transaction; Delete is a no-op; non-unique types upsert
//	multi_shard_autocommit  (not consistent) same as autocommit here
//	no_verify     (lookup, lookup_unique) Verify is always true
//	owner         the owner table, if not given to CreateWithOwner
//
// Statements are SQL text with every value rendered by AppendLiteral and
// every identifier backquoted; they run through Querier.Execute (or
// ExecuteKeyspaceID for the consistent lookup's owner check).

// partialDMLRollback is the marker of an error Vitess already turned into a
// rollback; such errors are returned as they are.
const partialDMLRollback = "transaction rolled back to reverse changes of partial DML execution"

// NullValueError is returned by Create for a NULL from value when the
// vindex does not have ignore_nulls. It is MySQL error 1048 (SQLSTATE 23000),
// with Vitess's VT03028 wording; Row and Col index the rows and from columns
// given to Create.
type NullValueError struct {
	Columns  string // from columns joined by ","
	Row, Col int
}

func (e *NullValueError) Error() string {
	return fmt.Sprintf("Column '%s' cannot be null on row %d, col %d", e.Columns, e.Row, e.Col)
}

// SQLErrorNumber implements SQLError: ER_BAD_NULL_ERROR.
func (e *NullValueError) SQLErrorNumber() uint16 { return 1048 }

// SQLState returns the SQLSTATE of ER_BAD_NULL_ERROR.
func (e *NullValueError) SQLState() string { return "23000" }

// lookupCore is the state shared by all lookup types.
type lookupCore struct {
	name, owner string
	table       string   // as configured
	from        []string // as configured
	to          string

	unique      bool
	consistent  bool
	hashed      bool // lookup_hash: `to` holds the uint64 whose DES hash is the ksid
	ignoreNulls bool
	writeOnly   bool
	noVerify    bool
	batchLookup bool
	autocommit  bool
	upsert      bool   // autocommit non-unique types
	lockSuffix  string // " for update", " lock in share mode" or ""

	// quoted identifiers
	qTable, qTo string
	qFrom       []string

	// consistent lookups: the owner table, from SetOwnerInfo
	ownerKeyspace, ownerTable string
	ownerColumns              []string

	unknownParams
}

// lookupKind describes one lookup type for newLookupCore.
type lookupKind struct {
	unique, consistent, hashed bool
	autocommitParams           bool // accepts autocommit / multi_shard_autocommit
	noVerifyParam              bool
}

func newLookupCore(kind lookupKind, name, owner string, m map[string]string) (*lookupCore, error) {
	known := []string{"table", "from", "to", "ignore_nulls", "write_only", "read_lock", "batch_lookup", "owner"}
	if kind.autocommitParams {
		known = append(known, "autocommit", "multi_shard_autocommit")
	}
	if kind.noVerifyParam {
		known = append(known, "no_verify")
	}
	p := newParams(m, known...)
	c := &lookupCore{
		name:       name,
		owner:      owner,
		unique:     kind.unique,
		consistent: kind.consistent,
		hashed:     kind.hashed,
	}
	if c.owner == "" {
		c.owner = m["owner"]
	}
	c.table, c.to = strings.TrimSpace(m["table"]), strings.TrimSpace(m["to"])
	for f := range strings.SplitSeq(m["from"], ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.from = append(c.from, f)
		}
	}
	var missing []string
	if c.table == "" {
		missing = append(missing, "table")
	}
	if len(c.from) == 0 {
		missing = append(missing, "from")
	}
	if c.to == "" {
		missing = append(missing, "to")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("lookup vindex %s: missing params: %s", name, strings.Join(missing, ", "))
	}

	var err error
	bools := []struct {
		key string
		dst *bool
	}{
		{"ignore_nulls", &c.ignoreNulls},
		{"write_only", &c.writeOnly},
		{"batch_lookup", &c.batchLookup},
	}
	if kind.noVerifyParam {
		bools = append(bools, struct {
			key string
			dst *bool
		}{"no_verify", &c.noVerify})
	}
	for _, b := range bools {
		if *b.dst, err = p.bool(b.key); err != nil {
			return nil, err
		}
	}
	if kind.autocommitParams {
		ac, err := p.bool("autocommit")
		if err != nil {
			return nil, err
		}
		msac, err := p.bool("multi_shard_autocommit")
		if err != nil {
			return nil, err
		}
		c.autocommit = ac || msac
		c.upsert = c.autocommit && !kind.unique
	}
	switch rl, _ := p.get("read_lock"); rl {
	case "", "exclusive":
		c.lockSuffix = " for update"
	case "shared":
		c.lockSuffix = " lock in share mode"
	case "none":
		c.lockSuffix = ""
	default:
		return nil, fmt.Errorf("invalid read_lock value: %s", rl)
	}

	c.qTable, c.qTo = quoteTable(c.table), QuoteIdent(c.to)
	for _, f := range c.from {
		c.qFrom = append(c.qFrom, QuoteIdent(f))
	}
	c.unknownParams = p.unknown()
	return c, nil
}

func (c *lookupCore) String() string        { return c.name }
func (c *lookupCore) IsUnique() bool        { return c.unique }
func (c *lookupCore) NeedsQuerier() bool    { return true }
func (c *lookupCore) Owner() string         { return c.owner }
func (c *lookupCore) FromColumns() []string { return c.from }

// Cost: unique lookups 10, non-unique 20 (always above the functional ones).
func (c *lookupCore) Cost() int {
	if c.unique {
		return 10
	}
	return 20
}

// IsBackfilling reports write_only mode (Vitess's LookupBackfill).
func (c *lookupCore) IsBackfilling() bool { return c.writeOnly }

// Table returns the lookup table param as configured.
func (c *lookupCore) Table() string { return c.table }

// readOrder is the session Map and Verify read in.
func (c *lookupCore) readOrder() CommitOrder {
	switch {
	case c.autocommit:
		return CommitAutocommit
	case c.consistent:
		return CommitPre
	}
	return CommitNormal
}

// writeOrder is the session Create writes in.
func (c *lookupCore) writeOrder() CommitOrder {
	switch {
	case c.autocommit:
		return CommitAutocommit
	case c.consistent:
		return CommitPre
	}
	return CommitNormal
}

// toValue is what the `to` column stores for ksid.
func (c *lookupCore) toValue(ksid KeyspaceID) (Value, error) {
	if !c.hashed {
		return NewVarBinary(ksid), nil
	}
	n, err := vunhash(ksid)
	if err != nil {
		return Value{}, err
	}
	return NewUint64(n), nil
}

// ksidOf turns a `to` column value back into a keyspace id; false if it
// cannot be one (a lookup_hash row that is not a number).
func (c *lookupCore) ksidOf(to Value) (KeyspaceID, bool) {
	if !c.hashed {
		return KeyspaceID(to.Raw), true
	}
	n, err := toCastUint64(to)
	if err != nil {
		return nil, false
	}
	return vhash(make(KeyspaceID, 8), n), true
}

// ---------------------------------------------------------------- Map/Verify

// Map implements SingleColumn for all lookup types.
func (c *lookupCore) Map(ctx context.Context, q Querier, ids []Value) ([]Destination, error) {
	out, _, err := c.MapByText(ctx, q, ids)
	return out, err
}

// MapByText implements TextMapper for all lookup types.
func (c *lookupCore) MapByText(ctx context.Context, q Querier, ids []Value) ([]Destination, []bool, error) {
	out := make([]Destination, len(ids))
	ownText := make([]bool, len(ids))
	if c.writeOnly || (!c.unique && c.ignoreNulls && len(ids) == 1 && ids[0].IsNull()) {
		for i := range out {
			out[i] = DestinationKeyRange{}
		}
		return out, ownText, nil
	}
	if q == nil {
		return nil, nil, errNoQuerier
	}
	rows, err := c.mapRows(ctx, q, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("lookup.Map: %w", err)
	}
	for i, found := range rows {
		ownText[i] = !found.otherText
		var ksids []KeyspaceID
		for _, to := range found.tos {
			if ksid, ok := c.ksidOf(to); ok {
				ksids = append(ksids, ksid)
			}
		}
		switch {
		case len(ksids) == 0:
			out[i] = DestinationNone{}
		case len(ksids) == 1 && c.unique:
			out[i] = DestinationKeyspaceID(ksids[0])
		default:
			// A unique vindex finds several rows where the lookup table
			// compares its column with the value as a number (name = 123
			// matches '123' and '0123'): a route goes to each of their
			// shards (Vitess fails it), an INSERT refuses such a value.
			out[i] = DestinationKeyspaceIDs(ksids)
		}
	}
	return out, ownText, nil
}

// hits are the lookup rows found for one id: their `to` values, and whether
// any of them holds the id under another text (the column's collation or
// type conversion matched it), or may tomorrow: a number matches every text
// equal to it as a number ('123', '0123', '123abc').
type hits struct {
	tos       []Value
	otherText bool
}

// add appends the lookup row (from, to) found for id.
func (h *hits) add(id, from, to Value) {
	h.tos = append(h.tos, to)
	h.otherText = h.otherText || !bytes.Equal(from.Raw, id.Raw) || isNumberKind(id.Kind) && !isNumberKind(from.Kind)
}

// mapRows reads the lookup rows of ids for Map, locking them inside a
// transaction's write. A consistent lookup reads a value the transaction's
// Post session holds (see TxnRows) there: Pre would wait for its lock.
func (c *lookupCore) mapRows(ctx context.Context, q Querier, ids []Value) ([]hits, error) {
	lock := q.InTransactionAndIsDML()
	t, ok := q.(TxnRows)
	if !ok || !c.consistent || !c.unique || !lock {
		return c.lookupRows(ctx, q, ids, c.readOrder(), lock)
	}
	var pre, post []int
	for i, id := range ids {
		if r, ok := t.TxnRow(c.txnKey([]Value{id}, nil)); ok && r.Session == CommitPost {
			post = append(post, i)
		} else {
			pre = append(pre, i)
		}
	}
	out := make([]hits, len(ids))
	for _, part := range []struct {
		idx   []int
		order CommitOrder
	}{{pre, c.readOrder()}, {post, CommitPost}} {
		if len(part.idx) == 0 {
			continue
		}
		some := make([]Value, len(part.idx))
		for n, i := range part.idx {
			some[n] = ids[i]
		}
		rows, err := c.lookupRows(ctx, q, some, part.order, lock)
		if err != nil {
			return nil, err
		}
		for n, i := range part.idx {
			out[i] = rows[n]
		}
	}
	return out, nil
}

// txnKey names a lookup row for TxnRows: table and from values, and the
// keyspace id unless the lookup is unique (one row per value).
func (c *lookupCore) txnKey(row []Value, ksid KeyspaceID) string {
	k := c.qTable + "\x00" + rowKey(row)
	if !c.unique {
		k += "\x00" + string(ksid)
	}
	return k
}

var errNoQuerier = errors.New("cannot perform lookup: no querier provided")

// Verify implements SingleColumn: ids[i] verifies if the lookup table has a
// row (ids[i], ksids[i]).
func (c *lookupCore) Verify(ctx context.Context, q Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	if err := checkVerifyArgs(ids, ksids); err != nil {
		return nil, err
	}
	out := make([]bool, len(ids))
	if c.writeOnly || c.noVerify {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	if q == nil {
		return nil, errNoQuerier
	}
	order := CommitNormal
	switch {
	case c.autocommit:
		order = CommitAutocommit
	case c.consistent:
		order = CommitPre
	}
	rows, err := c.lookupRows(ctx, q, ids, order, false)
	if err != nil {
		return nil, fmt.Errorf("lookup.Verify: %w", err)
	}
	for i, found := range rows {
		for _, to := range found.tos {
			if ksid, ok := c.ksidOf(to); ok && bytes.Equal(ksid, ksids[i]) {
				out[i] = true
				break
			}
		}
	}
	return out, nil
}

// lookupRows returns, for each id, the lookup rows whose first from column
// equals it. NULL ids match nothing and are not sent.
//
// All ids go in ONE statement: select from, to from t where from in (…).
// The rows come back with the table's own text for `from`, which is how
// they are matched to the ids. Under a case-insensitive or PAD SPACE
// collation, or with type conversion (VARCHAR '01' = INT 1), a row can match
// an id without the same text; if any row cannot be matched back, the ids are
// looked up again one statement each (Vitess queries non-integer ids one by
// one for this reason). batch_lookup=true skips that check and trusts the
// text, as Vitess's batch_lookup does.
func (c *lookupCore) lookupRows(ctx context.Context, q Querier, ids []Value, order CommitOrder, lock bool) ([]hits, error) {
	out := make([]hits, len(ids))
	byText := make(map[string][]int, len(ids))
	var distinct []int // index of the first id of each distinct text
	for i, id := range ids {
		if id.IsNull() {
			continue
		}
		k := string(id.Raw)
		if _, seen := byText[k]; !seen {
			distinct = append(distinct, i)
		}
		byText[k] = append(byText[k], i)
	}
	if len(distinct) == 0 {
		return out, nil
	}
	suffix := ""
	if lock {
		suffix = c.lockSuffix
	}
	sel := "select " + c.qFrom[0] + ", " + c.qTo + " from " + c.qTable + " where " + c.qFrom[0]

	buf := make([]byte, 0, len(sel)+len(suffix)+16*len(distinct)+8)
	buf = append(buf, sel...)
	buf = append(buf, " in ("...)
	for n, i := range distinct {
		if n > 0 {
			buf = append(buf, ", "...)
		}
		buf = AppendLiteral(buf, ids[i], q.NoBackslashEscapes())
	}
	buf = append(buf, ')')
	buf = append(buf, suffix...)
	res, err := q.Execute(ctx, string(buf), order)
	if err != nil {
		return nil, err
	}
	unmatched := false
	for _, row := range res.Rows {
		if len(row) < 2 {
			return nil, fmt.Errorf("lookup query returned %d columns, want 2", len(row))
		}
		idx, ok := byText[string(row[0].Raw)]
		if !ok {
			unmatched = true
			continue
		}
		for _, i := range idx {
			out[i].add(ids[i], row[0], row[1])
		}
	}
	if !unmatched || c.batchLookup {
		return out, nil
	}
	if len(distinct) == 1 {
		// One value asked for: every row belongs to it.
		i := distinct[0]
		var found hits
		for _, row := range res.Rows {
			found.add(ids[i], row[0], row[1])
		}
		for _, j := range byText[string(ids[i].Raw)] {
			out[j] = found
		}
		return out, nil
	}
	// Some row matched an id only under the column's collation: ask per id.
	clear(out)
	for _, i := range distinct {
		buf = append(buf[:0], sel...)
		buf = append(buf, " = "...)
		buf = AppendLiteral(buf, ids[i], q.NoBackslashEscapes())
		buf = append(buf, suffix...)
		res, err := q.Execute(ctx, string(buf), order)
		if err != nil {
			return nil, err
		}
		var found hits
		for _, row := range res.Rows {
			if len(row) < 2 {
				return nil, fmt.Errorf("lookup query returned %d columns, want 2", len(row))
			}
			found.add(ids[i], row[0], row[1])
		}
		for _, j := range byText[string(ids[i].Raw)] {
			out[j] = found
		}
	}
	return out, nil
}

// ------------------------------------------------------------ Create/Delete

// checkRows validates Create's input and returns the indexes of the rows to
// insert (in the caller's order) and their `to` values.
func (c *lookupCore) checkRows(rows [][]Value, ksids []KeyspaceID) (kept []int, tos []Value, err error) {
	if len(rows) != len(ksids) {
		return nil, nil, fmt.Errorf("lookup.Create: %d rows but %d keyspace ids", len(rows), len(ksids))
	}
	tos = make([]Value, len(rows))
	kept = make([]int, 0, len(rows))
nextRow:
	for i, row := range rows {
		if len(row) != len(c.from) {
			return nil, nil, fmt.Errorf("lookup column count does not match value count with the row (columns, count): (%v, %d)", c.from, len(row))
		}
		for j, v := range row {
			if v.IsNull() {
				if c.ignoreNulls {
					continue nextRow
				}
				return nil, nil, &NullValueError{Columns: strings.Join(c.from, ","), Row: i, Col: j}
			}
		}
		to, err := c.toValue(ksids[i])
		if err != nil {
			return nil, nil, fmt.Errorf("lookup.Create.vunhash: %w", err)
		}
		tos[i] = to
		kept = append(kept, i)
	}
	return kept, tos, nil
}

// insertSQL builds one multi-row insert of the rows at indexes idx, sorted
// the way Vitess sorts them (byte-wise by from values, then by `to`), which
// gives concurrent inserts one lock order. An INSERT IGNORE keeps them in
// the statement's order: of values equal only under the table's collation
// ('a', 'A', 'a '), it keeps the first it meets, as MySQL keeps the
// statement's first row.
func (c *lookupCore) insertSQL(rows [][]Value, tos []Value, idx []int, ignore, nbe bool) string {
	sorted := append([]int(nil), idx...)
	if !ignore {
		sort.SliceStable(sorted, func(a, b int) bool {
			ra, rb := rows[sorted[a]], rows[sorted[b]]
			for col := range ra {
				if cmp := bytes.Compare(ra[col].Raw, rb[col].Raw); cmp != 0 {
					return cmp < 0
				}
			}
			return bytes.Compare(tos[sorted[a]].Raw, tos[sorted[b]].Raw) < 0
		})
	}
	buf := make([]byte, 0, 64+len(sorted)*(16*len(c.from)+24))
	if ignore {
		buf = append(buf, "insert ignore into "...)
	} else {
		buf = append(buf, "insert into "...)
	}
	buf = append(buf, c.qTable...)
	buf = append(buf, '(')
	for _, f := range c.qFrom {
		buf = append(buf, f...)
		buf = append(buf, ", "...)
	}
	buf = append(buf, c.qTo...)
	buf = append(buf, ") values "...)
	for n, i := range sorted {
		if n > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, '(')
		for _, v := range rows[i] {
			buf = AppendLiteral(buf, v, nbe)
			buf = append(buf, ", "...)
		}
		buf = AppendLiteral(buf, tos[i], nbe)
		buf = append(buf, ')')
	}
	if c.upsert {
		buf = append(buf, " on duplicate key update "...)
		for _, f := range c.qFrom {
			buf = append(buf, f...)
			buf = append(buf, " = values("...)
			buf = append(buf, f...)
			buf = append(buf, "), "...)
		}
		buf = append(buf, c.qTo...)
		buf = append(buf, " = values("...)
		buf = append(buf, c.qTo...)
		buf = append(buf, ')')
	}
	return string(buf)
}

// create is Create of the non-consistent lookups.
func (c *lookupCore) create(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, ignore bool) error {
	kept, tos, err := c.checkRows(rows, ksids)
	if err != nil || len(kept) == 0 {
		return err
	}
	if q == nil {
		return errNoQuerier
	}
	if _, err := q.Execute(ctx, c.insertSQL(rows, tos, kept, ignore, q.NoBackslashEscapes()), c.writeOrder()); err != nil {
		return fmt.Errorf("lookup.Create: %w", err)
	}
	return nil
}

// appendWhereRow appends `f1` = v1 and `f2` = v2 … for one row.
func (c *lookupCore) appendWhereRow(buf []byte, cols []string, row []Value, nbe bool) []byte {
	for j, v := range row {
		if j > 0 {
			buf = append(buf, " and "...)
		}
		buf = append(buf, cols[j]...)
		buf = append(buf, " = "...)
		buf = AppendLiteral(buf, v, nbe)
	}
	return buf
}

// deleteSQL builds one delete for all rows, row i pointing at tos[i]:
//
//	delete from t where `f` = 1 and `to` = X'…'
//	delete from t where `f` in (1, 2) and `to` = X'…'
//	delete from t where (`a` = 1 and `b` = 2 or `a` = 3 and `b` = 4) and `to` = X'…'
//
// and, for rows of several keyspace ids,
//
//	delete from t where `f` in (1, 2) and (`f`, `to`) in ((1, X'…'), (2, X'…'))
//	delete from t where (`a` = 1 and `b` = 2 and `to` = X'…' or `a` = 3 and `b` = 4 and `to` = X'…')
//
// The `f` in (…) lets the router send it only to the lookup shards of the
// values. Rows with a NULL value are left out (no lookup row can hold them);
// "" if nothing is left.
func (c *lookupCore) deleteSQL(rows [][]Value, tos []Value, nbe bool) string {
	var live [][]Value
	var liveTos []Value
	for i, row := range rows {
		if !hasNull(row) {
			live, liveTos = append(live, row), append(liveTos, tos[i])
		}
	}
	if len(live) == 0 {
		return ""
	}
	oneTo := true
	for _, to := range liveTos {
		oneTo = oneTo && to.Kind == liveTos[0].Kind && string(to.Raw) == string(liveTos[0].Raw)
	}
	buf := make([]byte, 0, 64+len(live)*(16*len(c.from)+24))
	buf = append(buf, "delete from "...)
	buf = append(buf, c.qTable...)
	buf = append(buf, " where "...)
	switch {
	case len(live) == 1:
		buf = c.appendWhereRow(buf, c.qFrom, live[0], nbe)
	case len(c.from) == 1:
		buf = append(buf, c.qFrom[0]...)
		buf = append(buf, " in ("...)
		for n, row := range live {
			if n > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendLiteral(buf, row[0], nbe)
		}
		buf = append(buf, ')')
		if !oneTo {
			buf = append(buf, " and ("...)
			buf = append(buf, c.qFrom[0]...)
			buf = append(buf, ", "...)
			buf = append(buf, c.qTo...)
			buf = append(buf, ") in ("...)
			for n, row := range live {
				if n > 0 {
					buf = append(buf, ", "...)
				}
				buf = append(buf, '(')
				buf = AppendLiteral(buf, row[0], nbe)
				buf = append(buf, ", "...)
				buf = AppendLiteral(buf, liveTos[n], nbe)
				buf = append(buf, ')')
			}
			return string(append(buf, ')'))
		}
	default:
		buf = append(buf, '(')
		for n, row := range live {
			if n > 0 {
				buf = append(buf, " or "...)
			}
			buf = c.appendWhereRow(buf, c.qFrom, row, nbe)
			if !oneTo {
				buf = append(buf, " and "...)
				buf = append(buf, c.qTo...)
				buf = append(buf, " = "...)
				buf = AppendLiteral(buf, liveTos[n], nbe)
			}
		}
		buf = append(buf, ')')
		if !oneTo {
			return string(buf)
		}
	}
	buf = append(buf, " and "...)
	buf = append(buf, c.qTo...)
	buf = append(buf, " = "...)
	buf = AppendLiteral(buf, liveTos[0], nbe)
	return string(buf)
}

// delete removes the lookup rows of rows (row i → ksids[i]) in session
// order, in one statement.
func (c *lookupCore) delete(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, order CommitOrder) error {
	if len(rows) == 0 {
		return nil
	}
	if len(ksids) != len(rows) {
		return fmt.Errorf("lookup.Delete: %d rows for %d keyspace ids", len(rows), len(ksids))
	}
	tos := make([]Value, len(rows))
	for i, row := range rows {
		if len(row) != len(c.from) {
			return fmt.Errorf("lookup.Delete: lookup column count does not match value count with the row (columns, count): (%v, %d)", c.from, len(row))
		}
		to, err := c.toValue(ksids[i])
		if err != nil {
			return fmt.Errorf("lookup.Delete.vunhash: %w", err)
		}
		tos[i] = to
	}
	if q == nil {
		return errNoQuerier
	}
	sql := c.deleteSQL(rows, tos, q.NoBackslashEscapes())
	if sql == "" {
		return nil
	}
	if _, err := q.Execute(ctx, sql, order); err != nil {
		return fmt.Errorf("lookup.Delete: %w", err)
	}
	return nil
}

func hasNull(row []Value) bool {
	for _, v := range row {
		if v.IsNull() {
			return true
		}
	}
	return false
}

// rowKey is a collision-free map key for a row's values.
func rowKey(row []Value) string {
	var b []byte
	for _, v := range row {
		b = strconv.AppendInt(b, int64(len(v.Raw)), 10)
		b = append(b, ':')
		b = append(b, v.Raw...)
	}
	return string(b)
}
