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
// # Use
//
//	train, test, _ := datasets.LoadMNIST("")
//	lab, unl, _ := train.Split(10, rand.New(rand.NewPCG(seed, sgan.StreamSplit)), datasets.SplitOptions{})
//	m, _ := sgan.New(sgan.Config{Seed: seed})
//	hist, _ := m.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
//	pred, _ := m.Predict(images)
//	_ = m.Save("model.ckpt")
//
// Step takes one discriminator and one generator update, for custom
// loops; Fit is built on it. Evaluate, Predict, PredictProba and Logits
// classify any number of images; Generate and GenerateFrom run the
// generator. ReadHistoryCSV reads back the metrics that CSVWriter records.
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
// Package sganplot (sgan/sganplot) plots the training curves.
//
// # Graphs
//
// gorgonia cannot differentiate one graph twice, so a model keeps one graph
// per cost — the discriminator's and the generator's — plus an inference
// graph for the classifier and one for the generator. All of them bind the
// same parameter tensors (see package layers), so an optimiser step in one
// is seen by all. Training graphs are built by the first Step; a model that
// only predicts never builds them.
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
// Save writes one versioned file (config, and a name → tensor map of the
// parameters, BatchNorm statistics, weight average and optimiser moments,
// plus the step counts and random state), atomically. Load and LoadFile
// check the format, version and checksum and reject missing, unexpected or
// wrongly shaped tensors with a *CheckpointError naming them.
//
// # Memory
//
// gorgonia's tape machines allocate every intermediate tensor again on
// each run, so a training step at batch 100 with the default architecture
// leaves about 170 MB of garbage, and classifying 10,000 images about
// 900 MB; little of it is live at once (about 25 MB besides the data
// after a step). With Go's default GOGC the heap may grow to twice its
// live size in between collections. A soft limit,
// debug.SetMemoryLimit or GOMEMLIMIT (examples/mnist100 sets 768 MiB),
// keeps the resident size of MNIST training under 1 GiB at little cost:
// the garbage is pointer-free and cheap to collect.
//
// # Errors
//
// Every exported function returns errors, prefixed "sgan:", and never
// panics on bad input. A NaN or infinite loss stops training with a
// *NonFiniteError naming the step.
package sgan
