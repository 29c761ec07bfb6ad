package engine

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"sidecar/conf"
	"sidecar/mysql"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Statement is the plan of a client's statement the sidecar does more with
// than forward to one backend (a statement on a sharded keyspace or a table
// with a sequence, a staged write, a SELECT across keyspaces): which
// primitives run and how the client is answered, decided once per
// statement shape and per prepared statement.
// Answer runs it through the client's Session; the sidecar's session runs it
// for the client, VEXPLAIN's session lists what a run would send, and tests'
// sessions record it.
type Statement interface {
	Answer(ctx context.Context, s Session, x Execution) error
	describer
}

// Execution is one run of a Statement.
type Execution struct {
	Args []vindex.Value
	// Hint is the shard a routing hint of the statement names (nil: none):
	// a scatter goes there alone, a route by vindex values must agree.
	Hint *conf.Shard
	// MaxRows bounds the rows a Staged statement holds (0: no bound).
	MaxRows int
	// Planned is the planner's part of this run.
	Planned Planned
}

// Planned is what the planner works out per execution, with the
// execution's arguments.
type Planned interface {
	// Route finds the shards of a SELECT, UPDATE or DELETE.
	Route(ctx context.Context, cur VindexCursor) (*Routed, error)
	// Merge is how a SELECT's rows from several shards are merged; nil
	// when concatenating them answers it.
	Merge() (*MergePlan, error)
	// MergeEnums is Merge again after Gather refused it with EnumKeys: with
	// the index of those keys, from now on.
	MergeEnums(names []string) (*MergePlan, error)
	// Text is the statement to send with the arguments written in.
	Text() string
	// Sent is the statement as the client sent it ("" for a prepared one):
	// an INSERT the sidecar fills nothing into goes to its shard unchanged.
	Sent() string
	// InsertIDGenerated reports whether a shard's AUTO_INCREMENT generated
	// the insert id of an INSERT's OK packet, rather than the statement
	// giving it explicitly.
	InsertIDGenerated(id uint64) bool
	// Reads are the SELECTs a Staged write runs first; Write is the write
	// with their rows (results[i] of Reads[i]) written in, "" when it has
	// nothing to write (an INSERT … SELECT of no rows).
	Reads() ([]Read, error)
	Write(results []*Result) (string, error)
}

// Read is a SELECT on a keyspace. Again: the statement's write evaluates its
// conditions again (an ordered write's Read), and its warnings are the
// client's, not the Read's too.
type Read struct {
	Keyspace, SQL string
	Again         bool
}

// Session is the client's session as a Statement answers it: the vindex
// cursor, the shards' statements in the session's transaction, and the
// client's answer.
type Session interface {
	VindexCursor
	Cursor
	// Relay sends a statement to one shard and relays its answer to the
	// client as it comes: sql as text, or with sql "" the client's own
	// statement (the backend's prepared statement for a prepared execute).
	Relay(ctx context.Context, shard *conf.Shard, sql string) error
	// Gather sends each shard its query (SQL "": the client's SELECT, or
	// mp.SQL when mp is set) and answers the client with their rows merged
	// by mp, or concatenated; an EnumKeys refusal is returned before
	// anything is sent to the client.
	Gather(ctx context.Context, queries []ShardQuery, mp *MergePlan) error
	// Write runs one statement per shard, in parallel, in the session's
	// transaction, and adds up their results.
	Write(ctx context.Context, queries []ShardQuery) (Written, error)
	// OK answers the client with an OK packet of w.
	OK(w Written) error
	// Returned answers the client with the rows of an INSERT or DELETE …
	// RETURNING, whose w says what an OK would (its generated insert id is
	// the session's LAST_INSERT_ID()).
	Returned(w Written, rows *Result) error
	// Scope runs a statement that writes in several places as one: if run
	// fails, what it wrote is undone. When run returns ErrRetry, Scope
	// returns ErrRetry once that is done, unless the undo lost the
	// transaction (then its error).
	Scope(keyspace string, run func() error) error
	// Evaluate answers a SELECT by an engine plan: one the router refused
	// with refusal (returned when no engine plan answers it either), or
	// with refusal nil one the planner left to the engine.
	Evaluate(ctx context.Context, refusal error) error
	// Run runs sql as the client's statement, answering the client.
	Run(ctx context.Context, sql string) error
	// InTransaction: the client's transaction is open, so the row locks a
	// statement takes last until it ends, not with the statement.
	InTransaction() bool
}

// ErrRetry is what a Scope's run returns to have what it wrote undone and
// run again (see Insert.Answer).
var ErrRetry = errors.New("the statement is undone, to run again")

// Written is what the statements of one Write did.
type Written struct {
	// Listed: nothing ran (VEXPLAIN lists what would); the counts are 0.
	Listed   bool
	Affected uint64
	// InsertID is the first shard's insert id; Generated says it is the
	// session's new LAST_INSERT_ID() (a value the statement gave
	// explicitly is in the OK packet, but no LAST_INSERT_ID()).
	InsertID  uint64
	Generated bool
	Warnings  uint16
	// Info is the OK packet's info ("Rows matched: 4  Changed: 1
	// Warnings: 0"), the shards' added up (drivers read changed rows there).
	Info string
	// Succeeded and Failed name the shards (keyspace/shard) whose
	// statement ran and failed, when one failed.
	Succeeded, Failed []string
	// Returned are the rows each statement returned (Returned[i] of the
	// Write's queries[i]; nil when none did): MariaDB's RETURNING.
	Returned []*Result
}

// Routed is where one execution of a SELECT, UPDATE or DELETE goes.
type Routed struct {
	Shards  []*conf.Shard
	Scatter bool // every shard, because no vindex condition narrows it
	// Values: for an IN route to several shards, the indexes of the
	// route's values that map to each shard (Values[i] for Shards[i]).
	Values [][]int
	// Route is what found the shards; VEXPLAIN shows it.
	Route Router
}

// hinted narrows r to the execution's hinted shard: a scatter goes to that
// shard only; shards chosen by vindex values must be that one.
func (r *Routed) hinted(hint *conf.Shard) error {
	if hint == nil {
		return nil
	}
	if r.Scatter {
		r.Shards, r.Scatter = []*conf.Shard{hint}, false
		return nil
	}
	for _, sh := range r.Shards {
		if sh != hint {
			return hintConflict(hint, sh)
		}
	}
	return nil
}

func hintConflict(hinted, routed *conf.Shard) error {
	return sqlerr.Routing("the statement's hint names shard %s/%s, but its vindex values route it to shard %s/%s",
		hinted.Keyspace, hinted.Name, routed.Keyspace, routed.Name)
}

// sameOnEach is one statement for each of these shards.
func sameOnEach(shards []*conf.Shard, sql string) []ShardQuery {
	queries := make([]ShardQuery, len(shards))
	for i, sh := range shards {
		queries[i] = ShardQuery{Shard: sh, SQL: sql}
	}
	return queries
}

// AnyShard is a statement without a table (SHOW, DESCRIBE, SELECT 1): every
// shard has the keyspace's schema and answers alike, so the first does.
type AnyShard struct{ Keyspace *conf.Keyspace }

func (a *AnyShard) Answer(ctx context.Context, s Session, x Execution) error {
	return s.Relay(ctx, a.Keyspace.Shards[0], "")
}

func (a *AnyShard) describe(b *strings.Builder, depth int) {
	line(b, depth, "AnyShard of %s: one shard answers for all", a.Keyspace.Name)
}

// EveryShard runs a statement on every shard, in parallel: DDL, and LOCK
// TABLES. CREATE and DROP TEMPORARY TABLE and LOCK TABLES run on the
// session's own connections, where its later statements find the table or
// the locks. A partial failure names the shards that failed and those that
// did not; Undo, when set, is then sent to every shard (a LOCK TABLES that
// failed leaves no locks, as on one server).
type EveryShard struct {
	Keyspace   *conf.Keyspace
	What, Undo string
}

func (e *EveryShard) Answer(ctx context.Context, s Session, x Execution) error {
	w, err := s.Write(ctx, sameOnEach(e.Keyspace.Shards, x.Planned.Text()))
	if err != nil && e.Undo != "" {
		_, _ = s.Write(ctx, sameOnEach(e.Keyspace.Shards, e.Undo)) // the statement's own error is the one to report
	}
	switch {
	case err == nil:
		return s.OK(Written{Warnings: w.Warnings})
	case len(w.Succeeded) == 0:
		return err
	}
	first := sqlerr.From(err)
	return sqlerr.New(first.Num, first.State, "%s failed on %s (succeeded on %s): %s",
		e.What, strings.Join(w.Failed, ", "), strings.Join(w.Succeeded, ", "), first.Message)
}

func (e *EveryShard) describe(b *strings.Builder, depth int) {
	line(b, depth, "%s on every shard of %s", e.What, e.Keyspace.Name)
}

// Select answers a SELECT routed by its vindex values: from one shard as
// the shard answers it, from several merged, and from none (values no row
// can have) as any one shard answers it. A SELECT the router refuses (a
// join or subquery across shards, a HAVING comparing merged strings…) the
// session evaluates.
type Select struct {
	Keyspace *conf.Keyspace
	// Route is how the planner routes the statement: by its vindex
	// conditions, or a join's JoinRoute (see Planned.Route).
	Route Router
	// Split: for a text SELECT whose rows are concatenated (a merge sends
	// its own statement, a prepared one the backend's).
	Split *SplitIn
}

func (sel *Select) Answer(ctx context.Context, s Session, x Execution) error {
	r, err := x.Planned.Route(ctx, s)
	if err != nil {
		return s.Evaluate(ctx, err)
	}
	if err := r.hinted(x.Hint); err != nil {
		return err
	}
	switch len(r.Shards) {
	case 0:
		// No shard has a row its vindex values match, so any one answers
		// the statement itself as MySQL would: its columns, its aggregates
		// of no rows, the client's protocol (text, or a prepared
		// statement's binary rows).
		return s.Relay(ctx, sel.Keyspace.Shards[0], "")
	case 1:
		return s.Relay(ctx, r.Shards[0], "")
	}
	mp, err := x.Planned.Merge()
	if err != nil {
		return s.Evaluate(ctx, err)
	}
	if mp == nil {
		queries := sameOnEach(r.Shards, "")
		if x.Planned.Sent() != "" {
			// A text statement: each shard gets its own values of an IN list.
			// (A prepared one's shards execute the backend's prepared
			// statement, with all its arguments.)
			queries = sel.Split.queries(r, x, "")
		}
		return s.Gather(ctx, queries, nil)
	}
	err = s.Gather(ctx, sameOnEach(r.Shards, ""), mp)
	if enums := (*EnumKeys)(nil); errors.As(err, &enums) {
		// Once per statement shape: the plan keeps the index columns.
		if mp, err = x.Planned.MergeEnums(enums.Names); err != nil {
			return err
		}
		return s.Gather(ctx, sameOnEach(r.Shards, ""), mp)
	}
	return err
}

func (sel *Select) describe(b *strings.Builder, depth int) {
	own := ""
	if sel.Split != nil {
		own = ", each with its own values of the IN list unless merged or prepared"
	}
	line(b, depth, "Select of %s: one shard's answer relayed, several shards' merged%s", sel.Keyspace.Name, own)
	sel.Route.describe(b, depth+1)
}

// Write answers an UPDATE or DELETE: on its shards in parallel, after the
// lookup rows of the rows it changes are maintained (Owned, when the table
// owns lookup vindexes whose values it changes or deletes).
type Write struct {
	Keyspace *conf.Keyspace
	Route    Router // as Select's
	Owned    *OwnedLookups
	Split    *SplitIn
	Update   bool // an UPDATE, whose OK says how many rows it matched
	Limit    *WriteLimit
	// Columns is a SELECT of a DELETE … RETURNING's columns that reads no
	// rows (see Answer); "" for other statements.
	Columns string
}

// WriteLimit is the LIMIT of an UPDATE or DELETE. Without ORDER BY it
// changes any rows up to its count: across shards, they run one after the
// other, each with the count less the rows the ones before matched, until
// none is left. With ORDER BY, Read (a SELECT FOR UPDATE of the rows'
// primary vindex column, in the write's order, with its WHERE and LIMIT)
// finds which rows come first over all shards, locking them; each shard then
// writes as many of its first rows as are among them. Statement and Read
// have the count as argument Arg (counting from 1, after the statement's
// own), Statement the route's IN list at In, if any: each shard then gets
// its own values.
type WriteLimit struct {
	Statement          Template
	Arg                int
	Count              Cell
	In                 *InList
	NoBackslashEscapes bool
	Read               Template
	Vindex             *conf.ColumnVindex // the primary vindex, whose column Read returns
}

// run runs wr on r's shards one after the other as wl says.
func (wl *WriteLimit) run(ctx context.Context, s Session, wr *Write, r *Routed, x Execution) (Written, error) {
	var out Written
	count, _ := wl.Count.value(x.Args)
	left, err := strconv.ParseUint(string(count.Raw), 10, 64)
	if err != nil {
		return out, sqlerr.Unsupported("LIMIT %s in a write across shards of %s (a non-negative integer is needed)", count.Raw, wr.Keyspace.Name)
	}
	limit := left
	args := make([]vindex.Value, max(len(x.Args), wl.Arg))
	copy(args, x.Args)
	var counts map[*conf.Shard]uint64 // of an ordered write: each shard's rows among the first
	if wl.Read != nil && left > 0 {
		if counts, err = wl.firstRows(ctx, s, wr.Keyspace, r.Shards, args, left); err != nil {
			return out, err
		}
	}
	var infos []string
	for i, sh := range r.Shards {
		if counts != nil {
			// Each shard, with LIMIT 0 where none of its rows are among
			// the first: the write is checked as MariaDB checks it (an
			// unknown column in SET), and VEXPLAIN lists it.
			left = counts[sh]
		} else if left == 0 && i > 0 {
			break // the first shard runs a LIMIT 0 still: MariaDB checks it (ERROR 1054)
		}
		args[wl.Arg-1] = vindex.NewCount(left)
		var sql []byte
		if wl.In != nil && r.Values != nil {
			sql = wl.Statement.appendIn(nil, args, wl.NoBackslashEscapes, *wl.In, r.Values[i])
		} else {
			sql = wl.Statement.appendTo(nil, args, wl.NoBackslashEscapes)
		}
		w, err := s.Write(ctx, []ShardQuery{{Shard: sh, SQL: string(sql)}})
		if err != nil {
			return out, err
		}
		n := w.Affected
		if m, ok := rowsMatched(w.Info); wr.Update && ok {
			n = m
		}
		for _, res := range w.Returned { // a DELETE … RETURNING: no OK, its rows
			n += uint64(len(res.Rows))
		}
		left -= min(n, left)
		out.Affected += w.Affected
		out.Warnings += w.Warnings
		out.Returned = append(out.Returned, w.Returned...)
		if w.InsertID != 0 {
			out.InsertID = w.InsertID
		}
		if w.Info != "" { // none from a shard's LIMIT 0
			infos = append(infos, w.Info)
		}
	}
	out.Info = mysql.SumInfo(infos)
	if out.Info == "" && wr.Update && limit > 0 { // MariaDB's LIMIT 0 has none either
		out.Info = noRowsMatched
	}
	return out, nil
}

// firstRows runs an ordered write's Read for its first count rows over the
// shards, and counts them by shard (their primary vindex values mapped).
func (wl *WriteLimit) firstRows(ctx context.Context, s Session, ks *conf.Keyspace, shards []*conf.Shard, args []vindex.Value, count uint64) (map[*conf.Shard]uint64, error) {
	args[wl.Arg-1] = vindex.NewCount(count)
	read := string(wl.Read.appendTo(nil, args, wl.NoBackslashEscapes))
	// Its locks first, one shard after another in the keyspace's order:
	// writers of the same rows then wait for each other as on one server,
	// instead of each locking one shard and waiting for the other, a
	// deadlock across shards. The Read then finds them held.
	for _, sh := range ks.Shards {
		if slices.Contains(shards, sh) {
			if _, err := s.ExecuteShard(ctx, sh, read, vindex.CommitNormal); err != nil {
				return nil, err
			}
		}
	}
	res, err := s.Select(ctx, Read{Keyspace: ks.Name, SQL: read, Again: true})
	if err != nil {
		return nil, err
	}
	vals := make([]vindex.Value, len(res.Rows))
	for i, row := range res.Rows {
		vals[i] = ValueOf(row[0], res.Fields[0].Kind)
	}
	dests, err := MapValues(ctx, s, ks, wl.Vindex, vals)
	if err != nil {
		return nil, err
	}
	counts := map[*conf.Shard]uint64{}
	for _, d := range dests {
		for _, sh := range ShardsOf(ks, []vindex.Destination{d}) {
			counts[sh]++
		}
	}
	return counts, nil
}

// rowsMatched reads the rows an UPDATE matched from its OK's info.
func rowsMatched(info string) (uint64, bool) {
	rest, ok := strings.CutPrefix(info, "Rows matched: ")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseUint(num, 10, 64)
	return n, err == nil
}

// noRowsMatched is the info of an UPDATE's OK that matched no row.
const noRowsMatched = "Rows matched: 0  Changed: 0  Warnings: 0"

// SplitIn is a statement whose route is an IN list of arguments, as a
// template: each shard gets only its own values of the list (see
// Routed.Values), so that it neither reads nor locks rows where the values
// of other shards would be (gaps the transaction's own later statements, or
// the other session of a consistent lookup, would wait for).
type SplitIn struct {
	Statement          Template
	In                 InList
	NoBackslashEscapes bool
}

// queries are the statements for r's shards: sp's with each shard's own
// values, or whole on each when there is nothing to split.
func (sp *SplitIn) queries(r *Routed, x Execution, whole string) []ShardQuery {
	if sp == nil || r.Values == nil {
		return sameOnEach(r.Shards, whole)
	}
	queries := make([]ShardQuery, len(r.Shards))
	for i, sh := range r.Shards {
		queries[i] = ShardQuery{Shard: sh, SQL: string(sp.Statement.appendIn(nil, x.Args, sp.NoBackslashEscapes, sp.In, r.Values[i]))}
	}
	return queries
}

func (wr *Write) Answer(ctx context.Context, s Session, x Execution) error {
	r, err := x.Planned.Route(ctx, s)
	if err != nil {
		return err
	}
	if err := r.hinted(x.Hint); err != nil {
		return err
	}
	switch {
	case len(r.Shards) == 0:
		// No shard has a row its vindex values match. MySQL would still
		// check the statement (its columns: ERROR 1054); EXPLAIN on one
		// shard does, and changes nothing where a row it would match is
		// missed by the vindex (a collation the vindex does not follow, a
		// missing lookup row): the statement itself would change it
		// without its lookup rows.
		sh := x.Hint
		if sh == nil {
			sh = wr.Keyspace.Shards[0]
		}
		explained, err := s.ExecuteShard(ctx, sh, "EXPLAIN "+x.Planned.Text(), vindex.CommitNormal)
		if err != nil {
			return err
		}
		if wr.Columns != "" && !impossibleWhere(explained) {
			// MariaDB answers a DELETE … RETURNING that deletes nothing
			// with its columns and no rows, unless it finds its WHERE
			// impossible (id = NULL): then with an OK, as below.
			return s.Relay(ctx, sh, wr.Columns)
		}
		var w Written
		if wr.Update {
			w.Info = noRowsMatched
		}
		return s.OK(w)
	case wr.Owned == nil && len(r.Shards) == 1:
		return s.Relay(ctx, r.Shards[0], "")
	}
	var w Written
	run := func() error {
		if wr.Owned != nil {
			if err := wr.Owned.Run(ctx, s, x.Args, r); err != nil {
				return err
			}
		}
		var err error
		if wr.Limit != nil {
			w, err = wr.Limit.run(ctx, s, wr, r, x)
		} else {
			w, err = s.Write(ctx, wr.Split.queries(r, x, x.Planned.Text()))
		}
		if err == nil && wr.Owned != nil && wr.Owned.Primary != nil && w.Affected > 0 {
			err = wr.Owned.verifyPrimary(ctx, s, x.Args, r) // an UPDATE to NULL matching no row is an OK
		}
		return err
	}
	if err := s.Scope(wr.Keyspace.Name, run); err != nil {
		return err
	}
	ok := Written{Affected: w.Affected, InsertID: w.InsertID, Warnings: w.Warnings, Info: w.Info} // InsertID: a LAST_INSERT_ID(expr)'s
	if w.Returned != nil {
		// A DELETE … RETURNING: the shards' rows one after another.
		rows := &Result{}
		for _, res := range w.Returned {
			if res != nil {
				rows.Fields = res.Fields
				rows.Rows = append(rows.Rows, res.Rows...)
			}
		}
		return s.Returned(ok, rows)
	}
	return s.OK(ok)
}

// impossibleWhere: EXPLAIN found the WHERE of the statement it explains
// can match no row. Its first row is the statement's own; the others, its
// subqueries'.
func impossibleWhere(explained *vindex.Result) bool {
	if explained == nil || len(explained.Rows) == 0 {
		return false
	}
	row := explained.Rows[0]
	return len(row) > 0 && bytes.HasPrefix(row[len(row)-1].Raw, []byte("Impossible WHERE"))
}

func (wr *Write) describe(b *strings.Builder, depth int) {
	own := ""
	if wr.Split != nil {
		own = " with its own values of the IN list"
	}
	switch {
	case wr.Limit != nil && wr.Limit.Read != nil:
		line(b, depth, "Write on %s: the first rows by its ORDER BY over all shards read and locked first, then on each shard its first ones among them%s", wr.Keyspace.Name, own)
	case wr.Limit != nil:
		line(b, depth, "Write on %s: on its shards one after another%s, each with what is left of the LIMIT", wr.Keyspace.Name, own)
	case wr.Owned == nil:
		line(b, depth, "Write on %s: on each of its shards%s", wr.Keyspace.Name, own)
	case len(wr.Owned.Vindexes) == 0:
		line(b, depth, "Write on %s: on each of its shards%s, after reading its rows", wr.Keyspace.Name, own)
		wr.Owned.describe(b, depth+1)
	default:
		line(b, depth, "Write on %s: on each of its shards%s, after its lookup rows", wr.Keyspace.Name, own)
		wr.Owned.describe(b, depth+1)
	}
	wr.Route.describe(b, depth+1)
}

// Answer writes the INSERT's rows, one statement per shard, after their
// lookup rows. A statement that writes in several places (lookup rows, or
// rows for several shards) runs as one: a failure part-way leaves nothing
// behind. The client's LAST_INSERT_ID() becomes the first sequence value,
// or the id a shard's AUTO_INCREMENT generated.
//
// An INSERT IGNORE into a table owning lookup vindexes whose shards skipped
// rows (a key of the table collided) runs again without them: their lookup
// rows, written first, would have no owner, and a later row of the
// statement with the same lookup value, dropped as theirs, would be missing
// (MySQL skips the colliding row and inserts the later one).
//
// In a client transaction, one that dropped rows for a value rows outside
// the statement hold (a lookup value, a vindex value that maps elsewhere)
// runs again without them too: finding that out locked the value's lookup row in the
// pre-transaction, until COMMIT, and a DELETE of that value's owner later
// in the transaction would wait for that lock in the post-transaction. The
// run again does not touch the row, and the undo releases the lock where
// it leaves the pre-transaction without changes (MariaDB does; a
// pre-transaction that wrote earlier keeps its locks until COMMIT).
func (in *Insert) Answer(ctx context.Context, s Session, x Execution) error {
	var ins *Inserted
	var w Written
	var skip []bool // rows the table skipped in an earlier run
	run := func() error {
		var err error
		if ins, err = in.run(ctx, s, x.Args, x.Planned.Sent(), skip); err != nil {
			return err
		}
		if held := ins.heldElsewhere(); len(held) > 0 && s.InTransaction() {
			skip = skipRows(skip, len(in.Rows), held)
			return ErrRetry
		}
		if in.Assigns && len(ins.Queries) > 1 {
			return sqlerr.Unsupported("assigning user variables (@v := …) in INSERT statements across shards of %s", in.Table)
		}
		if x.Hint != nil {
			for _, q := range ins.Queries {
				if q.Shard != x.Hint {
					return hintConflict(x.Hint, q.Shard)
				}
			}
		}
		if w, err = s.Write(ctx, ins.Queries); err != nil || w.Listed || !in.Ignore || in.Upsert || len(in.Table.Owned) == 0 {
			return err
		}
		skipped, err := ins.skipped(ctx, s, w.Affected)
		if err != nil || len(skipped) == 0 {
			return err
		}
		skip = skipRows(skip, len(in.Rows), skipped)
		return ErrRetry
	}
	var err error
	if len(in.Table.Owned) > 0 || len(in.Rows) > 1 {
		for err = ErrRetry; errors.Is(err, ErrRetry); {
			err = s.Scope(in.Table.Keyspace.Name, run) // each run skips one row more at least
		}
	} else {
		err = run()
	}
	if err != nil {
		return err
	}
	// No info ("Records: 3  Duplicates: 0"): the sidecar writes rows a
	// shard may get one by one, and Vitess's answer, the seeds', has none.
	ok := Written{Affected: w.Affected, InsertID: w.InsertID, Warnings: w.Warnings, Listed: w.Listed}
	switch {
	case ins.InsertID != 0: // the first value of a sequence
		ok.InsertID, ok.Generated = ins.InsertID, true
	case w.InsertID != 0:
		// A shard's own AUTO_INCREMENT, unless the statement gave the
		// value: a vindex column that is also the shard's AUTO_INCREMENT
		// one, typically. The sequence's values are the case above.
		ok.Generated = x.Planned.InsertIDGenerated(w.InsertID)
	case ins.Explicit != 0:
		ok.InsertID = ins.Explicit
	}
	if in.Returning && !w.Listed {
		rows, err := ins.returned(w.Returned)
		if err != nil {
			return err
		}
		return s.Returned(ok, rows)
	}
	return s.OK(ok)
}

// skipRows is skip (nil: no row skipped) with rows skipped too, for an
// INSERT of n rows.
func skipRows(skip []bool, n int, rows []int) []bool {
	if skip == nil {
		skip = make([]bool, n)
	}
	for _, i := range rows {
		skip[i] = true
	}
	return skip
}

// Staged answers a write that reads across shards first: an INSERT …
// SELECT (the SELECT, then an INSERT … VALUES of its rows) or an UPDATE or
// DELETE with subqueries (the subqueries, then the statement with their
// rows written in). Each read runs as the client's SELECT would; the
// write, made from the rows, runs as the client's statement.
type Staged struct{ Keyspace *conf.Keyspace }

func (st *Staged) Answer(ctx context.Context, s Session, x Execution) error {
	reads, err := x.Planned.Reads()
	if err != nil {
		return err
	}
	results := make([]*Result, len(reads))
	held := 0
	for i, r := range reads {
		if results[i], err = s.Select(ctx, r); err != nil {
			return err
		}
		if held += len(results[i].Rows); x.MaxRows > 0 && held > x.MaxRows {
			return TooManyRows(x.MaxRows)
		}
	}
	write, err := x.Planned.Write(results)
	switch {
	case err != nil:
		return err
	case write == "":
		return s.OK(Written{})
	}
	return s.Run(ctx, write)
}

func (st *Staged) describe(b *strings.Builder, depth int) {
	line(b, depth, "Staged on %s: the reads first, then the write with their rows", st.Keyspace.Name)
}

// Evaluated is a SELECT the planner leaves to an engine plan from the start
// (it reads several keyspaces).
type Evaluated struct{ Keyspace *conf.Keyspace }

func (ev *Evaluated) Answer(ctx context.Context, s Session, x Execution) error {
	return s.Evaluate(ctx, nil)
}

func (ev *Evaluated) describe(b *strings.Builder, depth int) {
	line(b, depth, "Evaluated from %s: an engine plan of gathers reads the keyspaces", ev.Keyspace.Name)
}
