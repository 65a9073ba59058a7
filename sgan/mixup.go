package sgan

import (
	"math"
	"math/rand/v2"
)

// mixup replaces the n labelled examples in x (n·f values) and their
// one-hot targets y (n·k values) by convex combinations of pairs (Zhang
// et al. 2018): example i becomes λ_i·x_i + (1−λ_i)·x_π(i) for a random
// permutation π, with λ_i ~ Beta(α, α) folded onto [½, 1] so that each
// mixed example stays closer to its own (MixMatch, Berthelot et al.
// 2019), and its target the same combination of the two one-hot rows.
// xTmp and yTmp are scratch copies of the sizes of x and y.
func mixup(x, y, xTmp, yTmp []float32, n, f, k int, alpha float64, rng *rand.Rand) {
	copy(xTmp, x)
	copy(yTmp, y)
	perm := rng.Perm(n)
	for i, j := range perm {
		lam := betaSample(alpha, rng)
		lam = max(lam, 1-lam)
		a, b := float32(lam), float32(1-lam)
		xi, xj := x[i*f:(i+1)*f], xTmp[j*f:(j+1)*f]
		for p := range xi {
			xi[p] = a*xi[p] + b*xj[p]
		}
		yi, yj := y[i*k:(i+1)*k], yTmp[j*k:(j+1)*k]
		for p := range yi {
			yi[p] = a*yi[p] + b*yj[p]
		}
	}
}

// betaSample draws from Beta(a, a) as G1/(G1+G2) for G1, G2 ~ Gamma(a, 1).
func betaSample(a float64, rng *rand.Rand) float64 {
	g1, g2 := gammaSample(a, rng), gammaSample(a, rng)
	if g1+g2 == 0 {
		return 0.5
	}
	return g1 / (g1 + g2)
}

// gammaSample draws from Gamma(a, 1) by Marsaglia and Tsang's method
// (2000); for a < 1 it draws Gamma(a+1, 1) and scales by U^(1/a).
func gammaSample(a float64, rng *rand.Rand) float64 {
	if a < 1 {
		u := rng.Float64()
		return gammaSample(a+1, rng) * math.Pow(u, 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
