package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Status of a figure or a scenario. A figure without an expectation has no status.
const (
	statusPass = "PASS"
	statusFail = "FAIL"
)

// figure is one measured value, with the expectation it is checked against, if any.
type figure struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Expect string `json:"expect,omitempty"` // e.g. "0", "100%", "<= 1000 ms"; "" for information only
	Status string `json:"status,omitempty"` // PASS or FAIL when Expect is set
}

// result is what one scenario produced.
type result struct {
	Num     int      `json:"num"`
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Status  string   `json:"status"`
	Error   string   `json:"error,omitempty"` // the scenario could not run to the end
	Elapsed string   `json:"elapsed"`
	Figures []figure `json:"figures"`
	// Notes are remarks that are not figures: error samples, the sidecar's warnings and errors.
	Notes []string `json:"notes,omitempty"`
}

// info adds a figure without an expectation.
func (r *result) info(name, format string, args ...any) {
	r.Figures = append(r.Figures, figure{Name: name, Value: fmt.Sprintf(format, args...)})
	logf("  %-58s %s", name, r.Figures[len(r.Figures)-1].Value)
}

// check adds a figure with its expectation and whether it was met.
func (r *result) check(name string, ok bool, expect, format string, args ...any) {
	st := statusFail
	if ok {
		st = statusPass
	}
	r.Figures = append(r.Figures, figure{Name: name, Value: fmt.Sprintf(format, args...), Expect: expect, Status: st})
	f := r.Figures[len(r.Figures)-1]
	logf("  %-58s %-28s expect %-12s %s", name, f.Value, f.Expect, f.Status)
}

// note adds a remark (printed at once and kept for the JSON file).
func (r *result) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.Notes = append(r.Notes, s)
	for _, l := range strings.Split(s, "\n") {
		logf("  | %s", l)
	}
}

// finish sets the scenario's status: FAIL if it did not run to the end or a figure failed.
func (r *result) finish(err error) {
	r.Status = statusPass
	if err != nil {
		r.Status, r.Error = statusFail, err.Error()
	}
	for _, f := range r.Figures {
		if f.Status == statusFail {
			r.Status = statusFail
		}
	}
}

// print writes the scenario's PASS/FAIL line.
func (r *result) print(w io.Writer) {
	if r.Error != "" {
		fmt.Fprintf(w, "stress: scenario %d (%s): error: %s\n", r.Num, r.Key, r.Error)
	}
	var failed []string
	for _, f := range r.Figures {
		if f.Status == statusFail {
			failed = append(failed, f.Name)
		}
	}
	line := fmt.Sprintf("stress: --- %s: scenario %d (%s) in %s", r.Status, r.Num, r.Key, r.Elapsed)
	if len(failed) > 0 {
		line += ": " + strings.Join(failed, "; ")
	}
	fmt.Fprintln(w, line)
}

// report is the whole run; it is also the JSON file.
type report struct {
	Date      string            `json:"date"`
	Machine   map[string]string `json:"machine"`
	Settings  map[string]string `json:"settings"`
	Scenarios []*result         `json:"scenarios"`
	Elapsed   string            `json:"elapsed"`
}

func newReport(o *options) *report {
	r := &report{
		Date: time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Machine: map[string]string{
			"nproc":  fmt.Sprint(runtime.NumCPU()),
			"go":     runtime.Version(),
			"kernel": strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		},
		Settings: map[string]string{"command": strings.Join(os.Args, " ")},
	}
	if o.bin != "" {
		r.Settings["sidecar"] = o.bin
	} else {
		r.Settings["sidecar"] = "built from the working tree (go build ./cmd/sidecar)"
	}
	return r
}

func (r *report) passed() bool {
	for _, s := range r.Scenarios {
		if s.Status != statusPass {
			return false
		}
	}
	return true
}

// printTable prints every figure of every scenario, then one line per scenario.
func (r *report) printTable(w io.Writer) {
	fmt.Fprintf(w, "\nstress: %s, %s CPUs, total %s\n\n", r.Date, r.Machine["nproc"], r.Elapsed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFIGURE\tVALUE\tEXPECT\tSTATUS")
	for _, s := range r.Scenarios {
		name := fmt.Sprintf("%d %s", s.Num, s.Key)
		for _, f := range s.Figures {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, f.Name, f.Value, f.Expect, f.Status)
		}
		if s.Error != "" {
			msg := s.Error
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i] + " …"
			}
			fmt.Fprintf(tw, "%s\t(error)\t%s\t\t%s\n", name, msg, statusFail)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "%s  scenario %d (%s): %s, %s\n", s.Status, s.Num, s.Key, s.Title, s.Elapsed)
	}
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// pct formats ok/total as a percentage ("-" when there is nothing to divide).
func pct(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(total))
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// mib formats KiB as MiB.
func mib(kib int64) string {
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}
