package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sidecar/sqlerr"
	"strings"
	"sync"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"sidecar/conf"
	"sidecar/integration"
	"sidecar/vschemaddl"
	"sidecar/vschemaddl/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	integration.Cleanup() // what the tests left running, and the scratch directory
	os.Exit(code)
}

// conn is an Executor over one go-mysql client connection, as the server's
// will be over a backend connection of the metadata keyspace.
type conn struct {
	mu sync.Mutex
	c  *client.Conn
}

// sqlError gives go-mysql's errors the SQLErrorNumber the store looks for.
type sqlError struct{ *mysql.MyError }

func (e sqlError) SQLErrorNumber() uint16 { return e.Code }

func (c *conn) Exec(ctx context.Context, query string) ([][]sql.NullString, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, err := c.c.Execute(query)
	if err != nil {
		var me *mysql.MyError
		if errors.As(err, &me) {
			return nil, sqlError{me}
		}
		return nil, err
	}
	defer res.Close()
	if res.Resultset == nil {
		return nil, nil
	}
	rows := make([][]sql.NullString, res.RowNumber())
	for r := range rows {
		rows[r] = make([]sql.NullString, res.ColumnNumber())
		for col := range rows[r] {
			null, err := res.IsNull(r, col)
			if err != nil {
				return nil, err
			}
			if null {
				continue
			}
			s, err := res.GetString(r, col)
			if err != nil {
				return nil, err
			}
			// go-mysql's strings share buffers it reuses after Close: copy.
			rows[r][col] = sql.NullString{String: strings.Clone(s), Valid: true}
		}
	}
	return rows, nil
}

func connect(t *testing.T, m *integration.MariaDB, sqlMode string) *conn {
	t.Helper()
	c, err := client.Connect(m.Addr(), "root", "", "meta")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if sqlMode != "" {
		if _, err := c.Execute("set sql_mode = '" + sqlMode + "'"); err != nil {
			t.Fatal(err)
		}
	}
	return &conn{c: c}
}

// ddl does what the server does for an ALTER VSCHEMA statement: parse it,
// then in Update apply it to the VSchemas in force (the config's files with
// the stored versions over them) and validate it against every keyspace.
func ddl(ctx context.Context, s *store.Store, files *conf.Config, query, session string) (*vschemaddl.Change, *store.State, error) {
	stmt, err := vschemaddl.Parse(query)
	if err != nil {
		return nil, nil, err
	}
	var change *vschemaddl.Change
	st, err := s.Update(ctx, stmt.Keyspace(session), query, func(st *store.State) (*conf.VSchema, error) {
		inForce, err := vschemaddl.Validate(files, st.VSchemas)
		if err != nil {
			return nil, err
		}
		change, err = vschemaddl.Execute(inForce, stmt, session)
		if err != nil {
			return nil, err
		}
		return change.VSchema, nil
	})
	return change, st, err
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	m := integration.MustStartMariaDB(t, integration.Options{})
	if err := m.CreateDatabases("meta"); err != nil {
		t.Fatal(err)
	}
	files, err := conf.Load("../../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Two sidecars; the second's connection reads and writes with
	// NO_BACKSLASH_ESCAPES and ANSI_QUOTES, which must not matter.
	s1 := store.New(connect(t, m, ""))
	s2 := store.New(connect(t, m, "NO_BACKSLASH_ESCAPES,ANSI_QUOTES"))

	// Nothing stored: the table is created, twice is fine.
	for _, s := range []*store.Store{s1, s2} {
		if err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := s.Latest(ctx)
		if err != nil || st.Version != 0 || len(st.VSchemas) != 0 {
			t.Fatalf("empty store: %+v, %v", st, err)
		}
		if st, err := s.Newer(ctx, 0); st != nil || err != nil {
			t.Fatalf("Newer(0) on an empty store = %+v, %v", st, err)
		}
	}

	// A change, then what the other sidecar sees.
	ch, st, err := ddl(ctx, s1, files, "alter vschema add table product.t1", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.Versions["product"] != 1 || st.VSchemas["product"].Tables["t1"] == nil || ch.Config.Topology.Keyspaces["product"].Tables["t1"] == nil {
		t.Fatalf("after the first change: %+v", st)
	}
	seen, err := s2.Newer(ctx, 0)
	if err != nil || seen == nil || seen.Version != 1 || !reflect.DeepEqual(seen.VSchemas["product"], ch.VSchema) {
		t.Fatalf("the other sidecar sees %+v, %v; want %+v", seen, err, ch.VSchema)
	}
	if st, err := s2.Newer(ctx, 1); st != nil || err != nil {
		t.Errorf("Newer(1) = %+v, %v", st, err)
	}

	// Optimistic concurrency: a save from a stale base is refused, nothing
	// stored.
	if _, err := s2.Save(ctx, 0, "product", &conf.VSchema{}, "stale"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	if v, _ := s2.Version(ctx); v != 1 {
		t.Errorf("version %d after a refused save", v)
	}

	// Update retries on the newer state when another sidecar stores first:
	// the second attempt applies the statement to a VSchema that has the
	// other change, and both are kept.
	calls := 0
	st, err = s1.Update(ctx, "product", "alter vschema add table product.t3", func(st *store.State) (*conf.VSchema, error) {
		calls++
		if calls == 1 { // the other sidecar wins the race
			if _, _, err := ddl(ctx, s2, files, "alter vschema add table product.t2", ""); err != nil {
				return nil, err
			}
		}
		inForce, err := vschemaddl.Validate(files, st.VSchemas)
		if err != nil {
			return nil, err
		}
		ch, err := vschemaddl.Execute(inForce, mustParse(t, "alter vschema add table product.t3"), "")
		if err != nil {
			return nil, err
		}
		return ch.VSchema, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || st.Version != 3 || st.VSchemas["product"].Tables["t2"] == nil || st.VSchemas["product"].Tables["t3"] == nil {
		t.Errorf("after the race: %d calls, %+v", calls, st)
	}

	// Many changes at once from both sidecars: every one is stored, none lost.
	s1.MaxAttempts, s2.MaxAttempts = 100, 100
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		s := []*store.Store{s1, s2}[i%2]
		wg.Go(func() {
			if _, _, err := ddl(ctx, s, files, fmt.Sprintf("alter vschema add table product.c%d", i), ""); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err = s1.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 13 {
		t.Errorf("version %d, want 13", st.Version)
	}
	for i := range 10 {
		if st.VSchemas["product"].Tables[fmt.Sprintf("c%d", i)] == nil {
			t.Errorf("c%d lost", i)
		}
	}

	// A bad change (a sequence still used) is refused and stores nothing.
	_, _, err = ddl(ctx, s2, files, "alter vschema drop sequence product.customer_seq", "")
	var e *sqlerr.Error
	if !errors.As(err, &e) || e.Num != 1105 || !strings.Contains(e.Message, "cannot resolve sequence product.customer_seq") {
		t.Errorf("bad change: %v", err)
	}
	if v, _ := s2.Version(ctx); v != 13 {
		t.Errorf("version %d after a refused change", v)
	}

	// Seed 002's session on another keyspace, and values that need escaping
	// (quotes, backslashes, multibyte text) round-trip byte for byte.
	weird := `it's \ "q" \\' ünï 😀 ` + "\x00\n"
	for _, q := range []string{
		"alter vschema on customer.corder_event drop vindex `binary`",
		"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`;",
		"alter vschema create vindex customer.weird using hash with note=" + sqlString(weird),
	} {
		if _, _, err := ddl(ctx, s2, files, q, ""); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A restarted sidecar (a new store, a new connection) reads it all.
	s3 := store.New(connect(t, m, ""))
	st, err = s3.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 16 || st.Versions["customer"] != 16 || st.Versions["product"] != 13 {
		t.Errorf("versions %d %v", st.Version, st.Versions)
	}
	if got := st.VSchemas["customer"].Vindexes["weird"].Params["note"]; got != weird {
		t.Errorf("note = %q, want %q", got, weird)
	}
	restarted, err := vschemaddl.Validate(files, st.VSchemas)
	if err != nil {
		t.Fatal(err)
	}
	if tb := restarted.Topology.Keyspaces["customer"].Tables["corder_event"]; tb == nil || len(tb.ColumnVindexes) != 2 || tb.ColumnVindexes[1].Name != "binary" {
		t.Errorf("corder_event = %+v", tb)
	}

	// The table holds the vschema_file JSON and the statement.
	rows, err := connect(t, m, "").Exec(ctx, "select vschema, statement from "+store.Table+" where version = 1")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := conf.ParseVSchemaJSON("v1", []byte(rows[0][0].String))
	if js, _ := vschemaddl.MarshalVSchema(first); string(js) != rows[0][0].String || rows[0][1].String != "alter vschema add table product.t1" {
		t.Errorf("row 1 = %q, %q", rows[0][0].String, rows[0][1].String)
	}

	// A row that does not load is named.
	if _, err := connect(t, m, "").Exec(ctx, `insert into `+store.Table+` (version, keyspace, vschema, statement) values (100, 'things', '{"tabels": {}}', 'by hand')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Latest(ctx); err == nil || !strings.Contains(err.Error(), `sidecar_vschema version 100 of keyspace things: tabels: unknown key "tabels"`) {
		t.Errorf("bad row: %v", err)
	}
}

// sqlString quotes s as a MySQL string literal for the default sql_mode.
func sqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

func mustParse(t *testing.T, q string) *vschemaddl.Statement {
	t.Helper()
	st, err := vschemaddl.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
