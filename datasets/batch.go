package datasets

import (
	"math/rand/v2"
	"runtime"
)

// Batcher copies mini-batches of a Set into buffers owned by the caller.
// It is made by Set.Batches (one epoch at a time) or Set.Cycle (endless).
// After it is made, Next and Reset never allocate.
//
// A Batcher reads the Set it was made from; changing the set's length
// while the Batcher is in use gives undefined results. A Batcher is not
// safe for concurrent use.
type Batcher struct {
	set   *Set
	size  int
	rng   *rand.Rand
	cycle bool
	perm  []int
	pos   int

	scratch []byte // a row read from a file (Set.IsPixels with a cache file)
}

// Batches returns a Batcher that visits every example of s once, in an
// order shuffled with rng, size examples at a time. Each example is
// visited exactly once per epoch: when Len is not a multiple of size the
// last batch of the epoch is partial, and Next says how many examples it
// filled; nothing is dropped, the caller decides what to do with a short
// batch. Reset starts a new epoch with a new shuffle.
//
// A nil rng visits the examples in order (useful for evaluation). The
// same seed gives the same order. Batches panics if size <= 0.
func (s *Set) Batches(size int, rng *rand.Rand) *Batcher {
	return newBatcher(s, size, rng, false)
}

// Cycle returns an endless Batcher: every call to Next fills a full
// batch of size examples. It walks through s in an order shuffled with
// rng and reshuffles each time it has visited every example, continuing
// the batch across the boundary; if s has fewer than size examples, a
// batch holds some of them more than once. It suits the small labelled
// set of semi-supervised training.
//
// A nil rng visits the examples in order, without reshuffling. Cycle
// panics if size <= 0 or s is empty.
func (s *Set) Cycle(size int, rng *rand.Rand) *Batcher {
	if s.Len() == 0 {
		panic("datasets: Cycle on an empty set")
	}
	return newBatcher(s, size, rng, true)
}

func newBatcher(s *Set, size int, rng *rand.Rand, cycle bool) *Batcher {
	if size <= 0 {
		panic("datasets: batch size must be positive")
	}
	b := &Batcher{set: s, size: size, rng: rng, cycle: cycle, perm: make([]int, s.Len()), scratch: s.scratchRow()}
	for i := range b.perm {
		b.perm[i] = i
	}
	b.shuffle()
	return b
}

// shuffle permutes b.perm with b.rng (Fisher–Yates), without allocating.
func (b *Batcher) shuffle() {
	if b.rng == nil {
		return
	}
	for i := len(b.perm) - 1; i > 0; i-- {
		j := b.rng.IntN(i + 1)
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
}

// Size returns the batch size.
func (b *Batcher) Size() int { return b.size }

// BatchesPerEpoch returns the number of batches in one pass over the
// set, ceil(Len/size). For a Cycle batcher it is the number of batches
// after which every example has been seen about once.
func (b *Batcher) BatchesPerEpoch() int { return (len(b.perm) + b.size - 1) / b.size }

// Next copies the next batch into x and labels and returns the number of
// examples n it filled: x[:n*Features] and labels[:n] hold them, and the
// rest of the buffers is left as it was. labels may be nil.
//
// For a Batches batcher n is size except for the last, possibly partial,
// batch of an epoch; once the epoch is over Next returns 0 until Reset.
// For a Cycle batcher n is always size.
//
// Next panics if len(x) < size*Features or labels is not nil and
// len(labels) < size. It never allocates.
func (b *Batcher) Next(x []float32, labels []int) int { return b.NextIndexed(x, labels, nil) }

// NextIndexed is Next that also writes into idx, when it is not nil, the
// position in the set of each example of the batch: for per-example state
// kept beside the set (a pseudo-label, a weight). It panics as Next does,
// and if idx is not nil and len(idx) < size.
func (b *Batcher) NextIndexed(x []float32, labels, idx []int) int {
	s := b.set
	f := s.Features()
	if len(x) < b.size*f {
		panic("datasets: Next: x is shorter than size*Features")
	}
	if labels != nil && len(labels) < b.size {
		panic("datasets: Next: labels is shorter than size")
	}
	if idx != nil && len(idx) < b.size {
		panic("datasets: Next: idx is shorter than size")
	}
	n := 0
	for n < b.size {
		if b.pos == len(b.perm) {
			if !b.cycle {
				break
			}
			b.shuffle()
			b.pos = 0
		}
		i := b.perm[b.pos]
		b.pos++
		if s.pix != nil {
			pixelValues(x[n*f:(n+1)*f], s.pixelRow(b.scratch, i))
		} else {
			copy(x[n*f:(n+1)*f], s.Data[i*f:(i+1)*f])
		}
		if labels != nil {
			labels[n] = s.Labels[i]
		}
		if idx != nil {
			idx[n] = i
		}
		n++
	}
	runtime.KeepAlive(s)
	return n
}

// Reset starts a new epoch: the next call to Next starts a new pass,
// over a new shuffle of the examples.
func (b *Batcher) Reset() {
	b.shuffle()
	b.pos = 0
}
