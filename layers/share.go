package layers

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ShareStats reports what ShareBuffers did to a graph: how many nodes of
// this package's ops it found, how many of them now share an output array,
// and the bytes of output arrays the graph holds before and after.
type ShareStats struct {
	Nodes, Shared           int
	BytesBefore, BytesAfter int64
}

func (s ShareStats) String() string {
	return fmt.Sprintf("%d of %d op outputs share arrays: %.1f MB -> %.1f MB",
		s.Shared, s.Nodes, float64(s.BytesBefore)/1e6, float64(s.BytesAfter)/1e6)
}

// ShareBuffers lets the outputs of this package's ops in g share their
// arrays when their lifetimes do not overlap, which cuts the memory a
// graph holds between runs (every op keeps its output array from run to
// run, see the package documentation). Call it once the graph is
// complete, gradients included, with the graph that the TapeMachine will
// run (the subgraph, if only a subgraph is compiled), before the graph
// runs for the first time.
//
// A node's lifetime runs from the op that computes it to the last op
// that reads it, in the order a TapeMachine runs g (gorgonia.Sort,
// reversed). Its array is shared only if that order bounds its lifetime;
// it keeps an array of its own if:
//   - it is in keep, the nodes whose values the caller reads after a run
//     (anything besides the graph's roots, which are always kept);
//   - no op reads it (a root: a cost, a gradient, an output);
//   - an op that is not this package's reads it (gorgonia's ops may
//     return views of their inputs or compute in place);
//   - it has as many elements as the output of some op in g that is not
//     this package's (a TapeMachine may let such an op write into the
//     array of a node whose register it reuses).
//
// Values are unchanged: every op still writes its whole output on each
// run. After ShareBuffers, the value of a node that is neither kept nor a
// root is valid only until the graph's next op that reuses its array.
//
// ShareBuffers returns an error if g cannot be sorted (it has a cycle).
func ShareBuffers(g *G.ExprGraph, keep ...*G.Node) (ShareStats, error) {
	var st ShareStats
	sorted, err := G.Sort(g)
	if err != nil {
		return st, fmt.Errorf("layers: ShareBuffers: %w", err)
	}
	slices.Reverse(sorted) // execution order
	pos := make(map[*G.Node]int, len(sorted))
	for i, n := range sorted {
		pos[n] = i
	}
	kept := make(map[*G.Node]bool, len(keep))
	for _, n := range keep {
		kept[n] = true
	}
	// Who reads each node, and the element counts that other ops produce.
	last := make(map[*G.Node]int, len(sorted))
	foreignReader := make(map[*G.Node]bool)
	foreignSize := make(map[int]bool)
	for i, n := range sorted {
		if n.Op() == nil {
			continue
		}
		_, mine := n.Op().(ownsOutput)
		if !mine {
			foreignSize[n.Shape().TotalSize()] = true
		}
		for it := g.From(n.ID()); it.Next(); {
			c, ok := it.Node().(*G.Node)
			if !ok {
				continue
			}
			if _, ok := pos[c]; !ok {
				continue
			}
			last[c] = max(last[c], i)
			if !mine {
				foreignReader[c] = true
			}
		}
	}

	type cand struct {
		buf      *outBuf
		def, end int
		n        int // elements
		dt       tensor.Dtype
	}
	var cands []cand
	for i, n := range sorted {
		o, ok := n.Op().(ownsOutput)
		if !ok || o.outBuffer() == nil {
			continue
		}
		size := n.Shape().TotalSize()
		eb := int64(n.Dtype().Size())
		st.Nodes++
		st.BytesBefore += int64(size) * eb
		end, read := last[n]
		if !read || kept[n] || foreignReader[n] || foreignSize[size] {
			o.outBuffer().slot = nil // its own array, also after an earlier call
			st.BytesAfter += int64(size) * eb
			continue
		}
		cands = append(cands, cand{buf: o.outBuffer(), def: i, end: end, n: size, dt: n.Dtype()})
	}

	// Greedy interval assignment in execution order: a node takes a free
	// slot of its dtype (the smallest that is large enough, else the
	// largest, which grows), or a new one.
	type slotUse struct {
		s   *bufSlot
		end int
	}
	var busy []slotUse
	free := map[tensor.Dtype][]*bufSlot{}
	var all []*bufSlot
	users := map[*bufSlot]int{}
	for _, c := range cands {
		keepBusy := busy[:0]
		for _, u := range busy {
			if u.end < c.def {
				free[u.s.dt] = append(free[u.s.dt], u.s)
			} else {
				keepBusy = append(keepBusy, u)
			}
		}
		busy = keepBusy
		fs := free[c.dt]
		pick := -1
		for j, s := range fs {
			switch {
			case pick < 0:
				pick = j
			case s.n >= c.n && (fs[pick].n < c.n || s.n < fs[pick].n):
				pick = j
			case fs[pick].n < c.n && s.n > fs[pick].n:
				pick = j
			}
		}
		var s *bufSlot
		if pick >= 0 {
			s = fs[pick]
			free[c.dt] = slices.Delete(fs, pick, pick+1)
		} else {
			s = &bufSlot{dt: c.dt}
			all = append(all, s)
		}
		s.n = max(s.n, c.n)
		users[s]++
		c.buf.slot = s
		c.buf.data = nil
		busy = append(busy, slotUse{s: s, end: c.end})
	}
	for _, s := range all {
		st.BytesAfter += int64(s.n) * int64(s.dt.Size())
		if users[s] > 1 {
			st.Shared += users[s]
		}
	}
	return st, nil
}

// ownsOutput is implemented by this package's ops: their output array.
type ownsOutput interface{ outBuffer() *outBuf }

func (p pureOp) outBuffer() *outBuf      { return p.out }
func (op convOp) outBuffer() *outBuf     { return op.out }
func (op upsampleOp) outBuffer() *outBuf { return op.out }

// bufSlot is an output array shared by several nodes (see ShareBuffers):
// n elements of dtype dt, allocated when first needed.
type bufSlot struct {
	dt   tensor.Dtype
	n    int
	data any
}
