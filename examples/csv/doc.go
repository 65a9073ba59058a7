// Command csv runs the semi-supervised workflow on CSV files: it trains
// semigan's semi-supervised GAN on a few labelled rows and many
// unlabelled ones, labels the unlabelled rows, and writes synthetic
// labelled rows in the layout and units of the labelled file.
//
//	go run ./examples/csv -labelled real_data.csv -unlabelled unlabelled_data.csv [-test test.csv]
//	go run ./examples/csv                   # MNIST demo: writes its CSV files into out-csv/demo first
//	go run ./examples/csv -demo tabular     # tabular demo: Gaussian clusters, 4 classes, 10 features
//
// # Input
//
// The labelled file (-labelled) has one example per row: feature columns
// and a label column, by default the column named "label" (-label-column
// takes a name, or a 0-based index for files without a header). A header
// row is detected: it is taken as one when one of its cells is not a
// number. Labels are integers 0..K-1, and K is the largest label + 1
// (or -classes K). A label of 65,536 or more, or one that would make K
// more than twice the number of distinct labels plus 10, is taken for a
// typo and refused with its row; give -classes when the empty classes
// are real. Columns whose range one extreme value stretches to more than
// 1,000 times their interquartile range get a warning naming the value
// and its row (min-max scaling would squeeze the other values together).
// The unlabelled file (-unlabelled) has the same feature columns, in the
// same order, without the label column. The optional test file (-test)
// is laid out like the labelled one; the accuracy on it is reported
// after every epoch and at the end.
//
// By default each row is a tabular example, shape 1×1×F for F feature
// columns (the MLP discriminator and a dense generator), whose values
// are read as they are (-scale none) and then mapped feature by feature
// onto [-1, 1], the range of the generator's tanh output, by a min-max
// scaler fitted on the labelled and unlabelled rows together
// (datasets.RangeScaler; test rows outside that range map outside
// [-1, 1]). For image rows give the shape, such as -shape 1x28x28 for
// MNIST digits in channel-row-column order; the scale is then 255
// (pixels 0..255) unless -scale says 01 (values in 0..1) or none.
//
// # Output
//
// Into -out (default out-csv; a directory holding the model.ckpt of an
// earlier run is refused unless -force):
//
//   - model.ckpt: the trained model (sgan.Load reads it back);
//   - metrics.csv: one row of losses and accuracies per epoch;
//   - curves.png: the test accuracy (with -test) and the losses per epoch;
//   - predictions.csv (datasets.SavePredictions): for each unlabelled
//     row, its 0-based index among the data rows ("row"), the predicted
//     class ("predicted"), that class's probability ("probability") and
//     the K class probabilities ("p0", "p1", …);
//   - synthetic_data.csv: -per-class generated rows of every class, with
//     the header, column order, label column and units of the labelled
//     file, so that it reads back with the same options; min-max scaled
//     features are mapped back through the scaler, pixels are rounded to
//     integers;
//   - scaler.csv (with -scale none): each feature's column name and the
//     minimum and maximum the scaler was fitted with
//     (datasets.SaveRangeScaler; datasets.LoadRangeScaler reads it back).
//
// The generated rows are those the classifier labels with a probability
// of at least -min-confidence (default 0.9); with -conditional the
// generator is class-conditional and each row must also be classified as
// the class it was generated for. A negative -min-confidence keeps every
// row. When too few rows of a class pass within -max-draws generated
// rows, the file holds those that did and a warning says so.
//
// # Demos
//
// Without -labelled and -unlabelled the command first writes demo files
// into -out/demo (real_data.csv, unlabelled_data.csv, test_data.csv)
// and then runs on them. -demo mnist (the default) takes 10 labelled
// MNIST digits per class chosen with the seed, 10,000 unlabelled training
// digits and the first 2,000 test digits, as pixel rows 0..255 with
// header x0..x783,label, and reads them with -shape 1x28x28 -scale 255.
// -demo tabular draws four Gaussian classes in 10 dimensions, which
// differ in 3 latent directions only (the other 7 are noise), mixed by a
// random rotation and given unequal scales and offsets: 20 labelled rows
// per class, 4,000 unlabelled rows and 2,000 test rows (-demo-labels,
// -demo-unlabelled and -demo-test change the sizes). The best possible
// accuracy on it is about 96.7%; the nearest class mean of the 20
// labelled rows per class gets about 96%, linear discriminant analysis
// of them about 95%.
//
// Tabular rows are trained without random shifts: sgan applies them only
// to examples with more than one row and column.
//
// # Library calls
//
// The program is flag parsing around calls any user of the packages
// would make: datasets.LoadSemiSupervisedCSV reads the three files, which
// keep their column layout in Set.Columns; datasets.FitRangeScaler and
// SaveRangeScaler scale tabular features; sgan trains, evaluates,
// predicts (datasets.SavePredictions) and synthesises; the synthetic rows
// are given the labelled file's Columns, mapped back through the scaler
// (RangeScaler.Invert) or rounded to whole pixels (Set.QuantizePixels)
// and written by datasets.SaveCSV in the labelled file's layout.
package main
