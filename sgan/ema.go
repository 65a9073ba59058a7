package sgan

import (
	"github.com/semigan/semigan/layers"
)

// ema keeps an exponential moving average of parameters (Polyak averaging,
// as in the code of Salimans et al. 2016). The average, not the live
// weights, is what evaluation and prediction use.
type ema struct {
	params []*layers.Param
	avg    [][]float32
	index  map[*layers.Param]int
	decay  float64
	t      int
}

func newEMA(params []*layers.Param, decay float64) *ema {
	e := &ema{params: params, decay: decay, index: make(map[*layers.Param]int, len(params))}
	for i, p := range params {
		e.avg = append(e.avg, append([]float32(nil), p.Value.Data().([]float32)...))
		e.index[p] = i
	}
	return e
}

// update folds the current weights into the average. The decay warms up
// as min(decay, (1+t)/(10+t)) so that early averages are not dominated by
// the random initialisation.
func (e *ema) update() {
	e.t++
	d := min(e.decay, float64(1+e.t)/float64(10+e.t))
	fd, fw := float32(d), float32(1-d)
	for i, p := range e.params {
		w := p.Value.Data().([]float32)
		a := e.avg[i]
		for j := range a {
			a[j] = fd*a[j] + fw*w[j]
		}
	}
}

// averageOf returns the average of p, or nil if e is nil or does not
// track p.
func (e *ema) averageOf(p *layers.Param) []float32 {
	if e == nil {
		return nil
	}
	if i, ok := e.index[p]; ok {
		return e.avg[i]
	}
	return nil
}

// reset restarts the average from the current weights.
func (e *ema) reset() {
	e.t = 0
	for i, p := range e.params {
		copy(e.avg[i], p.Value.Data().([]float32))
	}
}
