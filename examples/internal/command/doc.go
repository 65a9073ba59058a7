// Package command holds the plumbing that the example programs under
// examples/ would otherwise each repeat: the main function that runs a
// command with the process's arguments and an interrupt-cancelled
// context, making a model and its trainer from the two configurations,
// opening a run directory with a hint on what to do about an earlier
// run, and drawing synthetic examples where too few confident ones are
// a warning rather than a failure.
//
// It holds no flags of its own: each program keeps its flags, messages
// and output, and package recipeflags gives them the recipe's flags.
package command
