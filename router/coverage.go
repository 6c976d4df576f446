package router

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"switchboard/workforce"
)

// CoverageRow compares the agents a queue's channel needs in an interval
// with those scheduled.
type CoverageRow struct {
	Start    time.Time `json:"start"`
	Contacts float64   `json:"contacts"`
	Required float64   `json:"required_fractional"`
	// Scheduled counts each eligible agent's working share of the interval,
	// divided evenly among the queues it serves (an agent on two queues
	// counts half on each; the simulation will weigh them by what they do).
	Scheduled float64 `json:"scheduled"`
	Gap       float64 `json:"gap"` // scheduled − required: negative is understaffed
	// Forecast is where the demand came from: uploaded, seasonal_average, or
	// none (unknown: required and gap mean nothing then).
	Forecast string `json:"forecast"`
}

// MarshalJSON writes an interval without a forecast with required and gap
// null: its demand is unknown, which is not zero.
func (r CoverageRow) MarshalJSON() ([]byte, error) {
	type row CoverageRow
	out := struct {
		row
		Required *float64 `json:"required_fractional"`
		Gap      *float64 `json:"gap"`
	}{row: row(r)}
	if r.Forecast != "none" {
		out.Required, out.Gap = &r.Required, &r.Gap
	}
	return json.Marshal(out)
}

// Coverage returns required vs scheduled agents for a queue and channel:
// required by Erlang C from the forecast and the target, scheduled from the
// agents' schedules.
func (r *Planning) Coverage(ctx context.Context, queue, channel string, from, to time.Time, minutes int, target workforce.Target, shrinkage float64) ([]CoverageRow, error) {
	fc, err := r.Forecast(ctx, queue, channel, from, to, minutes, 4)
	if err != nil {
		return nil, err
	}
	if err := target.Validate(); err != nil {
		return nil, fieldError("target", err.Error())
	}
	agents, err := r.agents.Agents(ctx)
	if err != nil {
		return nil, err
	}
	type worker struct {
		share float64
		sched *workforce.Schedule
	}
	var workers []worker
	for _, a := range agents {
		if a.State.Capacity[channel] == 0 || !slices.Contains(a.State.Queues, queue) {
			continue
		}
		s, err := r.loadSchedule(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if s != nil {
			workers = append(workers, worker{share: 1 / float64(len(a.State.Queues)), sched: s})
		}
	}
	size := time.Duration(minutes) * time.Minute
	rows := make([]CoverageRow, 0, len(fc))
	for _, f := range fc {
		row := CoverageRow{Start: f.Start, Contacts: f.Contacts, Forecast: f.Source}
		if f.Contacts > 0 && f.AHTSeconds > 0 {
			req, err := workforce.StaffErlangC(ctx, workforce.Load{Contacts: f.Contacts, Interval: size.Seconds(), AHT: f.AHTSeconds}, target)
			if err != nil {
				return nil, err
			}
			row.Required = req.Fractional / (1 - shrinkage)
		}
		for _, w := range workers {
			for _, iv := range w.sched.Expand(f.Start, f.Start.Add(size)) {
				if iv.Activity == workforce.Work {
					row.Scheduled += w.share * iv.End.Sub(iv.Start).Seconds() / size.Seconds()
				}
			}
		}
		row.Gap = row.Scheduled - row.Required
		rows = append(rows, row)
	}
	return rows, nil
}

// Chart says how to draw a coverage chart: the zone its times are read in
// and the shrinkage the requirement includes.
type Chart struct {
	Title     string
	Loc       *time.Location
	Shrinkage float64
}

// CoverageSVG draws scheduled agents as bars and the requirement as a line,
// on whole-agent ticks, with times in the chart's zone (dates where a chart
// spans days); intervals without a forecast are drawn grey as unknown.
func CoverageSVG(c Chart, rows []CoverageRow) string {
	const w, h, left, bottom, top = 960.0, 360.0, 56.0, 44.0, 30.0
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	peak := 1.0
	for _, r := range rows {
		peak = math.Max(peak, math.Max(r.Required, r.Scheduled))
	}
	step := math.Max(1, math.Ceil(peak/5))
	peak = step * math.Ceil(peak/step)
	plotW, plotH := w-left-10, h-top-bottom
	x := func(i int) float64 { return left + plotW*float64(i)/float64(max(len(rows), 1)) }
	y := func(v float64) float64 { return top + plotH*(1-v/peak) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14">%s</text>`, left, escape(c.Title))
	for v := 0.0; v <= peak; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%.0f</text>`,
			left, w-10, y(v), y(v), left-4, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">agents</text>`, top+plotH/2)
	multiDay := len(rows) > 0 && rows[0].Start.In(loc).YearDay() != rows[len(rows)-1].Start.In(loc).YearDay()
	bw := plotW / float64(max(len(rows), 1))
	var line []string
	for i, r := range rows {
		at := r.Start.In(loc)
		color, what := "#6baed6", fmt.Sprintf("scheduled %.2f, required %.2f", r.Scheduled, r.Required)
		switch {
		case r.Forecast == "none":
			color, what = "#bdbdbd", fmt.Sprintf("scheduled %.2f, required unknown (no forecast)", r.Scheduled)
		case r.Gap < 0:
			color = "#fb6a4a" // understaffed
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s</title></rect>`,
			x(i)+1, y(r.Scheduled), math.Max(bw-2, 1), y(0)-y(r.Scheduled), color, at.Format("Mon 02 Jan 15:04"), what)
		if r.Forecast != "none" {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(i)+bw/2, y(r.Required)))
		} else if len(line) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="#08306b" stroke-width="2" points="%s"/>`, strings.Join(line, " "))
			line = nil
		}
		if len(rows) <= 48 || i%(len(rows)/24+1) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x(i)+bw/2, h-bottom+14, at.Format("15:04"))
		}
		if multiDay && (i == 0 || at.YearDay() != rows[i-1].Start.In(loc).YearDay()) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, x(i)+1, h-bottom+27, at.Format("Mon 02 Jan"))
		}
	}
	if len(line) > 0 {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#08306b" stroke-width="2" points="%s"/>`, strings.Join(line, " "))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">bars: scheduled agents (red: below requirement; grey: no forecast, unknown) · line: agents required, %.0f %% shrinkage included · times %s</text>`,
		left, h-4, 100*c.Shrinkage, escape(loc.String()))
	b.WriteString(`</svg>`)
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
