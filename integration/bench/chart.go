package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barSeries is one set of bars, one slot per workload: a slot without a bar has value 0 and an
// empty label.
type barSeries struct {
	vals   plotter.Values
	labels plotter.XYLabels
	color  color.Color
	offset vg.Length // from the workload's tick
}

// add puts the bar of workload i: ratio, or no bar and "failed"/"n/a".
func (s *barSeries) add(i int, ratio float64, failed, missing bool, suffix string) {
	v, text := ratio, fmt.Sprintf("%.2f×", ratio)
	switch {
	case failed:
		v, text = 0, "failed"
	case missing || ratio == 0:
		v, text = 0, "n/a"
	}
	s.vals = append(s.vals, v)
	s.labels.XYs = append(s.labels.XYs, plotter.XY{X: float64(i), Y: v})
	s.labels.Labels = append(s.labels.Labels, text+suffix)
}

// skip leaves workload i's slot empty.
func (s *barSeries) skip(i int) {
	s.vals = append(s.vals, 0)
	s.labels.XYs = append(s.labels.XYs, plotter.XY{X: float64(i)})
	s.labels.Labels = append(s.labels.Labels, "")
}

// writeChart draws the sidecar/direct throughput ratio (events/s, medians) of each workload as a
// bar (relay/direct for the reference workload), with the 0.5× target and parity as dashed lines; a
// failed workload gets no bar and a "failed" label. A workload ProxySQL ran in gets a second bar
// beside it, ProxySQL/direct.
func writeChart(r *Report, path string) error {
	p := plot.New()
	what := "sidecar"
	if r.withProxySQL() {
		what = "sidecar and ProxySQL"
	}
	p.Title.Text = fmt.Sprintf("%s ÷ direct MariaDB, events/s (median of %d × %s, %d threads)",
		what, r.Settings.Repeats, r.Settings.Duration, r.Settings.Threads)
	p.Y.Label.Text = "ratio"
	p.Y.Min = 0

	blue := color.RGBA{R: 0x3b, G: 0x75, B: 0xaf, A: 0xff}
	width := vg.Points(36)
	if r.withProxySQL() {
		width = vg.Points(26)
	}
	// The sidecar's bar is centred on the tick, or left of it when ProxySQL's is to its right.
	paired := &barSeries{color: blue, offset: -width / 2}
	alone := &barSeries{color: blue}
	px := &barSeries{color: color.RGBA{R: 0xe3, G: 0x8d, B: 0x2c, A: 0xff}, offset: width / 2}
	var names []string
	for i, res := range r.Results {
		names = append(names, res.Name)
		suffix := ""
		if res.Via == "relay" {
			suffix = " (bare relay)"
		}
		sc := alone
		if res.ProxySQL != nil || res.ProxySQLErr != "" {
			sc = paired
			alone.skip(i)
			px.add(i, res.ProxySQLRatio, res.ProxySQLErr != "", res.DirectErr != "", "")
		} else {
			paired.skip(i)
			px.skip(i)
		}
		sc.add(i, res.Ratio, res.SidecarErr != "", res.DirectErr != "", suffix)
	}
	if len(names) == 0 {
		names = []string{"(no workloads)"}
		alone.skip(0)
	}
	ymax := 1.1
	if r.withProxySQL() {
		ymax = 1.2 // room for the second legend line above parity
	}
	all := []*barSeries{alone}
	if r.withProxySQL() && len(r.Results) > 0 {
		all = append(all, paired, px)
	}
	for _, s := range all {
		for _, v := range s.vals {
			ymax = max(ymax, v*1.15)
		}
	}
	p.Y.Max = ymax

	for _, s := range all {
		bars, err := plotter.NewBarChart(s.vals, width)
		if err != nil {
			return err
		}
		bars.Color, bars.Offset = s.color, s.offset
		bars.LineStyle.Width = 0
		p.Add(bars)
		lab, err := plotter.NewLabels(s.labels)
		if err != nil {
			return err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].XAlign = draw.XCenter
			lab.TextStyle[i].YAlign = draw.YBottom
		}
		lab.Offset = vg.Point{X: s.offset, Y: vg.Points(3)}
		p.Add(lab)
	}
	p.NominalX(names...)
	// Slanted names: the long ones (point_select_text_1server) would overlap their neighbours.
	p.X.Tick.Label.Rotation = math.Pi / 12
	p.X.Tick.Label.XAlign = draw.XRight

	for _, ref := range []struct {
		y     float64
		color color.Color
	}{{0.5, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}, {1, color.Gray{Y: 0x60}}} {
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: ref.y}, {X: float64(len(names)) - 0.5, Y: ref.y}})
		if err != nil {
			return err
		}
		l.Color = ref.color
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
	}

	p.Legend.Top = true
	p.Legend.Add("0.5× target (dashed red), 1× parity (dashed grey)")
	if r.withProxySQL() {
		p.Legend.Add("blue: sidecar ÷ direct, orange: ProxySQL ÷ direct")
	}
	return p.Save(vg.Length(max(6, 1.3*float64(len(names))))*vg.Inch, 4*vg.Inch, path)
}
