// Package sganplot draws the training curves of sgan.Model.Fit as PNG
// images, with gonum.org/v1/plot.
//
// SaveCurves draws one run in two panels stacked vertically: the test
// accuracy in percent, with optional reference lines (Options.Targets), and
// below it the discriminator, generator, supervised and unsupervised losses,
// both against the elapsed minutes or, with Options.XAxis = ByEpoch, the
// epoch. SaveComparison draws the test accuracies of several runs on one
// panel. A history can come straight from Fit or be read back from the
// metrics file that sgan.CSVWriter writes:
//
//	h, err := sgan.LoadHistoryCSV("metrics.csv")
//	if err != nil {
//		return err
//	}
//	err = sganplot.SaveCurves("curves.png", h, sganplot.Options{
//		Title:   "MNIST, 100 labels",
//		Targets: []float64{95, 97, 98},
//	})
//
// Epochs without a test accuracy (NaN: Fit was given no evaluation set) are
// left out of the accuracy curve and counted in its legend; when no epoch
// has one, SaveCurves leaves out the accuracy panel. Non-finite losses are
// left out likewise.
//
// The fonts are the Liberation fonts that gonum.org/v1/plot embeds, so
// nothing is read from the system. Files are written atomically: the image
// is encoded into a temporary file in the destination's directory, which
// is synced and renamed over the destination, with mode 0644.
package sganplot
