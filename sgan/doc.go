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
// Semi-supervised Learning That Requires a Bad GAN"), a consistency term
// between two augmented views, random shifts of the labelled images and
// an exponential moving average of D's weights for evaluation are on by
// default.
//
// # Two configurations
//
// A ModelConfig describes the networks (classes, image shape,
// architecture, widths, latent size, conditional generator, weight
// average): it is what a saved model holds and all that predicting and
// generating need. A TrainConfig describes one way of training a model:
// batch size, Budget, optimiser and schedule, the weight of each loss
// term, Augment. DefaultModelConfig and DefaultTrainConfig give the
// recipe; change what should differ. A zero field means zero, so 0 (or
// false) switches a part off. Both are stored with explicit JSON names.
//
// # Model and Trainer
//
// A Model is what training produces and what a program keeps: the two
// networks, the weight average, and the graphs that classify and
// generate. A Trainer (NewTrainer) trains one model: it owns the
// TrainConfig, the training graphs, the two Adam optimisers, the training
// random stream, the step and epoch counters and the schedule (the
// learning-rate decay and the ramp of the consistency weight over the
// budget). Trainer.Fit runs epochs over datasets; Trainer.Step takes one
// discriminator and one generator update, for loops of one's own, which
// follow the budget exactly as Fit does after Trainer.Schedule. Model.Fit
// is a shortcut for one run of the default recipe.
//
//	train, test, _ := datasets.LoadMNIST("")
//	lab, unl, _ := train.Split(10, rand.New(rand.NewPCG(seed, sgan.StreamSplit)), datasets.SplitOptions{})
//	m, _ := sgan.New(sgan.DefaultModelConfig())
//	tc := sgan.DefaultTrainConfig(m.Config())
//	tc.Budget.Duration = 10 * time.Minute
//	t, _ := sgan.NewTrainer(m, tc)
//	hist, _ := t.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
//	_ = t.Save("train.ckpt") // resumable: sgan.LoadTrainer
//	_ = m.Save("model.ckpt") // the classifier and generator alone: sgan.Load
//	pred, _ := m.Predict(images)
//
// Evaluate, Predict, PredictProba and Logits classify any number of
// images; Generate and GenerateFrom run the generator. Package rundir
// (sgan/rundir) keeps a run's directory: metrics.csv, checkpoints,
// curves.
//
// # Loss terms
//
// The training costs are sums of weighted loss terms, one table of them
// (LossTerms lists each with its documentation): sup, unsup, entropy,
// fake_class, balance, consistency and pseudo in the discriminator's
// cost, feature_matching, nonsaturating and gen_class in the generator's.
// TrainConfig.Weights switches them on by name. Each term's value is
// reported under its name in StepStats.Losses and EpochStats.Losses and
// in a column of the metrics CSV (CSVWriter, ReadHistoryCSV), and the
// examples make a flag of each. Adding a weighted term is one function
// that builds its node from the step's logits (termInputs) and one row
// of the table (terms.go); everything else follows from the row.
//
// # The latent space and synthetic data
//
// A trained generator is a source of data. Interpolate (with Lerp and
// Slerp) walks between latent vectors; LatentClasses finds the mean latent
// vector of each class, as the classifier labels generated images, and
// Steer walks from a latent vector along the difference of two means, so
// that a digit turns into another. A model with ModelConfig.Conditional set
// has a class-conditional generator (the class code, one-hot, enters with
// z; the generator is also trained so that the classifier sees in G(z, y)
// the class y, as in AC-GAN): GenerateClass draws a chosen class and
// GenerateFromClasses mixes classes. Synthesize turns either kind of model
// into a labelled datasets.Set, keeping the examples the classifier is
// confident about; package datasets writes it as CSV, IDX or PNG folders.
// Model.Sample is the one draw–generate–classify loop under Synthesize and
// LatentClasses; LatentOfClass and SteerRates measure steering.
// Directions finds, without labels, the latent directions along which the
// generated images vary most (after GANSpace), for a person to name one;
// SynthesizeTwoSided turns a direction into a labelled set of pairs that
// differ only along it, on which a classifier for that attribute trains.
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
// The seeds drive everything: ModelConfig.Seed the initialisation and
// Generate's default latent vectors, TrainConfig.Seed the order of
// batches, dropout and noise masks, latent vectors and augmentation, each
// from its own PCG stream. The same seeds on the same build give the
// same run, loss for loss. The examples choose the labelled examples from
// the stream StreamSplit.
//
// # Checkpoints
//
// A checkpoint is one versioned file with a model section (the
// ModelConfig, and the parameters, BatchNorm statistics and weight
// average as a name → tensor state dict) and an optional trainer section
// (the TrainConfig, the optimisers' moments, the step counts and the
// random state), written atomically with mode 0644. Model.Save writes the
// model section, Trainer.Save both. Load (a built-in architecture) and
// Model.Load (a model built with NewWith) restore a model; LoadTrainer
// and Trainer.Load restore training exactly. Reading checks the format,
// version, lengths, checksum, that every value is finite and that the
// header holds no field this release does not know before it touches a
// model, and a model either receives every tensor or none: a mismatch is
// a wrapped *layers.StateError listing each missing, unexpected or
// misshapen tensor. Files of earlier formats (version 1, before the
// Model/Trainer split, and version 2, before the config split) still
// load, their single Config migrated to the two of today, and give the
// same predictions and the same training steps. WriteTo and ReadFrom do
// the same on streams.
//
// # Memory
//
// The ops of package layers write their results into arrays they own and
// reuse on every run of a graph, so a training step at batch 100 with the
// default architecture leaves about 5.5 MB of garbage (170 MB before
// December 2026, when gorgonia allocated every intermediate anew) and
// classifying 10,000 images about 17 MB. What stays live is the data,
// the weights and the graphs' arrays; image data from the datasets
// loaders are bytes kept outside the Go heap. With Go's default GOGC the
// heap may still grow to twice its live size between collections; the
// examples set GOGC=50 (debug.SetGCPercent), and a soft limit
// (debug.SetMemoryLimit or GOMEMLIMIT) caps it.
//
// # Errors
//
// Every exported function returns errors, prefixed "sgan:", and never
// panics on bad input. ModelConfig.Validate and NewTrainer bound every
// size (MaxParams, MaxStepBytes), so New, NewTrainer and Load never try
// to allocate networks that cannot fit; Load checks a checkpoint's header
// before building anything.
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
