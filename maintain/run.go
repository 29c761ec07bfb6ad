package maintain

import (
	"context"
	"fmt"
	"time"
)

// DefaultBatch is the number of rows read, locked and written together.
const DefaultBatch = 500

// Options are what every job takes.
type Options struct {
	// Batch is the number of rows per primary-key batch (DefaultBatch if 0).
	Batch int
	// Rate bounds the rows scanned per second (0: as fast as the shards go),
	// so a job on a live database leaves the applications their share.
	Rate float64
	// DryRun reads, checks and reports, and writes nothing; Changed then
	// counts the rows that would change.
	DryRun bool
	// LockWaitTimeout is the tool's innodb_lock_wait_timeout (a shard's
	// lock_wait_timeout in the config wins); DefaultLockWaitTimeout if 0.
	LockWaitTimeout time.Duration
	// Progress, if set, is told the estimated total and each batch scanned.
	Progress Progress
	// Report, if set, receives each finding once it is settled (after the
	// batch that found it committed).
	Report func(Finding)
}

// Progress follows a job: the cmd draws a progress bar with it.
type Progress interface {
	SetTotal(rows int64) // an estimate: the servers' row counts
	Add(rows int)
}

// Summary is what a job did.
type Summary struct {
	Command string `json:"command"`
	Target  string `json:"target"`
	DryRun  bool   `json:"dry_run"`
	// Scanned counts the rows read (owner rows, and lookup rows for a check).
	Scanned int64 `json:"scanned"`
	// Changed counts rows written (or, with DryRun, that would be).
	Changed int64 `json:"changed"`
	// Findings counts every finding reported; Problems those that leave the
	// data inconsistent (the exit status is 1 when there is any).
	Findings      int64   `json:"findings"`
	Problems      int64   `json:"problems"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`
	// Interrupted: the job stopped early (its context was cancelled); what
	// it did is committed, and running it again carries on.
	Interrupted bool `json:"interrupted,omitempty"`
}

// String is the one-line summary printed at the end.
func (s *Summary) String() string {
	changed := "changed"
	if s.DryRun {
		changed = "would change"
	}
	out := fmt.Sprintf("%s %s: %d rows scanned, %d %s, %d %s, %d %s in %.1fs (%.0f rows/s)",
		s.Command, s.Target, s.Scanned, s.Changed, changed, s.Findings, plural(s.Findings, "finding"),
		s.Problems, plural(s.Problems, "problem"), s.Seconds, s.RowsPerSecond)
	if s.Interrupted {
		out += "; interrupted: run it again to carry on"
	}
	return out
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// run is the state every job shares: options, summary, throttle.
type run struct {
	opts     Options
	sum      Summary
	start    time.Time
	throttle throttle
}

func newRun(command, target string, opts Options) *run {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.LockWaitTimeout <= 0 {
		opts.LockWaitTimeout = DefaultLockWaitTimeout
	}
	now := time.Now()
	return &run{
		opts:     opts,
		sum:      Summary{Command: command, Target: target, DryRun: opts.DryRun},
		start:    now,
		throttle: throttle{rate: opts.Rate, start: now, now: time.Now, sleep: sleepCtx},
	}
}

// scanned counts a batch read, moves the progress bar and waits as long as
// the rate asks.
func (r *run) scanned(ctx context.Context, n int) error {
	r.sum.Scanned += int64(n)
	if r.opts.Progress != nil {
		r.opts.Progress.Add(n)
	}
	return r.throttle.wait(ctx, n)
}

func (r *run) report(fs ...Finding) {
	for _, f := range fs {
		r.sum.Findings++
		if f.Problem {
			r.sum.Problems++
		}
		if r.opts.Report != nil {
			r.opts.Report(f)
		}
	}
}

// finish completes the summary; err is the job's error, if any.
func (r *run) finish(ctx context.Context, err error) (*Summary, error) {
	r.sum.Seconds = time.Since(r.start).Seconds()
	if r.sum.Seconds > 0 {
		r.sum.RowsPerSecond = float64(r.sum.Scanned) / r.sum.Seconds
	}
	if ctx.Err() != nil {
		r.sum.Interrupted = true
		return &r.sum, nil
	}
	return &r.sum, err
}

// retryAttempts bounds how often one batch is tried.
const retryAttempts = 8

// retry runs f until it succeeds or fails with an error that trying again
// cannot cure. After a failure every transaction of sets is rolled back, so
// a batch starts again from nothing: its changes are all-or-nothing per
// shard and idempotent.
func (r *run) retry(ctx context.Context, f func() error, sets ...*connSet) error {
	var err error
	for attempt := range retryAttempts {
		if err = f(); err == nil {
			return nil
		}
		for _, s := range sets {
			s.rollback()
		}
		if !retryable(err) {
			return err
		}
		if serr := sleepCtx(ctx, time.Duration(attempt+1)*50*time.Millisecond); serr != nil {
			return serr
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", retryAttempts, err)
}

// throttle keeps the average rate of rows at or below rate since start.
type throttle struct {
	rate  float64 // rows per second; <= 0: no limit
	start time.Time
	n     int64
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// wait counts n more rows and sleeps until they are within the rate.
func (t *throttle) wait(ctx context.Context, n int) error {
	t.n += int64(n)
	if t.rate <= 0 {
		return nil
	}
	due := t.start.Add(time.Duration(float64(t.n) / t.rate * float64(time.Second)))
	if d := due.Sub(t.now()); d > 0 {
		return t.sleep(ctx, d)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
