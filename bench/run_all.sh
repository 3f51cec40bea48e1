#!/bin/sh
# Runs every chatbench scenario RUNS times against a spawned node (echo: the echo server)
# and leaves one JSON report per run in OUT. Usage: bench/run_all.sh BUILD_DIR [OUT] [RUNS] [DURATION]
set -eu
build=${1:?build dir}; out=${2:-bench-results}; runs=${3:-3}; duration=${4:-20}
mkdir -p "$out"
for i in $(seq 1 "$runs"); do
  for s in "echo --pairs 16" "relay --pairs 16" "fanout --members 100 --senders 2" "login --connections 32" \
           "idle --connections 10000" "media --size 4194304" "federation --pairs 16" \
           "relay --pairs 16 --rate 6000 --storm 32"; do
    name=$(echo "$s" | cut -d' ' -f1)
    case "$s" in *--storm*) name=relay-storm ;; esac
    "$build/bench/chatbench" $s --spawn --duration "$duration" --json "$out/$name-$i.json" > "$out/$name-$i.txt" 2>&1 ||
      echo "$name run $i FAILED (see $out/$name-$i.txt)"
  done
done
