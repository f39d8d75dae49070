#!/usr/bin/env bash
# RBD gateway benchmark: 4K random writes and reads at depth 32 through our targetd (an rbd_pools volume
# exported over iSCSI) against librbd itself (`rbd bench`) on the same one-node Ceph cluster, alternated run by run.
#
# usage: bench/rbd-bench.sh [RUNS]
#   RUNS             runs of each side per test (default 5)
#   RBD_BENCH_DIR    scratch folder (default: a new temp folder, removed at the end)
#   RBD_BENCH_SIZE   image size in MiB (default 512), fully written before the tests
#   TARGETD          command that runs our daemon (default: dotnet Targetd.Host.Http/bin/Release/net10.0/targetd.dll)
#   BASELINE         optional command running another build of the daemon (an older commit, say), served as a third
#                    side "baseline" in the same runs, so the gateway's cost can be compared build against build
#   CEPH_SCRIPT      the one-node cluster script (default: $TARGETD_SHARED_DIR or /work/shared, ceph/ceph-single-node.sh)
#
# The cluster is started in a private folder on a free monitor port and purged at the end. Tests, all 4 KiB at
# 32 requests in flight:
#   write4k  gateway: qemu-img bench -w over iscsi:// (stride 1044480 B, wrapping: scattered over the image)
#            librbd:  rbd bench --io-type write --io-pattern rand --io-threads 32
#   read4k   gateway: iscsi-perf --random (libiscsi, random 4 KiB READs, 8 s)
#            librbd:  rbd bench --io-type read --io-pattern rand --io-threads 32
#   write4k-qemu / read4k-qemu: the same qemu-img bench flags over iscsi:// and directly on librbd
#            (driver=rbd), so the tool is the same on both sides.
# Prints one line per run (IOPS), then medians and librbd/gateway: the gateway's overhead factor over librbd
# (1.00 means none; 2.00 means the gateway reaches half of librbd's IOPS). Needs qemu-block-extra,
# libiscsi-bin and the Ceph packages (see .ci/run).
set -euo pipefail

RUNS=${1:-5}
SIZE_MB=${RBD_BENCH_SIZE:-512}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${TARGETD:-} ]]; then read -r -a OURS <<<"$TARGETD"; else OURS=(dotnet "$ROOT/Targetd.Host.Http/bin/Release/net10.0/targetd.dll"); fi
BASE=(); [[ -n ${BASELINE:-} ]] && read -r -a BASE <<<"$BASELINE"
SCRIPT=${CEPH_SCRIPT:-${TARGETD_SHARED_DIR:-/work/shared}/ceph/ceph-single-node.sh}
for tool in qemu-img iscsi-perf rbd ceph-mon curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
[[ -f $SCRIPT ]] || { echo "$SCRIPT is missing" >&2; exit 1; }

if [[ -n ${RBD_BENCH_DIR:-} ]]; then DIR=$RBD_BENCH_DIR; mkdir -p "$DIR"; else DIR=$(mktemp -d "${TMPDIR:-/tmp}/rbd-bench.XXXXXX"); fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export CEPH_DIR=$DIR/ceph CEPH_MON_PORT; CEPH_MON_PORT=$(free_port)
API_PORT=$(free_port); PORTAL_PORT=$(free_port)
CONF=$CEPH_DIR/ceph.conf
IQN=iqn.2024-01.net.targetd:rbd-bench
INITIATOR=iqn.2024-01.net.targetd:rbd-bench-client
OUR_PIDS=()
cleanup() {
  for pid in "${OUR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash "$SCRIPT" purge >/dev/null 2>&1 || true
  [[ -z ${RBD_BENCH_DIR:-} ]] && rm -rf "$DIR"
}
trap cleanup EXIT

bash "$SCRIPT" start 2>"$DIR/ceph-start.log" || { cat "$DIR/ceph-start.log" >&2; exit 1; }
RBD=(rbd --conf "$CONF" --pool rbd)
"${RBD[@]}" create --size "${SIZE_MB}M" bench
"${RBD[@]}" bench --io-type write --io-pattern seq --io-size 4M --io-threads 16 --io-total "${SIZE_MB}M" bench >/dev/null

# start_daemon NAME PORTAL_PORT API_PORT COMMAND...: one targetd exporting the image, waited for.
start_daemon() {
  local name=$1 portal=$2 api=$3; shift 3
  cat >"$DIR/$name.yaml" <<YAML
user: admin
password: bench
target_name: $IQN
portal_addresses: [127.0.0.1:$portal]
listen_address: 127.0.0.1
port: $api
state_file: $DIR/$name-state.json
log_level: warning
rbd_pools:
  ceph:
    ceph_pool: rbd
    ceph_conf: $CONF
    client_id: admin
YAML
  "$@" --config "$DIR/$name.yaml" >"$DIR/$name.log" 2>&1 &
  OUR_PIDS+=($!)
  rpc() {
    curl -sf -u admin:bench -H 'Content-Type: application/json' "http://127.0.0.1:$api/targetrpc" \
      -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}"
  }
  for _ in $(seq 300); do rpc pool_list '{}' >/dev/null 2>&1 && break; sleep 0.1; done
  local reply
  reply=$(rpc export_create '{"pool":"ceph","vol":"bench","initiator_wwn":"'"$INITIATOR"'","lun":0}')
  grep -q '"error"' <<<"$reply" && { echo "$name: export_create failed: $reply" >&2; exit 1; }
  return 0
}
start_daemon targetd "$PORTAL_PORT" "$API_PORT" "${OURS[@]}"
if [[ ${#BASE[@]} -gt 0 ]]; then
  BASE_PORTAL_PORT=$(free_port); BASE_API_PORT=$(free_port)
  start_daemon baseline "$BASE_PORTAL_PORT" "$BASE_API_PORT" "${BASE[@]}"
fi

iscsi_opts() { echo "driver=iscsi,transport=tcp,portal=127.0.0.1:$1,target=$IQN,lun=0,initiator-name=$INITIATOR"; }
ISCSI_OPTS=$(iscsi_opts "$PORTAL_PORT")
RBD_OPTS="driver=rbd,pool=rbd,image=bench,conf=$CONF,user=admin"
COUNT=40000
declare -A SAMPLES
record() { echo "$1,$2,$3"; SAMPLES[$1,$2]+="$3 "; }
qemu_iops() { # opts extra-args...
  local opts=$1 out secs; shift
  out=$(qemu-img bench -t none -d 32 -c "$COUNT" -s 4096 -S 1044480 "$@" --image-opts "$opts" 2>&1) || { echo "ERR qemu-img bench: $out" >&2; return 1; }
  secs=$(sed -n 's/Run completed in \([0-9.]*\) seconds./\1/p' <<<"$out")
  awk -v c="$COUNT" -v s="$secs" 'BEGIN { printf "%.0f", c / s }'
}
rbd_iops() { # io-type
  "${RBD[@]}" bench --io-type "$1" --io-pattern rand --io-size 4K --io-threads 32 --io-total $((COUNT * 4))K bench 2>&1 |
    sed -n 's/^elapsed: *[0-9.]* *ops: *[0-9]* *ops\/sec: *\([0-9.]*\).*/\1/p' | awk '{ printf "%.0f", $1 }'
}
perf_iops() { # portal port
  iscsi-perf -i "$INITIATOR" -m 32 -b 8 -t 8 -r "iscsi://127.0.0.1:$1/$IQN/0" 2>&1 | tr '\r' '\n' |
    sed -n 's/^iops average \([0-9]*\) .*/\1/p' | tail -n 1
}
TESTS=(write4k read4k write4k-qemu read4k-qemu)
echo "test,side,iops"
has_base() { [[ ${#BASE[@]} -gt 0 ]]; }
for _ in $(seq "$RUNS"); do
  record write4k gateway "$(qemu_iops "$ISCSI_OPTS" -w --pattern=90)"
  has_base && record write4k baseline "$(qemu_iops "$(iscsi_opts "$BASE_PORTAL_PORT")" -w --pattern=93)"
  record write4k librbd "$(rbd_iops write)"
  record read4k gateway "$(perf_iops "$PORTAL_PORT")"
  has_base && record read4k baseline "$(perf_iops "$BASE_PORTAL_PORT")"
  record read4k librbd "$(rbd_iops read)"
  record write4k-qemu gateway "$(qemu_iops "$ISCSI_OPTS" -w --pattern=91)"
  has_base && record write4k-qemu baseline "$(qemu_iops "$(iscsi_opts "$BASE_PORTAL_PORT")" -w --pattern=94)"
  record write4k-qemu librbd "$(qemu_iops "$RBD_OPTS" -w --pattern=92)"
  record read4k-qemu gateway "$(qemu_iops "$ISCSI_OPTS")"
  has_base && record read4k-qemu baseline "$(qemu_iops "$(iscsi_opts "$BASE_PORTAL_PORT")")"
  record read4k-qemu librbd "$(qemu_iops "$RBD_OPTS")"
done

median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
if has_base; then
  printf '%-13s %12s %12s %12s %14s %15s\n' test gateway_iops baseline_iops librbd_iops librbd/gateway librbd/baseline
else
  printf '%-13s %12s %12s %14s\n' test gateway_iops librbd_iops librbd/gateway
fi
for name in "${TESTS[@]}"; do
  g=$(median <<<"${SAMPLES[$name,gateway]:-}"); l=$(median <<<"${SAMPLES[$name,librbd]:-}")
  if has_base; then
    b=$(median <<<"${SAMPLES[$name,baseline]:-}")
    printf '%-13s %12s %12s %12s %14s %15s\n' "$name" "$g" "$b" "$l" "$(ratio "$l" "$g")" "$(ratio "$l" "$b")"
  else
    printf '%-13s %12s %12s %14s\n' "$name" "$g" "$l" "$(ratio "$l" "$g")"
  fi
done
