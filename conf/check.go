package conf

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// keyChecker walks a parsed document (YAML, or JSON read by the YAML parser,
// which gives us lines) against the Go type it will be decoded into, before
// the real decoder runs. It reports every unknown key, duplicate key and
// wrongly typed value with its full key path and line, where the decoders
// name only the first (encoding/json) or a Go type (yaml). It also records the
// line of every key path so later, semantic problems can name their line.
type keyChecker struct {
	src  *source
	tag  string // struct tag giving key names: "yaml" or "json"
	json bool   // JSON typing: strings must be quoted, no YAML 1.1 booleans
	bad  bool   // something was reported
	dup  bool   // a mapping has a duplicate key (yaml.v3 then decodes none of it)
}

func (c *keyChecker) fail(line int, path, format string, args ...any) {
	c.bad = true
	c.src.errorAt(line, path, format, args...)
}

func (c *keyChecker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			c.walk(n.Content[0], t, path)
		}
		return
	case yaml.AliasNode:
		c.walk(n.Alias, t, path)
		return
	}
	if _, seen := c.src.lines[joinPath(c.src.base, path)]; !seen && path != "" {
		c.src.lines[joinPath(c.src.base, path)] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null decodes to the zero value everywhere
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.fail(n.Line, path, "expected a mapping, got %s", describeNode(n))
			return
		}
		fields := keysOf(t, c.tag)
		c.pairs(n, path, func(k, v *yaml.Node, p string) {
			ft, ok := fields[k.Value]
			if !ok {
				c.fail(k.Line, p, "unknown key %q (expected one of: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))
				return
			}
			c.walk(v, ft, p)
		}, func(v *yaml.Node) { c.walk(v, t, path) })
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.fail(n.Line, path, "expected a mapping, got %s", describeNode(n))
			return
		}
		c.pairs(n, path, func(k, v *yaml.Node, p string) {
			c.walk(v, t.Elem(), p)
		}, func(v *yaml.Node) { c.walk(v, t, path) })
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.fail(n.Line, path, "expected a list, got %s", describeNode(n))
			return
		}
		for i, item := range n.Content {
			c.walk(item, t.Elem(), index(path, i))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || (c.json && n.ShortTag() != "!!str") {
			c.fail(n.Line, path, "expected a string, got %s", describeNode(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!bool" && (c.json || !yaml11Bool[n.Value])) {
			c.fail(n.Line, path, "expected true or false, got %s", describeNode(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			c.fail(n.Line, path, "expected an integer, got %s", describeNode(n))
			return
		}
		if _, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits()); err != nil {
			c.fail(n.Line, path, "integer %s out of range", n.Value)
		}
	}
}

// pairs calls f for each key/value of a mapping, reporting duplicate and
// non-scalar keys; merge keys (<<) of YAML are walked with merge.
func (c *keyChecker) pairs(n *yaml.Node, path string, f func(k, v *yaml.Node, p string), merge func(v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			c.fail(k.Line, path, "expected a plain key, got %s", describeNode(k))
			continue
		}
		if !c.json && k.ShortTag() == "!!merge" {
			if v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					merge(m)
				}
			} else {
				merge(v)
			}
			continue
		}
		p := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			c.dup = true
			c.fail(k.Line, p, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		c.src.lines[joinPath(c.src.base, p)] = k.Line
		f(k, v, p)
	}
}

var yaml11Bool = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return describeNode(n.Alias)
	}
	switch n.ShortTag() {
	case "!!str":
		return strconv.Quote(n.Value)
	case "!!null":
		return "null"
	}
	return n.Value
}

// keysOf maps the key names of struct t (by tag) to field types.
func keysOf(t reflect.Type, tag string) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
