package sgan

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers"
)

// Checkpoint file layout (all integers little-endian):
//
//	magic    8 bytes  "SEMIGAN\x00"
//	version  uint32   checkpointVersion (1 and 2 are read too)
//	hdrLen   uint32   length of the JSON header
//	header   hdrLen bytes of JSON (checkpointHeader)
//	data     the tensors' float32 values, in header order
//	crc      uint32   CRC-32 (IEEE) of every byte before it
//
// The header has a model section (the ModelConfig, whether the model was
// built from custom networks, the weight average's step count) and an
// optional trainer section (the TrainConfig, its step and epoch counts,
// the optimisers' step counts and the training random state), as PyTorch
// keeps a model's and an optimiser's state apart. Every field has an
// explicit JSON name, and the reader refuses a field it does not know
// (naming it) rather than dropping it. Tensors are one name → values map,
// a state dict: the networks' parameters and state under their own names
// ("disc/...", "gen/..."), the weight average under "ema/<name>" (model
// section), and the optimisers' moments under "adam/<disc|gen>/m/<name>"
// and "adam/<disc|gen>/v/<name>" (trainer section). Model.Save writes the
// model section; Trainer.Save both.
//
// Versions 1 (one flat header, before the Model/Trainer split) and 2 (the
// two sections, each with the single Config of that time) are read and
// their configuration migrated (legacy.go); testdata holds a file of each.
const (
	checkpointMagic   = "SEMIGAN\x00"
	checkpointVersion = 3
	maxHeaderLen      = 64 << 20
	// maxCheckpointValues bounds the values a checkpoint may hold (16
	// GiB): parameters, Adam's two moments and the weight average of
	// networks of MaxParams, with room to spare.
	maxCheckpointValues = 8 * MaxParams
	// maxSteps bounds the counters a checkpoint may hold: 2^40 steps are
	// centuries of training, and far from overflow.
	maxSteps   = 1 << 40
	adamPrefix = "adam/"
	propPrefix = "propagation/" // the propagation term's labels and weights (trainer section)
	emaPrefix  = "ema/"
)

type tensorEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// modelSection is the header's description of the model.
type modelSection struct {
	Config   ModelConfig `json:"config"`
	Custom   bool        `json:"custom"` // built with NewWith: Load cannot rebuild it
	EMASteps int         `json:"ema_steps"`
	DataInit bool        `json:"data_init"` // trained, or data-initialised
}

// trainerSection is the header's description of a trainer's state.
type trainerSection struct {
	Config TrainConfig `json:"config"`
	trainerCounts
}

// trainerCounts are the trainer's counters and random state.
type trainerCounts struct {
	Steps  int    `json:"steps"`
	Epochs int    `json:"epochs"`
	AdamD  int    `json:"adam_disc_steps"`
	AdamG  int    `json:"adam_gen_steps"`
	RNG    []byte `json:"rng"`
	// PropagatedAt is the step of the last label propagation, whose
	// labels and weights the file holds (omitted when none).
	PropagatedAt int `json:"propagated_at,omitempty"`
	// PropagatedAtFraction is the fraction of the budget used then.
	PropagatedAtFraction float64 `json:"propagated_at_fraction,omitempty"`
	// PropagationCV and PixelsCV are that propagation's cross-validated
	// shares, over the features and over the pixels.
	PropagationCV float64 `json:"propagation_cv,omitempty"`
	PixelsCV      float64 `json:"propagation_pixels_cv,omitempty"`
	// FromPixels says that its labels are the pixels' propagation's.
	FromPixels bool `json:"propagation_from_pixels,omitempty"`
}

// checkpointHeader is the JSON header of a version 3 file.
type checkpointHeader struct {
	Model   modelSection    `json:"model"`
	Trainer *trainerSection `json:"trainer,omitempty"`
	Tensors []tensorEntry   `json:"tensors"`
}

// headerV2 is the JSON header of a version 2 file: the same sections,
// each with the single Config of that time.
type headerV2 struct {
	Model struct {
		Config   legacyConfig `json:"config"`
		Custom   bool         `json:"custom"`
		EMASteps int          `json:"ema_steps"`
		DataInit bool         `json:"data_init"`
	} `json:"model"`
	Trainer *struct {
		Config legacyConfig `json:"config"`
		trainerCounts
	} `json:"trainer"`
	Tensors []tensorEntry `json:"tensors"`
}

// headerV1 is the JSON header of a version 1 file.
type headerV1 struct {
	Config   legacyConfig  `json:"config"`
	Custom   bool          `json:"custom"`
	Steps    int           `json:"steps"`
	Epochs   int           `json:"epochs"`
	EMASteps int           `json:"ema_steps"`
	AdamD    int           `json:"adam_disc_steps"`
	AdamG    int           `json:"adam_gen_steps"`
	RNG      []byte        `json:"rng"`
	Tensors  []tensorEntry `json:"tensors"`
}

// paramGroup presents a list of parameters as a layers.Layer, so that the
// weight average and the optimisers' moments go through the same state
// dicts as the networks.
type paramGroup []*layers.Param

func (g paramGroup) Params() []*layers.Param { return g }

func (g paramGroup) Forward(*layers.Builder, *G.Node) (*G.Node, error) {
	return nil, errors.New("sgan: a parameter group is not a network")
}

// sliceParam wraps v, of the given shape, as a parameter named name.
func sliceParam(name string, v []float32, shape tensor.Shape) *layers.Param {
	return &layers.Param{Name: name, Value: tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(v))}
}

// modelState lists what the model section saves: the networks and the
// weight average.
func (m *Model) modelState() []layers.Layer {
	ls := []layers.Layer{m.disc.Net}
	if m.gen != nil && m.gen.Net != nil {
		ls = append(ls, m.gen.Net)
	}
	if m.ema != nil {
		g := make(paramGroup, len(m.ema.params))
		for i, p := range m.ema.params {
			g[i] = sliceParam(emaPrefix+p.Name, m.ema.avg[i], p.Value.Shape())
		}
		ls = append(ls, g)
	}
	return ls
}

// trainerState lists what the trainer section adds: the optimisers'
// moments.
func (t *Trainer) trainerState() []layers.Layer {
	var ls []layers.Layer
	for _, a := range []*adam{t.dOpt, t.gOpt} {
		if a == nil {
			continue
		}
		g := make(paramGroup, 0, 2*len(a.params))
		for i, p := range a.params {
			g = append(g, sliceParam(adamPrefix+a.name+"/m/"+p.Name, a.m[i], p.Value.Shape()),
				sliceParam(adamPrefix+a.name+"/v/"+p.Name, a.v[i], p.Value.Shape()))
		}
		ls = append(ls, g)
	}
	return ls
}

// orderedNames returns the names of the parameters of ls in their order.
func orderedNames(ls []layers.Layer) []string {
	var names []string
	seen := map[string]bool{}
	for _, l := range ls {
		for _, p := range l.Params() {
			if !seen[p.Name] {
				seen[p.Name] = true
				names = append(names, p.Name)
			}
		}
	}
	return names
}

// WriteTo writes the model's checkpoint (the model section: networks and
// weight average, no training state) to w. It implements io.WriterTo.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return writeCheckpoint(w, checkpointHeader{Model: m.section()}, m.modelState())
}

func (m *Model) section() modelSection {
	s := modelSection{Config: m.cfg, Custom: m.custom, DataInit: m.dataInit}
	if m.ema != nil {
		s.EMASteps = m.ema.t
	}
	return s
}

// WriteTo writes the checkpoint of the model and of the training state
// (optimiser moments and step counts, counters, random state) to w, from
// which a Trainer resumes exactly. It implements io.WriterTo.
func (t *Trainer) WriteTo(w io.Writer) (int64, error) {
	unlock := t.m.lock()
	defer unlock()
	rngState, err := t.pcg.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("sgan: save: %w", err)
	}
	ts := &trainerSection{Config: t.cfg, trainerCounts: trainerCounts{Steps: t.step, Epochs: t.epoch, AdamD: t.dOpt.t, RNG: rngState}}
	if t.gOpt != nil {
		ts.AdamG = t.gOpt.t
	}
	ls := append(t.m.modelState(), t.trainerState()...)
	if p := t.prop.state(); p != nil {
		ls = append(ls, p)
		ts.PropagatedAt, ts.PropagatedAtFraction = t.prop.last, t.prop.lastFrac
		ts.PropagationCV, ts.PixelsCV, ts.FromPixels = t.prop.cv, t.prop.pixelCV, t.prop.fromPixels
	}
	return writeCheckpoint(w, checkpointHeader{Model: t.m.section(), Trainer: ts}, ls)
}

// writeCheckpoint writes the header and the state dict of ls. It refuses
// non-float32 and non-finite values: a checkpoint never holds a model that
// Load would refuse.
func writeCheckpoint(w io.Writer, h checkpointHeader, ls []layers.Layer) (int64, error) {
	dict, err := layers.StateDict(ls...)
	if err != nil {
		return 0, fmt.Errorf("sgan: save: %w", err)
	}
	names := orderedNames(ls)
	for _, n := range names {
		v, ok := dict[n].Data().([]float32)
		if !ok {
			return 0, fmt.Errorf("sgan: save: tensor %s is %v; checkpoints hold float32", n, dict[n].Dtype())
		}
		if i := nonFinite(v); i >= 0 {
			return 0, fmt.Errorf("sgan: save: tensor %s holds a non-finite value %v at %d (training diverged?)", n, v[i], i)
		}
		h.Tensors = append(h.Tensors, tensorEntry{Name: n, Shape: dict[n].Shape().Clone()})
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return 0, fmt.Errorf("sgan: save: %w", err)
	}
	crc := crc32.NewIEEE()
	cw := &countWriter{w: io.MultiWriter(w, crc)}
	bw := bufio.NewWriterSize(cw, 1<<16)
	var pre [16]byte
	copy(pre[:8], checkpointMagic)
	binary.LittleEndian.PutUint32(pre[8:], checkpointVersion)
	binary.LittleEndian.PutUint32(pre[12:], uint32(len(hdr)))
	bw.Write(pre[:])
	bw.Write(hdr)
	var buf [4]byte
	for _, n := range names {
		for _, v := range dict[n].Data().([]float32) {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("sgan: save: %w", err)
	}
	binary.LittleEndian.PutUint32(buf[:], crc.Sum32())
	k, err := w.Write(buf[:])
	if err != nil {
		return cw.n + int64(k), fmt.Errorf("sgan: save: %w", err)
	}
	return cw.n + int64(k), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// checkpoint is a parsed, verified checkpoint file.
type checkpoint struct {
	file    string
	model   modelSection
	trainer *trainerSection // nil when the file has no training state
	tensors map[string]*tensor.Dense
	values  int // float32 values in the file, all tensors together
}

// readCheckpoint parses and verifies a whole checkpoint: magic, version,
// lengths, checksum, the header, each tensor's shape, and every value
// finite. Nothing of a model is touched.
func readCheckpoint(r io.Reader, file string) (*checkpoint, error) {
	bad := func(format string, args ...any) error {
		return &CorruptError{File: file, Reason: fmt.Sprintf(format, args...)}
	}
	// The file is read in three bounded parts (issue 24, row 12: reading
	// /dev/zero grew without end): the 16-byte prefix, the header of the
	// length it gives (at most maxHeaderLen), then exactly the tensor
	// bytes the header lists and the checksum, nothing more.
	prefix := make([]byte, 16)
	got, err := io.ReadFull(r, prefix)
	switch {
	case got < 8 || string(prefix[:8]) != checkpointMagic:
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("sgan: load %s: %w", file, err)
		}
		return nil, bad("not a semigan checkpoint (bad magic)")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, bad("truncated (%d bytes)", got)
	case err != nil:
		return nil, fmt.Errorf("sgan: load %s: %w", file, err)
	}
	version := binary.LittleEndian.Uint32(prefix[8:])
	if version < 1 || version > checkpointVersion {
		return nil, bad("format version %d, this release reads versions 1 to %d (a file from a newer release?)", version, checkpointVersion)
	}
	hl := int64(binary.LittleEndian.Uint32(prefix[12:]))
	if hl > maxHeaderLen {
		return nil, bad("truncated or corrupt: header of %d bytes, above the limit of %d", hl, maxHeaderLen)
	}
	header, err := readExactly(r, hl)
	if err != nil {
		return nil, readErr(file, err, bad("truncated or corrupt: header of %d bytes in a %d-byte file", hl, 16+len(header)))
	}
	ck := &checkpoint{file: file, tensors: map[string]*tensor.Dense{}}
	entries, parseErr := ck.parseHeader(version, header)
	n := int64(0)
	if parseErr == nil {
		for _, t := range entries {
			k := int64(1)
			for _, d := range t.Shape {
				if d <= 0 || int64(d) > maxCheckpointValues {
					return nil, bad("tensor %s has shape %v", t.Name, t.Shape)
				}
				k *= int64(d)
				if k > maxCheckpointValues {
					return nil, bad("tensor %s of shape %v is larger than any checkpoint", t.Name, t.Shape)
				}
			}
			n += k
			if n > maxCheckpointValues {
				return nil, bad("header lists more than %d values", int64(maxCheckpointValues))
			}
		}
	}
	if parseErr != nil {
		return nil, parseErr
	}
	want := 4*n + 4
	rest, err := io.ReadAll(io.LimitReader(r, want+1))
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", file, err)
	}
	switch size := 16 + hl + int64(len(rest)); {
	case int64(len(rest)) > want:
		return nil, bad("more bytes than its header lists (%d values): not a checkpoint, or data appended to one", n)
	case int64(len(rest)) < want:
		return nil, bad("truncated or corrupt: %d bytes, its header lists %d values", size, n)
	}
	body := append(append(prefix, header...), rest[:len(rest)-4]...)
	if got, sum := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(rest[len(rest)-4:]); got != sum {
		return nil, bad("checksum mismatch (file truncated or corrupt)")
	}
	data := body[16+hl:]
	ck.values = int(n)
	off := 0
	for _, t := range entries {
		if _, dup := ck.tensors[t.Name]; dup {
			return nil, bad("tensor %s is listed twice", t.Name)
		}
		k := 1
		for _, d := range t.Shape {
			k *= d
		}
		v := make([]float32, k)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
		}
		off += 4 * k
		if i := nonFinite(v); i >= 0 {
			return nil, bad("tensor %s holds a non-finite value at %d", t.Name, i)
		}
		ck.tensors[t.Name] = tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(v))
	}
	return ck, nil
}

// readExactly reads n bytes of r, or returns those it got and the error.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err == nil && int64(len(b)) < n {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

// readErr returns corrupt for a file that ended early, and err wrapped
// otherwise (an I/O error).
func readErr(file string, err, corrupt error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt
	}
	return fmt.Errorf("sgan: load %s: %w", file, err)
}

// parseHeader decodes the JSON header of a file of the given version,
// migrating the configuration of an older one, and checks it: counters,
// both configurations (once, sizes included, before anything is built
// from them), and that a trainer section fits its model. A field the
// header's version does not have is an error naming it.
func (ck *checkpoint) parseHeader(version uint32, raw []byte) ([]tensorEntry, error) {
	var entries []tensorEntry
	switch version {
	case 1:
		var h headerV1
		if err := decodeStrict(raw, &h); err != nil {
			return nil, &CorruptError{File: ck.file, Reason: "version 1 header", Err: err}
		}
		mc, tc := h.Config.migrate()
		ck.model = modelSection{Config: mc, Custom: h.Custom, EMASteps: h.EMASteps, DataInit: h.Steps > 0}
		ck.trainer = &trainerSection{Config: tc, trainerCounts: trainerCounts{Steps: h.Steps, Epochs: h.Epochs, AdamD: h.AdamD, AdamG: h.AdamG, RNG: h.RNG}}
		entries = h.Tensors
	case 2:
		var h headerV2
		if err := decodeStrict(raw, &h); err != nil {
			return nil, &CorruptError{File: ck.file, Reason: "version 2 header", Err: err}
		}
		mc, _ := h.Model.Config.migrate()
		ck.model = modelSection{Config: mc, Custom: h.Model.Custom, EMASteps: h.Model.EMASteps, DataInit: h.Model.DataInit}
		if h.Trainer != nil {
			_, tc := h.Trainer.Config.migrate()
			ck.trainer = &trainerSection{Config: tc, trainerCounts: h.Trainer.trainerCounts}
		}
		entries = h.Tensors
	default:
		var h checkpointHeader
		if err := decodeStrict(raw, &h); err != nil {
			return nil, &CorruptError{File: ck.file, Reason: "header", Err: err}
		}
		ck.model, ck.trainer, entries = h.Model, h.Trainer, h.Tensors
		ck.model.Config = ck.model.Config.resolved()
		if ck.trainer != nil {
			ck.trainer.Config = ck.trainer.Config.resolved()
		}
	}
	bad := func(format string, args ...any) error {
		return &CorruptError{File: ck.file, Reason: fmt.Sprintf(format, args...)}
	}
	if tr := ck.trainer; tr != nil && (tr.Steps < 0 || tr.Epochs < 0 || tr.AdamD < 0 || tr.AdamG < 0) {
		return nil, bad("negative step or epoch count in the trainer section")
	}
	// Counts near 2^63 would overflow into negative steps once training
	// goes on (issue 24, row 20: "step -9223372036854775808").
	if tr := ck.trainer; tr != nil && (tr.Steps > maxSteps || tr.Epochs > maxSteps || tr.AdamD > maxSteps || tr.AdamG > maxSteps) {
		return nil, bad("step or epoch count above %d in the trainer section", int64(maxSteps))
	}
	if ck.model.EMASteps < 0 || ck.model.EMASteps > maxSteps {
		return nil, bad("weight-average step count %d is negative or above %d", ck.model.EMASteps, int64(maxSteps))
	}
	// A hostile header must not make Load allocate more than the file's
	// own size: the configurations are checked, sizes included, first.
	mc := ck.model.Config
	if err := mc.validate(!ck.model.Custom); err != nil {
		return nil, &CorruptError{File: ck.file, Reason: "model configuration", Err: err}
	}
	if ck.trainer != nil {
		tc := ck.trainer.Config
		err := tc.validateFor(mc)
		if err == nil {
			err = checkStepSize(mc, ck.model.Custom, tc)
		}
		if err != nil {
			return nil, &CorruptError{File: ck.file, Reason: "trainer configuration", Err: err}
		}
	}
	return entries, nil
}

// decodeStrict decodes one JSON value into v, refusing fields that v's
// type does not have (the error names the field) and trailing data.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return fmt.Errorf("%w (written by a newer release?)", err)
		}
		return err
	}
	if dec.More() {
		return errors.New("data after the header's JSON value")
	}
	return nil
}
