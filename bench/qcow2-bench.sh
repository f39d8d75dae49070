#!/usr/bin/env bash
# qcow2 engine benchmark: `qcow2target image bench` against `qemu-img bench`, identical flags, same file.
#
# usage: bench/qcow2-bench.sh [RUNS]
#   RUNS                 runs of each tool per test (default 5), alternated ours/qemu run by run so that
#                        drift of the machine's storage hits both alike
#   QCOW2_BENCH_DIR      scratch folder for the 1 GiB images (default: a new temp folder, removed at the end)
#   QCOW2_BENCH_SIZE     image size (default 1G)
#   QCOW2TARGET          command that runs our tool (default: dotnet Targetd.Host.Socket/bin/Release/net10.0/qcow2target.dll)
#
# 4K first-touch writes go to a fresh empty image per run, one request per 64K cluster, so a 1 GiB image
# bounds that test to 16384 requests. After each of our write runs (not timed), qemu-img check must pass.
# Both tools run with their default cache mode (writeback: the host page cache) and no flushes, the way
# `qemu-img bench` runs when given no -t/-i/--flush-interval. Prints one line per run, then a table of medians
# (seconds) and the ratio qemu/ours: above 1 means our engine is faster.
set -euo pipefail

RUNS=${1:-5}
SIZE=${QCOW2_BENCH_SIZE:-1G}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${QCOW2TARGET:-} ]]; then
  read -r -a OURS <<<"$QCOW2TARGET"
else
  OURS=(dotnet "$ROOT/Targetd.Host.Socket/bin/Release/net10.0/qcow2target.dll")
fi
[[ -n ${QCOW2TARGET:-} || -f ${OURS[1]} ]] || { echo "build Targetd.Host.Socket in Release first (${OURS[1]} is missing)" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img is not installed" >&2; exit 1; }

if [[ -n ${QCOW2_BENCH_DIR:-} ]]; then
  DIR=$QCOW2_BENCH_DIR; mkdir -p "$DIR"
else
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/qcow2-bench.XXXXXX")
  trap 'rm -rf "$DIR"' EXIT
fi
DATA=$DIR/data.qcow2
FRESH=$DIR/alloc.qcow2

# Reads and overwrites hit allocated data: every cluster of this image is allocated and written.
qemu-img create -q -f qcow2 -o preallocation=full "$DATA" "$SIZE"

# run TOOL TEST FILE FLAGS... -> prints the seconds of one run
run() {
  local tool=$1 test=$2 file=$3; shift 3
  if [[ $test == alloc* ]]; then
    rm -f "$file"
    qemu-img create -q -f qcow2 "$file" "$SIZE"
  fi
  sync "$file"
  local out
  if [[ $tool == ours ]]; then
    out=$("${OURS[@]}" image bench "$@" "$file" 2>&1) || { echo "ours failed: $out" >&2; return 1; }
  else
    out=$(qemu-img bench "$@" "$file" 2>&1) || { echo "qemu-img failed: $out" >&2; return 1; }
  fi
  if [[ $tool == ours && " $* " == *" -w "* ]]; then
    # Not timed: what our engine wrote must pass QEMU's check.
    qemu-img check -q -f qcow2 "$file" >&2 || { echo "qemu-img check failed on $file after our run" >&2; return 1; }
  fi
  local secs
  secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' <<<"$out")
  [[ -n $secs ]] || { echo "no 'Run completed' line from $tool: $out" >&2; return 1; }
  echo "$secs"
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a TABLE=()
# bench TEST DESCRIPTION FILE FLAGS...
bench() {
  local test=$1 what=$2 file=$3; shift 3
  local ours=() theirs=()
  for i in $(seq 1 "$RUNS"); do
    ours+=("$(run ours "$test" "$file" "$@")")
    theirs+=("$(run qemu "$test" "$file" "$@")")
    echo "$test run $i: ours ${ours[-1]} s, qemu-img ${theirs[-1]} s" >&2
  done
  local mo mq
  mo=$(echo "${ours[*]}" | median)
  mq=$(echo "${theirs[*]}" | median)
  TABLE+=("$(printf '| %-11s | %-46s | %8s | %8s | %9.2f |' "$test" "$what" "$mo" "$mq" "$(awk -v q="$mq" -v o="$mo" 'BEGIN { print q / o }')")")
}

COMMON=(-f qcow2 -d 32)
bench read4k     "4K reads, depth 32, stride 4K*1021" "$DATA"  "${COMMON[@]}" -c 200000 -s 4096 -S $((4096 * 1021))
bench overwrite4k "4K overwrites, depth 32, stride 4K*1021"      "$DATA"  "${COMMON[@]}" -c 200000 -s 4096 -S $((4096 * 1021)) -w --pattern=90
bench alloc4k    "4K first-touch writes, depth 32, step 64K"     "$FRESH" "${COMMON[@]}" -c 16384 -s 4096 -S 65536 -w --pattern=90
bench read64k    "64K sequential reads, depth 32"                "$DATA"  "${COMMON[@]}" -c 160000 -s 65536 -S 65536
bench write64k   "64K sequential overwrites, depth 32"           "$DATA"  "${COMMON[@]}" -c 100000 -s 65536 -S 65536 -w --pattern=90

echo
echo "qcow2 bench: $SIZE images, median of $RUNS runs each, ours = qcow2target image bench, qemu = $(qemu-img --version | head -n1)"
echo
printf '| %-11s | %-46s | %8s | %8s | %9s |\n' test what "ours (s)" "qemu (s)" "qemu/ours"
echo "|-------------|------------------------------------------------|----------|----------|-----------|"
printf '%s\n' "${TABLE[@]}"
