package sgan

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// evalLoss builds f on constant matrices and returns its value.
func evalLoss(t *testing.T, f func(in []*G.Node) (*G.Node, error), mats ...[][]float64) float64 {
	t.Helper()
	g := G.NewGraph()
	var in []*G.Node
	for i, m := range mats {
		r, c := len(m), len(m[0])
		var flat []float64
		for _, row := range m {
			flat = append(flat, row...)
		}
		v := tensor.New(tensor.WithShape(r, c), tensor.WithBacking(flat))
		in = append(in, G.NewMatrix(g, G.Float64, G.WithShape(r, c), G.WithName(string(rune('a'+i))), G.WithValue(v)))
	}
	out, err := f(in)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return out.Value().Data().(float64)
}

func lse(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

func softplus(x float64) float64 { return math.Log1p(math.Exp(x)) }

func TestLosses(t *testing.T) {
	lUnl := [][]float64{{1, 2, 3}, {-1, 0, 0.5}}
	lFake := [][]float64{{0.1, -2, 0.3}, {4, 1, -1}}
	onehot := [][]float64{{0, 0, 1}, {1, 0, 0}}

	// hand computations
	var sup, real, fake, ent float64
	for i, row := range lUnl {
		l := lse(row)
		for k := range row {
			sup -= onehot[i][k] * (row[k] - l)
			p := math.Exp(row[k] - l)
			ent -= p * (row[k] - l)
		}
		// −log D(x) with D = Z/(Z+1)
		z := math.Exp(l)
		real += -math.Log(z / (z + 1))
	}
	for _, row := range lFake {
		z := math.Exp(lse(row))
		fake += -math.Log(1 - z/(z+1))
	}
	n := float64(len(lUnl))
	sup, real, fake, ent = sup/n, real/n, fake/n, ent/n

	var cons float64
	for i := range lUnl {
		a, b := lse(lUnl[i]), lse(lFake[i])
		for k := range lUnl[i] {
			d := math.Exp(lUnl[i][k]-a) - math.Exp(lFake[i][k]-b)
			cons += d * d
		}
	}
	cons /= n

	// Mean Teacher: the probabilities of lUnl against fixed targets
	targets := [][]float64{{0.1, 0.2, 0.7}, {1, 0, 0}}
	var consT float64
	for i, row := range lUnl {
		a := lse(row)
		for k := range row {
			d := math.Exp(row[k]-a) - targets[i][k]
			consT += d * d
		}
	}
	consT /= n

	prior := []float64{0.2, 0.3, 0.5}
	var bal float64
	for k := range prior {
		var pm float64
		for _, row := range lUnl {
			pm += math.Exp(row[k]-lse(row)) / n
		}
		bal -= prior[k] * math.Log(pm+1e-6)
	}

	fr := [][]float64{{2, 3}} // mean of the real features
	ff := [][]float64{{0, 1}, {1, 1}}
	fm := (math.Pow(2-0.5, 2) + math.Pow(3-1, 2)) / 2

	for _, tc := range []struct {
		name string
		f    func(in []*G.Node) (*G.Node, error)
		mats [][][]float64
		want float64
	}{
		{"supervised", func(in []*G.Node) (*G.Node, error) { return supervisedLoss(in[0], in[1]) }, [][][]float64{lUnl, onehot}, sup},
		{"real", func(in []*G.Node) (*G.Node, error) { return realLoss(in[0]) }, [][][]float64{lUnl}, real},
		{"unsupervised", func(in []*G.Node) (*G.Node, error) { return unsupervisedLoss(in[0], in[1]) }, [][][]float64{lUnl, lFake}, 0.5*real + 0.5*fake},
		{"consistency", func(in []*G.Node) (*G.Node, error) { return consistencyLoss(in[0], in[1]) }, [][][]float64{lUnl, lFake}, cons},
		{"consistency to a teacher", func(in []*G.Node) (*G.Node, error) { return consistencyToTarget(in[0], in[1]) }, [][][]float64{lUnl, targets}, consT},
		{"entropy", func(in []*G.Node) (*G.Node, error) { return entropyLoss(in[0]) }, [][][]float64{lUnl}, ent},
		{"balance", func(in []*G.Node) (*G.Node, error) {
			p, err := G.Reshape(in[1], tensor.Shape{3})
			if err != nil {
				return nil, err
			}
			return balanceLoss(in[0], p)
		}, [][][]float64{lUnl, {prior}}, bal},
		{"feature matching", func(in []*G.Node) (*G.Node, error) {
			r, err := G.Reshape(in[0], tensor.Shape{2})
			if err != nil {
				return nil, err
			}
			return featureMatchingLoss(r, in[1])
		}, [][][]float64{fr, ff}, fm},
	} {
		got := evalLoss(t, tc.f, tc.mats...)
		if math.Abs(got-tc.want) > 1e-9*math.Max(1, math.Abs(tc.want)) {
			t.Errorf("%s: got %.12g, want %.12g", tc.name, got, tc.want)
		}
	}
	// softplus identity used by the losses, as a sanity check of the helper
	if d := softplus(0) - math.Log(2); math.Abs(d) > 1e-15 {
		t.Errorf("softplus(0) off by %g", d)
	}
}

func TestLossesLargeLogits(t *testing.T) {
	// LSE must not overflow: logits of 1000 give finite losses.
	big := [][]float64{{1000, 999, 998}, {-1000, 0, 1000}}
	for _, f := range []func(in []*G.Node) (*G.Node, error){
		func(in []*G.Node) (*G.Node, error) { return realLoss(in[0]) },
		func(in []*G.Node) (*G.Node, error) { return unsupervisedLoss(in[0], in[0]) },
		func(in []*G.Node) (*G.Node, error) { return entropyLoss(in[0]) },
		func(in []*G.Node) (*G.Node, error) {
			p := G.NewVector(in[0].Graph(), G.Float64, G.WithShape(3), G.WithName("prior"),
				G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{0.2, 0.3, 0.5}))))
			return balanceLoss(in[0], p)
		},
	} {
		if v := evalLoss(t, f, big); math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("loss on large logits is %v", v)
		}
	}
}
