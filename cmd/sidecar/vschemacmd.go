package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"sidecar/conf"
	"sidecar/sidecar"
	"sidecar/vschemaddl"
)

const vschemaUsage = `usage: sidecar vschema [-config sidecar.yaml] [KEYSPACE]

Prints the VSchema in force, in the JSON of a vschema_file (Vitess's
ApplyVSchema JSON): KEYSPACE's, or every keyspace's as one object keyed by
keyspace name. The output of one keyspace can be used as its vschema_file.
With a metadata keyspace, the VSchemas VSchema DDL stored there replace the
files' of the keyspaces it changed (it connects to read them).

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
	inForce, err := loadInForce(*path)
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

// loadInForce loads the config with the VSchemas in force: its files', with
// the ones stored in its metadata keyspace replacing those of the keyspaces
// VSchema DDL has changed, as a sidecar serving it has them.
func loadInForce(path string) (*conf.Config, error) {
	cfg, err := conf.Load(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return sidecar.InForce(ctx, cfg)
}
