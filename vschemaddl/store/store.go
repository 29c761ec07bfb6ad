// Package store keeps VSchema versions in the metadata keyspace, in MySQL
// itself (as Vitess keeps sequences there), so every sidecar sharing the
// keyspace sees a change and keeps it across restarts.
//
// Versions are numbered across all keyspaces: version N+1 is stored only by
// the change computed from the state at version N. Two sidecars applying DDL
// at once both try to store N+1; the primary key lets one win and the other
// gets ErrConflict, re-reads the state and applies its statement again
// (Update does this), so a change is always validated against every
// keyspace's VSchema as it is when it is stored. One number also tells a
// poller whether anything changed.
//
// The store runs SQL through a one-method Executor, so it needs nothing of
// the server; values reach SQL only through vindex.AppendLiteral, as hex
// literals, which read the same under every sql_mode.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"sidecar/conf"
	"sidecar/vindex"
	"sidecar/vschemaddl"
)

// Executor runs one statement on the metadata keyspace's database and
// returns the rows of its result, if any (nil for statements without). An
// error carrying a MySQL error number exposes it as SQLErrorNumber() uint16
// (as the sidecar's and vschemaddl's errors do), so the store can tell a
// duplicate key (1062) apart; an error whose text has "Duplicate entry" is
// taken as one too. The returned strings are the store's: they must not
// share buffers the executor reuses (go-mysql's results do until copied).
type Executor interface {
	Exec(ctx context.Context, query string) ([][]sql.NullString, error)
}

// Table is the store's table in the metadata keyspace.
const Table = "sidecar_vschema"

// createTable creates the table when missing. The VSchema is kept as text,
// byte for byte the JSON of a vschema_file (MySQL's JSON type would reorder
// it); keyspace names compare exactly, as everywhere in the VSchema.
const createTable = "create table if not exists " + Table + ` (
  version bigint not null,
  keyspace varchar(255) not null,
  vschema longtext not null,
  statement text not null,
  created timestamp(6) not null default current_timestamp(6),
  primary key (version),
  key keyspace_version (keyspace, version)
) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`

// maxStatement bounds the statement kept with a version (a TEXT column).
const maxStatement = 65535

// DefaultMaxAttempts is how many times Update tries before giving up on a
// VSchema that keeps changing under it.
const DefaultMaxAttempts = 5

// ErrConflict: another change was stored first; the state the change was
// computed from is no longer the newest.
var ErrConflict = errors.New("the VSchema was changed by another sidecar at the same time")

// Store reads and writes VSchema versions. It is safe for concurrent use if
// its Executor is.
type Store struct {
	exec Executor
	// MaxAttempts bounds Update's retries (DefaultMaxAttempts if 0).
	MaxAttempts int

	mu    sync.Mutex
	ready bool // the table exists
}

// New returns a store running its statements through exec. It does no I/O;
// the table is created by Init or by the first operation.
func New(exec Executor) *Store { return &Store{exec: exec} }

// State is the stored VSchemas at one version: for every keyspace changed by
// DDL, its newest VSchema, which wins over the config's files. A keyspace
// not in VSchemas follows its file.
type State struct {
	// Version is the newest version stored (of any keyspace); 0 when none.
	Version int64
	// VSchemas and Versions: each changed keyspace's newest VSchema and the
	// version that stored it.
	VSchemas map[string]*conf.VSchema
	Versions map[string]int64
}

// Init creates the store's table in the metadata keyspace if it is missing.
func (s *Store) Init(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	if _, err := s.exec.Exec(ctx, createTable); err != nil {
		return fmt.Errorf("vschema store: creating %s: %w", Table, err)
	}
	s.ready = true
	return nil
}

// Version returns the newest stored version (0: none). It is one primary
// key lookup, for pollers.
func (s *Store) Version(ctx context.Context) (int64, error) {
	if err := s.Init(ctx); err != nil {
		return 0, err
	}
	rows, err := s.exec.Exec(ctx, "select max(version) from "+Table)
	if err != nil {
		return 0, fmt.Errorf("vschema store: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) == 0 || !rows[0][0].Valid {
		return 0, nil
	}
	return parseVersion(rows[0][0])
}

// Latest returns the newest stored VSchema of every keyspace changed by DDL,
// read in one statement (one consistent snapshot).
func (s *Store) Latest(ctx context.Context) (*State, error) {
	if err := s.Init(ctx); err != nil {
		return nil, err
	}
	rows, err := s.exec.Exec(ctx, "select v.version, v.keyspace, v.vschema from "+Table+" v join "+
		"(select keyspace, max(version) as version from "+Table+" group by keyspace) m "+
		"on m.keyspace = v.keyspace and m.version = v.version order by v.keyspace")
	if err != nil {
		return nil, fmt.Errorf("vschema store: %w", err)
	}
	st := &State{VSchemas: map[string]*conf.VSchema{}, Versions: map[string]int64{}}
	for _, row := range rows {
		if len(row) != 3 || !row[1].Valid || !row[2].Valid {
			return nil, fmt.Errorf("vschema store: unexpected row %v", row)
		}
		version, err := parseVersion(row[0])
		if err != nil {
			return nil, err
		}
		ks := row[1].String
		vs, err := conf.ParseVSchemaJSON(fmt.Sprintf("%s version %d of keyspace %s", Table, version, ks), []byte(row[2].String))
		if err != nil {
			return nil, fmt.Errorf("vschema store: %w", err)
		}
		st.VSchemas[ks], st.Versions[ks] = vs, version
		st.Version = max(st.Version, version)
	}
	return st, nil
}

// Newer returns the Latest state if a version newer than since is stored,
// else nil: what a poller asks every few seconds ("anything newer than the
// version I run?"). When nothing changed it costs one primary key lookup.
func (s *Store) Newer(ctx context.Context, since int64) (*State, error) {
	v, err := s.Version(ctx)
	if err != nil || v <= since {
		return nil, err
	}
	return s.Latest(ctx)
}

// Save stores vs as keyspace's VSchema at version base+1, where base is the
// version of the state vs was computed from; statement is the DDL that made
// it (kept for people reading the table). If another change was stored
// since base, nothing is stored and the error is ErrConflict.
func (s *Store) Save(ctx context.Context, base int64, keyspace string, vs *conf.VSchema, statement string) (int64, error) {
	if err := s.Init(ctx); err != nil {
		return 0, err
	}
	js, err := vschemaddl.MarshalVSchema(vs)
	if err != nil {
		return 0, fmt.Errorf("vschema store: %w", err)
	}
	version := base + 1
	q := []byte("insert into " + Table + " (version, keyspace, vschema, statement) values (")
	q = vindex.AppendLiteral(q, vindex.NewInt64(version), false)
	q = append(q, ", "...)
	q = vindex.AppendLiteral(q, vindex.NewVarBinary([]byte(keyspace)), false)
	q = append(q, ", "...)
	q = vindex.AppendLiteral(q, vindex.NewVarBinary(js), false)
	q = append(q, ", "...)
	q = vindex.AppendLiteral(q, vindex.NewVarBinary([]byte(truncateUTF8(statement, maxStatement))), false)
	q = append(q, ')')
	if _, err := s.exec.Exec(ctx, string(q)); err != nil {
		if isDuplicate(err) {
			return 0, fmt.Errorf("%w (version %d is taken)", ErrConflict, version)
		}
		return 0, fmt.Errorf("vschema store: %w", err)
	}
	return version, nil
}

// Update stores a change of one keyspace's VSchema with optimistic
// concurrency: it reads the Latest state, asks change for keyspace's new
// VSchema computed from it (change validates it against every keyspace, the
// state's VSchemas replacing the files'), and saves it as the next version.
// When another sidecar stored a version in between, it does it all again
// from the new state, up to MaxAttempts times; then the error wraps
// ErrConflict. An error of change is returned as it is, nothing stored. On
// success it returns the state with the change.
func (s *Store) Update(ctx context.Context, keyspace, statement string, change func(*State) (*conf.VSchema, error)) (*State, error) {
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for range attempts {
		st, err := s.Latest(ctx)
		if err != nil {
			return nil, err
		}
		vs, err := change(st)
		if err != nil {
			return nil, err
		}
		version, err := s.Save(ctx, st.Version, keyspace, vs, statement)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st.Version = version
		st.VSchemas[keyspace], st.Versions[keyspace] = vs, version
		return st, nil
	}
	return nil, fmt.Errorf("%w %d times in a row; try again", ErrConflict, attempts)
}

func parseVersion(v sql.NullString) (int64, error) {
	n, err := strconv.ParseInt(v.String, 10, 64)
	if !v.Valid || err != nil {
		return 0, fmt.Errorf("vschema store: version %q is not a number", v.String)
	}
	return n, nil
}

// isDuplicate reports whether err is MySQL's ER_DUP_ENTRY (1062).
func isDuplicate(err error) bool {
	var num interface{ SQLErrorNumber() uint16 }
	if errors.As(err, &num) {
		return num.SQLErrorNumber() == 1062
	}
	return strings.Contains(err.Error(), "Duplicate entry")
}

// truncateUTF8 cuts s to at most n bytes, not inside a character, and makes
// it valid UTF-8 (the column is utf8mb4).
func truncateUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
