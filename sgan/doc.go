// Package sgan trains a semi-supervised GAN whose discriminator is also a
// K-class classifier, from a few labelled images, many unlabelled ones, and
// the fakes of a DCGAN-style generator.
//
// # Overview
//
// The discriminator D outputs K logits l for the K real classes; the
// (K+1)-th class, "fake", has its logit fixed at 0 (Salimans et al. 2016,
// "Improved Techniques for Training GANs", §3; Odena 2016,
// "Semi-Supervised Learning with Generative Adversarial Networks"). Then
// D(x) = Z/(Z+1) with Z = Σ_k exp(l_k) is the probability that x is real,
// and one network learns from three kinds of data:
//
//   - labelled images, by the K-class cross-entropy;
//   - unlabelled real images, by −log D(x) = softplus(LSE(l)) − LSE(l);
//   - generated images, by −log(1 − D(G(z))) = softplus(LSE(l)).
//
// The generator learns by feature matching (the squared distance between
// the mean discriminator features of a real and a generated batch;
// Salimans et al. §3.1) or, optionally, by the non-saturating GAN loss.
// Entropy minimisation on unlabelled predictions (Dai et al. 2017, "Good
// Semi-supervised Learning That Requires a Bad GAN"), random shifts of the
// labelled images and an exponential moving average of D's weights for
// evaluation are on by default; Config documents each.
//
// # Model and Trainer
//
// A Model is what training produces and what a program keeps: the two
// networks, the weight average, and the graphs that classify and
// generate. A Trainer (NewTrainer) trains one model: it owns the training
// graphs, the two Adam optimisers, the training random stream, the step
// and epoch counters and the schedule (the learning-rate decay and the
// ramp of the consistency weight over the budget). Trainer.Fit runs
// epochs over datasets; Trainer.Step takes one discriminator and one
// generator update, for loops of one's own, and follows the budget that
// SetBudget sets exactly as Fit follows its own. Model.Fit is a shortcut
// for one run with a fresh trainer.
//
//	train, test, _ := datasets.LoadMNIST("")
//	lab, unl, _ := train.Split(10, rand.New(rand.NewPCG(seed, sgan.StreamSplit)), datasets.SplitOptions{})
//	m, _ := sgan.New(sgan.Config{Seed: seed})
//	t, _ := sgan.NewTrainer(m, m.Config())
//	hist, _ := t.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
//	_ = t.Save("train.ckpt") // resumable: sgan.LoadTrainer
//	_ = m.Save("model.ckpt") // the classifier and generator alone: sgan.Load
//	pred, _ := m.Predict(images)
//
// Evaluate, Predict, PredictProba and Logits classify any number of
// images; Generate and GenerateFrom run the generator. The metrics of
// training (StepStats, EpochStats, the CSV columns of CSVWriter and
// ReadHistoryCSV) come from one table in metrics.go; package rundir
// (sgan/rundir) keeps a run's directory: metrics.csv, checkpoints, curves.
//
// # Adding a loss term
//
// The training costs are built in graphs.go by a small builder, one call
// per term: cb.add(name, node, weight) adds weight·node to the cost and
// registers the term's read-out under name. A new term is that call, a
// Config field for its weight, and a row in the metrics table (with a
// StepStats and EpochStats field) so that it is reported; a test fails
// when a registered term has no row.
//
// # The latent space and synthetic data
//
// A trained generator is a source of data. Interpolate (with Lerp and
// Slerp) walks between latent vectors; LatentClasses finds the mean latent
// vector of each class, as the classifier labels generated images, and
// Steer walks from a latent vector along the difference of two means, so
// that a digit turns into another. A model with Config.Conditional set
// has a class-conditional generator (the class code, one-hot, enters with
// z; the generator is also trained so that the classifier sees in G(z, y)
// the class y, as in AC-GAN): GenerateClass draws a chosen class and
// GenerateFromClasses mixes classes. Synthesize turns either kind of model
// into a labelled datasets.Set, keeping the examples the classifier is
// confident about; package datasets writes it as CSV, IDX or PNG folders.
// Model.Sample is the one draw–generate–classify loop under Synthesize and
// LatentClasses; LatentOfClass and SteerRates measure steering.
// Package sganplot (sgan/sganplot) plots the training curves.
//
// # Graphs
//
// gorgonia cannot differentiate one graph twice, so a model keeps one graph
// per cost — the discriminator's and the generator's — plus an inference
// graph for the classifier and one for the generator. All of them bind the
// same parameter tensors (see package layers), so an optimiser step in one
// is seen by all. The trainer builds the training graphs at its first
// Step; a model that only predicts never builds them.
//
// # Randomness
//
// Config.Seed drives everything: initialisation, the order of batches,
// dropout and noise masks, latent vectors and augmentation, each from its
// own PCG stream of the seed. The same seed on the same build gives the
// same run, loss for loss. The examples choose the labelled examples from
// the stream StreamSplit.
//
// # Checkpoints
//
// A checkpoint is one versioned file with a model section (the model's
// Config, and the parameters, BatchNorm statistics and weight average as
// a name → tensor state dict) and an optional trainer section (the
// trainer's Config, the optimisers' moments, the step counts and the
// random state), written atomically with mode 0644. Model.Save writes the
// model section, Trainer.Save both. Load (a built-in architecture) and
// Model.Load (a model built with NewWith) restore a model;
// LoadTrainer and Trainer.Load restore training exactly. Reading checks
// the format, version, lengths, checksum and that every value is finite
// before it touches a model, and a model either receives every tensor or
// none: a mismatch is a wrapped *layers.StateError listing each missing,
// unexpected or misshapen tensor. Files of the first format (version 1,
// before the Model/Trainer split) still load. WriteTo and ReadFrom do the
// same on streams.
//
// # Memory
//
// The ops of package layers write their results into arrays they own and
// reuse on every run of a graph, so a training step at batch 100 with the
// default architecture leaves about 5.5 MB of garbage (170 MB before
// December 2026, when gorgonia allocated every intermediate anew) and
// classifying 10,000 images about 17 MB. What stays live is the data,
// the weights and the graphs' arrays. With Go's default GOGC the heap may
// still grow to twice its live size between collections; a soft limit,
// debug.SetMemoryLimit or GOMEMLIMIT (examples/mnist100 sets 768 MiB),
// caps that.
//
// # Errors
//
// Every exported function returns errors, prefixed "sgan:", and never
// panics on bad input. Config.Validate bounds every size (MaxParams,
// MaxStepBytes), so New and Load never try to allocate networks that
// cannot fit; Load checks a checkpoint's header before building anything.
// Inputs must be finite and within ±MaxInput. A NaN or infinite loss, or
// an update that leaves a weight non-finite or beyond ±MaxWeight, stops
// training with a *NonFiniteError naming the step; Save refuses
// non-finite weights, so a diverged model never replaces a good file.
// A checkpoint that cannot be read as one (truncated, bad checksum,
// foreign, unknown version, impossible header) gives a *CorruptError,
// matched by errors.Is(err, ErrCorrupt); a sound file that does not fit
// the model gives a wrapped *layers.StateError instead.
//
// # Concurrency
//
// A Model may be used from many goroutines at once. Predictions (Logits,
// Predict, PredictProba, Evaluate) run in parallel, each on an inference
// graph of its own (at most GOMAXPROCS of them) that holds its own copy
// of the averaged weights, so a model can serve predictions while it
// trains, each seeing the weights between two steps. Generation,
// sampling, saving and loading hold the model's lock and run one at a
// time, as do a Trainer's steps. A Trainer itself is driven by one
// goroutine, and a *rand.Rand argument must not be shared between
// goroutines.
package sgan
