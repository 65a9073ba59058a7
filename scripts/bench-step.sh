#!/bin/sh
# Side-by-side timing of one SGAN iteration and of prediction: semigan
# (pure-Go and OpenBLAS builds) and its PyTorch twin
# (scripts/torch_reference.py step), 1 and 2 threads, one after the other.
# Run from the repository root on a quiet machine:
#
#	sh scripts/bench-step.sh [outdir]      # default outdir: bench-out
#
# Needs libopenblas-dev for the OpenBLAS build and python3-torch for the
# PyTorch side (apt-get install -y libopenblas-dev python3-torch).
# The PyTorch rows Step, StepNoConsistency, StepSupervised and Predict time
# the same work as the Go benchmarks of those names in sgan/bench_test.go.
# Summarise with benchstat (go install golang.org/x/perf/cmd/benchstat@latest).
set -eu
out=${1:-bench-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

go test -c -o "$out/sgan-go.test" ./sgan
go test -c -tags openblas -o "$out/sgan-openblas.test" ./sgan
for build in go openblas; do
	(cd sgan && "$out/sgan-$build.test" -test.run '^$' \
		-test.bench 'Step$|StepNoConsistency$|StepSupervised$' -test.benchtime 10x -test.count 5 -test.cpu 1,2 -test.benchmem) | tee "$out/step-$build.txt"
	(cd sgan && "$out/sgan-$build.test" -test.run '^$' \
		-test.bench 'Predict$' -test.benchtime 3x -test.count 5 -test.cpu 1,2) | tee "$out/predict-$build.txt"
done
/usr/bin/python3 scripts/torch_reference.py step --threads 1,2 --iters 30 --warmup 5 \
	| tee "$out/pytorch.txt"
