package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"sidecar/conf"
	"sidecar/maintain"
)

const backfillUsage = `usage: sidecar backfill -config sidecar.yaml -table KEYSPACE.TABLE -column COLUMN
                        [-batch N] [-rate ROWS/s] [-dry-run] [-json] [-lock-wait 5s]

Fills every NULL value of COLUMN, whose vindex must be reversible (binary:
the keyspace id; hash, numeric, reverse_bits: the number it reverses to),
from its row's keyspace id (the table's primary vindex, a lookup vindex
included), shard by shard in primary-key batches. Values already there are
checked: a wrong one is reported, one line per row (primary key, stored and
expected value, binary in hex), and left as it is.

`

const lookupUsage = `usage: sidecar lookup backfill -config sidecar.yaml -vindex KEYSPACE.VINDEX [options]
       sidecar lookup check -config sidecar.yaml -vindex KEYSPACE.VINDEX [-repair] [options]
options: [-batch N] [-rate ROWS/s] [-dry-run] [-json] [-lock-wait 5s]

backfill creates the lookup rows of the owner rows that have none (lookup
rows holding a value for a keyspace id without an owner row are taken
over); a unique value owned by rows with different keyspace ids is
reported. check reports owner rows without their lookup row (missing),
lookup rows whose keyspace id is not the owner's (mismatch) and lookup rows
without an owner (orphan), one line each; -repair creates, fixes and
deletes them.

`

// Exit statuses of the maintenance commands: 0 done and nothing left wrong,
// 1 problems found and left (or the run was interrupted or failed), 2 bad
// usage or a target the command refuses.
const (
	exitOK       = 0
	exitProblems = 1
	exitUsage    = 2
)

// maintainFlags are the options every maintenance command takes.
type maintainFlags struct {
	fs       *flag.FlagSet
	config   *string
	batch    *int
	rate     *float64
	dryRun   *bool
	json     *bool
	lockWait *time.Duration
}

func newMaintainFlags(name, usage string, stdout, stderr io.Writer) *maintainFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return &maintainFlags{
		fs:       fs,
		config:   fs.String("config", "sidecar.yaml", "config file"),
		batch:    fs.Int("batch", maintain.DefaultBatch, "rows per primary-key batch"),
		rate:     fs.Float64("rate", 0, "at most this many rows scanned per second (0: no limit)"),
		dryRun:   fs.Bool("dry-run", false, "check and report, write nothing"),
		json:     fs.Bool("json", false, "print the findings and the summary as one JSON document on stdout"),
		lockWait: fs.Duration("lock-wait", maintain.DefaultLockWaitTimeout, "innodb_lock_wait_timeout of the command's connections (a shard's lock_wait_timeout wins)"),
	}
}

// parse parses args; ok false means return status.
func (m *maintainFlags) parse(args []string, stdout io.Writer) (status int, ok bool) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			m.fs.SetOutput(stdout) // asked for: not an error
			m.fs.Usage()
			return exitOK, false
		}
	}
	if err := m.fs.Parse(args); err != nil {
		return exitUsage, false
	}
	if m.fs.NArg() > 0 {
		fmt.Fprintf(m.fs.Output(), "sidecar %s: unexpected arguments: %v\n", m.fs.Name(), m.fs.Args())
		return exitUsage, false
	}
	if *m.batch <= 0 || *m.rate < 0 {
		fmt.Fprintf(m.fs.Output(), "sidecar %s: -batch must be positive and -rate not negative\n", m.fs.Name())
		return exitUsage, false
	}
	return 0, true
}

// runBackfill is `sidecar backfill …`.
func runBackfill(args []string, stdout, stderr io.Writer) int {
	m := newMaintainFlags("backfill", backfillUsage, stdout, stderr)
	table := m.fs.String("table", "", "KEYSPACE.TABLE")
	column := m.fs.String("column", "", "the column to fill")
	if status, ok := m.parse(args, stdout); !ok {
		return status
	}
	if *table == "" || *column == "" {
		fmt.Fprintln(stderr, "sidecar backfill: -table and -column are required")
		m.fs.Usage()
		return exitUsage
	}
	return m.run(stdout, stderr, func(ctx context.Context, topo *conf.Topology, o maintain.Options) (*maintain.Summary, error) {
		return maintain.Backfill(ctx, topo, maintain.BackfillOptions{Table: *table, Column: *column, Options: o})
	})
}

// runLookup is `sidecar lookup backfill|check …`.
func runLookup(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "backfill" && args[0] != "check") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, lookupUsage)
			return exitOK
		}
		fmt.Fprint(stderr, lookupUsage)
		return exitUsage
	}
	sub := args[0]
	m := newMaintainFlags("lookup "+sub, lookupUsage, stdout, stderr)
	vindexName := m.fs.String("vindex", "", "KEYSPACE.VINDEX: the lookup vindex")
	var repair *bool
	if sub == "check" {
		repair = m.fs.Bool("repair", false, "create missing lookup rows, fix mismatched ones, delete orphans")
	}
	if status, ok := m.parse(args[1:], stdout); !ok {
		return status
	}
	if *vindexName == "" {
		fmt.Fprintf(stderr, "sidecar lookup %s: -vindex is required\n", sub)
		m.fs.Usage()
		return exitUsage
	}
	return m.run(stdout, stderr, func(ctx context.Context, topo *conf.Topology, o maintain.Options) (*maintain.Summary, error) {
		lo := maintain.LookupOptions{Vindex: *vindexName, Options: o}
		if sub == "backfill" {
			return maintain.LookupBackfill(ctx, topo, lo)
		}
		lo.Repair = *repair
		return maintain.LookupCheck(ctx, topo, lo)
	})
}

type job func(ctx context.Context, topo *conf.Topology, o maintain.Options) (*maintain.Summary, error)

// run loads the config, runs the job until it ends or SIGINT/SIGTERM stops
// it (after its current batch: what is done stays done), and prints the
// findings (one line each, on stdout, as they are settled) and the summary
// (on stderr), or with -json one document on stdout.
func (m *maintainFlags) run(stdout, stderr io.Writer, j job) int {
	name := "sidecar " + m.fs.Name()
	cfg, err := loadInForce(*m.config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblems
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var findings []maintain.Finding
	bar := newBar(stderr, m.fs.Name())
	o := maintain.Options{
		Batch: *m.batch, Rate: *m.rate, DryRun: *m.dryRun, LockWaitTimeout: *m.lockWait,
		Report: func(f maintain.Finding) {
			if *m.json {
				findings = append(findings, f)
				return
			}
			if bar != nil {
				bar.b.Clear()
			}
			fmt.Fprintln(stdout, f.String())
		},
	}
	if bar != nil {
		o.Progress = bar
	}
	sum, err := j(ctx, cfg.Topology, o)
	if bar != nil {
		bar.b.Finish()
		fmt.Fprintln(stderr)
	}
	if sum == nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage // refused before it started
	}
	if *m.json {
		doc := struct {
			Summary  *maintain.Summary  `json:"summary"`
			Findings []maintain.Finding `json:"findings"`
			Error    string             `json:"error,omitempty"`
		}{Summary: sum, Findings: findings}
		if doc.Findings == nil {
			doc.Findings = []maintain.Finding{}
		}
		if err != nil {
			doc.Error = err.Error()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
	} else {
		fmt.Fprintln(stderr, sum.String())
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitProblems
	}
	if sum.Problems > 0 || sum.Interrupted {
		return exitProblems
	}
	return exitOK
}

// bar is the progress bar, drawn on stderr when it is a terminal.
type bar struct {
	b        *progressbar.ProgressBar
	n, total int64
}

func newBar(stderr io.Writer, desc string) *bar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &bar{b: progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)}
}

// SetTotal takes the servers' row estimate (0: unknown, a spinner).
func (p *bar) SetTotal(rows int64) {
	p.total = rows
	if rows > 0 {
		p.b.ChangeMax64(rows)
	}
}

// Add moves the bar; past an estimate that was too low, the total grows.
func (p *bar) Add(rows int) {
	p.n += int64(rows)
	if p.total > 0 && p.n > p.total {
		p.total = p.n + p.n/10
		p.b.ChangeMax64(p.total)
	}
	_ = p.b.Add(rows)
}
