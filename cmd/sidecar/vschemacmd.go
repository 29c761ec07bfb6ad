package main

import (
	"flag"
	"fmt"
	"io"

	"sidecar/conf"
	"sidecar/vschemaddl"
)

const vschemaUsage = `usage: sidecar vschema [-config sidecar.yaml] [KEYSPACE]

Prints the VSchema in force, in the JSON of a vschema_file (Vitess's
ApplyVSchema JSON): KEYSPACE's, or every keyspace's as one object keyed by
keyspace name. The output of one keyspace can be used as its vschema_file.

`

func runVSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vschema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, vschemaUsage); fs.PrintDefaults() }
	path := fs.String("config", "sidecar.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	// KEYSPACE may come before the flags too.
	var keyspace string
	if fs.NArg() > 0 {
		keyspace = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "unexpected arguments: %v\n%s", fs.Args(), vschemaUsage)
			return 2
		}
	}
	cfg, err := conf.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	inForce, err := vschemaInForce(cfg, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := vschemaddl.WriteJSON(stdout, inForce.Topology, keyspace); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *path, err)
		return 1
	}
	return 0
}

// vschemaInForce is the config with the VSchemas in force: its files', with
// stored VSchemas (from the metadata keyspace, once it is read here)
// replacing those of the keyspaces DDL has changed.
func vschemaInForce(cfg *conf.Config, stored map[string]*conf.VSchema) (*conf.Config, error) {
	if len(stored) == 0 {
		return cfg, nil
	}
	return vschemaddl.Validate(cfg, stored)
}
