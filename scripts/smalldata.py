#!/usr/bin/env python3
"""Writes a small semi-supervised split of scikit-learn's 8x8 digits as CSV
files for examples/csv, and prints what two classic methods reach on it.

The split (seeded): PER_CLASS labelled images per class, TEST test images,
every other image unlabelled. Pixels are written as whole values 0..255
(scikit-learn's 0..16 times 255/16, rounded), so that
`go run ./examples/csv -shape 1x8x8` reads them with its default image
scale. Needs Debian's python3-sklearn; run it with /usr/bin/python3.

    /usr/bin/python3 scripts/smalldata.py -out out-small -seed 1
"""
import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading


def write_csv(path, x, y=None):
    header = [f"p{i}" for i in range(x.shape[1])] + (["label"] if y is not None else [])
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(",".join(header) + "\n")
        for i, row in enumerate(x):
            cells = [str(int(v)) for v in row]
            if y is not None:
                cells.append(str(int(y[i])))
            f.write(",".join(cells) + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-out", default="out-small", help="directory for labelled.csv, unlabelled.csv, test.csv")
    ap.add_argument("-seed", type=int, default=1)
    ap.add_argument("-per-class", type=int, default=5, help="labelled images per class")
    ap.add_argument("-test", type=int, default=497, help="test images")
    ap.add_argument("-k", type=int, default=5, help="neighbours of LabelSpreading's kNN graph")
    a = ap.parse_args()

    d = load_digits()
    x = np.rint(d.data * 255.0 / 16.0).astype(int)
    y = d.target.astype(int)
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(len(y))
    test, rest = order[: a.test], order[a.test :]
    lab = np.concatenate([rest[y[rest] == k][: a.per_class] for k in range(10)])
    unl = np.setdiff1d(rest, lab)
    unl = unl[rng.permutation(len(unl))]

    os.makedirs(a.out, exist_ok=True)
    write_csv(os.path.join(a.out, "labelled.csv"), x[lab], y[lab])
    write_csv(os.path.join(a.out, "unlabelled.csv"), x[unl])
    write_csv(os.path.join(a.out, "test.csv"), x[test], y[test])
    print(f"split (seed {a.seed}): {len(lab)} labelled, {len(unl)} unlabelled, {len(test)} test -> {a.out}/")

    xs = x / 255.0
    lr = LogisticRegression(max_iter=5000).fit(xs[lab], y[lab])
    print(f"logistic regression (labelled only): {lr.score(xs[test], y[test]):.4f}")
    xall = np.concatenate([xs[lab], xs[unl]])
    yall = np.concatenate([y[lab], -np.ones(len(unl), int)])
    ls = LabelSpreading(kernel="knn", n_neighbors=a.k, max_iter=1000).fit(xall, yall)
    print(f"LabelSpreading (kNN, k={a.k}): {ls.score(xs[test], y[test]):.4f}")


if __name__ == "__main__":
    main()
