package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sidecar/vindex"
)

const vindexUsage = `usage: sidecar vindex TYPE [-param k=v ...] [-reverse HEX ...] [--] VALUE...

Prints the keyspace id of each VALUE under a functional vindex TYPE, one
lowercase hex id per line. A VALUE that parses as an integer is INT64 (UINT64
beyond the int64 range), anything else VARCHAR. -reverse HEX prints the value a
reversible vindex (hash, numeric, binary, reverse_bits) computes back from the
keyspace id HEX: numbers in decimal, binary as text if printable, else 0x-hex.
-- ends the options, for values starting with '-': sidecar vindex hash -- -1

TYPE is one of: %s
Lookup vindexes need their database and are not supported here.
`

// runVindex is `sidecar vindex …`. Exit status: 0 all values mapped, 1 some
// value did not map (its error is on stderr, the others are printed), 2 bad
// usage.
func runVindex(args []string, stdout, stderr io.Writer) int {
	usage := func(format string, a ...any) int {
		if format != "" {
			fmt.Fprintf(stderr, "sidecar vindex: "+format+"\n", a...)
		}
		fmt.Fprintf(stderr, vindexUsage, strings.Join(functionalTypes(), ", "))
		return 2
	}
	params := map[string]string{}
	var reverse []string
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "h", "help":
			fmt.Fprintf(stdout, vindexUsage, strings.Join(functionalTypes(), ", "))
			return 0
		case "param", "reverse":
		default:
			return usage("unknown option %s (put -- before values starting with '-')", arg)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return usage("option %s needs a value", arg)
			}
			i++
			value = args[i]
		}
		if name == "reverse" {
			reverse = append(reverse, value)
			continue
		}
		k, v, ok := strings.Cut(value, "=")
		if !ok || k == "" {
			return usage("-param wants key=value, got %q", value)
		}
		params[k] = v
	}
	if len(positional) == 0 {
		return usage("missing vindex TYPE")
	}
	typ, values := positional[0], positional[1:]
	if len(values) == 0 && len(reverse) == 0 {
		return usage("no VALUE given")
	}

	v, err := vindex.Create(typ, typ, params)
	if err != nil {
		return usage("%v", err)
	}
	if v.NeedsQuerier() {
		return usage("%s is a lookup vindex: its keyspace ids live in a database table", typ)
	}
	if pv, ok := v.(vindex.ParamValidating); ok && len(pv.UnknownParams()) > 0 {
		return usage("unknown params for %s: %s", typ, strings.Join(pv.UnknownParams(), ", "))
	}
	sc := v.(vindex.SingleColumn)

	status := 0
	for _, s := range values {
		val := parseValue(s)
		dests, err := sc.Map(context.Background(), nil, []vindex.Value{val})
		if err != nil {
			fmt.Fprintf(stderr, "sidecar vindex: %s: %v\n", val, err)
			status = 1
			continue
		}
		ksid, ok := dests[0].(vindex.DestinationKeyspaceID)
		if !ok {
			fmt.Fprintf(stderr, "sidecar vindex: could not map %s to a keyspace id\n", val)
			status = 1
			continue
		}
		fmt.Fprintln(stdout, hex.EncodeToString(ksid))
	}

	if len(reverse) > 0 {
		rv, ok := v.(vindex.Reversible)
		if !ok {
			fmt.Fprintf(stderr, "sidecar vindex: %s is not reversible\n", typ)
			return 1
		}
		for _, h := range reverse {
			ksid, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(h, "0x"), "0X"))
			if err != nil {
				fmt.Fprintf(stderr, "sidecar vindex: -reverse %s: not hex: %v\n", h, err)
				status = 1
				continue
			}
			out, err := rv.ReverseMap([]vindex.KeyspaceID{ksid})
			if err != nil {
				fmt.Fprintf(stderr, "sidecar vindex: -reverse %s: %v\n", h, err)
				status = 1
				continue
			}
			fmt.Fprintln(stdout, formatValue(out[0]))
		}
	}
	return status
}

// parseValue types a command-line value the way a SQL literal would be:
// integers are INT64 (UINT64 past int64), anything else VARCHAR.
func parseValue(s string) vindex.Value {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return vindex.NewInt64(n)
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return vindex.NewUint64(n)
	}
	return vindex.NewVarChar(s)
}

// formatValue prints a reverse-mapped value: numbers as is, bytes as text
// when printable, else as 0x-hex.
func formatValue(v vindex.Value) string {
	if v.Kind != vindex.VarBinary && v.Kind != vindex.VarChar {
		return string(v.Raw)
	}
	if utf8.Valid(v.Raw) && len(v.Raw) > 0 && strings.IndexFunc(string(v.Raw), func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return string(v.Raw)
	}
	return "0x" + hex.EncodeToString(v.Raw)
}

// functionalTypes lists the registered types that need no database.
func functionalTypes() []string {
	var out []string
	for _, t := range vindex.Types() {
		v, err := vindex.Create(t, t, map[string]string{"json": "{}"})
		if err != nil || v.NeedsQuerier() {
			continue
		}
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
