package layers

import "gorgonia.org/tensor"

// Option configures a layer constructor. Each option says which
// constructors read it; the others ignore it.
type Option func(*options)

type options struct {
	dtype      tensor.Dtype
	noBias     bool
	biasInit   Init
	fixedScale bool
}

func buildOptions(opts []Option) options {
	o := options{dtype: tensor.Float32}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// WithDtype makes the layer's parameters of dtype dt, tensor.Float32 (the
// default) or tensor.Float64 (used by gradient checks). The graphs that use
// the layer must then carry the same dtype, including the Builder's
// (SetDtype) for Dropout and GaussianNoise. Read by every constructor with
// parameters; another dtype makes the constructor panic.
func WithDtype(dt tensor.Dtype) Option { return func(o *options) { o.dtype = dt } }

// WithoutBias drops the bias b of Dense and WNDense, and the shift β of
// BatchNorm (for a layer followed by one that has its own bias).
func WithoutBias() Option { return func(o *options) { o.noBias = true } }

// WithBiasInit sets the initialiser of the bias of Dense and WNDense and of
// BatchNorm's shift β (Zeros by default).
func WithBiasInit(init Init) Option { return func(o *options) { o.biasInit = init } }

// WithFixedScale makes the scale of WNDense (g) and of BatchNorm (γ) a
// non-trainable Param: it stays in Params and in state dicts, keeps its
// initial value (1) or the one set by data-dependent initialisation, and no
// optimiser updates it. This is the weight-normalised hidden layer and the
// gain-free batch norm of Salimans et al. (2016).
func WithFixedScale() Option { return func(o *options) { o.fixedScale = true } }
