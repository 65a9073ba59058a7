package datasets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// epoch runs one epoch of b and returns the example indices visited
// (read from the first feature, see mkSet) and the batch sizes.
func epoch(b *Batcher, s *Set) (order []int, sizes []int) {
	x := make([]float32, b.Size()*s.Features())
	labels := make([]int, b.Size())
	for {
		n := b.Next(x, labels)
		if n == 0 {
			return order, sizes
		}
		sizes = append(sizes, n)
		for k := range n {
			i := int(x[k*s.Features()])
			order = append(order, i)
			if labels[k] != s.Labels[i] {
				panic("label does not follow its example")
			}
		}
	}
}

func TestBatches(t *testing.T) {
	for i, test := range []struct {
		n, size   int
		nilRng    bool
		wantSizes []int
	}{
		{n: 10, size: 3, wantSizes: []int{3, 3, 3, 1}},
		{n: 9, size: 3, wantSizes: []int{3, 3, 3}},
		{n: 2, size: 5, wantSizes: []int{2}},
		{n: 0, size: 4, wantSizes: nil},
		{n: 7, size: 2, nilRng: true, wantSizes: []int{2, 2, 2, 1}},
	} {
		s := mkSet(test.n, 1, 2, 2, 3)
		var rng *rand.Rand
		if !test.nilRng {
			rng = rand.New(rand.NewPCG(3, uint64(i)))
		}
		b := s.Batches(test.size, rng)
		if got := b.BatchesPerEpoch(); got != len(test.wantSizes) {
			t.Errorf("%d: BatchesPerEpoch = %d, want %d", i, got, len(test.wantSizes))
		}
		order, sizes := epoch(b, s)
		if !slices.Equal(sizes, test.wantSizes) {
			t.Errorf("%d: batch sizes %v, want %v", i, sizes, test.wantSizes)
		}
		sorted := slices.Sorted(slices.Values(order))
		for j, v := range sorted {
			if v != j {
				t.Fatalf("%d: epoch visits %v, not each example once", i, order)
			}
		}
		if len(order) != test.n {
			t.Errorf("%d: epoch visits %d examples, want %d", i, len(order), test.n)
		}
		if test.nilRng && !slices.IsSorted(order) {
			t.Errorf("%d: nil rng order %v is not sequential", i, order)
		}
		if b.Next(make([]float32, test.size*4), nil) != 0 {
			t.Errorf("%d: Next after the end of the epoch is not 0", i)
		}
		b.Reset()
		again, _ := epoch(b, s)
		if len(again) != test.n {
			t.Errorf("%d: after Reset the epoch visits %d examples", i, len(again))
		}
	}
}

func TestBatchesDeterministic(t *testing.T) {
	s := mkSet(50, 1, 1, 1, 2)
	run := func(seed uint64) (first, second []int) {
		b := s.Batches(8, rand.New(rand.NewPCG(seed, 0)))
		first, _ = epoch(b, s)
		b.Reset()
		second, _ = epoch(b, s)
		return first, second
	}
	a1, a2 := run(1)
	b1, b2 := run(1)
	c1, _ := run(2)
	if !slices.Equal(a1, b1) || !slices.Equal(a2, b2) {
		t.Error("same seed, different order")
	}
	if slices.Equal(a1, a2) {
		t.Error("Reset did not reshuffle")
	}
	if slices.Equal(a1, c1) {
		t.Error("different seeds, same order")
	}
}

func TestCycle(t *testing.T) {
	for i, test := range []struct{ n, size int }{{10, 3}, {3, 8}, {1, 2}, {6, 6}} {
		s := mkSet(test.n, 1, 1, 3, 2)
		b := s.Cycle(test.size, rand.New(rand.NewPCG(5, uint64(i))))
		x := make([]float32, test.size*s.Features())
		counts := make([]int, test.n)
		batches := 3 * test.n // = 3*size passes' worth of examples
		for range batches {
			if n := b.Next(x, nil); n != test.size {
				t.Fatalf("%d: Cycle filled %d, want %d", i, n, test.size)
			}
			for k := range test.size {
				counts[int(x[k*s.Features()])]++
			}
		}
		// batches*size = 3*n*size examples: every example exactly 3*size times.
		for j, c := range counts {
			if c != 3*test.size {
				t.Errorf("%d: example %d seen %d times, want %d", i, j, c, 3*test.size)
			}
		}
	}
	if !panics(func() { mkSet(0, 1, 1, 1, 1).Cycle(2, nil) }) {
		t.Error("Cycle of an empty set does not panic")
	}
}

func TestBatcherPanics(t *testing.T) {
	s := mkSet(5, 1, 2, 2, 2)
	for i, f := range []func(){
		func() { s.Batches(0, nil) },
		func() { s.Batches(2, nil).Next(make([]float32, 7), nil) },
		func() { s.Batches(2, nil).Next(make([]float32, 8), make([]int, 1)) },
		func() { s.Batches(2, nil).NextIndexed(make([]float32, 8), nil, make([]int, 1)) },
	} {
		if !panics(f) {
			t.Errorf("%d: no panic", i)
		}
	}
}

func TestBatcherNoAlloc(t *testing.T) {
	s := mkSet(100, 1, 4, 4, 10)
	x := make([]float32, 16*s.Features())
	labels := make([]int, 16)
	for _, b := range []*Batcher{s.Batches(16, rand.New(rand.NewPCG(1, 2))), s.Cycle(16, rand.New(rand.NewPCG(1, 2)))} {
		allocs := testing.AllocsPerRun(100, func() {
			if b.Next(x, labels) == 0 {
				b.Reset()
			}
		})
		if allocs != 0 {
			t.Errorf("Next/Reset allocate %v times per run", allocs)
		}
	}
}

// NextIndexed reports where in the set each example of a batch is, for
// both kinds of batcher, and fills the same batches as Next.
func TestNextIndexed(t *testing.T) {
	for i, test := range []struct {
		n, size int
		cycle   bool
	}{{10, 3, false}, {10, 3, true}, {3, 8, true}} {
		s := mkSet(test.n, 1, 1, 3, 2)
		mk := func() *Batcher {
			rng := rand.New(rand.NewPCG(9, uint64(i)))
			if test.cycle {
				return s.Cycle(test.size, rng)
			}
			return s.Batches(test.size, rng)
		}
		a, b := mk(), mk()
		x1, x2 := make([]float32, test.size*s.Features()), make([]float32, test.size*s.Features())
		idx := make([]int, test.size)
		for range 2 * test.n {
			n1, n2 := a.Next(x1, nil), b.NextIndexed(x2, nil, idx)
			if n1 != n2 || !slices.Equal(x1, x2) {
				t.Fatalf("%d: NextIndexed filled %d, Next %d, or other examples", i, n2, n1)
			}
			for k := range n2 {
				if want := int(x2[k*s.Features()]); idx[k] != want {
					t.Fatalf("%d: example %d of the batch is at %d, NextIndexed says %d", i, k, want, idx[k])
				}
			}
		}
	}
}
