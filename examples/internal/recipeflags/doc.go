// Package recipeflags gives the example programs one set of command-line
// flags for the training recipe, so that they accept the same switches and
// print the recipe the same way: one flag per loss term of
// sgan.LossTerms (named after the term, underscores as dashes: -entropy,
// -fake-class), made from the table so that a new term brings its flag,
// and flags for the optimiser, augmentation and the discriminator.
//
// A flag that is not given leaves the default of sgan.DefaultModelConfig
// or sgan.DefaultTrainConfig; 0 switches a term or an augmentation off.
package recipeflags
