package vindex

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
)

func init() {
	Register("numeric_static_map", newNumericStaticMap)
}

// NumericStaticMap is Vitess's "numeric_static_map": like numeric, but values
// found in a static JSON map ({"1": 2, …}, from the `json` param or the file
// named by `json_path`) are replaced by their mapped number first. Values not
// in the map go to the `fallback_type` vindex's Hash if one is configured,
// else are used as is. Values that are not unsigned integers map to nothing,
// before any fallback.
type NumericStaticMap struct {
	functional
	lookup   map[uint64]uint64
	fallback Hashing
}

func newNumericStaticMap(name, _ string, m map[string]string) (Vindex, error) {
	p := newParams(m, "json", "json_path", "fallback_type")
	jsonText, hasJSON := m["json"]
	jsonPath, hasPath := m["json_path"]
	var data []byte
	switch {
	case hasJSON && hasPath:
		return nil, errors.New("NumericStaticMap: Found both `json` and `json_path` params in vschema")
	case hasJSON:
		data = []byte(jsonText)
	case hasPath:
		var err error
		if data, err = os.ReadFile(jsonPath); err != nil {
			return nil, fmt.Errorf("NumericStaticMap: %w", err)
		}
	default:
		return nil, errors.New("NumericStaticMap: Could not find either `json_path` or `json` params in vschema")
	}
	var raw map[string]uint64
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("NumericStaticMap: %w", err)
	}
	lookup := make(map[uint64]uint64, len(raw))
	for k, v := range raw {
		n, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return nil, err
		}
		lookup[n] = v
	}
	v := &NumericStaticMap{
		functional: functional{name: name, unknownParams: p.unknown()},
		lookup:     lookup,
	}
	if ft := m["fallback_type"]; ft != "" {
		fb, err := Create(ft, name+"_hash", nil)
		if err != nil {
			return nil, fmt.Errorf("NumericStaticMap: fallback_type: %w", err)
		}
		h, ok := fb.(Hashing)
		if !ok {
			return nil, fmt.Errorf("NumericStaticMap: fallback_type %q does not implement Hash", ft)
		}
		v.fallback = h
	}
	return v, nil
}

func (*NumericStaticMap) Cost() int { return 1 }

func (v *NumericStaticMap) Hash(id Value) (KeyspaceID, error) {
	n, err := toCastUint64(id)
	if err != nil {
		return nil, err
	}
	if mapped, ok := v.lookup[n]; ok {
		n = mapped
	} else if v.fallback != nil {
		return v.fallback.Hash(id)
	}
	ksid := make(KeyspaceID, 8)
	binary.BigEndian.PutUint64(ksid, n)
	return ksid, nil
}

func (v *NumericStaticMap) Map(_ context.Context, _ Querier, ids []Value) ([]Destination, error) {
	return mapOrNone(v, ids), nil
}

func (v *NumericStaticMap) Verify(_ context.Context, _ Querier, ids []Value, ksids []KeyspaceID) ([]bool, error) {
	return verifyByHash(v, ids, ksids, "NumericStaticMap.Verify")
}
