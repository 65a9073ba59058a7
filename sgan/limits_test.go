package sgan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semigan/semigan/layers"
)

// Configs whose networks or training step cannot fit in memory are
// refused, with an error that says why, instead of a panic in a layer
// constructor or an allocation of many gigabytes (issue 12, rows 1, 2, 4
// and 5): the networks' size and an inference batch by
// ModelConfig.Validate (and so by New), the training step at BatchSize by
// NewTrainer, which checks the TrainConfig against the model.
func TestValidateSizeLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(c *ModelConfig)
		train func(c *TrainConfig)
		want  string // "" means valid
	}{
		{"MNIST defaults", nil, nil, ""},
		{"MNIST, MLP", func(c *ModelConfig) { c.Arch = ArchMLP }, nil, ""},
		{"tabular rows", func(c *ModelConfig) { c.Classes, c.Channels, c.Height, c.Width = 4, 1, 1, 10 }, nil, ""},
		{"96×96 colour, batch 64", func(c *ModelConfig) { c.Channels, c.Height, c.Width = 3, 96, 96 },
			func(c *TrainConfig) { c.BatchSize = 64 }, ""},
		{"20000×20000 images", func(c *ModelConfig) { c.Height, c.Width = 20000, 20000 }, nil, "parameters"},
		{"2^40 classes", func(c *ModelConfig) { c.Classes = 1 << 40 }, nil, "Classes = 1099511627776, above the limit"},
		{"MLP, 2^40 latent", func(c *ModelConfig) { c.Arch, c.LatentDim = ArchMLP, 1<<40 }, nil, "LatentDim"},
		{"batch 100000", nil, func(c *TrainConfig) { c.BatchSize = 100000 }, "lower BatchSize"},
		{"batch 1", nil, func(c *TrainConfig) { c.BatchSize = 1 }, "BatchSize = 1: need at least 2"},
		{"eval batch 2^20", func(c *ModelConfig) { c.EvalBatch = 1 << 20 }, nil, "lower EvalBatch"},
		{"batch 2", nil, func(c *TrainConfig) { c.BatchSize = 2 }, ""},
		{"1000 classes wide", func(c *ModelConfig) { c.Classes, c.DiscWidth = 1000, 256 }, nil, ""},
	} {
		mc := DefaultModelConfig()
		if tc.model != nil {
			tc.model(&mc)
		}
		trc := DefaultTrainConfig(mc)
		if tc.train != nil {
			tc.train(&trc)
		}
		// what New and NewTrainer check, without building the networks
		err := errors.Join(mc.Validate(), trc.Validate(), checkStepSize(mc.resolved(), false, trc.resolved()))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if tc.want != "" {
			m, err := New(mc)
			if err == nil {
				var tr *Trainer
				if tr, err = NewTrainer(m, trc); err == nil {
					tr.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: New and NewTrainer: error %v, want one containing %q", tc.name, err, tc.want)
			}
		}
	}
}

// The estimate is in the right range for the default MNIST model: its
// parameter count is exact for the discriminator and within a small
// factor for the generator.
func TestFootprintMNIST(t *testing.T) {
	c := DefaultModelConfig().resolved()
	params, step, _ := c.footprint(DefaultTrainConfig(c).BatchSize)
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, p := range append(m.dParams, m.gParams...) {
		n += p.Value.Shape().TotalSize()
	}
	if params < float64(n) || params > 2*float64(n) {
		t.Errorf("estimated %.0f parameters, the model has %d: want the estimate in [n, 2n]", params, n)
	}
	if step < 100<<20 || step > 2<<30 {
		t.Errorf("estimated step activations %.0f bytes, want between 100 MiB and 2 GiB", step)
	}
}

// A small checkpoint with a valid checksum whose header asks for
// 20000×20000 images (or 2^40 classes) is refused from its header, before
// any network is built (issue 12, rows 1 and 2); so is a trainer section
// whose training step would not fit.
func TestLoadRefusesHugeConfig(t *testing.T) {
	mnist := func(f func(c *ModelConfig)) ModelConfig {
		c := DefaultModelConfig()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  ModelConfig
		want string
	}{
		{"20000×20000", mnist(func(c *ModelConfig) { c.Height, c.Width = 20000, 20000 }), "parameters"},
		{"2^40 classes", mnist(func(c *ModelConfig) { c.Classes = 1 << 40 }), "Classes"},
		{"MLP, 2^40 latent", mnist(func(c *ModelConfig) { c.Arch, c.LatentDim = ArchMLP, 1<<40 }), "LatentDim"},
	} {
		path := writeHeaderCheckpoint(t, "huge.ckpt", checkpointHeader{Model: modelSection{Config: tc.cfg}, Tensors: []tensorEntry{}}, nil)
		for _, load := range []func() error{
			func() error { _, err := Load(path); return err },
			func() error { _, err := LoadTrainer(path); return err },
		} {
			err := load()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: error %v, want one naming %s and containing %q", tc.name, err, path, tc.want)
			}
		}
	}
	mc := DefaultModelConfig()
	trc := DefaultTrainConfig(mc)
	trc.BatchSize = 100000
	path := writeHeaderCheckpoint(t, "batch.ckpt", checkpointHeader{Model: modelSection{Config: mc},
		Trainer: &trainerSection{Config: trc}, Tensors: []tensorEntry{}}, nil)
	for _, load := range []func() error{
		func() error { _, err := Load(path); return err },
		func() error { _, err := LoadTrainer(path); return err },
	} {
		err := load()
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "trainer configuration") ||
			!strings.Contains(err.Error(), "lower BatchSize") || !strings.Contains(err.Error(), path) {
			t.Errorf("batch 100000: error %v, want a *CorruptError naming %s and the trainer's BatchSize", err, path)
		}
	}
}

// A header whose configuration is valid but needs far more parameters
// than the file holds values is refused before the model is built.
func TestLoadRefusesConfigLargerThanFile(t *testing.T) {
	cfg := DefaultModelConfig()
	cfg.Channels, cfg.Height, cfg.Width = 3, 256, 256
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the config should be valid: %v", err)
	}
	path := writeHeaderCheckpoint(t, "small.ckpt", checkpointHeader{Model: modelSection{Config: cfg}, Tensors: []tensorEntry{{Name: "disc/out/b", Shape: []int{10}}}}, make([]byte, 40))
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "the file holds 10 values") {
		t.Errorf("Load: %v", err)
	}
}

// writeHeaderCheckpoint writes, in a temporary directory, a checkpoint
// file of the current version with header h, the given tensor bytes and
// a valid checksum, and returns its path.
func writeHeaderCheckpoint(t *testing.T, name string, h checkpointHeader, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, checkpointBytes(t, h, data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkpointBytes is a checkpoint of the current version with header h,
// the given tensor bytes and a valid checksum.
func checkpointBytes(t testing.TB, h checkpointHeader, data []byte) []byte {
	t.Helper()
	hdr, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return rawCheckpointBytes(hdr, data)
}

// rawCheckpointBytes is a checkpoint of the current version with the
// JSON header hdr, the given tensor bytes and a valid checksum.
func rawCheckpointBytes(hdr, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(checkpointMagic)
	binary.Write(&b, binary.LittleEndian, uint32(checkpointVersion))
	binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	b.Write(hdr)
	b.Write(data)
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes()
}

// hostileVariants returns, from a good checkpoint g, files with a valid
// checksum whose header lists the first tensor twice or has negative
// counters (issue 15, row 17).
func hostileVariants(t testing.TB, g []byte) [][]byte {
	t.Helper()
	hl := int(binary.LittleEndian.Uint32(g[12:]))
	var h checkpointHeader
	if err := json.Unmarshal(g[16:16+hl], &h); err != nil {
		t.Fatal(err)
	}
	data := g[16+hl : len(g)-4]
	dup := h
	dup.Tensors = append(slices.Clone(h.Tensors), h.Tensors[0])
	negEMA := h
	negEMA.Model.EMASteps = -1
	negSteps := h
	negSteps.Trainer = &trainerSection{Config: DefaultTrainConfig(h.Model.Config), trainerCounts: trainerCounts{Steps: -5}}
	hugeSteps := h
	hugeSteps.Trainer = &trainerSection{Config: DefaultTrainConfig(h.Model.Config), trainerCounts: trainerCounts{Steps: math.MaxInt64 - 1}}
	return [][]byte{
		checkpointBytes(t, dup, append(bytes.Clone(data), data[:4*shapeSize(h.Tensors[0].Shape)]...)),
		checkpointBytes(t, negEMA, data),
		checkpointBytes(t, negSteps, data),
		checkpointBytes(t, hugeSteps, data),
	}
}

// Every way a checkpoint file can be unreadable gives a *CorruptError
// (errors.Is ErrCorrupt) naming the file, while a sound file that does
// not fit the model gives a *layers.StateError that is not ErrCorrupt
// (issue 15, rows 16 and 17: a tensor listed twice and negative counters
// used to load silently, and corruption was a plain string error).
func TestCorruptCheckpointErrors(t *testing.T) {
	m := tinyModel(t, 31)
	var good bytes.Buffer
	if _, err := m.WriteTo(&good); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	hl := int(binary.LittleEndian.Uint32(g[12:]))
	var h checkpointHeader
	if err := json.Unmarshal(g[16:16+hl], &h); err != nil {
		t.Fatal(err)
	}
	data := g[16+hl : len(g)-4]
	withVersion := func(v uint32) []byte {
		b := bytes.Clone(g)
		binary.LittleEndian.PutUint32(b[8:], v)
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		return b
	}
	flipped := bytes.Clone(g)
	flipped[len(flipped)/2] ^= 0x10
	file := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hostile := hostileVariants(t, g)
	// a field this release does not know, in the model's configuration
	hdr, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	unknown := bytes.Replace(hdr, []byte(`"config":{`), []byte(`"config":{"bogus_weight":1,`), 1)
	if bytes.Equal(unknown, hdr) {
		t.Fatalf("no model config in the header %s", hdr)
	}
	badJSON := writeHeaderCheckpoint(t, "json.ckpt", h, data)
	if b, err := os.ReadFile(badJSON); err == nil {
		b[16] = '['
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		os.WriteFile(badJSON, b, 0o644)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"empty", file("empty", nil), "bad magic"},
		{"foreign", file("zip", []byte("PK\x03\x04 not a checkpoint at all")), "bad magic"},
		{"truncated", file("trunc", g[:len(g)-100]), ""},
		{"bad checksum", file("flip", flipped), "checksum"},
		{"bad version", file("v9", withVersion(9)), "version 9"},
		{"header not JSON", badJSON, "header"},
		{"tensor listed twice", file("dup", hostile[0]), "listed twice"},
		{"negative EMA steps", file("ema", hostile[1]), "negative"},
		{"negative trainer steps", file("steps", hostile[2]), "negative"},
		// issue 24, row 20: a count near 2^63 overflowed into "step -9223372036854775808"
		{"trainer steps near 2^63", file("hugesteps", hostile[3]), "step or epoch count above"},
		{"unknown field", file("unknown", rawCheckpointBytes(unknown, data)), `unknown field "bogus_weight"`},
		{"data appended", file("appended", append(bytes.Clone(g), 0, 0, 0, 0)), "more bytes than its header lists"},
	} {
		err := tinyModel(t, 31).Load(tc.path)
		var ce *CorruptError
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.File != tc.path ||
			!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: error %T %v, want a *CorruptError naming %s and saying %q", tc.name, err, err, tc.path, tc.want)
		}
	}

	// Endless input is read only as far as the format can need (issue 24,
	// row 12: /dev/zero, or a checkpoint followed by endless bytes, was
	// read until memory ran out).
	for _, tc := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"endless zeros", endless{}, "bad magic"},
		{"checkpoint then endless zeros", io.MultiReader(bytes.NewReader(g), endless{}), "more bytes than its header lists"},
		{"valid prefix, header of endless zeros", io.MultiReader(bytes.NewReader(g[:16]), endless{}), "header"},
	} {
		counted := &countReader{r: tc.r}
		_, err := tinyModel(t, 31).ReadFrom(counted)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a corrupt checkpoint saying %q", tc.name, err, tc.want)
		}
		if limit := int64(len(g)) + maxHeaderLen + 64<<10; counted.n > limit {
			t.Errorf("%s: read %d bytes, more than %d", tc.name, counted.n, limit)
		}
	}

	// A sound file for another network is a mismatch, not corruption.
	cfg4, _ := tinyConfig(31)
	cfg4.Classes = 4
	rng := rand.New(rand.NewPCG(1, 1))
	d4 := layers.Sequential{layers.Flatten{}, layers.NewDense("disc/fc1", 16, 8, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2}, layers.NewDense("disc/out", 8, 4, layers.GlorotUniform(rng, 1))}
	_, gen := tinyNets(31)
	m4, err := NewWith(cfg4, &Discriminator{Net: d4, Feature: 2}, gen)
	if err != nil {
		t.Fatal(err)
	}
	err = m4.Load(file("good", g))
	var se *layers.StateError
	if err == nil || errors.Is(err, ErrCorrupt) || !errors.As(err, &se) {
		t.Errorf("mismatched model: error %T %v, want a *layers.StateError that is not ErrCorrupt", err, err)
	}
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// endless reads zeros forever, as /dev/zero does.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// StepBytes grows with the batch, is what the MaxStepBytes check uses,
// and is 0 for a batch that is no batch.
func TestStepBytes(t *testing.T) {
	c := DefaultModelConfig()
	for _, tc := range []struct {
		batch    int
		min, max float64
	}{
		{0, 0, 0},
		{-3, 0, 0},
		{100, 100 << 20, 300 << 20}, // MNIST's default step: 187 MiB estimated
		{4000, 4 << 30, 12 << 30},
	} {
		if got := c.StepBytes(tc.batch); got < tc.min || got > tc.max {
			t.Errorf("StepBytes(%d) = %.0f MiB, want [%.0f, %.0f] MiB", tc.batch, got/(1<<20), tc.min/(1<<20), tc.max/(1<<20))
		}
	}
	tc := DefaultTrainConfig(c)
	tc.BatchSize = 5000 // 9.3 GiB estimated
	if err := checkStepSize(c.resolved(), false, tc); err == nil || c.StepBytes(5000) <= MaxStepBytes {
		t.Errorf("batch 5000: StepBytes %.3g, check %v; want both above MaxStepBytes", c.StepBytes(5000), err)
	}
}
