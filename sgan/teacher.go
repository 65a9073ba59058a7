package sgan

import "fmt"

// runTeacher fills the Mean Teacher's consistency targets: the weight
// average's class probabilities on a freshly augmented view of the
// unlabelled batch x, in inference mode (TrainConfig.MeanTeacher). The
// model's lock is held.
func (t *Trainer) runTeacher(x []float32, step int) error {
	g := t.graphs
	ig := g.teacher
	copy(ig.x, x)
	g.aug.view(ig.x, t.rng) // the teacher's view, augmented in its graph's input
	t.m.copyWeights(ig)
	ig.vm.Reset()
	if err := ig.vm.RunAll(); err != nil {
		return fmt.Errorf("sgan: step %d: teacher: %w", step, err)
	}
	K := t.mc.Classes
	copy(g.tProbs, ig.logits.Value().Data().([]float32))
	for i := 0; i < t.cfg.BatchSize; i++ {
		softmaxInPlace(g.tProbs[i*K : (i+1)*K])
	}
	return nil
}
