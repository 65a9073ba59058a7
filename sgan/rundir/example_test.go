package rundir_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

// A training run that keeps metrics.csv, model.ckpt and curves.png in a
// directory, and can be resumed from it.
func Example() {
	lab, unl, test := exampleSets()
	mc := sgan.DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Height, mc.Width, mc.LatentDim = 1, 3, 8, 8, 8
	m, err := sgan.New(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	tc := sgan.DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget = 6, sgan.Budget{Epochs: 2} // two epochs, no minimum of steps
	tr, err := sgan.NewTrainer(m, tc)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	run, err := rundir.Open(dir, tr, rundir.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := tr.Fit(context.Background(), lab, unl, test, run); err != nil && !errors.Is(err, context.Canceled) {
		run.Abort() // keep the last good checkpoint
		fmt.Println(err)
		return
	}
	if err := run.Close(); err != nil {
		fmt.Println(err)
		return
	}
	resumed, err := sgan.LoadTrainer(run.Path(rundir.CheckpointFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs recorded:", len(run.History().Epochs), "resumable at epoch", resumed.Epochs())
	// Output: epochs recorded: 2 resumable at epoch 2
}
