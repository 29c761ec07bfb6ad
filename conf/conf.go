// Package conf reads the sidecar's YAML config and the Vitess VSchema JSON of
// each keyspace, validates them together and resolves them into an immutable
// Topology: keyspaces, shards sorted by key range, tables with their vindexes
// created, lookup owners and sequences linked. Every problem is reported at
// once, each naming its file, key path and line.
package conf

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"reflect"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of the config file.
const (
	DefaultListen          = "127.0.0.1:15306"
	DefaultAdminListen     = "127.0.0.1:15000"
	DefaultPoolSize        = 16
	DefaultConnectTimeout  = 5 * time.Second
	DefaultLookupCacheSize = 100000
	DefaultLookupCacheTTL  = 30 * time.Second
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "json"
	DefaultAuthPlugin      = "mysql_native_password"
	// DefaultMaxAllowedPacket is MySQL 8's default max_allowed_packet.
	DefaultMaxAllowedPacket = 64 << 20
	// DefaultMaxConnections bounds client connections: each costs a
	// goroutine, buffers and a file descriptor.
	DefaultMaxConnections = 2000
	// DefaultMaxMemoryRows bounds the rows one statement holds in the
	// sidecar (a cross-shard join's gathered rows), as Vitess's
	// max_memory_rows does.
	DefaultMaxMemoryRows = 300000
	// DefaultWaitTimeout is MySQL's wait_timeout: idle clients are
	// disconnected after it.
	DefaultWaitTimeout = 8 * time.Hour
	// DefaultPollInterval is how often a sidecar looks for VSchema versions
	// another sidecar stored: changes reach every sidecar within it.
	DefaultPollInterval = 2 * time.Second
)

// Config is a loaded, validated config. Like its Topology it is never changed
// after Load returns it.
type Config struct {
	Path   string // the config file as given to Load
	Listen string // MySQL protocol for apps
	// ListenSocket is a Unix socket path where the MySQL protocol is served
	// too, for apps on the same host ("" none): no TCP on the app's hop.
	ListenSocket string
	AdminListen  string // HTTP admin; "" disables it
	Users        []User
	// TLS of the MySQL listener; nil: plain TCP only.
	TLS *TLS
	// MaxAllowedPacket bounds a client command (a statement with its data):
	// a longer one is refused before it is read whole, as MySQL does.
	MaxAllowedPacket int
	// MaxConnections bounds client connections; one more gets MySQL's 1040.
	MaxConnections int
	// MaxMemoryRows bounds the rows one statement holds in the sidecar; a
	// statement needing more is refused.
	MaxMemoryRows int
	// Procs is how many CPUs run the sidecar's goroutines at once
	// (GOMAXPROCS), read at start; 0: half of what the machine or
	// container offers, at least one, unless $GOMAXPROCS says otherwise.
	Procs int
	// WaitTimeout disconnects a client idle for longer (a session may
	// change it with SET wait_timeout).
	WaitTimeout time.Duration
	// ShardHints: statements forwarded to a shard start with
	// /* keyspace=…;shard=… */ so ProxySQL and logs can tell them apart.
	ShardHints  bool
	LookupCache LookupCache
	Log         Log
	// Metadata is where VSchema changes are stored; nil: none, and VSchema
	// DDL is refused.
	Metadata *Metadata
	Topology *Topology
	// Warnings are problems that don't stop the sidecar (unknown vindex
	// params, settings that are ignored), formatted like errors.
	Warnings []string
}

// TLS is the front end's TLS: clients that ask for it get the certificate.
type TLS struct {
	Config *tls.Config
	// Require refuses logins over plain TCP (the Unix socket is local and
	// stays open), like MySQL's require_secure_transport.
	Require bool
}

// User is an account the sidecar accepts from clients.
type User struct {
	Name       string
	Password   string
	AuthPlugin string // mysql_native_password or caching_sha2_password
}

// LookupCache sizes the LRU in front of lookup tables. Size 0 disables it.
type LookupCache struct {
	Size int
	TTL  time.Duration
}

// Metadata is an unsharded keyspace where the sidecar keeps what every
// sidecar serving the same shards shares: the VSchema versions VSchema DDL
// stored.
type Metadata struct {
	Keyspace string
	// PollInterval is how often the stored versions are checked for one
	// another sidecar stored.
	PollInterval time.Duration
}

// Log configures logging.
type Log struct {
	Level  string // trace, debug, info, warn, error
	Format string // json or console
	// SlowQuery: statements that take longer are logged, normalized (0:
	// none are).
	SlowQuery time.Duration
}

// The config file as written. Pointers tell "absent" (take the default) from
// an explicit zero (which may be an error).
type rawConfig struct {
	Listen       *string    `yaml:"listen"`
	ListenSocket *string    `yaml:"listen_socket"`
	AdminListen  *string    `yaml:"admin_listen"`
	Users        []*rawUser `yaml:"users"`
	TLS          *rawTLS    `yaml:"tls"`
	// MaxAllowedPacket is bytes, or a size like 64M (K, M, G as in my.cnf).
	MaxAllowedPacket *string                 `yaml:"max_allowed_packet"`
	MaxConnections   *int                    `yaml:"max_connections"`
	MaxMemoryRows    *int                    `yaml:"max_memory_rows"`
	Procs            *int                    `yaml:"procs"`
	WaitTimeout      string                  `yaml:"wait_timeout"`
	Backend          *rawBackend             `yaml:"backend"`
	Keyspaces        map[string]*rawKeyspace `yaml:"keyspaces"`
	LookupCache      *rawLookupCache         `yaml:"lookup_cache"`
	Log              *rawLog                 `yaml:"log"`
	ShardHints       *bool                   `yaml:"shard_hints"`
	Metadata         *rawMetadata            `yaml:"metadata"`
}

type rawUser struct {
	Name       string `yaml:"name"`
	Password   string `yaml:"password"`
	AuthPlugin string `yaml:"auth_plugin"`
}

type rawBackend struct {
	User           string `yaml:"user"`
	Password       string `yaml:"password"`
	PoolSize       *int   `yaml:"pool_size"`
	ConnectTimeout string `yaml:"connect_timeout"`
	// LockWaitTimeout sets innodb_lock_wait_timeout on every backend
	// connection: how long a cross-shard deadlock, which no server sees
	// whole, can hold its transactions.
	LockWaitTimeout string `yaml:"lock_wait_timeout"`
	// TLS of the connections to the shards (nil: plain TCP).
	TLS *rawBackendTLS `yaml:"tls"`
}

type rawTLS struct {
	Cert    string `yaml:"cert"`
	Key     string `yaml:"key"`
	Require bool   `yaml:"require"`
}

type rawBackendTLS struct {
	// CA verifies the shards' certificates ("": the system's CAs).
	CA string `yaml:"ca"`
	// Cert and Key: a client certificate, for servers that require one.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// SkipVerify accepts any certificate: encryption without authentication.
	SkipVerify bool `yaml:"skip_verify"`
}

type rawKeyspace struct {
	VSchemaFile string               `yaml:"vschema_file"`
	VSchema     *VSchema             `yaml:"vschema"`
	Shards      map[string]*rawShard `yaml:"shards"`
}

type rawShard struct {
	Address   string  `yaml:"address"`
	Database  string  `yaml:"database"`
	User      *string `yaml:"user"`
	Password  *string `yaml:"password"`
	PoolSize  *int    `yaml:"pool_size"`
	Hostgroup *int    `yaml:"hostgroup"`
}

type rawLookupCache struct {
	Size *int   `yaml:"size"`
	TTL  string `yaml:"ttl"`
}

type rawMetadata struct {
	Keyspace     string `yaml:"keyspace"`
	PollInterval string `yaml:"poll_interval"`
}

type rawLog struct {
	Level     string `yaml:"level"`
	Format    string `yaml:"format"`
	SlowQuery string `yaml:"slow_query"`
}

// Load reads the config at path and the VSchema files it names (relative to
// its directory), validates everything and resolves the topology. On failure
// the error is an Errors listing every problem found.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return load(path, data, os.ReadFile)
}

func load(path string, data []byte, readFile func(string) ([]byte, error)) (*Config, error) {
	r := &reporter{}
	src := r.newSource(path)
	raw, ok := decodeConfig(src, data)
	if !ok {
		return nil, r.errs
	}
	l := &loader{r: r, src: src, path: path, readFile: readFile}
	cfg := l.config(raw)
	if len(r.errs) > 0 {
		sortProblems(r.errs, l.files)
		return nil, r.errs
	}
	cfg.Warnings = r.warnings
	return cfg, nil
}

// decodeConfig parses the YAML, checks its keys and types (recording the line
// of every key path) and decodes it. ok is false when nothing useful could be
// decoded (a syntax error or an empty file).
func decodeConfig(src *source, data []byte) (*rawConfig, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		src.errorf("", "%s", trimYAML(err.Error()))
		return nil, false
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		src.errorf("", "empty config")
		return nil, false
	}
	kc := &keyChecker{src: src, tag: "yaml"}
	kc.walk(&doc, reflect.TypeFor[rawConfig](), "")

	if kc.dup {
		// yaml.v3 skips a mapping with a duplicate key entirely; checking the
		// rest would only report what is missing because of it.
		return nil, false
	}
	raw := &rawConfig{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(raw); err != nil && !errors.Is(err, io.EOF) && !kc.bad {
		// The key checker explains every error it can; this is the fallback
		// for anything it doesn't model.
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				src.errorf("", "%s", msg)
			}
		} else {
			src.errorf("", "%s", trimYAML(err.Error()))
		}
	}
	return raw, true
}

// sortProblems puts problems in file order (the config first, then VSchema
// files in keyspace order) and by line within a file.
func sortProblems(errs Errors, files []string) {
	rank := map[string]int{}
	for i, f := range files {
		if _, ok := rank[f]; !ok {
			rank[f] = i
		}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if rank[a.File] != rank[b.File] {
			return rank[a.File] < rank[b.File]
		}
		return a.Line < b.Line
	})
}
