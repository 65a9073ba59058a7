// Package recipeflags gives the example programs one set of command-line
// flags for the training recipe (the loss weights, augmentation and
// discriminator options of sgan.Config), so that mnist100 and csv accept
// the same switches and print the recipe the same way.
//
// Every flag's zero value means "the default of sgan.Config"; a negative
// value turns an optional part off where sgan.Config allows it.
package recipeflags
