#!/usr/bin/env bash
# The comparison in one command: amoptui's AMOP paths against NATS over
# mutual TLS on this machine, interleaved A/B, with the same method on both
# sides and the same shape (issue 14): nats-server runs in a process of its
# own, and so does `amoptui node` (started by `compare run`, publisher on one
# node, subscribers on the other). Beside each amoptui case run bare go-sdk
# (no guard, no adapter: the ceiling of any client on go-sdk) and go-sdk
# through a null relay (`amoptui bench --relay`: the floor of the guard's
# design). A secondary table keeps the figures with the nodes inside the
# measuring process. It installs Debian's nats-server
# when missing, builds amoptui (root module) and the harness (this module),
# makes throwaway P-256 TLS material, starts nats-server on 127.0.0.1 with
# client-certificate verification, runs `compare run` and stops the servers
# by their pids.
#
#   bash bench/run.sh
#
# Environment: BENCH_DURATION (5s, measured time of each run), BENCH_WARMUP
# (1s), BENCH_ROUNDS (3), BENCH_SIZE (128), BENCH_OUT (a JSON-lines file to
# append every run to; default: a file in the scratch directory, printed),
# BENCH_NODE_PROFILE (a file for a CPU profile of the node process),
# BENCH_IN_PROCESS (true; false skips the secondary table).
# Takes about 12 minutes with the defaults. Not part of CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
duration=${BENCH_DURATION:-5s}
warmup=${BENCH_WARMUP:-1s}
rounds=${BENCH_ROUNDS:-3}
size=${BENCH_SIZE:-128}

if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  echo "installing Debian's nats-server" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nats-server >/dev/null
fi
nats_server=$(command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server)

work=$(mktemp -d "${TMPDIR:-/tmp}/amoptui-bench.XXXXXX")
nats_pid=""
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  if [ -z "${BENCH_OUT:-}" ]; then
    echo "results kept in $work/results.jsonl" >&2
    find "$work" -mindepth 1 -maxdepth 1 ! -name results.jsonl -exec rm -rf {} +
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
out=${BENCH_OUT:-$work/results.jsonl}

rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]; then rev="$rev with local changes"; fi
echo "building amoptui ($rev) and the harness" >&2
echo "amoptui $rev"
(cd "$root" && go build -o "$work/amoptui" .)
(cd "$here" && go build -o "$work/compare" .)

"$work/compare" certs "$work/tls"
port=$("$work/compare" freeport)
cat >"$work/nats.conf" <<EOF
listen: 127.0.0.1:$port
max_payload: 8MB
tls {
  cert_file: "$work/tls/server.crt"
  key_file: "$work/tls/server.key"
  ca_file: "$work/tls/ca.crt"
  verify: true
  timeout: 5
}
EOF
"$nats_server" --version >&2
"$nats_server" -c "$work/nats.conf" >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 1 100); do
  if grep -q "Server is ready" "$work/nats.log" 2>/dev/null; then break; fi
  if ! kill -0 "$nats_pid" 2>/dev/null; then cat "$work/nats.log" >&2; exit 1; fi
  sleep 0.1
done
grep -q "Server is ready" "$work/nats.log" || { echo "nats-server did not start:" >&2; cat "$work/nats.log" >&2; exit 1; }

"$work/compare" run --amoptui "$work/amoptui" --nats "tls://127.0.0.1:$port" --certs "$work/tls" \
  --nats-pid "$nats_pid" --rounds "$rounds" --duration "$duration" --warmup "$warmup" --size "$size" --out "$out" \
  --node-cpuprofile "${BENCH_NODE_PROFILE:-}" --in-process="${BENCH_IN_PROCESS:-true}"
