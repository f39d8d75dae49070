#!/usr/bin/env bash
# iSCSI target benchmark: qemu-img bench over iscsi:// against our target (qcow2target serving a raw file),
# against a second of ours with its Prometheus endpoint on and scraped every second, and against tgtd serving
# the same raw file on another loopback port, alternated run by run.
#
# usage: bench/iscsi-bench.sh [RUNS]
#   RUNS               runs of each target per test (default 5)
#   ISCSI_BENCH_DIR    scratch folder (default: a new temp folder, removed at the end)
#   ISCSI_BENCH_TESTS  tests to run, space-separated (default: read4k write4k read1m write1m)
#   QCOW2TARGET        command that runs our daemon (default: dotnet Targetd.Host.Socket/bin/Release/net10.0/qcow2target.dll)
#
# Tests: 4K reads and 4K writes at depth 32, 1 MiB sequential reads and writes at depth 16, over a 1 GiB raw
# file that is fully written first. Prints one line per run, then medians (seconds), tgt/ours (above 1
# means our target is faster) with metrics off and on, and on/off: how much of the ratio metrics cost.
# Each target serves its own copy of the same file; the order of the three rotates round by round.
# Needs root for tgtd, and qemu-block-extra for qemu-img's iscsi:// driver.
set -euo pipefail

RUNS=${1:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${QCOW2TARGET:-} ]]; then read -r -a OURS <<<"$QCOW2TARGET"; else OURS=(dotnet "$ROOT/Targetd.Host.Socket/bin/Release/net10.0/qcow2target.dll"); fi
command -v tgtd >/dev/null || { echo "tgtd is not installed (Debian package tgt)" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img is not installed" >&2; exit 1; }

if [[ -n ${ISCSI_BENCH_DIR:-} ]]; then DIR=$ISCSI_BENCH_DIR; mkdir -p "$DIR"; else DIR=$(mktemp -d "${TMPDIR:-/tmp}/iscsi-bench.XXXXXX"); fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
OUR_PORT=$(free_port); TGT_PORT=$(free_port); TGT_CONTROL=$((20000 + RANDOM % 10000))
IQN_OURS=iqn.2024-01.net.targetd:bench
IQN_TGT=iqn.2024-01.net.targetd:tgt-bench
mkdir -p "$DIR/disks"
DISK=$DIR/disks/disk.raw
dd if=/dev/urandom of="$DIR/seed.raw" bs=1M count=1024 status=none
for copy in "$DISK" "$DIR/disks/metrics.raw" "$DIR/tgt.raw"; do cp "$DIR/seed.raw" "$copy"; done
rm "$DIR/seed.raw"; sync
METRICS_PORT=$(free_port); METRICS_TARGET_PORT=$(free_port)

OUR_PID=""; METRICS_PID=""; SCRAPER_PID=""; TGT_PID=""
cleanup() {
  [[ -n $OUR_PID ]] && kill "$OUR_PID" 2>/dev/null || true
  [[ -n $SCRAPER_PID ]] && kill "$SCRAPER_PID" 2>/dev/null || true
  [[ -n $METRICS_PID ]] && kill "$METRICS_PID" 2>/dev/null || true
  if [[ -n $TGT_PID ]]; then
    # tgtd -f does not always end on SIGTERM while it still has a target: delete the system first.
    tgtadm -C "$TGT_CONTROL" --op delete --mode system >/dev/null 2>&1 || true
    kill "$TGT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$TGT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$TGT_PID" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  [[ -z ${ISCSI_BENCH_DIR:-} ]] && rm -rf "$DIR"
}
trap cleanup EXIT

"${OURS[@]}" serve --socket "$DIR/control.sock" --disks-root "$DIR/disks" --portal "127.0.0.1:$OUR_PORT" --state "" --log-level Warning &
OUR_PID=$!
for _ in $(seq 100); do [[ -S $DIR/control.sock ]] && break; sleep 0.1; done
"${OURS[@]}" add-target -t "$IQN_OURS" --socket "$DIR/control.sock" >/dev/null
"${OURS[@]}" attach -t "$IQN_OURS" -d disk.raw --socket "$DIR/control.sock" >/dev/null

"${OURS[@]}" serve --socket "$DIR/metrics.sock" --disks-root "$DIR/disks" --portal "127.0.0.1:$METRICS_TARGET_PORT" --state "" --log-level Warning \
  --metrics-address "127.0.0.1:$METRICS_PORT" &
METRICS_PID=$!
for _ in $(seq 100); do [[ -S $DIR/metrics.sock ]] && break; sleep 0.1; done
"${OURS[@]}" add-target -t "$IQN_OURS" --socket "$DIR/metrics.sock" >/dev/null
"${OURS[@]}" attach -t "$IQN_OURS" -d metrics.raw --socket "$DIR/metrics.sock" >/dev/null
# Scraped as a Prometheus with a 1 s interval would.
(while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics" || true; done) &
SCRAPER_PID=$!

tgtd -f --iscsi "portal=127.0.0.1:$TGT_PORT" -C "$TGT_CONTROL" >/dev/null 2>&1 &
TGT_PID=$!
for _ in $(seq 100); do tgtadm -C "$TGT_CONTROL" --lld iscsi --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
tgtadm -C "$TGT_CONTROL" --lld iscsi --op new --mode target --tid 1 -T "$IQN_TGT"
tgtadm -C "$TGT_CONTROL" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$DIR/tgt.raw"
tgtadm -C "$TGT_CONTROL" --lld iscsi --op bind --mode target --tid 1 -I ALL

URL_OURS="iscsi://127.0.0.1:$OUR_PORT/$IQN_OURS/0"
URL_TGT="iscsi://127.0.0.1:$TGT_PORT/$IQN_TGT/1"
URL_METRICS="iscsi://127.0.0.1:$METRICS_TARGET_PORT/$IQN_OURS/0"
declare -A SAMPLES
run() { # name who url args...
  local name=$1 who=$2 url=$3; shift 3
  local out secs
  out=$(qemu-img bench -f raw "$@" "$url" 2>&1) || { echo "ERR $name $who: $out" >&2; return; }
  secs=$(sed -n 's/Run completed in \([0-9.]*\) seconds./\1/p' <<<"$out")
  echo "$name,$who,$secs"
  SAMPLES[$name,$who]+="$secs "
}
TESTS=(
  "read4k|-d 32 -c 100000 -s 4096 -S 1044480"
  "write4k|-d 32 -c 100000 -s 4096 -S 1044480 -w --pattern=90"
  "read1m|-d 16 -c 2000 -s 1048576 -S 1048576"
  "write1m|-d 16 -c 2000 -s 1048576 -S 1048576 -w --pattern=90"
)
echo "test,target,seconds"
SELECTED=" ${ISCSI_BENCH_TESTS:-read4k write4k read1m write1m} "
for entry in "${TESTS[@]}"; do
  name=${entry%%|*}; read -r -a args <<<"${entry#*|}"
  [[ $SELECTED == *" $name "* ]] || continue
  order=("ours|$URL_OURS" "ours+metrics|$URL_METRICS" "tgt|$URL_TGT")
  for round in $(seq "$RUNS"); do
    for i in 0 1 2; do
      pick=${order[$(((round + i) % 3))]}
      run "$name" "${pick%%|*}" "${pick#*|}" "${args[@]}"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
printf '%-8s %10s %10s %10s %10s %14s %10s\n' test ours_s metrics_s tgt_s tgt/ours tgt/ours+metr on/off
for entry in "${TESTS[@]}"; do
  name=${entry%%|*}
  [[ $SELECTED == *" $name "* ]] || continue
  o=$(median <<<"${SAMPLES[$name,ours]:-}"); m=$(median <<<"${SAMPLES[$name,ours+metrics]:-}"); t=$(median <<<"${SAMPLES[$name,tgt]:-}")
  off=$(ratio "$t" "$o"); on=$(ratio "$t" "$m")
  printf '%-8s %10s %10s %10s %10s %14s %10s\n' "$name" "$o" "$m" "$t" "$off" "$on" "$(ratio "$on" "$off")"
done
