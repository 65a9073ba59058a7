// Package rundir keeps the directory of a training run: the files that
// every semigan program writes while it trains, so that programs do not
// each write them their own way.
//
// A Run is an sgan.StepObserver for Trainer.Fit. In its directory it
// keeps
//
//   - metrics.csv: one row per epoch (sgan.CSVWriter's columns); a resumed
//     run appends to the rows already there;
//   - model.ckpt: the trainer's checkpoint (model and training state, so
//     that sgan.LoadTrainer resumes it), saved atomically after every
//     epoch and by Close;
//   - curves.png: the test accuracy and the losses of the whole run
//     (resumed epochs included), drawn by sganplot when the run is closed;
//
// and it prints one line per epoch, with a progress bar inside each epoch
// on a terminal (sgan.Printer).
//
//	run, err := rundir.Open("out", trainer, rundir.Options{Progress: os.Stderr})
//	if err != nil { ... }
//	hist, err := trainer.Fit(ctx, lab, unl, test, run)
//	if err == nil || errors.Is(err, context.Canceled) {
//		err = run.Close()
//	}
//
// Close is for a run that ended well or was interrupted on purpose: a run
// that failed (a diverging loss, an I/O error) should not call it, so that
// the checkpoint of its last good epoch stays in place.
package rundir
