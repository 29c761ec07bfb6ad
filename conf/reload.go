package conf

import (
	"bytes"
	"crypto/tls"
)

// A reload (SIGHUP) reads the config file again and puts it in force for new
// statements. Most settings simply change; the ones below are bound once per
// process, and pools of unchanged shards are kept (SameBackend).

// Reloaded returns next, the config file read again for a reload, with the
// settings a reload cannot change taken from c, the config in force: the
// listeners and their TLS (bound once), the lookup cache (one per process),
// logging (the logger is built once) and metadata (where the VSchema in force
// comes from). Each of them that changed in the file gives a message, formatted
// like a warning: the change applies at the next start. The error is an Errors
// when what is kept does not fit next: the metadata keyspace must still be an
// unsharded keyspace of next.
func (c *Config) Reloaded(next *Config) (*Config, []string, error) {
	r := &reporter{}
	src := r.newSource(next.Path)
	fixed := func(key string, same bool) {
		if !same {
			src.warnf(key, "changed, but a reload cannot change it: restart the sidecar to apply it")
		}
	}
	fixed("listen", next.Listen == c.Listen)
	fixed("listen_socket", next.ListenSocket == c.ListenSocket)
	fixed("admin_listen", next.AdminListen == c.AdminListen)
	fixed("tls", sameFrontTLS(next.TLS, c.TLS))
	fixed("lookup_cache", next.LookupCache == c.LookupCache)
	fixed("log", next.Log == c.Log)
	fixed("metadata", sameMetadata(next.Metadata, c.Metadata))

	nc := *next
	nc.Listen, nc.ListenSocket, nc.AdminListen, nc.TLS = c.Listen, c.ListenSocket, c.AdminListen, c.TLS
	nc.LookupCache, nc.Log, nc.Metadata = c.LookupCache, c.Log, c.Metadata
	if c.Metadata != nil {
		checkMetadataKeyspace(src, nc.Topology, c.Metadata.Keyspace)
	}
	if len(r.errs) > 0 {
		return nil, r.warnings, r.errs
	}
	return &nc, r.warnings, nil
}

func sameMetadata(a, b *Metadata) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sameFrontTLS compares the listener's TLS settings: the same certificate
// chain and the same require.
func sameFrontTLS(a, b *TLS) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Require == b.Require && sameCertificates(a.Config.Certificates, b.Config.Certificates)
}

// SameBackend reports whether o connects to the same database as s in the
// same way (address, database, account, pool size, timeouts, hostgroup,
// TLS): a reload keeps the pool of such a shard, with its connections.
func (s *Shard) SameBackend(o *Shard) bool {
	return s.Keyspace == o.Keyspace && s.Name == o.Name &&
		s.Address == o.Address && s.Database == o.Database &&
		s.User == o.User && s.Password == o.Password && s.PoolSize == o.PoolSize &&
		s.Hostgroup == o.Hostgroup && s.HasHostgroup == o.HasHostgroup &&
		s.ConnectTimeout == o.ConnectTimeout && s.LockWaitTimeout == o.LockWaitTimeout &&
		sameClientTLS(s.TLS, o.TLS)
}

// sameClientTLS compares what a shard's TLS settings are made of; each load
// builds new tls.Configs, so pointers never compare equal.
func sameClientTLS(a, b *tls.Config) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.InsecureSkipVerify == b.InsecureSkipVerify && a.ServerName == b.ServerName &&
		a.RootCAs.Equal(b.RootCAs) && sameCertificates(a.Certificates, b.Certificates)
}

func sameCertificates(a, b []tls.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i].Certificate) != len(b[i].Certificate) {
			return false
		}
		for j := range a[i].Certificate {
			if !bytes.Equal(a[i].Certificate[j], b[i].Certificate[j]) {
				return false
			}
		}
	}
	return true
}
