// Command images trains semigan's semi-supervised GAN on folders of
// images: a few labelled ones, sorted into one folder per class, and many
// unlabelled ones. It classifies the unlabelled images, says which of them
// to label next, and writes generated images of every class.
//
//	go run ./examples/images -labelled DIR -unlabelled DIR [-test DIR]
//	go run ./examples/images               # demo: MNIST written as PNG folders into out-images/demo first
//
// # Input
//
// -labelled holds one subfolder per class; the folder names, sorted, are
// the class names. -unlabelled holds images at any depth (its folder
// names mean nothing). -test, optional, is laid out like -labelled, with
// the same class folders. PNG, JPEG and GIF files are read, by content;
// files whose names begin with "." are ignored, any other file is an
// error. Images may have any size: each is resized as it is loaded
// (Catmull-Rom) to -size, by default the median size of the labelled and
// unlabelled images scaled down to at most 64 on the longer side, sides
// rounded down to a multiple of 4. -channels is 1 (gray) or 3 (colour),
// by default taken from the images' headers; images that mix gray and
// colour need it. The discriminator is the convolutional one (the MLP for
// images smaller than 5×5).
//
// Images are decoded on every core, with a progress line on stderr
// (unless -no-bar), and kept as bytes in a cache file under -cache (by
// default semigan/images in the user's cache folder, such as
// ~/.cache/semigan/images; empty: none), one file per folder and
// size: a second run over the same folders lists them, checks each
// file's size and time and starts at once (1.6 s instead of 23 s for
// 200,000 32×32 images), and the images are read from the file as
// training uses them, so they take no memory of the process. A file
// added, removed or changed makes the cache file again. With both -size
// and -channels given, the images' headers are not read first.
//
// An image that cannot be read or decoded (or a dangling link, a named
// pipe, an unreadable subfolder of -unlabelled) stops the run with an
// error naming it, unless -skip-bad, which leaves such files out and
// lists each at the end. A class folder without images, a labelled folder with one
// class, a test folder with other classes and mixed channels without
// -channels each stop the run before training with one line.
//
// # Output
//
// Into -out (default out-images; a directory holding the model.ckpt of an
// earlier run is refused unless -force):
//
//   - model.ckpt, metrics.csv, curves.png: the model, the per-epoch
//     metrics and their plot;
//   - samples.png: 100 generated images;
//   - predictions.csv: for each unlabelled file, the predicted class
//     name, its probability and the probability of every class (columns
//     named after the classes);
//   - label-next.csv: the -label-next unlabelled files whose labels
//     would help most, best first (sgan.Model.SuggestLabels: uncertain,
//     and unlike each other and the labelled images), with score, margin
//     and the current guess;
//   - synthetic/: -synthetic generated images per class that the
//     classifier labels with probability at least 0.9, as class folders
//     of PNGs (datasets.LoadImageFolder reads them back), and
//     .semigan-written, the list of those files.
//
// A later run into the same -out (with -force) replaces only the files
// an earlier run listed in synthetic/.semigan-written: a synthetic/
// folder holding anything else (a folder of the user's, or a real class
// folder when -out points into the data) stops the run before training,
// -force or not, and is left as it is. Outputs the new run does not
// write (synthetic images with -synthetic 0 or -baseline, label-next.csv
// with -label-next 0, samples.png with -baseline) are removed, so that no
// earlier run's file sits beside the new model. An interrupt (Ctrl-C)
// stops loading or training at once: before the first training step
// nothing is written; later, the model so far is saved, and in both
// cases the program exits with status 130 without writing predictions.
package main
