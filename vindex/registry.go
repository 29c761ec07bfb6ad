package vindex

import (
	"fmt"
	"sort"
	"sync"
)

// Constructor builds a vindex of one type. name is the vindex's name in the
// VSchema, owner the owning table ("" when unowned; only lookups use it),
// params the VSchema params (all strings).
type Constructor func(name, owner string, params map[string]string) (Vindex, error)

// ParamValidating is implemented by every vindex this package creates. Unknown
// params are accepted and ignored, as vtgate does; UnknownParams lists them
// (sorted) so a strict caller (like `vtctldclient ApplyVSchema --strict`) can
// refuse them.
type ParamValidating interface {
	UnknownParams() []string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// Register makes a vindex type available to Create. It panics on a duplicate
// type name; call it from init.
func Register(typ string, ctor Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typ]; dup {
		panic("vindex: type " + typ + " registered twice")
	}
	registry[typ] = ctor
}

// Types returns the registered vindex type names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Create builds an unowned vindex of type typ. It is CreateWithOwner with no
// owner; lookup vindexes created this way are unowned (they only read their
// table) unless params carries an "owner" key.
func Create(typ, name string, params map[string]string) (Vindex, error) {
	return CreateWithOwner(typ, name, "", params)
}

// CreateWithOwner builds a vindex of type typ; owner is the VSchema's "owner"
// field (the table whose inserts and deletes maintain a lookup vindex's rows).
// An "owner" key in params (as ALTER VSCHEMA … WITH owner=t writes it) is
// used when owner is empty. Functional vindexes ignore owner.
// Unknown type → `vindexType "x" not found`.
func CreateWithOwner(typ, name, owner string, params map[string]string) (Vindex, error) {
	registryMu.RLock()
	ctor, ok := registry[typ]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("vindexType %q not found", typ)
	}
	if params == nil {
		params = map[string]string{}
	}
	return ctor(name, owner, params)
}

// params reads a vindex's params and remembers which keys were consumed, so
// the rest can be reported by UnknownParams.
type params struct {
	m     map[string]string
	known map[string]bool
}

func newParams(m map[string]string, known ...string) *params {
	p := &params{m: m, known: make(map[string]bool, len(known))}
	for _, k := range known {
		p.known[k] = true
	}
	return p
}

// get returns the value of key (and marks it known).
func (p *params) get(key string) (string, bool) {
	p.known[key] = true
	v, ok := p.m[key]
	return v, ok
}

// bool reads a boolean param: exactly "true" or "false"; absent → false.
func (p *params) bool(key string) (bool, error) {
	v, ok := p.get(key)
	if !ok {
		return false, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s value must be 'true' or 'false': '%s'", key, v)
}

// unknown lists the params no one asked for, sorted; nil if none.
func (p *params) unknown() []string {
	var out []string
	for k := range p.m {
		if !p.known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// unknownParams is embedded by vindexes to implement ParamValidating.
type unknownParams []string

func (u unknownParams) UnknownParams() []string { return u }
