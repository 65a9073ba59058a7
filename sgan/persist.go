package sgan

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"strings"

	"gorgonia.org/tensor"

	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/layers"
)

// Saving and loading models and trainers: the file format is in
// checkpoint.go, the migration of older formats in legacy.go.

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

// Load reads a checkpoint written by Model.Save or Trainer.Save, of this
// release or an earlier one, and rebuilds the model with the built-in
// architecture its configuration names, ready to predict and generate (a
// trainer section, if any, is not read: see LoadTrainer). Models made
// with NewWith are restored with (*Model).Load into a model built the
// same way.
func Load(path string) (*Model, error) {
	ck, err := readCheckpointFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ck.buildModel()
	if err != nil {
		return nil, err
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
	m, err := ck.buildModel()
	if err != nil {
		return nil, err
	}
	t, err := newTrainer(m, ck.trainer.Config)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", path, err)
	}
	if err := t.restore(ck); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// buildModel builds the built-in model of the checkpoint's (checked)
// configuration, without its weights.
func (ck *checkpoint) buildModel() (*Model, error) {
	if ck.model.Custom {
		return nil, fmt.Errorf("sgan: load %s: the model was built from custom networks; build it again with NewWith and call its Load method", ck.file)
	}
	// A model's file holds at least its parameters (and usually their
	// average); the estimate is at most twice the true count. A header
	// whose configuration needs far more than the file holds is refused
	// before anything is built, so that loading costs a small multiple of
	// the file's size.
	if params, _, _ := ck.model.Config.footprint(2); float64(ck.values) < params/4 {
		return nil, &CorruptError{File: ck.file, Reason: fmt.Sprintf("the header's configuration needs about %s parameters, the file holds %d values", human(params), ck.values)}
	}
	m, err := newBuiltin(ck.model.Config)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", ck.file, err)
	}
	return m, nil
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

// modelTensors returns the checkpoint's tensors without the trainer's.
func (ck *checkpoint) modelTensors() map[string]*tensor.Dense {
	d := make(map[string]*tensor.Dense, len(ck.tensors))
	for n, t := range ck.tensors {
		if !strings.HasPrefix(n, adamPrefix) && !strings.HasPrefix(n, propPrefix) {
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

// restore copies the whole checkpoint, model and trainer sections, into
// t and its model, in one pass over the tensors: every tensor or none.
func (t *Trainer) restore(ck *checkpoint) error {
	ts := ck.trainer
	if ts == nil {
		return fmt.Errorf("sgan: load %s: the checkpoint holds no training state (written by Model.Save)", ck.file)
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(ts.RNG); err != nil {
		return &CorruptError{File: ck.file, Reason: "random state", Err: err}
	}
	tensors := maps.Clone(ck.tensors)
	prop, err := t.prop.restored(tensors, ts.PropagatedAt, ts.PropagatedAtFraction, ts.PropagationCV, ts.PixelsCV, ts.FromPixels, t.mc.Classes)
	if err != nil {
		return &CorruptError{File: ck.file, Reason: "propagated labels", Err: err}
	}
	unlock := t.m.lockForStep()
	defer unlock()
	if err := layers.LoadStateDict(tensors, append(t.m.modelState(), t.trainerState()...)...); err != nil {
		return ck.loadError(err)
	}
	t.prop = prop
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
