#!/bin/sh
# serve-load.sh CKPT IMAGE [CLIENTS] [DURATION]: builds examples/serve,
# serves CKPT, sends IMAGE from CLIENTS clients for DURATION
# (scripts/serveload.go), and prints the server's peak resident memory.
set -eu
ckpt=$1 image=$2 clients=${3:-32} duration=${4:-30s}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/serve" ./examples/serve
"$dir/serve" -ckpt "$ckpt" -addr 127.0.0.1:18080 > "$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q serving "$dir/log" && break; sleep 0.1; done
go run scripts/serveload.go -url http://127.0.0.1:18080/predict -image "$image" -clients "$clients" -duration "$duration"
echo "server peak resident memory: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
