package sidecar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/sqlerr"
	"sidecar/vschemaddl"
	"sidecar/vschemaddl/store"
)

// metadata is how the config in force changes while the server runs: a
// reload of the config files, VSchema DDL, and versions other sidecars
// stored in the metadata keyspace. Each one computes the new config from the
// files' config (base) with the stored VSchemas of the keyspaces DDL changed,
// then swaps the server's state; mu makes them happen one at a time.
type metadata struct {
	srv   *Server
	mu    sync.Mutex
	base  *conf.Config // the config files as last loaded
	store *store.Store // nil without a metadata keyspace
	// refused is the newest stored version that does not fit this
	// sidecar's files: logged once, not at every poll.
	refused int64

	done     chan struct{} // closed by stop: the poller ends
	stopOnce sync.Once
}

func (m *metadata) init(srv *Server, cfg *conf.Config) {
	m.srv, m.base, m.done = srv, cfg, make(chan struct{})
	if cfg.Metadata != nil {
		m.store = store.New(metadataExec{srv.metadataPool})
	}
}

func (m *metadata) stop() { m.stopOnce.Do(func() { close(m.done) }) }

// OpenMetadata puts the VSchemas stored in the metadata keyspace in force
// (creating the store's table if it is missing) and starts following the
// versions other sidecars store. Without a metadata keyspace it does
// nothing. An error should stop the start: serving the files' VSchemas
// instead of the stored ones would route by a VSchema no longer in force.
func (s *Server) OpenMetadata(ctx context.Context) error {
	m := &s.meta
	if m.store == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg, version, err := inForce(ctx, m.store, m.base)
	if err != nil {
		return fmt.Errorf("metadata keyspace %s: %w", m.base.Metadata.Keyspace, err)
	}
	s.install(cfg, version)
	s.log.Info().Str("keyspace", m.base.Metadata.Keyspace).Int64("vschema_version", version).Msg("stored VSchemas in force")
	go m.poll(m.base.Metadata.PollInterval)
	return nil
}

// InForce returns cfg with the VSchemas stored in its metadata keyspace in
// force, as a sidecar serving cfg has them (cfg itself without a metadata
// keyspace), for the commands that read the VSchema without serving. It
// connects to the metadata keyspace's shard.
func InForce(ctx context.Context, cfg *conf.Config) (*conf.Config, error) {
	if cfg.Metadata == nil {
		return cfg, nil
	}
	p := newShardPool(cfg.Topology.Keyspaces[cfg.Metadata.Keyspace].Shards[0], cfg.ShardHints, zerolog.Nop())
	defer p.Close()
	stored, _, err := inForce(ctx, store.New(metadataExec{func() (*backend.Pool, error) { return p, nil }}), cfg)
	return stored, err
}

// inForce is base with the newest stored VSchemas of the keyspaces DDL
// changed, and the version that is.
func inForce(ctx context.Context, st *store.Store, base *conf.Config) (*conf.Config, int64, error) {
	stored, err := st.Latest(ctx)
	if err != nil {
		return nil, 0, err
	}
	if len(stored.VSchemas) == 0 {
		return base, 0, nil
	}
	cfg, err := base.WithVSchemas(stored.VSchemas)
	return cfg, stored.Version, err
}

// install puts cfg in force for new statements.
func (s *Server) install(cfg *conf.Config, version int64) {
	s.swap(s.newState(cfg, version, s.state.Load()))
	s.auth.setUsers(cfg.Users)
	if s.cache != nil {
		// A lookup vindex may now read another table, or be gone.
		s.cache.Purge()
	}
}

// poll applies the versions other sidecars store, every interval, until
// stop. A metadata keyspace that cannot be read is logged once per outage.
func (m *metadata) poll(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		err := m.follow(context.Background())
		switch {
		case err != nil && !failing:
			m.srv.log.Error().Err(err).Msg("reading the stored VSchema versions (trying again every poll_interval)")
		case err == nil && failing:
			m.srv.log.Info().Msg("stored VSchema versions readable again")
		}
		failing = err != nil
	}
}

// follow puts a version stored since the one in force in force. One that
// does not fit this sidecar's config files (another sidecar has other files)
// is logged, as sidecar check would print its problems, and the version in
// force stays.
func (m *metadata) follow(ctx context.Context) error {
	m.mu.Lock()
	since := max(m.srv.state.Load().version, m.refused)
	m.mu.Unlock()
	stored, err := m.store.Newer(ctx, since)
	if err != nil || stored == nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inForce := m.srv.state.Load().version
	if stored.Version <= inForce {
		return nil // this sidecar's own change, made meanwhile
	}
	cfg, err := m.base.WithVSchemas(stored.VSchemas)
	if err != nil {
		m.refused = stored.Version
		logProblems(m.srv.log, err)
		m.srv.log.Error().Int64("refused", stored.Version).Int64("vschema_version", inForce).Msg("a stored VSchema version does not fit this sidecar's config: the version in force stays")
		return nil
	}
	m.srv.install(cfg, stored.Version)
	m.srv.log.Info().Int64("vschema_version", stored.Version).Msg("VSchema version stored by another sidecar in force")
	return nil
}

// alterVSchema applies an ALTER VSCHEMA statement: computed from and
// validated against every keyspace's VSchema as stored (another sidecar's
// newer change included), stored as the next version, then in force here
// at once; the other sidecars follow within their poll interval.
func (s *Server) alterVSchema(stmt *vschemaddl.Statement, sessionKeyspace string) error {
	m := &s.meta
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.store == nil {
		return sqlerr.New(1105, "HY000", "VSchema DDL needs a metadata keyspace to store the VSchema in: add metadata: {keyspace: NAME} (an unsharded keyspace) to %s", m.base.Path)
	}
	var next *conf.Config
	stored, err := m.store.Update(context.Background(), stmt.Keyspace(sessionKeyspace), stmt.String(), func(st *store.State) (*conf.VSchema, error) {
		cur, err := vschemaddl.Validate(m.base, st.VSchemas)
		if err != nil {
			return nil, err
		}
		change, err := vschemaddl.Execute(cur, stmt, sessionKeyspace)
		if err != nil {
			return nil, err
		}
		next = change.Config
		return change.VSchema, nil
	})
	if err != nil {
		return err
	}
	s.install(next, stored.Version)
	s.log.Info().Int64("vschema_version", stored.Version).Str("statement", stmt.String()).Msg("VSchema changed")
	return nil
}

// Reload reads the config file again and puts it in force for new
// statements, with the stored VSchemas: users, shards, pools and VSchemas
// change; sessions and transactions go on. A config that does not load is
// logged as sidecar check prints it and the one in force stays; so do the
// settings a reload cannot change (conf.Config.Reloaded), with a warning.
// The error says the reload was refused.
func (s *Server) Reload(ctx context.Context) (err error) {
	defer func() {
		// Whatever goes wrong, a reload never ends the process.
		if r := recover(); r != nil {
			err = fmt.Errorf("reload failed: %v", r)
			s.log.Error().Err(err).Msg("reload refused: the config in force stays")
		}
		metrics.Reloaded(err)
	}()
	m := &s.meta
	m.mu.Lock()
	defer m.mu.Unlock()
	loaded, err := conf.Load(m.base.Path)
	if err != nil {
		return s.refuseReload(err)
	}
	next, ignored, err := m.base.Reloaded(loaded)
	for _, msg := range ignored {
		s.log.Warn().Msg(msg)
	}
	if err != nil {
		return s.refuseReload(err)
	}
	cfg, version := next, int64(0)
	if m.store != nil {
		if cfg, version, err = inForce(ctx, m.store, next); err != nil {
			return s.refuseReload(err)
		}
	}
	for _, w := range cfg.Warnings {
		s.log.Warn().Msg(w)
	}
	m.base = next
	s.install(cfg, version)
	s.log.Info().Str("config", next.Path).Int64("vschema_version", version).Msg("config reloaded")
	return nil
}

func (s *Server) refuseReload(err error) error {
	logProblems(s.log, err)
	s.log.Error().Msg("reload refused: the config in force stays")
	return err
}

// logProblems logs a config's problems one per line, as sidecar check
// prints them.
func logProblems(log zerolog.Logger, err error) {
	var problems conf.Errors
	if !errors.As(err, &problems) {
		log.Error().Msg(err.Error())
		return
	}
	for _, p := range problems {
		log.Error().Msg(p.Error())
	}
}

// metadataPool is the pool of the metadata keyspace's shard in force.
func (s *Server) metadataPool() (*backend.Pool, error) {
	cfg := s.config()
	return s.pool(cfg.Topology.Keyspaces[cfg.Metadata.Keyspace].Shards[0])
}

// metadataExec runs the VSchema store's statements on the metadata
// keyspace's shard, each on a pooled connection of its own: outside any
// client's transaction, so a stored version is committed when Update
// returns.
type metadataExec struct{ pool func() (*backend.Pool, error) }

func (e metadataExec) Exec(_ context.Context, query string) ([][]sql.NullString, error) {
	p, err := e.pool()
	if err != nil {
		return nil, err
	}
	bc, err := p.Get(false)
	if err != nil {
		return nil, err
	}
	defer p.Put(bc)
	res, err := bc.Exec(query)
	if err != nil {
		return nil, err
	}
	rows := make([][]sql.NullString, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = make([]sql.NullString, len(r))
		for j, v := range r {
			if v != nil {
				rows[i][j] = sql.NullString{String: string(v), Valid: true}
			}
		}
	}
	return rows, nil
}
