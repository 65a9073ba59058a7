package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2D is a 2-D convolution layer over NCHW images, with PyTorch's
// semantics and weight layout: for x of shape (N, InC, H, W) it returns
// (N, OutC, OH, OW) with OH = (H + 2·Pad − Kernel)/Stride + 1 (OW likewise),
// computed by Convolve.
type Conv2D struct {
	Name        string
	InC, OutC   int
	Kernel      int    // square kernel size
	Stride, Pad int    // stride and zero padding on every side
	W           *Param // "<name>/W", (OutC, InC, Kernel, Kernel)
	B           *Param // "<name>/b", (OutC); nil if built WithoutBias
}

var _ Layer = (*Conv2D)(nil)

// NewConv2D returns a convolution layer named name from inC to outC channels
// with a kernel×kernel filter, the given stride and zero padding, W drawn by
// init (for example HeNormal(rng, 0.2) or Normal(rng, 0.02)) and b from
// WithBiasInit (zeros by default). Options: WithDtype, WithoutBias,
// WithBiasInit. For 28→14→7 use kernel 5, stride 2, pad 2 (or 4, 2, 1).
//
// NewConv2D panics if name is empty, if inC, outC, kernel or stride is not
// positive, if pad is negative, if init is nil or if the dtype is not
// float32 or float64.
func NewConv2D(name string, inC, outC, kernel, stride, pad int, init Init, opts ...Option) *Conv2D {
	mustName("NewConv2D", name)
	mustConvSizes("NewConv2D", name, inC, outC, kernel, stride, pad, init)
	o := buildOptions(opts)
	l := &Conv2D{Name: name, InC: inC, OutC: outC, Kernel: kernel, Stride: stride, Pad: pad}
	l.W = NewParam(name+"/W", tensor.Shape{outC, inC, kernel, kernel}, o.dtype, init, true)
	if !o.noBias {
		l.B = NewParam(name+"/b", tensor.Shape{outC}, o.dtype, o.biasInit, true)
	}
	return l
}

// Forward returns the convolution of x with W plus b. It fails if x is not
// (N, InC, H, W) of the layer's dtype or if the output would be empty.
func (l *Conv2D) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if err := checkInput(l.Name, x, l.W.Value.Dtype(), 4, 1, l.InC); err != nil {
		return nil, err
	}
	w, bias, err := bindConv(b, l.W, l.B)
	if err != nil {
		return nil, err
	}
	y, err := Convolve(x, w, bias, l.Stride, l.Pad)
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", l.Name, err)
	}
	return y, nil
}

// Params returns W and, if present, b.
func (l *Conv2D) Params() []*Param { return convParams(l.W, l.B) }

// ConvTranspose2D is a 2-D transposed convolution layer over NCHW images,
// with PyTorch's semantics and weight layout (ConvTranspose2d): for x of
// shape (N, InC, H, W) it returns (N, OutC, OH, OW) with
//
//	OH = (H − 1)·Stride − 2·Pad + Kernel + OutPad (OW likewise),
//
// computed by ConvolveTranspose. With stride 2, 7→14→28 is kernel 5, pad 2,
// output padding 1, or kernel 4, pad 1, output padding 0.
type ConvTranspose2D struct {
	Name        string
	InC, OutC   int
	Kernel      int    // square kernel size
	Stride, Pad int    // stride and padding (removed from each side)
	OutPad      int    // output padding, added at the bottom and right, in [0, Stride)
	W           *Param // "<name>/W", (InC, OutC, Kernel, Kernel)
	B           *Param // "<name>/b", (OutC); nil if built WithoutBias
}

var _ Layer = (*ConvTranspose2D)(nil)

// NewConvTranspose2D returns a transposed convolution layer named name from
// inC to outC channels with a kernel×kernel filter, the given stride,
// padding and output padding, W drawn by init and b from WithBiasInit (zeros
// by default). Options: WithDtype, WithoutBias, WithBiasInit. Fan-based
// initialisers read W's layout (InC, OutC, k, k) as a convolution filter, so
// their fan-in is OutC·k² (PyTorch does the same).
//
// NewConvTranspose2D panics if name is empty, if inC, outC, kernel or stride
// is not positive, if pad is negative, if outPad is not in [0, stride), if
// init is nil or if the dtype is not float32 or float64.
func NewConvTranspose2D(name string, inC, outC, kernel, stride, pad, outPad int, init Init, opts ...Option) *ConvTranspose2D {
	mustName("NewConvTranspose2D", name)
	mustConvSizes("NewConvTranspose2D", name, inC, outC, kernel, stride, pad, init)
	if outPad < 0 || outPad >= stride {
		panic(fmt.Sprintf("layers: NewConvTranspose2D %q: output padding %d not in [0, stride %d)", name, outPad, stride))
	}
	o := buildOptions(opts)
	l := &ConvTranspose2D{Name: name, InC: inC, OutC: outC, Kernel: kernel, Stride: stride, Pad: pad, OutPad: outPad}
	l.W = NewParam(name+"/W", tensor.Shape{inC, outC, kernel, kernel}, o.dtype, init, true)
	if !o.noBias {
		l.B = NewParam(name+"/b", tensor.Shape{outC}, o.dtype, o.biasInit, true)
	}
	return l
}

// Forward returns the transposed convolution of x with W plus b. It fails if
// x is not (N, InC, H, W) of the layer's dtype or if the output would be
// empty.
func (l *ConvTranspose2D) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if err := checkInput(l.Name, x, l.W.Value.Dtype(), 4, 1, l.InC); err != nil {
		return nil, err
	}
	w, bias, err := bindConv(b, l.W, l.B)
	if err != nil {
		return nil, err
	}
	y, err := ConvolveTranspose(x, w, bias, l.Stride, l.Pad, l.OutPad)
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", l.Name, err)
	}
	return y, nil
}

// Params returns W and, if present, b.
func (l *ConvTranspose2D) Params() []*Param { return convParams(l.W, l.B) }

// mustConvSizes panics on the programmer errors common to both constructors.
func mustConvSizes(ctor, name string, inC, outC, kernel, stride, pad int, init Init) {
	if inC <= 0 || outC <= 0 || kernel <= 0 || stride <= 0 {
		panic(fmt.Sprintf("layers: %s %q: non-positive size: channels %d→%d, kernel %d, stride %d", ctor, name, inC, outC, kernel, stride))
	}
	if pad < 0 {
		panic(fmt.Sprintf("layers: %s %q: negative padding %d", ctor, name, pad))
	}
	if init == nil {
		panic(fmt.Sprintf("layers: %s %q: nil initialiser", ctor, name))
	}
}

// bindConv binds a filter and an optional bias.
func bindConv(b *Builder, w, bias *Param) (wn, bn *G.Node, err error) {
	if wn, err = b.Bind(w); err != nil {
		return nil, nil, err
	}
	if bias != nil {
		if bn, err = b.Bind(bias); err != nil {
			return nil, nil, err
		}
	}
	return wn, bn, nil
}

func convParams(w, b *Param) []*Param {
	if b == nil {
		return []*Param{w}
	}
	return []*Param{w, b}
}
