package conf

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"sidecar/vindex"
)

// loader turns a decoded rawConfig into a Config, reporting problems as it
// goes and carrying on, so one run reports everything.
type loader struct {
	r        *reporter
	src      *source
	path     string
	readFile func(string) ([]byte, error)
	files    []string // files read, config first (orders the problems)

	backendUser     string
	backendPassword string
	poolSize        int
	connectTimeout  time.Duration
	lockWaitTimeout time.Duration
	backendTLS      *tls.Config

	// shards without a user of their own while backend.user is empty
	noUser []string
}

func (l *loader) config(raw *rawConfig) *Config {
	l.files = []string{l.path}
	cfg := &Config{Path: l.path, ShardHints: true}
	s := l.src

	cfg.Listen = DefaultListen
	if raw.Listen != nil {
		cfg.Listen = *raw.Listen
		checkAddress(s, "listen", cfg.Listen, false)
	}
	if raw.ListenSocket != nil {
		cfg.ListenSocket = *raw.ListenSocket
		checkSocketPath(s, "listen_socket", cfg.ListenSocket)
	}
	cfg.AdminListen = DefaultAdminListen
	if raw.AdminListen != nil {
		cfg.AdminListen = *raw.AdminListen
		checkAddress(s, "admin_listen", cfg.AdminListen, true)
	}
	if raw.ShardHints != nil {
		cfg.ShardHints = *raw.ShardHints
	}
	if raw.TLS != nil {
		cfg.TLS = l.frontTLS(raw.TLS)
	}
	cfg.MaxAllowedPacket = DefaultMaxAllowedPacket
	if raw.MaxAllowedPacket != nil {
		cfg.MaxAllowedPacket = parseSize(s, "max_allowed_packet", *raw.MaxAllowedPacket)
	}
	cfg.MaxConnections = DefaultMaxConnections
	if raw.MaxConnections != nil {
		cfg.MaxConnections = *raw.MaxConnections
		if cfg.MaxConnections <= 0 {
			s.errorf("max_connections", "must be greater than 0, got %d", cfg.MaxConnections)
		}
	}
	cfg.MaxMemoryRows = DefaultMaxMemoryRows
	if raw.MaxMemoryRows != nil {
		cfg.MaxMemoryRows = *raw.MaxMemoryRows
		if cfg.MaxMemoryRows <= 0 {
			s.errorf("max_memory_rows", "must be greater than 0, got %d", cfg.MaxMemoryRows)
		}
	}
	if raw.Procs != nil {
		cfg.Procs = *raw.Procs
		if cfg.Procs < 0 {
			s.errorf("procs", "must be 0 (half the CPUs) or more, got %d", cfg.Procs)
		}
	}
	cfg.WaitTimeout = DefaultWaitTimeout
	if raw.WaitTimeout != "" {
		cfg.WaitTimeout = parseDuration(s, "wait_timeout", raw.WaitTimeout)
	}

	cfg.Users = l.users(raw.Users)

	// Backend defaults, applied to every shard that doesn't override them.
	l.poolSize = DefaultPoolSize
	l.connectTimeout = DefaultConnectTimeout
	if b := raw.Backend; b != nil {
		l.backendUser, l.backendPassword = b.User, b.Password
		if b.PoolSize != nil {
			l.poolSize = *b.PoolSize
			if l.poolSize <= 0 {
				s.errorf("backend.pool_size", "must be greater than 0, got %d", l.poolSize)
			}
		}
		if b.ConnectTimeout != "" {
			l.connectTimeout = parseDuration(s, "backend.connect_timeout", b.ConnectTimeout)
		}
		if b.LockWaitTimeout != "" {
			const path = "backend.lock_wait_timeout"
			l.lockWaitTimeout = parseDuration(s, path, b.LockWaitTimeout)
			if d := l.lockWaitTimeout; d > 0 && (d%time.Second != 0 || d > maxLockWaitTimeout) {
				s.errorf(path, "%q: innodb_lock_wait_timeout takes whole seconds, from 1s to %v", b.LockWaitTimeout, maxLockWaitTimeout)
			}
		}
		if b.TLS != nil {
			l.backendTLS = l.loadBackendTLS(b.TLS)
		}
	}

	cfg.LookupCache = LookupCache{Size: DefaultLookupCacheSize, TTL: DefaultLookupCacheTTL}
	if lc := raw.LookupCache; lc != nil {
		if lc.Size != nil {
			cfg.LookupCache.Size = *lc.Size
			if *lc.Size < 0 {
				s.errorf("lookup_cache.size", "must not be negative (0 disables the cache), got %d", *lc.Size)
			}
		}
		if lc.TTL != "" {
			cfg.LookupCache.TTL = parseDuration(s, "lookup_cache.ttl", lc.TTL)
		}
	}

	cfg.Log = Log{Level: DefaultLogLevel, Format: DefaultLogFormat}
	if lg := raw.Log; lg != nil {
		if lg.Level != "" {
			cfg.Log.Level = lg.Level
			switch lg.Level {
			case "trace", "debug", "info", "warn", "error":
			default:
				s.errorf("log.level", "unknown level %q (use trace, debug, info, warn or error)", lg.Level)
			}
		}
		if lg.Format != "" {
			cfg.Log.Format = lg.Format
			if lg.Format != "json" && lg.Format != "console" {
				s.errorf("log.format", "unknown format %q (use json or console)", lg.Format)
			}
		}
		if lg.SlowQuery != "" {
			cfg.Log.SlowQuery = parseSlowQuery(s, lg.SlowQuery)
		}
	}

	cfg.Topology = l.topology(raw.Keyspaces)
	cfg.Metadata = l.metadata(raw.Metadata, cfg.Topology)
	if len(l.noUser) > 0 {
		s.errorf("backend.user", "required: shards %s have no user of their own", strings.Join(l.noUser, ", "))
	}
	return cfg
}

// metadata reads the metadata keyspace: one of the config's keyspaces,
// unsharded, since the store's table lives on its one shard.
func (l *loader) metadata(raw *rawMetadata, topo *Topology) *Metadata {
	if raw == nil {
		return nil
	}
	md := &Metadata{Keyspace: raw.Keyspace, PollInterval: DefaultPollInterval}
	if raw.PollInterval != "" {
		md.PollInterval = parseDuration(l.src, "metadata.poll_interval", raw.PollInterval)
	}
	if raw.Keyspace == "" {
		l.src.errorf("metadata.keyspace", "required (an unsharded keyspace of keyspaces)")
		return md
	}
	checkMetadataKeyspace(l.src, topo, md.Keyspace)
	return md
}

// checkMetadataKeyspace checks the metadata keyspace against a topology: at
// load, and again for every VSchema change (which could make it sharded).
func checkMetadataKeyspace(s *source, topo *Topology, name string) {
	ks, ok := topo.Keyspaces[name]
	switch {
	case !ok:
		s.errorf("metadata.keyspace", "keyspace %s is not defined in keyspaces (%s)", name, strings.Join(topo.Names, ", "))
	case ks.Sharded:
		s.errorf("metadata.keyspace", "keyspace %s is sharded: the metadata keyspace must be unsharded", name)
	}
}

func (l *loader) users(raw []*rawUser) []User {
	if len(raw) == 0 {
		l.src.errorf("users", "at least one user is required")
		return nil
	}
	users := make([]User, 0, len(raw))
	seen := map[string]int{}
	for i, u := range raw {
		p := index("users", i)
		if u == nil || u.Name == "" {
			l.src.errorf(join(p, "name"), "required")
			continue
		}
		if first, dup := seen[u.Name]; dup {
			l.src.errorf(join(p, "name"), "user %q is already defined by users[%d]", u.Name, first)
			continue
		}
		seen[u.Name] = i
		plugin := u.AuthPlugin
		switch plugin {
		case "":
			plugin = DefaultAuthPlugin
		case "mysql_native_password", "caching_sha2_password":
		default:
			l.src.errorf(join(p, "auth_plugin"), "unknown auth plugin %q (use mysql_native_password or caching_sha2_password)", plugin)
		}
		users = append(users, User{Name: u.Name, Password: u.Password, AuthPlugin: plugin})
	}
	return users
}

func (l *loader) topology(raw map[string]*rawKeyspace) *Topology {
	topo := &Topology{Keyspaces: map[string]*Keyspace{}, global: map[string][]*Table{}}
	if len(raw) == 0 {
		l.src.errorf("keyspaces", "at least one keyspace is required")
		return topo
	}
	topo.Names = sortedKeys(raw)
	vschemas := map[string]*VSchema{}
	sources := map[string]*source{}
	for _, name := range topo.Names {
		topo.Keyspaces[name], vschemas[name], sources[name] = l.keyspace(name, raw[name])
	}
	l.link(topo, vschemas, sources)
	return topo
}

// link indexes the unqualified table names of every keyspace, then checks
// what refers across keyspaces (sequences, lookup tables), which resolves
// unqualified names with that index.
func (l *loader) link(topo *Topology, vschemas map[string]*VSchema, sources map[string]*source) {
	for _, name := range topo.Names {
		ks := topo.Keyspaces[name]
		if ks.RequireExplicitRouting {
			continue
		}
		for _, tname := range sortedKeys(ks.Tables) {
			topo.global[tname] = append(topo.global[tname], ks.Tables[tname])
		}
	}
	for _, name := range topo.Names {
		l.crossKeyspace(topo, topo.Keyspaces[name], vschemas[name], sources[name])
	}
}

// keyspace builds one keyspace: its VSchema, shards, vindexes and tables.
// It returns the VSchema and the source its problems are reported against.
func (l *loader) keyspace(name string, raw *rawKeyspace) (*Keyspace, *VSchema, *source) {
	kp := join("keyspaces", name)
	ks := &Keyspace{Name: name, Vindexes: map[string]vindex.Vindex{}, Tables: map[string]*Table{}}
	if raw == nil {
		raw = &rawKeyspace{}
	}
	vs, vsrc, readable := l.vschema(kp, raw)
	ks.VSchema, ks.Sharded, ks.RequireExplicitRouting = vs, vs.Sharded, vs.RequireExplicitRouting
	if vsrc.file != l.path {
		ks.VSchemaFile = vsrc.file
	}
	// An unreadable VSchema leaves "sharded" unknown: don't guess the layout.
	l.shards(kp, ks, raw.Shards, readable)
	l.vindexes(ks, vs, vsrc)
	l.tables(ks, vs, vsrc)
	return ks, vs, vsrc
}

// vschema reads the keyspace's VSchema: from vschema_file, inline, or none
// (an unsharded keyspace without a VSchema). readable is false when the file
// could not be read or parsed at all.
func (l *loader) vschema(kp string, raw *rawKeyspace) (vs *VSchema, src *source, readable bool) {
	switch {
	case raw.VSchemaFile != "" && raw.VSchema != nil:
		l.src.errorf(join(kp, "vschema"), "use either vschema_file or vschema, not both")
		return raw.VSchema, l.src.sub(join(kp, "vschema")), true
	case raw.VSchema != nil:
		return raw.VSchema, l.src.sub(join(kp, "vschema")), true
	case raw.VSchemaFile == "":
		return &VSchema{}, l.src.sub(join(kp, "vschema")), true
	}
	file := l.relative(raw.VSchemaFile)
	data, err := l.readFile(file)
	if err != nil {
		l.src.errorf(join(kp, "vschema_file"), "%v", err)
		return &VSchema{}, l.src.sub(join(kp, "vschema")), false
	}
	l.files = append(l.files, file)
	vsrc := l.r.newSource(file)
	vs, readable = decodeVSchemaJSON(vsrc, data)
	return vs, vsrc, readable
}

// decodeVSchemaJSON decodes a VSchema JSON file strictly (unknown keys are
// errors, as with `ApplyVSchema --strict`). The JSON is first read by the
// YAML parser, a superset of JSON that keeps lines, so every unknown key and
// wrong type is reported with its path and line; encoding/json then decodes.
func decodeVSchemaJSON(src *source, data []byte) (vs *VSchema, readable bool) {
	checked := false
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) > 0 {
		kc := &keyChecker{src: src, tag: "json", json: true}
		kc.walk(&doc, reflect.TypeFor[VSchema](), "")
		checked = kc.bad
	}
	vs, readable = &VSchema{}, true
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(vs)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the top-level value")
	}
	var se *json.SyntaxError
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) {
		readable = false
	}
	if err != nil && !checked {
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			src.errorf("", "empty file")
		case errors.Is(err, io.ErrUnexpectedEOF):
			src.errorAt(lineAt(data, int64(len(data))), "", "invalid JSON: unexpected end of file")
		case errors.As(err, &se):
			src.errorAt(lineAt(data, se.Offset), "", "invalid JSON: %v", err)
		case errors.As(err, &te):
			src.errorAt(lineAt(data, te.Offset), te.Field, "expected %s, got JSON %s", te.Type, te.Value)
		default:
			src.errorf("", "%v", err)
		}
	}
	return vs, readable
}

func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// shards resolves the shards of ks: key ranges that cover the keyspace id
// space exactly once (one shard "0" or "-" if unsharded), backends filled
// from the backend defaults.
func (l *loader) shards(kp string, ks *Keyspace, raw map[string]*rawShard, layoutKnown bool) {
	sp := join(kp, "shards")
	if len(raw) == 0 {
		l.src.errorf(sp, "at least one shard is required")
		return
	}
	names := sortedKeys(raw)
	parsed := true
	// Two shards may not share a database: their rows would mix. Behind
	// ProxySQL one address serves every shard, and the hostgroup tells the
	// backends apart.
	type dbKey struct {
		address, database string
		hostgroup         int // -1: none
	}
	used := map[dbKey]string{}
	for _, name := range names {
		p := join(sp, name)
		rng, err := vindex.ParseShardName(name)
		if err != nil {
			l.src.errorf(p, "invalid shard name: %v", err)
			parsed = false
		}
		rs := raw[name]
		if rs == nil {
			rs = &rawShard{}
		}
		sh := &Shard{
			Keyspace: ks.Name, Name: name, Range: rng,
			Address: rs.Address, Database: rs.Database,
			User: l.backendUser, Password: l.backendPassword,
			PoolSize: l.poolSize, ConnectTimeout: l.connectTimeout, LockWaitTimeout: l.lockWaitTimeout,
			TLS: shardTLS(l.backendTLS, rs.Address),
		}
		if rs.Address == "" {
			l.src.errorf(join(p, "address"), "required")
		} else {
			checkAddress(l.src, join(p, "address"), rs.Address, false)
		}
		if rs.Database == "" {
			l.src.errorf(join(p, "database"), "required")
		}
		if rs.User != nil {
			sh.User = *rs.User
		}
		if sh.User == "" {
			l.noUser = append(l.noUser, ks.Name+"/"+name)
		}
		if rs.Password != nil {
			sh.Password = *rs.Password
		}
		if rs.PoolSize != nil {
			sh.PoolSize = *rs.PoolSize
			if sh.PoolSize <= 0 {
				l.src.errorf(join(p, "pool_size"), "must be greater than 0, got %d", sh.PoolSize)
			}
		}
		if rs.Hostgroup != nil {
			sh.Hostgroup, sh.HasHostgroup = *rs.Hostgroup, true
			if sh.Hostgroup < 0 {
				l.src.errorf(join(p, "hostgroup"), "must not be negative, got %d", sh.Hostgroup)
			}
		}
		if rs.Address != "" && rs.Database != "" {
			k := dbKey{rs.Address, rs.Database, -1}
			where := rs.Address
			if sh.HasHostgroup {
				k.hostgroup = sh.Hostgroup
				where += fmt.Sprintf(" (hostgroup %d)", sh.Hostgroup)
			}
			if other, dup := used[k]; dup {
				l.src.errorf(join(p, "database"), "shards %s and %s both use database %s on %s", other, name, rs.Database, where)
			}
			used[k] = name
		}
		ks.Shards = append(ks.Shards, sh)
	}
	if !layoutKnown {
		return
	}
	if !ks.Sharded {
		if len(names) != 1 {
			l.src.errorf(sp, "unsharded keyspace %s needs exactly one shard, named \"0\" or \"-\"; got %d (%s) — is \"sharded\": true missing from its vschema?",
				ks.Name, len(names), strings.Join(names, ", "))
		} else if names[0] != "0" && names[0] != "-" {
			l.src.errorf(join(sp, names[0]), "the shard of unsharded keyspace %s must be named \"0\" or \"-\"", ks.Name)
		}
		return
	}
	if !parsed {
		return
	}
	if err := vindex.CheckCoverage(names); err != nil {
		for _, e := range splitJoined(err) {
			l.src.errorf(sp, "%v", e)
		}
	}
	sort.SliceStable(ks.Shards, func(i, j int) bool {
		return bytes.Compare(ks.Shards[i].Range.Start, ks.Shards[j].Range.Start) < 0
	})
}

// splitJoined undoes errors.Join so each problem gets its own line.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// vindexes creates the keyspace's vindexes. Owner tables are checked here;
// lookup table names need every keyspace and are checked in crossKeyspace.
func (l *loader) vindexes(ks *Keyspace, vs *VSchema, s *source) {
	types := vindex.Types()
	for _, name := range sortedKeys(vs.Vindexes) {
		p := join("vindexes", name)
		def := vs.Vindexes[name]
		if def == nil || def.Type == "" {
			s.errorf(join(p, "type"), "required")
			continue
		}
		if i := sort.SearchStrings(types, def.Type); i == len(types) || types[i] != def.Type {
			s.errorf(join(p, "type"), "vindexType %q not found (known types: %s)", def.Type, strings.Join(types, ", "))
			continue
		}
		v, err := vindex.CreateWithOwner(def.Type, name, def.Owner, def.Params)
		if err != nil {
			s.errorf(p, "%v", err)
			continue
		}
		if pv, ok := v.(vindex.ParamValidating); ok {
			if unknown := pv.UnknownParams(); len(unknown) > 0 {
				s.warnf(join(p, "params"), "unknown vindex params ignored: %s", strings.Join(unknown, ", "))
			}
		}
		owner := def.Owner
		if lk, ok := v.(vindex.Lookup); ok {
			owner = lk.Owner()
		} else if owner != "" {
			s.warnf(join(p, "owner"), "ignored: a %s vindex is not a lookup and has no owner", def.Type)
			owner = ""
		}
		if owner != "" {
			if _, ok := vs.Tables[owner]; !ok {
				s.errorf(join(p, "owner"), "owner table %q is not defined in keyspace %s", owner, ks.Name)
			} else if !tableUses(vs.Tables[owner], name) {
				s.warnf(join(p, "owner"), "owner table %s does not use vindex %s, so nothing writes its rows", owner, name)
			}
		}
		ks.Vindexes[name] = v
	}
}

func tableUses(t *TableDef, vindexName string) bool {
	if t == nil {
		return false
	}
	for _, cv := range t.ColumnVindexes {
		if cv != nil && cv.Name == vindexName {
			return true
		}
	}
	return false
}

// tables resolves the tables of ks with Vitess's rules (vindexes/vschema.go
// buildTables): table types, column vindexes naming defined vindexes, a
// unique and unowned primary vindex on every sharded table, owned lookups.
func (l *loader) tables(ks *Keyspace, vs *VSchema, s *source) {
	for _, tname := range sortedKeys(vs.Tables) {
		tp := join("tables", tname)
		def := vs.Tables[tname]
		if def == nil {
			def = &TableDef{}
		}
		t := &Table{Keyspace: ks, Name: tname, Type: def.Type, ColumnListAuthoritative: def.ColumnListAuthoritative}
		ks.Tables[tname] = t
		switch def.Type {
		case TypeTable, TypeReference:
		case TypeSequence:
			if ks.Sharded {
				s.errorf(join(tp, "type"), "sequence table has to be in an unsharded keyspace: %s", tname)
			}
		default:
			s.errorf(join(tp, "type"), "unidentified table type %s", def.Type)
		}
		if def.Pinned != "" {
			id, err := hex.DecodeString(def.Pinned)
			if err != nil || len(id) == 0 {
				s.errorf(join(tp, "pinned"), "not a hex keyspace id: %q", def.Pinned)
			}
			t.Pinned = id
		}
		for i, c := range def.Columns {
			if c == nil || c.Name == "" {
				s.errorf(join(index(join(tp, "columns"), i), "name"), "required")
				continue
			}
			if !c.Invisible { // an INSERT without a column list does not name it
				t.Columns = append(t.Columns, c.Name)
			}
		}

		cvs := l.columnVindexes(ks, tname, def, s)
		if !ks.Sharded {
			if len(def.ColumnVindexes) > 0 {
				s.warnf(join(tp, "column_vindexes"), "ignored: keyspace %s is unsharded, all its rows are on its one shard", ks.Name)
			}
			continue
		}
		t.ColumnVindexes = cvs
		if def.Type == TypeTable && t.Pinned == nil && len(def.ColumnVindexes) == 0 {
			s.errorf(join(tp, "column_vindexes"), "missing primary col vindex for table: %s", tname)
		}
		if len(cvs) > 0 && cvs[0] == nil {
			// the primary didn't resolve; its problem is reported
		} else if len(cvs) > 0 {
			primary := cvs[0]
			pp := index(join(tp, "column_vindexes"), 0)
			if !primary.Vindex.IsUnique() {
				s.errorf(pp, "primary vindex %s is not Unique for table %s", primary.Name, tname)
			}
			if primary.Owned {
				s.errorf(pp, "primary vindex %s cannot be owned for table %s", primary.Name, tname)
			}
		}
		resolved := cvs[:0:0]
		for i, cv := range cvs {
			if cv == nil {
				continue
			}
			resolved = append(resolved, cv)
			if !cv.Owned {
				continue
			}
			t.Owned = append(t.Owned, cv)
			cp := index(join(tp, "column_vindexes"), i)
			lk := cv.Vindex.(vindex.Lookup)
			if from := lk.FromColumns(); len(from) != len(cv.Columns) {
				s.errorf(cp, "lookup vindex %s has %d from column(s) (%s) but the table gives it %d column(s) (%s)",
					cv.Name, len(from), strings.Join(from, ", "), len(cv.Columns), strings.Join(cv.Columns, ", "))
				continue
			}
			if w, ok := cv.Vindex.(vindex.WantsOwnerInfo); ok {
				if err := w.SetOwnerInfo(ks.Name, tname, cv.Columns); err != nil {
					s.errorf(cp, "%v", err)
				}
			}
		}
		t.ColumnVindexes = resolved
	}
}

// columnVindexes resolves a table's column vindexes; an entry that doesn't
// resolve is nil (its problem reported) so indexes match the VSchema.
func (l *loader) columnVindexes(ks *Keyspace, tname string, def *TableDef, s *source) []*ColumnVindex {
	var cvs []*ColumnVindex
	for i, d := range def.ColumnVindexes {
		p := index(join(join("tables", tname), "column_vindexes"), i)
		cvs = append(cvs, nil)
		if d == nil {
			s.errorf(p, "expected a column vindex, got null")
			continue
		}
		var cols []string
		switch {
		case d.Column != "" && len(d.Columns) > 0:
			s.errorf(p, "can't use column and columns at the same time in vindex (%s) and table (%s)", d.Name, tname)
			continue
		case d.Column != "":
			cols = []string{d.Column}
		case len(d.Columns) > 0:
			cols = d.Columns
			bad := false
			for j, c := range cols {
				if c == "" {
					s.errorf(index(join(p, "columns"), j), "empty column name")
					bad = true
				}
			}
			if bad {
				continue
			}
		default:
			s.errorf(p, "must specify at least one column for vindex (%s) and table (%s)", d.Name, tname)
			continue
		}
		if d.Name == "" {
			s.errorf(join(p, "name"), "required")
			continue
		}
		v, ok := ks.Vindexes[d.Name]
		if !ok {
			if _, defined := ks.VSchema.Vindexes[d.Name]; !defined {
				s.errorf(join(p, "name"), "vindex %q not defined", d.Name)
			}
			continue // a defined vindex that failed to build is reported at its definition
		}
		cv := &ColumnVindex{Columns: cols, Name: d.Name, Type: ks.VSchema.Vindexes[d.Name].Type, Vindex: v}
		for _, c := range cols {
			cv.keys = append(cv.keys, strings.ToLower(c))
		}
		if lk, ok := v.(vindex.Lookup); ok && lk.Owner() == tname {
			cv.Owned = true
		}
		cvs[i] = cv
	}
	return cvs
}

// crossKeyspace checks what refers to other keyspaces: auto_increment
// sequences and lookup tables.
func (l *loader) crossKeyspace(topo *Topology, ks *Keyspace, vs *VSchema, s *source) {
	for _, tname := range sortedKeys(vs.Tables) {
		def := vs.Tables[tname]
		if def == nil || def.AutoIncrement == nil {
			continue
		}
		ap := join(join("tables", tname), "auto_increment")
		ai := def.AutoIncrement
		if ai.Column == "" {
			s.errorf(join(ap, "column"), "required")
		}
		if ai.Sequence == "" {
			s.errorf(join(ap, "sequence"), "required")
			continue
		}
		seq, err := resolveSequence(topo, ai.Sequence)
		if err != nil {
			s.errorf(join(ap, "sequence"), "cannot resolve sequence %s: %v", ai.Sequence, err)
			continue
		}
		ks.Tables[tname].AutoIncrement = &AutoIncrement{Column: ai.Column, Sequence: seq}
	}
	for _, vname := range sortedKeys(vs.Vindexes) {
		if _, ok := ks.Vindexes[vname].(vindex.Lookup); !ok {
			continue
		}
		table := vs.Vindexes[vname].Params["table"]
		if table == "" {
			continue // the vindex constructor requires it
		}
		if err := checkLookupTable(topo, ks, table); err != nil {
			s.errorf(join(join(join("vindexes", vname), "params"), "table"), "lookup table %s: %v", table, err)
		}
	}
}

// resolveSequence finds the sequence table named by auto_increment:
// "ks.seq", or "seq" unique across keyspaces. It must be a sequence table of
// an unsharded keyspace.
func resolveSequence(topo *Topology, name string) (*Table, error) {
	ksName, tname := splitQualified(name)
	var t *Table
	if ksName != "" {
		ks, ok := topo.Keyspaces[ksName]
		if !ok {
			return nil, fmt.Errorf("keyspace %s is not defined", ksName)
		}
		if t = ks.Tables[tname]; t == nil {
			return nil, fmt.Errorf("keyspace %s has no table %s in its vschema", ksName, tname)
		}
	} else {
		switch found := topo.global[tname]; len(found) {
		case 0:
			return nil, fmt.Errorf("no keyspace has a table %s in its vschema", tname)
		case 1:
			t = found[0]
		default:
			return nil, fmt.Errorf("table %s is in several keyspaces (%s); qualify it", tname, keyspacesOf(found))
		}
	}
	if t.Type != TypeSequence {
		return nil, fmt.Errorf("%s is not a sequence table (its vschema entry needs \"type\": \"sequence\")", t)
	}
	if t.Keyspace.Sharded {
		return nil, fmt.Errorf("%s is in sharded keyspace %s", t, t.Keyspace.Name)
	}
	return t, nil
}

// checkLookupTable checks that the executor can route a lookup vindex's
// queries: a table of a sharded keyspace needs a vschema entry; any name in
// an unsharded keyspace does.
func checkLookupTable(topo *Topology, ks *Keyspace, name string) error {
	ksName, tname := splitQualified(name)
	if ksName != "" {
		target, ok := topo.Keyspaces[ksName]
		if !ok {
			return fmt.Errorf("keyspace %s is not defined", ksName)
		}
		if _, err := target.FindTable(tname); err != nil {
			return fmt.Errorf("keyspace %s is sharded and has no table %s in its vschema", ksName, tname)
		}
		return nil
	}
	if _, err := ks.FindTable(tname); err == nil {
		return nil
	}
	switch found := topo.global[tname]; len(found) {
	case 1:
		return nil
	case 0:
		return fmt.Errorf("no keyspace has a table %s in its vschema; qualify it as keyspace.%s", tname, tname)
	default:
		return fmt.Errorf("table %s is in several keyspaces (%s); qualify it", tname, keyspacesOf(found))
	}
}

// splitQualified splits "ks.t" (backquotes allowed, as Vitess parses it).
func splitQualified(name string) (keyspace, table string) {
	unquote := func(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }
	if k, t, ok := strings.Cut(name, "."); ok {
		return unquote(k), unquote(t)
	}
	return "", unquote(name)
}

func keyspacesOf(tables []*Table) string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Keyspace.Name
	}
	return strings.Join(names, ", ")
}

// checkAddress checks host:port (a path containing '/' is a unix socket).
func checkAddress(s *source, path, addr string, emptyOK bool) {
	if addr == "" {
		if !emptyOK {
			s.errorf(path, "required")
		}
		return
	}
	if strings.Contains(addr, "/") {
		return
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		s.errorf(path, "%q is not host:port", addr)
	}
}

// maxSocketPath is the longest Unix socket path Linux accepts (sun_path holds
// 108 bytes with the terminating NUL).
const maxSocketPath = 107

// checkSocketPath checks a Unix socket path to listen on ("" is none). It must
// be absolute: a relative one would depend on where the sidecar was started.
func checkSocketPath(s *source, path, socket string) {
	switch {
	case socket == "":
	case !filepath.IsAbs(socket):
		s.errorf(path, "%q is not an absolute path", socket)
	case len(socket) > maxSocketPath:
		s.errorf(path, "%q is longer than the %d bytes a Unix socket path can have", socket, maxSocketPath)
	}
}

// maxLockWaitTimeout is the largest innodb_lock_wait_timeout MySQL and MariaDB accept.
const maxLockWaitTimeout = 1073741824 * time.Second

func parseDuration(s *source, path, text string) time.Duration {
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 {
		s.errorf(path, "%q is not a positive duration (like 500ms, 5s, 1m)", text)
	}
	return d
}

// parseSlowQuery reads log.slow_query: a duration, where 0 (like absent)
// turns the slow query log off.
func parseSlowQuery(s *source, text string) time.Duration {
	d, err := time.ParseDuration(text)
	if err != nil || d < 0 {
		s.errorf("log.slow_query", "%q is not a duration (like 100ms, 1s; 0 turns the slow query log off)", text)
	}
	return d
}

func trimYAML(msg string) string { return strings.TrimPrefix(msg, "yaml: ") }
