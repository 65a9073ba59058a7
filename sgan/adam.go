package sgan

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers"
)

// adam is the Adam optimiser (Kingma & Ba 2015) over a fixed list of
// parameters. Unlike gorgonia's solver, its moments are addressable by
// parameter name, so checkpoints can save and restore them and training
// resumes exactly.
type adam struct {
	name   string // "disc" or "gen": the prefix of its tensors in checkpoints
	params []*layers.Param
	m, v   [][]float32
	t      int     // steps taken
	lr     float64 // current learning rate
	beta1  float64
	beta2  float64
	eps    float64
}

// newAdam makes the optimiser.
func newAdam(name string, params []*layers.Param, lr, beta1, beta2, eps float64) *adam {
	a := &adam{name: name, params: params, lr: lr, beta1: beta1, beta2: beta2, eps: eps}
	for _, p := range params {
		n := p.Value.Shape().TotalSize()
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	return a
}

// step applies one update from the gradients accumulated in the dual
// values of nodes (the parameters' nodes in a training graph, in the
// order of the parameters), then zeroes those gradients.
func (a *adam) step(nodes G.Nodes) error {
	if len(nodes) != len(a.params) {
		return fmt.Errorf("sgan: adam %s: %d gradient nodes for %d parameters", a.name, len(nodes), len(a.params))
	}
	a.t++
	b1, b2 := a.beta1, a.beta2
	// bias corrections folded into the step size
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	alpha := float32(a.lr * math.Sqrt(c2) / c1)
	epsHat := float32(a.eps * math.Sqrt(c2))
	fb1, fb2 := float32(b1), float32(b2)

	grads := make([][]float32, len(a.params))
	for i, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("sgan: adam: gradient of %s: %w", a.params[i].Name, err)
		}
		gd, ok := gv.(*tensor.Dense)
		if !ok {
			return fmt.Errorf("sgan: adam: gradient of %s is %T, want *tensor.Dense", a.params[i].Name, gv)
		}
		g, ok := gd.Data().([]float32)
		if !ok {
			return fmt.Errorf("sgan: adam: gradient of %s is not float32", a.params[i].Name)
		}
		grads[i] = g
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				w := a.params[i].Value.Data().([]float32)
				g, m, v := grads[i], a.m[i], a.v[i]
				for j := range w {
					gj := g[j]
					mj := fb1*m[j] + (1-fb1)*gj
					vj := fb2*v[j] + (1-fb2)*gj*gj
					m[j], v[j] = mj, vj
					w[j] -= alpha * mj / (float32(math.Sqrt(float64(vj))) + epsHat)
					g[j] = 0
				}
			}
		}()
	}
	for i := range a.params {
		work <- i
	}
	close(work)
	wg.Wait()
	return nil
}

// zeroGrads clears the accumulated gradients without updating.
func zeroGrads(nodes G.Nodes) {
	for _, n := range nodes {
		if gv, err := n.Grad(); err == nil {
			if d, ok := gv.(*tensor.Dense); ok {
				d.Zero()
			}
		}
	}
}
