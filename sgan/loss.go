package sgan

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers"
)

// The losses below are written on K class logits l per example, with the
// (K+1)-th "fake" logit fixed at 0 (Salimans et al. 2016, §3). Then
// p(fake|x) = 1/(Z+1) and D(x) = Z/(Z+1) with Z = Σ_k exp(l_k), so
//
//	−log D(x)     = softplus(LSE(l)) − LSE(l)
//	−log(1−D(x))  = softplus(LSE(l))
//
// where LSE is the log-sum-exp over the K logits.

// constant returns a scalar constant of the node's dtype (gorgonia refuses
// to mix float32 and float64 operands).
func constant(like *G.Node, v float64) *G.Node {
	if like.Dtype() == G.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// supervisedLoss is the K-class cross-entropy: −mean_i Σ_k y_ik log softmax(l_i)_k,
// with onehot an (N,K) input holding the one-hot labels.
func supervisedLoss(logits, onehot *G.Node) (*G.Node, error) {
	ls, err := layers.LogSoftmax(logits)
	if err != nil {
		return nil, fmt.Errorf("sgan: supervised loss: %w", err)
	}
	prod, err := G.HadamardProd(ls, onehot)
	if err != nil {
		return nil, fmt.Errorf("sgan: supervised loss: %w", err)
	}
	s, err := G.Sum(prod, 1)
	if err != nil {
		return nil, fmt.Errorf("sgan: supervised loss: %w", err)
	}
	m, err := G.Mean(s)
	if err != nil {
		return nil, fmt.Errorf("sgan: supervised loss: %w", err)
	}
	return G.Neg(m)
}

// unsupervisedLoss is the discriminator's GAN loss on real unlabelled and
// generated examples: 0.5·mean(−log D(x_unl)) + 0.5·mean(−log(1−D(G(z)))).
func unsupervisedLoss(lUnl, lFake *G.Node) (*G.Node, error) {
	real, err := realLoss(lUnl)
	if err != nil {
		return nil, err
	}
	lseF, err := layers.LSE(lFake)
	if err != nil {
		return nil, fmt.Errorf("sgan: unsupervised loss: %w", err)
	}
	sp, err := G.Softplus(lseF)
	if err != nil {
		return nil, fmt.Errorf("sgan: unsupervised loss: %w", err)
	}
	fake, err := G.Mean(sp)
	if err != nil {
		return nil, fmt.Errorf("sgan: unsupervised loss: %w", err)
	}
	sum, err := G.Add(real, fake)
	if err != nil {
		return nil, fmt.Errorf("sgan: unsupervised loss: %w", err)
	}
	return G.HadamardProd(sum, constant(sum, 0.5))
}

// realLoss is mean(−log D(x)) = mean(softplus(LSE(l)) − LSE(l)). It is the
// real half of the discriminator loss and the generator's non-saturating
// loss when l are the logits of generated examples.
func realLoss(l *G.Node) (*G.Node, error) {
	lse, err := layers.LSE(l)
	if err != nil {
		return nil, fmt.Errorf("sgan: loss: %w", err)
	}
	sp, err := G.Softplus(lse)
	if err != nil {
		return nil, fmt.Errorf("sgan: loss: %w", err)
	}
	d, err := G.Sub(sp, lse)
	if err != nil {
		return nil, fmt.Errorf("sgan: loss: %w", err)
	}
	return G.Mean(d)
}

// entropyLoss is the mean entropy of the K-class prediction,
// −mean_i Σ_k p_ik log p_ik, minimised on unlabelled data (Grandvalet &
// Bengio 2005; Dai et al. 2017). p is taken as exp(log softmax), which
// reuses the log-softmax node.
func entropyLoss(l *G.Node) (*G.Node, error) {
	ls, err := layers.LogSoftmax(l)
	if err != nil {
		return nil, fmt.Errorf("sgan: entropy: %w", err)
	}
	p, err := G.Exp(ls)
	if err != nil {
		return nil, fmt.Errorf("sgan: entropy: %w", err)
	}
	pl, err := G.HadamardProd(p, ls)
	if err != nil {
		return nil, fmt.Errorf("sgan: entropy: %w", err)
	}
	s, err := G.Sum(pl, 1)
	if err != nil {
		return nil, fmt.Errorf("sgan: entropy: %w", err)
	}
	m, err := G.Mean(s)
	if err != nil {
		return nil, fmt.Errorf("sgan: entropy: %w", err)
	}
	return G.Neg(m)
}

// balanceLoss is −Σ_k π_k log(p̄_k + ε), the cross-entropy between the
// class prior π (K) and the mean predicted class distribution p̄ over the
// batch of logits l (N,K). Its minimum, at p̄ = π, is π's entropy.
func balanceLoss(l, prior *G.Node) (*G.Node, error) {
	ls, err := layers.LogSoftmax(l)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	p, err := G.Exp(ls)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	pm, err := G.Mean(p, 0)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	pe, err := G.Add(pm, constant(pm, 1e-6))
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	lp, err := G.Log(pe)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	prod, err := G.HadamardProd(prior, lp)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	s, err := G.Sum(prod)
	if err != nil {
		return nil, fmt.Errorf("sgan: balance: %w", err)
	}
	return G.Neg(s)
}

// featureMatchingLoss is mean_j (r_j − mean_i f_ij)² for the mean real
// features r (F) and the generated examples' features f (N,F) (Salimans et
// al. 2016, §3.1).
func featureMatchingLoss(realMean, fFake *G.Node) (*G.Node, error) {
	mf, err := G.Mean(fFake, 0)
	if err != nil {
		return nil, fmt.Errorf("sgan: feature matching: %w", err)
	}
	d, err := G.Sub(realMean, mf)
	if err != nil {
		return nil, fmt.Errorf("sgan: feature matching: %w", err)
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, fmt.Errorf("sgan: feature matching: %w", err)
	}
	return G.Mean(sq)
}

// consistencyLoss is mean_i Σ_k (p_ik − q_ik)² for the K-class
// probabilities p and q of two differently perturbed views of the same
// examples (the Π-model of Laine & Aila 2017): the classifier learns to
// give both views the same prediction.
func consistencyLoss(l1, l2 *G.Node) (*G.Node, error) {
	p1, err := probs(l1)
	if err != nil {
		return nil, err
	}
	p2, err := probs(l2)
	if err != nil {
		return nil, err
	}
	return meanSquaredRows(p1, p2)
}

// consistencyToTarget is the Mean Teacher consistency loss: the squared
// difference between the class probabilities of logits l and the
// teacher's probabilities p (an input, so no gradient reaches the
// teacher), summed over classes and averaged over the batch.
func consistencyToTarget(l, p *G.Node) (*G.Node, error) {
	q, err := probs(l)
	if err != nil {
		return nil, err
	}
	return meanSquaredRows(q, p)
}

// probs is the softmax of logits l (rows), through the stable log-softmax.
func probs(l *G.Node) (*G.Node, error) {
	ls, err := layers.LogSoftmax(l)
	if err != nil {
		return nil, fmt.Errorf("sgan: consistency: %w", err)
	}
	p, err := G.Exp(ls)
	if err != nil {
		return nil, fmt.Errorf("sgan: consistency: %w", err)
	}
	return p, nil
}

// meanSquaredRows is the squared difference of a and b summed over each
// row and averaged over the rows.
func meanSquaredRows(a, b *G.Node) (*G.Node, error) {
	d, err := G.Sub(a, b)
	if err != nil {
		return nil, fmt.Errorf("sgan: consistency: %w", err)
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, fmt.Errorf("sgan: consistency: %w", err)
	}
	s, err := G.Sum(sq, 1)
	if err != nil {
		return nil, fmt.Errorf("sgan: consistency: %w", err)
	}
	return G.Mean(s)
}
