package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// startProfile records a CPU profile of the sidecar for d through its admin endpoint
// (/debug/pprof/profile) into dir/NAME-repeatN.pprof; wait blocks until it is written and
// returns its path. Seconds are whole: pprof takes no fractions.
func startProfile(ctx context.Context, adminAddr, dir, name string, repeat int, d time.Duration) (wait func() (string, error)) {
	path := filepath.Join(dir, fmt.Sprintf("%s-repeat%d.pprof", name, repeat))
	done := make(chan error, 1)
	go func() {
		secs := max(1, int(d/time.Second))
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", adminAddr, secs)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("%s: %s", url, resp.Status)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return func() (string, error) { return path, <-done }
}
