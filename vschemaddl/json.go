package vschemaddl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"sidecar/conf"
)

// MarshalVSchema writes a VSchema as a vschema_file holds it: Vitess's
// ApplyVSchema JSON with the proto's field names, fields in the proto's
// order, map keys sorted, empty values left out (as protojson leaves them
// out), indented by two spaces, ending with a newline. conf reads it back
// strictly to the same VSchema.
func MarshalVSchema(vs *conf.VSchema) ([]byte, error) {
	if vs == nil {
		vs = &conf.VSchema{}
	}
	var b bytes.Buffer
	if err := encodeJSON(&b, reflect.ValueOf(vs)); err != nil {
		return nil, err
	}
	return indentJSON(b.Bytes())
}

// WriteJSON writes the VSchema in force of one keyspace of topo, or with
// keyspace "" an object of every keyspace's VSchema keyed by keyspace name
// (a keyspace without a VSchema has {}), as MarshalVSchema formats them.
func WriteJSON(w io.Writer, topo *conf.Topology, keyspace string) error {
	var b bytes.Buffer
	if keyspace != "" {
		ks, ok := topo.Keyspaces[keyspace]
		if !ok {
			return fmt.Errorf("keyspace %s is not defined (keyspaces: %s)", keyspace, strings.Join(topo.Names, ", "))
		}
		if err := encodeJSON(&b, reflect.ValueOf(vschemaOf(ks))); err != nil {
			return err
		}
	} else {
		b.WriteByte('{')
		for i, name := range topo.Names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, name)
			b.WriteByte(':')
			if err := encodeJSON(&b, reflect.ValueOf(vschemaOf(topo.Keyspaces[name]))); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	out, err := indentJSON(b.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func indentJSON(compact []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// encodeJSON writes v compactly: structs by their json tags in field order,
// skipping empty fields; maps with sorted keys; a nil struct pointer as {}.
// Reflection keeps it right for fields conf adds later.
func encodeJSON(b *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
				b.WriteString("{}")
			} else {
				b.WriteString("null")
			}
			return nil
		}
		return encodeJSON(b, v.Elem())
	case reflect.Struct:
		b.WriteByte('{')
		n := 0
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if isEmptyJSON(fv) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			writeJSONString(b, name)
			b.WriteByte(':')
			if err := encodeJSON(b, fv); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("vschema json: map with %s keys", v.Type().Key())
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := encodeJSON(b, v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key()))); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, v.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.String:
		writeJSONString(b, v.String())
		return nil
	}
	data, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}

// isEmptyJSON: the values protojson leaves out.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct, reflect.Array:
		return false
	}
	return v.IsZero()
}

// writeJSONString writes s as a JSON string without HTML escaping (a
// vschema_file is read by people and by conf, not by browsers).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}
