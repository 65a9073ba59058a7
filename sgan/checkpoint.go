package sgan

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers"
)

// Checkpoint file layout (all integers little-endian):
//
//	magic    8 bytes  "SEMIGAN\x00"
//	version  uint32   checkpointVersion
//	hdrLen   uint32   length of the JSON header
//	header   hdrLen bytes of JSON (checkpointHeader)
//	data     the tensors' float32 values, in header order
//	crc      uint32   CRC-32 (IEEE) of every byte before it
//
// Tensors are a name → values map: the networks' parameters and state
// under their own names ("disc/...", "gen/..."), the weight average under
// "ema/<name>", and the optimisers' moments under "adam/<disc|gen>/m/<name>"
// and "adam/<disc|gen>/v/<name>".
const (
	checkpointMagic   = "SEMIGAN\x00"
	checkpointVersion = 1
	maxHeaderLen      = 64 << 20
)

type tensorEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type checkpointHeader struct {
	Config   Config        `json:"config"`
	Custom   bool          `json:"custom"` // built with NewWith: Load cannot rebuild it
	Steps    int           `json:"steps"`
	Epochs   int           `json:"epochs"`
	EMASteps int           `json:"ema_steps"`
	AdamD    int           `json:"adam_disc_steps"`
	AdamG    int           `json:"adam_gen_steps"`
	RNG      []byte        `json:"rng"`
	Tensors  []tensorEntry `json:"tensors"`
}

// CheckpointError reports a checkpoint that does not fit the model: the
// names of missing, unexpected and wrongly shaped tensors.
type CheckpointError struct {
	File       string
	Missing    []string
	Unexpected []string
	Misshapen  []string // "name: file (a, b), model (c, d)"
}

func (e *CheckpointError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+strings.Join(e.Unexpected, ", "))
	}
	if len(e.Misshapen) > 0 {
		parts = append(parts, "wrong shape "+strings.Join(e.Misshapen, "; "))
	}
	return fmt.Sprintf("sgan: checkpoint %s does not fit the model: %s", e.File, strings.Join(parts, "; "))
}

// tensors returns every tensor the model saves, by name, and whether the
// slice is a live parameter (loaded in place) or optimiser/EMA state.
func (m *Model) tensors() (names []string, vals map[string][]float32, shapes map[string][]int) {
	vals = map[string][]float32{}
	shapes = map[string][]int{}
	add := func(name string, v []float32, shape []int) {
		names = append(names, name)
		vals[name] = v
		shapes[name] = shape
	}
	for _, p := range m.allParams() {
		add(p.Name, p.Value.Data().([]float32), p.Value.Shape().Clone())
	}
	if m.ema != nil {
		for i, p := range m.ema.params {
			add("ema/"+p.Name, m.ema.avg[i], p.Value.Shape().Clone())
		}
	}
	for _, a := range []*adam{m.dOpt, m.gOpt} {
		if a == nil {
			continue
		}
		for i, p := range a.params {
			add("adam/"+a.name+"/m/"+p.Name, a.m[i], p.Value.Shape().Clone())
			add("adam/"+a.name+"/v/"+p.Name, a.v[i], p.Value.Shape().Clone())
		}
	}
	return names, vals, shapes
}

// WriteTo writes the checkpoint to w. It implements io.WriterTo.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	for _, p := range m.allParams() {
		if p.Value.Dtype() != tensor.Float32 {
			return 0, fmt.Errorf("sgan: save: parameter %s is %v; checkpoints hold float32", p.Name, p.Value.Dtype())
		}
	}
	names, vals, shapes := m.tensors()
	rngState, err := m.pcg.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("sgan: save: %w", err)
	}
	h := checkpointHeader{Config: m.cfg, Custom: m.custom, Steps: m.step, Epochs: m.epoch, RNG: rngState}
	if m.ema != nil {
		h.EMASteps = m.ema.t
	}
	h.AdamD = m.dOpt.t
	if m.gOpt != nil {
		h.AdamG = m.gOpt.t
	}
	for _, n := range names {
		h.Tensors = append(h.Tensors, tensorEntry{Name: n, Shape: shapes[n]})
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
		for _, v := range vals[n] {
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

// Save writes the checkpoint to path atomically: to a temporary file in the
// same directory, synced, then renamed over path, so that a crash never
// leaves a partial file under that name.
func (m *Model) Save(path string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	})
}

func writeAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("sgan: save %s: %w", path, err)
	}
	return nil
}

// readCheckpoint parses and verifies a whole checkpoint.
func readCheckpoint(r io.Reader, file string) (*checkpointHeader, []byte, error) {
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("sgan: load %s: %w", file, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sgan: load %s: "+format, append([]any{file}, args...)...)
	}
	if len(all) < 20 || string(all[:8]) != checkpointMagic {
		if len(all) < 8 || string(all[:8]) != checkpointMagic {
			return nil, nil, bad("not a semigan checkpoint (bad magic)")
		}
		return nil, nil, bad("truncated (%d bytes)", len(all))
	}
	if v := binary.LittleEndian.Uint32(all[8:]); v != checkpointVersion {
		return nil, nil, bad("format version %d, this build reads version %d", v, checkpointVersion)
	}
	body, tail := all[:len(all)-4], all[len(all)-4:]
	hl := int(binary.LittleEndian.Uint32(all[12:]))
	if hl > maxHeaderLen || 16+hl > len(body) {
		return nil, nil, bad("truncated or corrupt: header of %d bytes in a %d-byte file", hl, len(all))
	}
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(tail); got != want {
		return nil, nil, bad("checksum mismatch (file truncated or corrupt)")
	}
	var h checkpointHeader
	if err := json.Unmarshal(all[16:16+hl], &h); err != nil {
		return nil, nil, bad("header: %w", err)
	}
	data := body[16+hl:]
	n := 0
	for _, t := range h.Tensors {
		k := 1
		for _, d := range t.Shape {
			if d <= 0 {
				return nil, nil, bad("tensor %s has shape %v", t.Name, t.Shape)
			}
			k *= d
		}
		n += k
	}
	if 4*n != len(data) {
		return nil, nil, bad("header lists %d values, file holds %d bytes of data", n, len(data))
	}
	return &h, data, nil
}

// Load reads a checkpoint written by Save and rebuilds the model with the
// built-in architecture its configuration names. Models made with NewWith
// are restored with (*Model).LoadFile into a model built the same way.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sgan: load: %w", err)
	}
	defer f.Close()
	h, data, err := readCheckpoint(f, path)
	if err != nil {
		return nil, err
	}
	if h.Custom {
		return nil, fmt.Errorf("sgan: load %s: the model was built from custom networks; build it again with NewWith and call LoadFile", path)
	}
	m, err := New(h.Config)
	if err != nil {
		return nil, fmt.Errorf("sgan: load %s: %w", path, err)
	}
	if err := m.restore(h, data, path); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadFile restores into m the state saved at path by a model of the same
// architecture: parameters, weight average, optimiser moments, step counts
// and random state. m keeps its own configuration.
func (m *Model) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sgan: load: %w", err)
	}
	defer f.Close()
	return m.LoadFrom(f, path)
}

// LoadFrom restores m from a checkpoint read from r; name is used in
// errors.
func (m *Model) LoadFrom(r io.Reader, name string) error {
	h, data, err := readCheckpoint(r, name)
	if err != nil {
		return err
	}
	return m.restore(h, data, name)
}

func (m *Model) restore(h *checkpointHeader, data []byte, file string) error {
	names, vals, shapes := m.tensors()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	e := &CheckpointError{File: file}
	have := map[string]bool{}
	off := map[string]int{}
	pos := 0
	for _, t := range h.Tensors {
		k := 1
		for _, d := range t.Shape {
			k *= d
		}
		have[t.Name] = true
		off[t.Name] = pos
		pos += 4 * k
		if !want[t.Name] {
			e.Unexpected = append(e.Unexpected, t.Name)
			continue
		}
		if !shapeEq(t.Shape, shapes[t.Name]) {
			e.Misshapen = append(e.Misshapen, fmt.Sprintf("%s: file %v, model %v", t.Name, t.Shape, shapes[t.Name]))
		}
	}
	for _, n := range names {
		if !have[n] {
			e.Missing = append(e.Missing, n)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Misshapen) > 0 {
		sort.Strings(e.Missing)
		sort.Strings(e.Unexpected)
		return e
	}
	for _, n := range names {
		v := vals[n]
		b := data[off[n] : off[n]+4*len(v)]
		for i := range v {
			f := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("sgan: load %s: tensor %s holds a non-finite value at %d", file, n, i)
			}
			v[i] = f
		}
	}
	if err := m.pcg.UnmarshalBinary(h.RNG); err != nil {
		return fmt.Errorf("sgan: load %s: random state: %w", file, err)
	}
	m.step, m.epoch = h.Steps, h.Epochs
	if m.ema != nil {
		m.ema.t = h.EMASteps
	}
	m.dOpt.t = h.AdamD
	if m.gOpt != nil {
		m.gOpt.t = h.AdamG
	}
	return nil
}

func shapeEq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (m *Model) allParams() []*layers.Param {
	ps := append([]*layers.Param(nil), m.disc.Net.Params()...)
	if m.gen != nil && m.gen.Net != nil {
		ps = append(ps, m.gen.Net.Params()...)
	}
	return ps
}

// SetBudget changes the training length of m (for example after Load, to
// train longer): epochs > 0 replaces Config.Epochs, d >= 0 replaces
// Config.Duration.
func (m *Model) SetBudget(epochs int, d time.Duration) error {
	if epochs < 0 || d < 0 {
		return fmt.Errorf("sgan: SetBudget: negative epochs %d or duration %v", epochs, d)
	}
	if epochs > 0 {
		m.cfg.Epochs = epochs
	}
	m.cfg.Duration = d
	return nil
}
