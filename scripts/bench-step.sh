#!/bin/sh
# Side-by-side timing of one SGAN iteration and of prediction: semigan
# (pure-Go and OpenBLAS builds) and the PyTorch reference, 1 and 2 threads,
# one after the other. Run from the repository root on a quiet machine:
#
#	sh scripts/bench-step.sh [outdir]      # default outdir: bench-out
#
# Needs libopenblas-dev for the OpenBLAS build and python3-torch for the
# reference (apt-get install -y libopenblas-dev python3-torch), and the
# reference scripts in ../shared/reference/pytorch (or $REFERENCE_DIR).
# Summarise with benchstat (go install golang.org/x/perf/cmd/benchstat@latest).
set -eu
out=${1:-bench-out}
ref=${REFERENCE_DIR:-../shared/reference/pytorch}
# The reference invocation that matches semigan's default MNIST
# architecture (docs/BENCHMARKS.md):
REFERENCE_ARGS="--only custom --arch conv --d-channels 32,64 --conv-kernel 5 --dropout 0.5 --d-gauss-noise 0.3 --g-channels 64,32 --g-kernel 5 --z-dim 100 --adam torch"
mkdir -p "$out"
out=$(cd "$out" && pwd)

go test -c -o "$out/sgan-go.test" ./sgan
go test -c -tags openblas -o "$out/sgan-openblas.test" ./sgan
for build in go openblas; do
	(cd sgan && "$out/sgan-$build.test" -test.run '^$' \
		-test.bench 'Step$|StepNoConsistency$' -test.benchtime 10x -test.count 5 -test.cpu 1,2 -test.benchmem) | tee "$out/step-$build.txt"
	(cd sgan && "$out/sgan-$build.test" -test.run '^$' \
		-test.bench 'Predict$' -test.benchtime 3x -test.count 5 -test.cpu 1,2) | tee "$out/predict-$build.txt"
done
# shellcheck disable=SC2086
/usr/bin/python3 "$ref/bench_step.py" --threads 1,2 --iters 30 --warmup 5 \
	--variants OMP_WAIT_POLICY=PASSIVE $REFERENCE_ARGS | tee "$out/pytorch.txt"
