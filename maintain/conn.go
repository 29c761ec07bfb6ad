package maintain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/vindex"
)

// DefaultLockWaitTimeout is the innodb_lock_wait_timeout of the tool's
// connections when the config sets none. A wait that spans two shards (our
// owner lock on one, a sidecar's lookup lock on another) is a deadlock no
// server can see; the timeout ends it and the batch is tried again.
const DefaultLockWaitTimeout = 5 * time.Second

// conn is the tool's session on one shard: autocommit except between begin
// and commit, READ COMMITTED so that a locking read locks the rows it returns
// and no gaps (the sidecars' inserts next to them go on), and a short lock
// wait. One per shard and role (see connSet).
type conn struct {
	shard  *conf.Shard
	c      *client.Conn
	nbe    bool // the session's sql_mode has NO_BACKSLASH_ESCAPES
	inTx   bool
	broken bool // a network error: the connection is dropped and redialed
}

// dial opens a connection to shard the way the sidecar's backend pool does
// (address, user, password, database, TLS).
func dial(ctx context.Context, shard *conf.Shard, lockWait time.Duration) (*conn, error) {
	timeout := shard.ConnectTimeout
	if timeout <= 0 {
		timeout = conf.DefaultConnectTimeout
	}
	cc, err := backend.Connect(ctx, shard, shard.Database, timeout,
		func(c *client.Conn) error { return c.SetCollation("utf8mb4_general_ci") })
	if err != nil {
		return nil, fmt.Errorf("shard %s/%s (%s): %w", shard.Keyspace, shard.Name, shard.Address, err)
	}
	if shard.LockWaitTimeout > 0 {
		lockWait = shard.LockWaitTimeout
	}
	// A statement never waits longer than a lock wait plus its work; a
	// server that stops answering must not hang the run.
	cc.ReadTimeout = lockWait + 5*time.Minute
	c := &conn{shard: shard, c: cc}
	secs := max(1, int((lockWait+time.Second-1)/time.Second))
	for _, setup := range []string{
		"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
		"SET SESSION innodb_lock_wait_timeout = " + strconv.Itoa(secs),
	} {
		if _, err := c.exec(ctx, setup); err != nil {
			c.close()
			return nil, err
		}
	}
	rows, err := c.query(ctx, "SELECT @@SESSION.sql_mode")
	if err != nil {
		c.close()
		return nil, err
	}
	if len(rows) == 1 && len(rows[0]) == 1 {
		c.nbe = strings.Contains(strings.ToUpper(string(rows[0][0].Raw)), "NO_BACKSLASH_ESCAPES")
	}
	return c, nil
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
	}
}

func (c *conn) String() string { return c.shard.Keyspace + "/" + c.shard.Name }

// lit appends v as a literal for this session's sql_mode: the one renderer
// of values into SQL text.
func (c *conn) lit(buf []byte, v vindex.Value) []byte {
	return vindex.AppendLiteral(buf, v, c.nbe)
}

// run sends one statement. Errors name the shard and keep MySQL's error
// (errors.As *mysql.MyError); any other error breaks the connection.
func (c *conn) run(ctx context.Context, sql string) (*mysql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.broken {
		return nil, fmt.Errorf("shard %s: connection lost", c)
	}
	res, err := c.c.Execute(sql)
	if err != nil {
		var me *mysql.MyError
		if !errors.As(err, &me) {
			c.broken = true
		}
		return nil, &shardError{shard: c.String(), sql: sql, err: err}
	}
	return res, nil
}

// query runs a SELECT and returns its rows, typed as the vindexes read them.
func (c *conn) query(ctx context.Context, sql string) ([][]vindex.Value, error) {
	res, err := c.run(ctx, sql)
	if err != nil {
		return nil, err
	}
	if res.Resultset == nil {
		return nil, nil
	}
	return toValues(res.Resultset), nil
}

// exec runs a statement and returns the number of rows it changed.
func (c *conn) exec(ctx context.Context, sql string) (uint64, error) {
	res, err := c.run(ctx, sql)
	if err != nil {
		return 0, err
	}
	return res.AffectedRows, nil
}

func (c *conn) begin(ctx context.Context) error {
	if _, err := c.exec(ctx, "BEGIN"); err != nil {
		return err
	}
	c.inTx = true
	return nil
}

func (c *conn) commit(ctx context.Context) error {
	c.inTx = false
	_, err := c.exec(ctx, "COMMIT")
	return err
}

// rollback ends a transaction after a failure; its own error is of no use
// (a broken connection is redialed anyway).
func (c *conn) rollback() {
	if c.inTx && !c.broken {
		_, _ = c.c.Execute("ROLLBACK")
	}
	c.inTx = false
}

// shardError is a failed statement: which shard, which statement (shortened).
type shardError struct {
	shard, sql string
	err        error
}

func (e *shardError) Error() string {
	sql := e.sql
	if len(sql) > 200 {
		sql = sql[:200] + "…"
	}
	return fmt.Sprintf("shard %s: %v (in: %s)", e.shard, e.err, sql)
}

func (e *shardError) Unwrap() error { return e.err }

// errorCode is the MySQL error number of err, 0 if it has none.
func errorCode(err error) uint16 {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}

// MySQL errors a batch is tried again after: lock wait timeout, deadlock, and
// a duplicate key (someone created the row between our read and our insert;
// the next read under lock sees it).
const (
	erLockWaitTimeout = 1205
	erLockDeadlock    = 1213
	erDupEntry        = 1062
)

// retryable reports whether a batch that failed with err may succeed when
// tried again: the lock errors, a duplicate, or a lost connection.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch errorCode(err) {
	case erLockWaitTimeout, erLockDeadlock, erDupEntry:
		return true
	case 0:
		var se *shardError
		return errors.As(err, &se) // a network error on a shard
	}
	return false
}

// toValues converts a result's rows. Integers are INT64/UINT64, DECIMAL
// DECIMAL, binary strings VARBINARY and other strings VARCHAR, as the
// sidecar types the rows its lookups read (so hash reads a signed column as
// two's complement and binary takes the bytes as they are).
func toValues(rs *mysql.Resultset) [][]vindex.Value {
	out := make([][]vindex.Value, len(rs.Values))
	for i, row := range rs.Values {
		vals := make([]vindex.Value, len(row))
		for j := range row {
			vals[j] = toValue(rs.Fields[j], &row[j])
		}
		out[i] = vals
	}
	return out
}

func toValue(f *mysql.Field, fv *mysql.FieldValue) vindex.Value {
	switch fv.Type {
	case mysql.FieldValueTypeNull:
		return vindex.Value{Kind: vindex.Null}
	case mysql.FieldValueTypeUnsigned:
		return vindex.NewUint64(fv.AsUint64())
	case mysql.FieldValueTypeSigned:
		return vindex.NewInt64(fv.AsInt64())
	case mysql.FieldValueTypeFloat:
		return vindex.Value{Kind: vindex.Float64, Raw: strconv.AppendFloat(nil, fv.AsFloat64(), 'g', -1, 64)}
	}
	raw := append([]byte{}, fv.AsString()...)
	switch f.Type {
	case mysql.MYSQL_TYPE_DECIMAL, mysql.MYSQL_TYPE_NEWDECIMAL:
		return vindex.Value{Kind: vindex.Decimal, Raw: raw}
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE, mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2,
		mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2, mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
		// Binary charset on the wire, but text a comparison must read as text.
		return vindex.Value{Kind: vindex.VarChar, Raw: raw}
	}
	if f.Charset == 63 { // binary
		return vindex.Value{Kind: vindex.VarBinary, Raw: raw}
	}
	return vindex.Value{Kind: vindex.VarChar, Raw: raw}
}

// connSet holds one connection per shard for one role, dialed when first
// needed and dialed again after a network error. Owner rows and lookup rows
// have separate sets: the owner shard's transaction holds its locks while
// lookup rows are written and committed on their own shards first, the
// order the consistent lookup commits in.
type connSet struct {
	lockWait time.Duration
	m        map[*conf.Shard]*conn
}

func newConnSet(lockWait time.Duration) *connSet {
	return &connSet{lockWait: lockWait, m: map[*conf.Shard]*conn{}}
}

func (s *connSet) get(ctx context.Context, shard *conf.Shard) (*conn, error) {
	if c := s.m[shard]; c != nil && !c.broken {
		return c, nil
	} else if c != nil {
		c.close()
		delete(s.m, shard)
	}
	c, err := dial(ctx, shard, s.lockWait)
	if err != nil {
		return nil, err
	}
	s.m[shard] = c
	return c, nil
}

// rollback ends every open transaction of the set (after a failed batch).
func (s *connSet) rollback() {
	for _, c := range s.m {
		c.rollback()
	}
}

func (s *connSet) close() {
	for _, c := range s.m {
		c.close()
	}
	clear(s.m)
}
