package sgan

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/layers"
)

// Checkpoint file layout (all integers little-endian):
//
//	magic    8 bytes  "SEMIGAN\x00"
//	version  uint32   checkpointVersion (1 is read too)
//	hdrLen   uint32   length of the JSON header
//	header   hdrLen bytes of JSON (checkpointHeader)
//	data     the tensors' float32 values, in header order
//	crc      uint32   CRC-32 (IEEE) of every byte before it
//
// The header has a model section (the model's Config, whether it was built
// from custom networks, the weight average's step count) and an optional
// trainer section (the trainer's Config, its step and epoch counts, the
// optimisers' step counts and the training random state), as PyTorch keeps
// a model's and an optimiser's state apart. Tensors are one name → values
// map, a state dict: the networks' parameters and state under their own
// names ("disc/...", "gen/..."), the weight average under "ema/<name>"
// (model section), and the optimisers' moments under
// "adam/<disc|gen>/m/<name>" and "adam/<disc|gen>/v/<name>" (trainer
// section). Model.Save writes the model section; Trainer.Save both.
//
// Version 1 files (before the Model/Trainer split) have one flat header
// whose fields are those of both sections; they always hold the trainer's
// state.
const (
	checkpointMagic   = "SEMIGAN\x00"
	checkpointVersion = 2
	maxHeaderLen      = 64 << 20
	adamPrefix        = "adam/"
	emaPrefix         = "ema/"
)

type tensorEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// modelSection is the header's description of the model.
type modelSection struct {
	Config   Config `json:"config"`
	Custom   bool   `json:"custom"` // built with NewWith: Load cannot rebuild it
	EMASteps int    `json:"ema_steps"`
	DataInit bool   `json:"data_init"` // trained, or data-initialised
}

// trainerSection is the header's description of a trainer's state.
type trainerSection struct {
	Config Config `json:"config"`
	Steps  int    `json:"steps"`
	Epochs int    `json:"epochs"`
	AdamD  int    `json:"adam_disc_steps"`
	AdamG  int    `json:"adam_gen_steps"`
	RNG    []byte `json:"rng"`
}

// checkpointHeader is the JSON header of a version 2 file.
type checkpointHeader struct {
	Model   modelSection    `json:"model"`
	Trainer *trainerSection `json:"trainer,omitempty"`
	Tensors []tensorEntry   `json:"tensors"`
}

// headerV1 is the JSON header of a version 1 file.
type headerV1 struct {
	Config   Config        `json:"config"`
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
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	rngState, err := t.pcg.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("sgan: save: %w", err)
	}
	ts := &trainerSection{Config: t.cfg, Steps: t.step, Epochs: t.epoch, AdamD: t.dOpt.t, RNG: rngState}
	if t.gOpt != nil {
		ts.AdamG = t.gOpt.t
	}
	return writeCheckpoint(w, checkpointHeader{Model: t.m.section(), Trainer: ts}, append(t.m.modelState(), t.trainerState()...))
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

// Save writes the model's checkpoint to path atomically: to a temporary
// file in the same directory, synced, then renamed over path, so that a
// crash never leaves a partial file under that name. The file holds no
// training state: use Trainer.Save to be able to resume.
func (m *Model) Save(path string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	})
}

// Save writes the model and the training state to path atomically (see
// Model.Save); LoadTrainer or Trainer.Load resume from it exactly.
func (t *Trainer) Save(path string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := t.WriteTo(w)
		return err
	})
}

// writeAtomic writes path through internal/atomicfile (temporary file,
// sync, mode 0644, rename), with errors prefixed "sgan: save PATH".
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	return nil
}

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt checkpoint")

// CorruptError is the error for a checkpoint file that cannot be read as
// one: a foreign file (bad magic), a truncated one, a checksum mismatch,
// an unknown format version, a header that does not parse or holds
// impossible values (negative counters, a tensor listed twice, a
// configuration outside the limits or larger than the file), or a
// non-finite value. errors.Is(err, ErrCorrupt) tells it apart from a
// file that is sound but does not fit the model it is loaded into (a
// wrapped *layers.StateError) and from I/O errors.
type CorruptError struct {
	File   string // the file's name, as given to the loader
	Reason string // what is wrong, e.g. "checksum mismatch"
	Err    error  // the underlying error, if any
}

func (e *CorruptError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("sgan: load %s: %s: %v", e.File, e.Reason, e.Err)
	}
	return fmt.Sprintf("sgan: load %s: %s", e.File, e.Reason)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

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
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", file, err)
	}
	bad := func(format string, args ...any) error {
		return &CorruptError{File: file, Reason: fmt.Sprintf(format, args...)}
	}
	if len(all) < 20 || string(all[:8]) != checkpointMagic {
		if len(all) < 8 || string(all[:8]) != checkpointMagic {
			return nil, bad("not a semigan checkpoint (bad magic)")
		}
		return nil, bad("truncated (%d bytes)", len(all))
	}
	version := binary.LittleEndian.Uint32(all[8:])
	if version != 1 && version != checkpointVersion {
		return nil, bad("format version %d, this build reads versions 1 and %d", version, checkpointVersion)
	}
	body, tail := all[:len(all)-4], all[len(all)-4:]
	hl := int(binary.LittleEndian.Uint32(all[12:]))
	if hl > maxHeaderLen || 16+hl > len(body) {
		return nil, bad("truncated or corrupt: header of %d bytes in a %d-byte file", hl, len(all))
	}
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(tail); got != want {
		return nil, bad("checksum mismatch (file truncated or corrupt)")
	}
	ck := &checkpoint{file: file, tensors: map[string]*tensor.Dense{}}
	var entries []tensorEntry
	if version == 1 {
		var h headerV1
		if err := json.Unmarshal(all[16:16+hl], &h); err != nil {
			return nil, &CorruptError{File: file, Reason: "header", Err: err}
		}
		ck.model = modelSection{Config: h.Config, Custom: h.Custom, EMASteps: h.EMASteps, DataInit: h.Steps > 0}
		ck.trainer = &trainerSection{Config: h.Config, Steps: h.Steps, Epochs: h.Epochs, AdamD: h.AdamD, AdamG: h.AdamG, RNG: h.RNG}
		entries = h.Tensors
	} else {
		var h checkpointHeader
		if err := json.Unmarshal(all[16:16+hl], &h); err != nil {
			return nil, &CorruptError{File: file, Reason: "header", Err: err}
		}
		ck.model, ck.trainer, entries = h.Model, h.Trainer, h.Tensors
	}
	if ck.trainer != nil && (ck.trainer.Steps < 0 || ck.trainer.Epochs < 0 || ck.trainer.AdamD < 0 || ck.trainer.AdamG < 0) {
		return nil, bad("negative step or epoch count in the trainer section")
	}
	if ck.model.EMASteps < 0 {
		return nil, bad("negative weight-average step count")
	}
	// The configuration is checked, sizes included, before anything is
	// built from it: a hostile header must not make Load allocate more
	// than the file's own size.
	if err := ck.model.Config.validate(!ck.model.Custom); err != nil {
		return nil, &CorruptError{File: file, Reason: "model configuration", Err: err}
	}
	if ck.trainer != nil {
		if err := ck.trainer.Config.validate(!ck.model.Custom); err != nil {
			return nil, &CorruptError{File: file, Reason: "trainer configuration", Err: err}
		}
	}
	data := body[16+hl:]
	n := 0
	for _, t := range entries {
		k := 1
		for _, d := range t.Shape {
			if d <= 0 || d > len(data) {
				return nil, bad("tensor %s has shape %v", t.Name, t.Shape)
			}
			k *= d
			if k > len(data) {
				return nil, bad("tensor %s of shape %v is larger than the file", t.Name, t.Shape)
			}
		}
		n += k
		if 4*n > len(data) {
			return nil, bad("header lists more values than the file's %d bytes of data hold", len(data))
		}
	}
	if 4*n != len(data) {
		return nil, bad("header lists %d values, file holds %d bytes of data", n, len(data))
	}
	ck.values = n
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

// modelTensors returns the checkpoint's tensors without the trainer's.
func (ck *checkpoint) modelTensors() map[string]*tensor.Dense {
	d := make(map[string]*tensor.Dense, len(ck.tensors))
	for n, t := range ck.tensors {
		if !strings.HasPrefix(n, adamPrefix) {
			d[n] = t
		}
	}
	return d
}

// loadError wraps a state-dict mismatch with the file's name.
func (ck *checkpoint) loadError(err error) error {
	return fmt.Errorf("sgan: load %s: %w", ck.file, err)
}

// restoreModel copies the checkpoint's model section into m: every tensor
// or, on any mismatch, none (the error wraps a *layers.StateError listing
// each missing, unexpected and mismatched tensor).
func (m *Model) restoreModel(ck *checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version++
	if err := layers.LoadStateDict(ck.modelTensors(), m.modelState()...); err != nil {
		return ck.loadError(err)
	}
	m.setSection(ck.model)
	return nil
}

func (m *Model) setSection(s modelSection) {
	if m.ema != nil {
		m.ema.t = s.EMASteps
	}
	m.dataInit = m.dataInit || s.DataInit
}

// Load reads a checkpoint written by Model.Save or Trainer.Save and
// rebuilds the model with the built-in architecture its configuration
// names, ready to predict and generate (a trainer section, if any, is not
// read: see LoadTrainer). Models made with NewWith are restored with
// (*Model).Load into a model built the same way.
func Load(path string) (*Model, error) {
	ck, err := readCheckpointFile(path)
	if err != nil {
		return nil, err
	}
	return modelFrom(ck)
}

func modelFrom(ck *checkpoint) (*Model, error) {
	if ck.model.Custom {
		return nil, fmt.Errorf("sgan: load %s: the model was built from custom networks; build it again with NewWith and call its Load method", ck.file)
	}
	// A model's file holds at least its parameters (and usually their
	// average); the estimate is at most twice the true count. A header
	// whose configuration needs far more than the file holds is refused
	// before anything is built, so that loading costs a small multiple of
	// the file's size.
	if params, _, _ := ck.model.Config.WithDefaults().footprint(); float64(ck.values) < params/4 {
		return nil, &CorruptError{File: ck.file, Reason: fmt.Sprintf("the header's configuration needs about %s parameters, the file holds %d values", human(params), ck.values)}
	}
	m, err := New(ck.model.Config)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", ck.file, err)
	}
	if err := m.restoreModel(ck); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadTrainer reads a checkpoint written by Trainer.Save and returns the
// model, rebuilt with its built-in architecture, and a trainer with the
// saved training configuration and state, which continues exactly where
// the saved one stopped. The file must hold a trainer section.
func LoadTrainer(path string) (*Trainer, error) {
	ck, err := readCheckpointFile(path)
	if err != nil {
		return nil, err
	}
	if ck.trainer == nil {
		return nil, fmt.Errorf("sgan: load %s: the checkpoint holds no training state (written by Model.Save); use Load and NewTrainer", path)
	}
	m, err := modelFrom(ck)
	if err != nil {
		return nil, err
	}
	t, err := NewTrainer(m, ck.trainer.Config)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", path, err)
	}
	if err := t.restore(ck); err != nil {
		return nil, err
	}
	return t, nil
}

func readCheckpointFile(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sgan: load: %w", err)
	}
	defer f.Close()
	return readCheckpoint(f, path)
}

// Load restores into m the model section of the checkpoint at path,
// written by a model of the same architecture (for models built with
// NewWith, which the package-level Load cannot rebuild): parameters and
// weight average. m keeps its own configuration. On any error m is left
// unchanged.
func (m *Model) Load(path string) error {
	ck, err := readCheckpointFile(path)
	if err != nil {
		return err
	}
	return m.restoreModel(ck)
}

// ReadFrom restores m from a checkpoint read from r, like Load. It
// implements io.ReaderFrom.
func (m *Model) ReadFrom(r io.Reader) (int64, error) {
	cr := &countReader{r: r}
	ck, err := readCheckpoint(cr, "checkpoint")
	if err != nil {
		return cr.n, err
	}
	return cr.n, m.restoreModel(ck)
}

// Load restores into t and its model the checkpoint at path, written by
// Trainer.Save for a model of the same architecture: parameters, weight
// average, optimiser moments, step counts and random state. t keeps its
// own configuration. On any error t and the model are left unchanged.
func (t *Trainer) Load(path string) error {
	ck, err := readCheckpointFile(path)
	if err != nil {
		return err
	}
	return t.restore(ck)
}

// ReadFrom restores t from a checkpoint read from r, like Load. It
// implements io.ReaderFrom.
func (t *Trainer) ReadFrom(r io.Reader) (int64, error) {
	cr := &countReader{r: r}
	ck, err := readCheckpoint(cr, "checkpoint")
	if err != nil {
		return cr.n, err
	}
	return cr.n, t.restore(ck)
}

func (t *Trainer) restore(ck *checkpoint) error {
	ts := ck.trainer
	if ts == nil {
		return fmt.Errorf("sgan: load %s: the checkpoint holds no training state (written by Model.Save)", ck.file)
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(ts.RNG); err != nil {
		return &CorruptError{File: ck.file, Reason: "random state", Err: err}
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	t.m.version++
	if err := layers.LoadStateDict(ck.tensors, append(t.m.modelState(), t.trainerState()...)...); err != nil {
		return ck.loadError(err)
	}
	t.m.setSection(ck.model)
	*t.pcg = pcg
	t.step, t.epoch = ts.Steps, ts.Epochs
	t.dOpt.t = ts.AdamD
	if t.gOpt != nil {
		t.gOpt.t = ts.AdamG
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (m *Model) allParams() []*layers.Param {
	ps := append([]*layers.Param(nil), m.disc.Net.Params()...)
	if m.gen != nil && m.gen.Net != nil {
		ps = append(ps, m.gen.Net.Params()...)
	}
	return ps
}
