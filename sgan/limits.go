package sgan

import "fmt"

// Limits that Validate places on a Config, so that New and Load never try
// to build networks or training buffers that cannot fit in memory (a
// hostile checkpoint header, or a typo such as BatchSize 100000). They
// are far above what the built-in architectures are meant for.
const (
	// MaxParams is the most parameters the built-in networks of a
	// Config may hold together: 2^27 (134 million; 512 MiB of float32
	// weights, and about five times that with gradients, Adam's moments
	// and the weight average).
	MaxParams = 1 << 27
	// MaxStepBytes bounds the estimated activations of one training
	// step of the built-in networks, and those of one inference batch
	// (EvalBatch examples): 8 GiB. The estimate counts every layer's
	// output for the four batches of a discriminator step and the
	// generator step, three times (forward, gradient, scratch);
	// gorgonia's real use is a few times more.
	MaxStepBytes = 8 << 30
	// maxDim bounds each single size of a Config (classes, latent
	// dimension, widths, batch sizes, image sides and channels) so that
	// the estimates below cannot overflow.
	maxDim = 1 << 20
)

// MaxWeight is the largest weight magnitude a training step may leave:
// beyond it training has diverged (a sound network's weights are of order
// 1), and Step returns a *NonFiniteError before the losses overflow.
const MaxWeight = 1e6

// MaxInput is the largest input magnitude Step accepts. The built-in
// networks expect values near [−1, 1] (images scaled by the datasets
// loaders, tabular columns by datasets.RangeScaler).
const MaxInput = 1e6

// footprint estimates, for the built-in architectures of c, the number
// of parameters and the bytes of activations of one training step at
// batch size batch and of one inference batch. It uses float64 so that
// absurd sizes overflow nothing.
func (c ModelConfig) footprint(batch int) (params, stepBytes, evalBytes float64) {
	C, H, W := float64(c.Channels), float64(c.Height), float64(c.Width)
	F, K, B := C*H*W, float64(c.Classes), float64(batch)
	var dParams, dAct float64 // discriminator: parameters, activations per example
	if c.Arch == ArchConv && c.Height >= 5 && c.Width >= 5 {
		h1, w1 := convOut(c.Height, 5, 2, 2), convOut(c.Width, 5, 2, 2)
		h2, w2 := convOut(h1, 5, 2, 2), convOut(w1, 5, 2, 2)
		c1, c2 := float64(c.DiscWidth), 2*float64(c.DiscWidth)
		a1, a2 := c1*float64(h1*w1), c2*float64(h2*w2)
		dParams = 25*C*c1 + c1 + 25*c1*c2 + c2 + a2*K + K
		dAct = 2*F + 3*a1 + 2*a2 + K
	} else {
		dParams = F*1000 + 1000*500 + 500*250 + 2*250*250 + 250*K + 2*(1000+500+250+250+250+K)
		dAct = 2*F + 3*(1000+500+250+250+250) + K
	}
	var gParams, gAct float64
	if !c.SupervisedOnly {
		Z := float64(c.genInputDim())
		switch s := dcganStages(c.Height, c.Width); s {
		case 0: // dense generator: Z → 500 → 500 → F
			gParams = Z*500 + 500*500 + 500*F + F + 4*500
			gAct = 6*500 + 2*F
		default: // dense → c0 × H/2^s × W/2^s, then s transposed convolutions
			c0 := []float64{32, 64}[s-1]
			a0 := c0 * H * W / float64(int(1)<<(2*s))
			gParams = Z*a0 + 2*c0 + 25*c0*C + C
			gAct = 3*a0 + 2*F
			if s == 2 {
				gParams += 25*64*32 + 32 + 2*32
				gAct += 3 * 32 * H * W / 4
			}
		}
	}
	params = dParams + gParams
	perStep := 4*B*dAct + B*(gAct+dAct) // D step: labelled, two unlabelled views, fakes; G step
	stepBytes = 4 * 3 * perStep
	evalBytes = 4 * 3 * float64(c.EvalBatch) * dAct
	return params, stepBytes, evalBytes
}

// StepBytes estimates the bytes of activations that one training step
// of the built-in networks of c takes at batch size batch: the estimate
// that MaxStepBytes bounds, which counts every layer's output for the
// four batches of a discriminator step and the generator step three
// times (forward, gradient, scratch). Measured on MNIST's default model,
// the heap a step really takes is about 0.7 times it. Programs compare it
// with the memory they were given before training starts.
func (c ModelConfig) StepBytes(batch int) float64 {
	if batch <= 0 || batch > maxDim {
		return 0
	}
	_, step, _ := c.resolved().footprint(batch)
	return step
}

// checkSize reports the size errors of c with the built-in networks:
// parameters and the activations of an inference batch.
func (c ModelConfig) checkSize(check func(ok bool, format string, args ...any)) {
	params, _, eval := c.footprint(2)
	check(params <= MaxParams, "the networks of %s would hold about %s parameters, above the limit of %s (MaxParams)",
		c.describeShape(), human(params), human(MaxParams))
	check(eval <= MaxStepBytes, "an inference batch of %s at EvalBatch %d needs about %s of activations, above the limit of %s (MaxStepBytes): lower EvalBatch",
		c.describeShape(), c.EvalBatch, humanBytes(eval), humanBytes(MaxStepBytes))
}

// stepSizeErr reports a training step of t on m's built-in networks that
// would need more than MaxStepBytes.
func (m *Model) stepSizeErr(t TrainConfig) error { return checkStepSize(m.cfg, m.custom, t) }

// checkStepSize reports a training step of t on the built-in networks of
// c that would need more than MaxStepBytes (custom networks are the
// caller's).
func checkStepSize(c ModelConfig, custom bool, t TrainConfig) error {
	if custom || t.BatchSize <= 0 || t.BatchSize > maxDim {
		return nil
	}
	if _, step, _ := c.footprint(t.BatchSize); step > MaxStepBytes {
		return fmt.Errorf("sgan: train config: a training step of %s at BatchSize %d needs about %s of activations, above the limit of %s (MaxStepBytes): lower BatchSize or the image size",
			c.describeShape(), t.BatchSize, humanBytes(step), humanBytes(MaxStepBytes))
	}
	return nil
}

func (c ModelConfig) describeShape() string {
	return fmt.Sprintf("%d×%d×%d images, %d classes, arch %s", c.Channels, c.Height, c.Width, c.Classes, c.Arch)
}

func human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3g billion", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3g million", v/1e6)
	}
	return fmt.Sprintf("%.0f", v)
}

func humanBytes(v float64) string {
	switch {
	case v >= 1<<40:
		return fmt.Sprintf("%.3g TiB", v/(1<<40))
	case v >= 1<<30:
		return fmt.Sprintf("%.3g GiB", v/(1<<30))
	}
	return fmt.Sprintf("%.3g MiB", v/(1<<20))
}
