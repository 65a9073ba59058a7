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
// that failed (a diverging loss, an I/O error) should Abort instead, so
// that the metrics and checkpoint of its last good epoch stay in place.
//
// A directory belongs to one run at a time: Open locks it (LockFile) and
// refuses one that another run holds (ErrBusy). Open itself writes
// nothing else; at the end of each epoch the run writes the files staged
// with WriteWithModel (the first time), then metrics.csv, then
// model.ckpt, each atomically. An interrupted or failed run therefore
// leaves the directory as it was, or in a state that a resumed run
// continues exactly: on resume, rows of epochs that the checkpoint did
// not complete are dropped and those epochs trained again.
package rundir
