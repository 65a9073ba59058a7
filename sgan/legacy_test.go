package sgan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// v2Golden is what the release before the config split computed from the
// version-2 files of testdata (written by testdata/v2gen through that
// release's public API): class probabilities on fixed inputs, images from
// fixed latent vectors, and for a trainer file three more steps on fixed
// batches with the losses each reported.
type v2Golden struct {
	X       []float32 `json:"x"`
	Probs   []float32 `json:"probs"`
	Z       []float32 `json:"z,omitempty"`
	Images  []float32 `json:"images,omitempty"`
	Steps   []v2Step  `json:"steps,omitempty"`
	Trained int       `json:"trained_steps"`
}

// v2Step is one step taken after the save, with the losses it reported.
type v2Step struct {
	Lab     []float32 `json:"lab"`
	Labels  []int     `json:"labels"`
	Unl     []float32 `json:"unl"`
	DLoss   float64   `json:"d_loss"`
	GLoss   float64   `json:"g_loss"`
	Sup     float64   `json:"sup"`
	Unsup   float64   `json:"unsup"`
	Entropy float64   `json:"entropy"`
	Cons    float64   `json:"consistency"`
	GenCls  float64   `json:"gen_class"`
	FakeCls float64   `json:"fake_class"`
	Pseudo  float64   `json:"pseudo"`
	Balance float64   `json:"balance"`
	Correct int       `json:"correct"`
}

func readV2Golden(t *testing.T, name string) v2Golden {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var g v2Golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// goldenTol is how far a float may move between the machine that wrote a
// golden file and the one that reads it: the GEMM kernels (AVX2, AVX-512,
// OpenBLAS) sum in different orders, so losses agree to float32 rounding,
// not bit for bit. The per-kernel golden-steps files pin the arithmetic
// exactly; these files pin the format.
const goldenTol = 1e-5

// lossesClose reports whether got and want agree within goldenTol,
// relative to their size where that exceeds one.
func lossesClose(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > goldenTol*math.Max(1, math.Abs(want[i])) {
			return false
		}
	}
	return true
}

func float32sClose(got, want []float32) bool {
	g, w := make([]float64, len(got)), make([]float64, len(want))
	for i, v := range got {
		g[i] = float64(v)
	}
	for i, v := range want {
		w[i] = float64(v)
	}
	return lossesClose(g, w)
}

// goldenDiff names the first way in which a golden record written today
// differs from the one on file: inputs and counts exactly, outputs within
// goldenTol. It returns "" when they agree.
func goldenDiff(got, want v2Golden) string {
	switch {
	case !reflect.DeepEqual(got.X, want.X) || !reflect.DeepEqual(got.Z, want.Z):
		return "inputs"
	case got.Trained != want.Trained:
		return fmt.Sprintf("trained steps %d, want %d", got.Trained, want.Trained)
	case !float32sClose(got.Probs, want.Probs):
		return "probabilities"
	case !float32sClose(got.Images, want.Images):
		return "generated images"
	case len(got.Steps) != len(want.Steps):
		return fmt.Sprintf("%d steps, want %d", len(got.Steps), len(want.Steps))
	}
	for i, g := range got.Steps {
		w := want.Steps[i]
		if !reflect.DeepEqual(g.Lab, w.Lab) || !reflect.DeepEqual(g.Labels, w.Labels) || !reflect.DeepEqual(g.Unl, w.Unl) {
			return fmt.Sprintf("step %d: batches", i+1)
		}
		if g.Correct != w.Correct || !lossesClose(
			[]float64{g.DLoss, g.GLoss, g.Sup, g.Unsup, g.Entropy, g.Cons, g.GenCls, g.FakeCls, g.Pseudo, g.Balance},
			[]float64{w.DLoss, w.GLoss, w.Sup, w.Unsup, w.Entropy, w.Cons, w.GenCls, w.FakeCls, w.Pseudo, w.Balance}) {
			return fmt.Sprintf("step %d: losses %+v, want %+v", i+1, g, w)
		}
	}
	return ""
}

func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s[%d] = %v, the release that wrote the file gave %v", what, i, got[i], want[i])
		}
	}
}

// Models saved by the release before the config split (version 2) and by
// this one (version 3) load, predict the same probabilities and generate
// the same images; their trainers resume and take the same steps, loss
// for loss, as the release that wrote them did.
func TestLoadGoldenCheckpoints(t *testing.T) {
	for _, version := range []string{"v2-", "v3-"} {
		t.Run(version, func(t *testing.T) { testLoadGolden(t, version) })
	}
}

func testLoadGolden(t *testing.T, version string) {
	for _, tc := range []struct {
		name    string
		trainer bool
		check   func(ModelConfig, TrainConfig) string
	}{
		{"conv-3x8x8", true, func(m ModelConfig, c TrainConfig) string {
			// EntropyWeight -1 was "off"; MinSteps -1 "no minimum"
			if _, on := c.Weights["entropy"]; on || c.Budget.MinSteps != 0 || c.Weights[termConsistency] != 1 || m.InputNoise != 0.3 {
				return "entropy, min steps, consistency or noise migrated wrongly"
			}
			return ""
		}},
		{"conditional-3x8x8", true, func(m ModelConfig, c TrainConfig) string {
			want := map[string]float64{"sup": 1, "unsup": 1, "entropy": 1, "fake_class": 0.3, "balance": 0.2, "consistency": 1,
				"pseudo": 0.5, "nonsaturating": 1, "gen_class": 0.7}
			if !reflect.DeepEqual(c.Weights, want) {
				return "weights " + describeWeights(c)
			}
			if m.InputNoise != 0 || m.DiscDropout != 0 || m.EMADecay != 0.99 || !m.Conditional || m.DiscWidth != 4 {
				return "model fields migrated wrongly"
			}
			if c.DecayStart != 1 || !c.MeanTeacher || c.PseudoThreshold != 0.4 || c.Augment != (Augment{Shift: 2, Flip: true, Cutout: 3, Mixup: 0.4}) ||
				c.LearnRate != 2e-3 || c.GenLearnRate != 1e-3 {
				return "training fields migrated wrongly"
			}
			return ""
		}},
		{"supervised-3x8x8", false, func(m ModelConfig, c TrainConfig) string {
			if !m.SupervisedOnly {
				return "not supervised only"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := readV2Golden(t, version+tc.name)
			path := "testdata/" + version + tc.name + ".ckpt"
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.PredictProba(g.X)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "probabilities", p, g.Probs, 1e-5)
			if g.Z != nil {
				img, err := m.GenerateFrom(g.Z)
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, "images", img, g.Images, 1e-5)
			}
			ck, err := readCheckpointFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var tcfg TrainConfig
			if ck.trainer != nil {
				tcfg = ck.trainer.Config
			}
			if msg := tc.check(ck.model.Config, tcfg); msg != "" {
				t.Errorf("migrated configs %+v %+v: %s", ck.model.Config, tcfg, msg)
			}
			if !tc.trainer {
				return
			}
			tr, err := LoadTrainer(path)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if tr.Steps() != g.Trained {
				t.Errorf("resumed at step %d, saved at %d", tr.Steps(), g.Trained)
			}
			for i, s := range g.Steps {
				st, err := tr.Step(Batch{X: s.Lab, Labels: s.Labels}, Batch{X: s.Unl})
				if err != nil {
					t.Fatal(err)
				}
				l := st.Losses
				got := []float64{st.DLoss, st.GLoss, l["sup"], l["unsup"], l["entropy"], l["consistency"], l["gen_class"], l["fake_class"], l["pseudo"], l["balance"]}
				want := []float64{s.DLoss, s.GLoss, s.Sup, s.Unsup, s.Entropy, s.Cons, s.GenCls, s.FakeCls, s.Pseudo, s.Balance}
				if !lossesClose(got, want) || st.LabelledCorrect != s.Correct {
					t.Errorf("step %d after the resume: %v (%d right), the old release took %v (%d right)", i+1, got, st.LabelledCorrect, want, s.Correct)
				}
			}
		})
	}
}

// The old configurations of the golden recipes migrate to exactly the
// configurations the golden test now writes with today's API.
func TestMigrateGoldenRecipes(t *testing.T) {
	old := map[string]legacyConfig{
		"default":     {Seed: 1, BatchSize: 20},
		"conditional": {Seed: 2, BatchSize: 20, Conditional: true, FakeClassWeight: 0.3, GenLoss: 1, ConsistencyWeight: -1},
		"mlp":         {Seed: 3, BatchSize: 20, Arch: ArchMLP, EntropyWeight: -1, EMADecay: -1},
		"supervised":  {Seed: 4, BatchSize: 20, SupervisedOnly: true},
		"all-teacher": {Seed: 6, BatchSize: 20, Conditional: true, FakeClassWeight: 0.3, PseudoLabelWeight: 1, PseudoLabelThreshold: 0.6,
			BalanceWeight: 0.5, MeanTeacher: true, AugmentFlip: true, AugmentCutout: 8, Mixup: 0.5},
		"all-pi": {Seed: 7, BatchSize: 20, Conditional: true, FakeClassWeight: 0.3, PseudoLabelWeight: 1, PseudoLabelThreshold: 0.6,
			BalanceWeight: 0.5, AugmentFlip: true, AugmentCutout: 8, Mixup: 0.5},
	}
	for _, r := range goldenRecipes {
		if _, ok := old[r.name]; !ok {
			continue // a recipe the old releases did not have
		}
		wm, wt := r.configs()
		gm, gt := old[r.name].migrate()
		wt = wt.resolved()
		wm = wm.resolved()
		// the old Config had one budget for all; the recipes' runs set their own
		gt.Budget = wt.Budget
		if gm != wm || !reflect.DeepEqual(gt, wt) {
			t.Errorf("%s: migrated to\n %+v\n %+v\nwant\n %+v\n %+v", r.name, gm, gt, wm, wt)
		}
	}
}

// A header field this release does not know, a newer format version and
// a legacy Config with an unknown field are errors that name them.
func TestLoadRefusesUnknownFields(t *testing.T) {
	m, err := New(tinyConfigBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for _, tc := range []struct {
		name   string
		edit   func(hdr []byte) ([]byte, uint32)
		wantIn string
	}{
		{"unknown model field", func(h []byte) ([]byte, uint32) {
			return bytes.Replace(h, []byte(`"classes":`), []byte(`"colour_jitter":0.5,"classes":`), 1), checkpointVersion
		}, `unknown field "colour_jitter"`},
		{"unknown section field", func(h []byte) ([]byte, uint32) {
			return bytes.Replace(h, []byte(`"custom":`), []byte(`"label_map":[],"custom":`), 1), checkpointVersion
		}, `unknown field "label_map"`},
		{"newer version", func(h []byte) ([]byte, uint32) { return h, checkpointVersion + 1 }, "format version 4"},
		{"old version, new field names", func(h []byte) ([]byte, uint32) { return h, 2 }, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hl := binary.LittleEndian.Uint32(good[12:])
			hdr, version := tc.edit(bytes.Clone(good[16 : 16+hl]))
			var out []byte
			out = append(out, good[:8]...)
			out = binary.LittleEndian.AppendUint32(out, version)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
			out = append(out, hdr...)
			out = append(out, good[16+hl:len(good)-4]...)
			out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out))
			_, err := readCheckpoint(bytes.NewReader(out), "edited.ckpt")
			if err == nil || !strings.Contains(err.Error(), tc.wantIn) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "edited.ckpt") {
				t.Errorf("got %v, want a CorruptError naming the file and %q", err, tc.wantIn)
			}
		})
	}
}

// tinyConfigBuiltin is a small built-in model for format tests.
func tinyConfigBuiltin() ModelConfig {
	mc := DefaultModelConfig()
	mc.Classes, mc.Height, mc.Width, mc.LatentDim, mc.DiscWidth, mc.EvalBatch, mc.Seed = 3, 8, 8, 8, 4, 30, 1
	return mc
}
