package main

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writeChart draws the sidecar/direct throughput ratio (events/s, medians) of each workload as a
// bar (relay/direct for the reference workload), with the 0.5× target and parity as dashed lines; a failed workload gets no bar and a
// "failed" label.
func writeChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("sidecar ÷ direct MariaDB, events/s (median of %d × %s, %d threads)",
		r.Settings.Repeats, r.Settings.Duration, r.Settings.Threads)
	p.Y.Label.Text = "ratio"
	p.Y.Min = 0

	var vals plotter.Values
	var names []string
	var labels plotter.XYLabels
	ymax := 1.1
	for i, res := range r.Results {
		names = append(names, res.Name)
		v, text := res.Ratio, fmt.Sprintf("%.2f×", res.Ratio)
		switch {
		case res.SidecarErr != "":
			v, text = 0, "failed"
		case res.DirectErr != "" || res.Ratio == 0:
			v, text = 0, "n/a"
		}
		if res.Via == "relay" {
			text += " (bare relay)"
		}
		vals = append(vals, v)
		ymax = max(ymax, v*1.15)
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: v})
		labels.Labels = append(labels.Labels, text)
	}
	if len(vals) == 0 {
		vals, names = plotter.Values{0}, []string{"(no workloads)"}
		labels = plotter.XYLabels{XYs: []plotter.XY{{}}, Labels: []string{""}}
	}
	p.Y.Max = ymax

	bars, err := plotter.NewBarChart(vals, vg.Points(36))
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 0x3b, G: 0x75, B: 0xaf, A: 0xff}
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)

	for _, ref := range []struct {
		y     float64
		color color.Color
	}{{0.5, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}, {1, color.Gray{Y: 0x60}}} {
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: ref.y}, {X: float64(len(vals)) - 0.5, Y: ref.y}})
		if err != nil {
			return err
		}
		l.Color = ref.color
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
	}

	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].XAlign = draw.XCenter
		lab.TextStyle[i].YAlign = draw.YBottom
	}
	lab.Offset = vg.Point{Y: vg.Points(3)}
	p.Add(lab)

	p.Legend.Top = true
	p.Legend.Add("0.5× target (dashed red), 1× parity (dashed grey)")
	return p.Save(vg.Length(max(6, 1.3*float64(len(vals))))*vg.Inch, 4*vg.Inch, path)
}
