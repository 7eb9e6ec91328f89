package ui

import (
	"fmt"
	"math"
	"time"

	"github.com/paywarden/paywarden"
)

// A chart is an SVG drawn on the server: the template writes one element
// per bar and label. Colours come from classes in the stylesheet, never
// from style attributes, which the Content-Security-Policy forbids.
type chart struct {
	Title         string
	Width, Height float64 // the viewBox
	Bars          []bar
	Labels        []label
	Lines         []line
	Legend        []legend
	Empty         bool
	// Wide charts are drawn smaller to fit: their labels are set larger.
	Wide bool
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string // the tooltip, also read by screen readers
}

type label struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle, end
}

type line struct{ X1, Y1, X2, Y2 float64 }

type legend struct{ Class, Text string }

// Plot area of every chart.
const (
	marginLeft   = 100.0
	marginTop    = 10.0
	marginBottom = 30.0
	plotHeight   = 180.0
)

// statusOrder is how event statuses stack, bottom up.
var statusOrder = []paywarden.EventStatus{
	paywarden.EventProcessed, paywarden.EventPending, paywarden.EventFailed, paywarden.EventDead, paywarden.EventQuarantined,
}

// eventChart stacks the events received each minute by status, over the
// minutes from from.
func eventChart(counts []paywarden.EventCount, from time.Time, minutes int) *chart {
	perMinute := make([]map[paywarden.EventStatus]int, minutes)
	peak := 0
	for _, c := range counts {
		i := int(c.Start.Sub(from) / time.Minute)
		if i < 0 || i >= minutes {
			continue
		}
		if perMinute[i] == nil {
			perMinute[i] = map[paywarden.EventStatus]int{}
		}
		perMinute[i][c.Status] += c.Count
		total := 0
		for _, n := range perMinute[i] {
			total += n
		}
		peak = max(peak, total)
	}
	width := float64(minutes)
	ch := &chart{Title: "Events received per minute, last 24 hours, by current status",
		Width: marginLeft + width + 30, Height: marginTop + plotHeight + marginBottom, Empty: peak == 0, Wide: true}
	for _, s := range statusOrder {
		ch.Legend = append(ch.Legend, legend{Class: "s-" + string(s), Text: string(s)})
	}
	top := niceCeil(float64(peak))
	scale := plotHeight / top
	for i, m := range perMinute {
		y := marginTop + plotHeight
		for _, s := range statusOrder {
			if n := m[s]; n > 0 {
				h := float64(n) * scale
				y -= h
				at := from.Add(time.Duration(i) * time.Minute).UTC().Format("15:04")
				ch.Bars = append(ch.Bars, bar{X: marginLeft + float64(i), Y: y, W: 1, H: h,
					Class: "s-" + string(s), Title: fmt.Sprintf("%s: %d %s", at, n, s)})
			}
		}
	}
	ch.yAxis(0, top, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	for h := 0; h <= minutes/60; h += 3 {
		x := marginLeft + float64(h*60)
		ch.Labels = append(ch.Labels, label{X: x, Y: marginTop + plotHeight + 18, Anchor: "middle",
			Text: from.Add(time.Duration(h) * time.Hour).UTC().Format("15:04")})
	}
	return ch
}

// series is one kind of bar in a grouped bar chart.
type series struct{ Name, Class string }

// group is one cluster of bars: one value per series.
type group struct {
	Label  string
	Values []int64
}

// barChart draws grouped bars, negative values below the axis; format
// prints a value for the axis and tooltips.
func barChart(title string, ss []series, gs []group, format func(int64) string) *chart {
	lo, hi := 0.0, 0.0
	for _, g := range gs {
		for _, v := range g.Values {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
	}
	const barW, gap, minGroupW, minPlotW = 14.0, 16.0, 90.0, 480.0
	barsW := float64(len(ss)) * barW
	groupW := max(barsW+gap, minGroupW) // room for the group's label
	ch := &chart{Title: title, Width: marginLeft + max(groupW*float64(len(gs)), minPlotW) + 10,
		Height: marginTop + plotHeight + marginBottom, Empty: lo == 0 && hi == 0}
	for _, s := range ss {
		ch.Legend = append(ch.Legend, legend{Class: s.Class, Text: s.Name})
	}
	if hi > 0 {
		hi = niceCeil(hi)
	}
	if lo < 0 {
		lo = -niceCeil(-lo)
	}
	if hi == lo {
		hi = 1
	}
	scale := plotHeight / (hi - lo)
	zero := marginTop + hi*scale
	for i, g := range gs {
		x0 := marginLeft + float64(i)*groupW + (groupW-barsW)/2
		for j, v := range g.Values {
			h := math.Abs(float64(v)) * scale
			y := zero - h
			if v < 0 {
				y = zero
			}
			ch.Bars = append(ch.Bars, bar{X: x0 + float64(j)*barW, Y: y, W: barW - 2, H: h,
				Class: ss[j].Class, Title: fmt.Sprintf("%s %s: %s", g.Label, ss[j].Name, format(v))})
		}
		ch.Labels = append(ch.Labels, label{X: x0 + barsW/2, Y: marginTop + plotHeight + 18,
			Anchor: "middle", Text: g.Label})
	}
	ch.yAxis(lo, hi, func(v float64) string { return format(int64(v)) })
	ch.Lines = append(ch.Lines, line{X1: marginLeft, Y1: zero, X2: ch.Width - 10, Y2: zero})
	return ch
}

// yAxis labels the bottom, top and middle of the value range, or zero
// when the range crosses it.
func (ch *chart) yAxis(lo, hi float64, format func(float64) string) {
	mid := (lo + hi) / 2
	if lo < 0 {
		mid = 0
	}
	for _, v := range []float64{lo, mid, hi} {
		y := marginTop + plotHeight - (v-lo)/(hi-lo)*plotHeight
		ch.Labels = append(ch.Labels, label{X: marginLeft - 6, Y: y + 4, Anchor: "end", Text: format(v)})
	}
	ch.Lines = append(ch.Lines, line{X1: marginLeft, Y1: marginTop, X2: marginLeft, Y2: marginTop + plotHeight})
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so that axis
// labels are round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
