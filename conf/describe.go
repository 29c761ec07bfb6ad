package conf

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sidecar/vindex"
)

// Describe prints the resolved config for `sidecar check`: settings,
// keyspaces with their shards (key range as [start, end) in hex, backend),
// vindexes and tables (column vindexes with primary/owned/unique markers,
// auto_increment sequences), then the warnings. Passwords are not printed.
// The order is stable: keyspaces, shards by key range, names sorted.
func (c *Config) Describe(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }

	p("config %s", c.Path)
	p("  listen\t%s", c.Listen)
	if c.ListenSocket != "" {
		p("  listen_socket\t%s", c.ListenSocket)
	}
	admin := c.AdminListen
	if admin == "" {
		admin = "(disabled)"
	}
	p("  admin_listen\t%s", admin)
	users := make([]string, len(c.Users))
	for i, u := range c.Users {
		users[i] = u.Name + " (" + u.AuthPlugin + ")"
	}
	p("  users\t%s", strings.Join(users, ", "))
	p("  shard_hints\t%t", c.ShardHints)
	cache := "disabled"
	if c.LookupCache.Size > 0 {
		cache = fmt.Sprintf("%d entries, ttl %s", c.LookupCache.Size, c.LookupCache.TTL)
	}
	p("  lookup_cache\t%s", cache)
	slow := ""
	if c.Log.SlowQuery > 0 {
		slow = ", slow_query " + c.Log.SlowQuery.String()
	}
	p("  log\t%s, %s%s", c.Log.Level, c.Log.Format, slow)
	if c.Metadata != nil {
		p("  metadata\tkeyspace %s, polled every %s", c.Metadata.Keyspace, c.Metadata.PollInterval)
	}

	for _, name := range c.Topology.Names {
		ks := c.Topology.Keyspaces[name]
		tw.Flush()
		p("")
		kind := "unsharded"
		if ks.Sharded {
			kind = "sharded"
		}
		from := "no vschema"
		switch {
		case ks.VSchemaFile != "":
			from = "vschema " + ks.VSchemaFile
		case ks.VSchema != nil && (ks.VSchema.Sharded || len(ks.VSchema.Tables) > 0 || len(ks.VSchema.Vindexes) > 0):
			from = "inline vschema"
		}
		extra := ""
		if ks.RequireExplicitRouting {
			extra = ", require_explicit_routing"
		}
		p("keyspace %s: %s, %s%s", name, kind, from, extra)

		p("  shards")
		for _, sh := range ks.Shards {
			backend := fmt.Sprintf("%s database %s user %s pool %d timeout %s", sh.Address, sh.Database, sh.User, sh.PoolSize, sh.ConnectTimeout)
			if sh.LockWaitTimeout > 0 {
				backend += fmt.Sprintf(" lock wait %s", sh.LockWaitTimeout)
			}
			if sh.HasHostgroup {
				backend += fmt.Sprintf(" hostgroup %d", sh.Hostgroup)
			}
			p("    %s\t%s\t%s", sh.Name, rangeText(sh.Range), backend)
		}
		tw.Flush()

		if len(ks.Vindexes) > 0 {
			p("  vindexes")
			for _, vname := range sortedKeys(ks.Vindexes) {
				v, def := ks.Vindexes[vname], ks.VSchema.Vindexes[vname]
				line := "    " + vname + "\t" + def.Type + "\t" + vindexTraits(v)
				if params := paramsText(def.Params); params != "" {
					line += "\t" + params
				}
				p("%s", line)
			}
			tw.Flush()
		}

		if len(ks.Tables) > 0 {
			p("  tables")
			for _, tname := range sortedKeys(ks.Tables) {
				describeTable(tw, ks.Tables[tname])
			}
			tw.Flush()
		}
		if !ks.Sharded && len(ks.Shards) == 1 {
			p("  every other table goes to shard %s", ks.Shards[0].Name)
		}
	}

	if len(c.Warnings) > 0 {
		tw.Flush()
		p("")
		p("warnings")
		for _, w := range c.Warnings {
			p("  %s", w)
		}
	}
}

func describeTable(tw io.Writer, t *Table) {
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	head := "    " + t.Name
	switch {
	case t.Type != TypeTable:
		head += "  (" + t.Type + ")"
	case t.Pinned != nil:
		head += "  (pinned to " + hex.EncodeToString(t.Pinned) + ")"
	}
	p("%s", head)
	for i, cv := range t.ColumnVindexes {
		var marks []string
		if i == 0 {
			marks = append(marks, "primary")
		}
		if cv.Owned {
			marks = append(marks, "owned")
		}
		if cv.Vindex.IsUnique() {
			marks = append(marks, "unique")
		}
		p("      %s\t%s\t%s\t%s", strings.Join(cv.Columns, ", "), cv.Name, cv.Type, strings.Join(marks, " "))
	}
	if ai := t.AutoIncrement; ai != nil {
		p("      auto_increment %s from sequence %s", ai.Column, ai.Sequence)
	}
}

// rangeText prints a key range as [start, end) in hex, with min/max for the
// open ends.
func rangeText(kr vindex.KeyRange) string {
	start, end := "min", "max"
	if len(kr.Start) > 0 {
		start = hex.EncodeToString(kr.Start)
	}
	if len(kr.End) > 0 {
		end = hex.EncodeToString(kr.End)
	}
	return "[" + start + ", " + end + ")"
}

func vindexTraits(v vindex.Vindex) string {
	var t []string
	if v.IsUnique() {
		t = append(t, "unique")
	} else {
		t = append(t, "non-unique")
	}
	if _, ok := v.(vindex.Reversible); ok {
		t = append(t, "reversible")
	}
	if lk, ok := v.(vindex.Lookup); ok {
		if lk.Owner() != "" {
			t = append(t, "lookup owned by "+lk.Owner())
		} else {
			t = append(t, "lookup (unowned)")
		}
	}
	return strings.Join(t, ", ")
}

func paramsText(params map[string]string) string {
	var out []string
	for _, k := range sortedKeys(params) {
		out = append(out, k+"="+params[k])
	}
	return strings.Join(out, " ")
}
