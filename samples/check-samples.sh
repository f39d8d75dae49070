#!/usr/bin/env bash
# Runs the three samples, built against the packed libraries, and checks what they do with real tools:
#   IscsiServe  in the background; libiscsi's iscsi-ls and iscsi-inq reach its target with CHAP in the URL (and a
#               login without credentials or with a wrong secret is refused); SIGTERM stops it with exit status 0
#               after its session and refusal events were printed
#   ChainHash   over a three-image qcow2 chain made by qemu-img and qemu-io: the SHA-256 and virtual size it prints
#               equal those of `qemu-img convert -O raw` of the same chain
#   PoolDrive   exits 0, lists the volume it created and its larger copy, then none, and leaves no image behind;
#               published trimmed and self-contained, the same, with the pool's identity kept in its index file
# Usage: check-samples.sh BIN [TRIMMED_POOLDRIVE]   (BIN: the samples' build output, artifacts/samples/bin)
set -euo pipefail

bin=${1:?usage: check-samples.sh BIN [TRIMMED_POOLDRIVE]}
trimmed=${2:-}
work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

sample() { dotnet "$bin/$1/release/$1.dll" "${@:2}"; }
fail() {
  echo "check-samples: $*" >&2
  exit 1
}
expect_line() { # FILE PATTERN WHAT
  grep -qE "$2" "$1" || { cat "$1" >&2; fail "$3"; }
}

for tool in iscsi-ls iscsi-inq qemu-img qemu-io sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (libiscsi-bin, qemu-utils, coreutils)"
done

echo "== IscsiServe: a qcow2 over iSCSI with CHAP"
iqn=iqn.2024-01.net.targetd.samples:check
initiator=iqn.2024-01.net.targetd.samples:checker
user=checker
secret=checker-secret-1
# Started without the function wrapper, so $! is the program itself and SIGTERM reaches it, not a subshell.
dotnet "$bin/IscsiServe/release/IscsiServe.dll" --port 0 --user "$user" --secret "$secret" --iqn "$iqn" --seconds 300 >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do
  grep -q '^serving' "$work/serve.log" && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "IscsiServe ended before it served"; }
  sleep 0.1
done
portal=$(sed -n 's/^portal: //p' "$work/serve.log")
[ -n "$portal" ] || { cat "$work/serve.log" >&2; fail "IscsiServe printed no portal"; }
expect_line "$work/serve.log" "^target: $iqn\$" "IscsiServe did not print its target's IQN"

iscsi-ls -i "$initiator" -s "iscsi://$user%$secret@$portal" >"$work/ls.out"
cat "$work/ls.out"
expect_line "$work/ls.out" "Target:$iqn Portal:" "iscsi-ls did not list the target"
expect_line "$work/ls.out" "Lun:0 .*Type:DIRECT_ACCESS" "iscsi-ls did not see LUN 0 as a disk"

iscsi-inq -i "$initiator" "iscsi://$user%$secret@$portal/$iqn/0" >"$work/inq.out"
cat "$work/inq.out"
expect_line "$work/inq.out" "Vendor:TARGETD" "iscsi-inq did not read the unit's standard INQUIRY data"
if iscsi-inq -i "$initiator" "iscsi://$portal/$iqn/0" >"$work/refused.out" 2>&1; then
  fail "a login without CHAP credentials was admitted"
fi
cat "$work/refused.out"
if iscsi-inq -i "$initiator" "iscsi://$user%wrong-secret-99@$portal/$iqn/0" >"$work/refused.out" 2>&1; then
  fail "a wrong CHAP secret was admitted"
fi
cat "$work/refused.out"

kill -TERM "$serve_pid"
status=0
wait "$serve_pid" || status=$?
serve_pid=""
cat "$work/serve.log"
[ "$status" -eq 0 ] || fail "IscsiServe exited with $status after SIGTERM"
expect_line "$work/serve.log" "^session opened: $initiator -> $iqn " "no SessionOpened line for the normal session"
expect_line "$work/serve.log" "^session closed: $initiator -> $iqn .*: Logout\$" "no SessionClosed line for the logout"
expect_line "$work/serve.log" "^login refused: $initiator -> $iqn from 127\.0\.0\.1:[0-9]+: authentication_failure\$" "no LoginRefused line for the wrong secret"
expect_line "$work/serve.log" "^warn: .*refused: authentication_failure" "the refused login was not logged at Warning"
expect_line "$work/serve.log" "^stopped\$" "IscsiServe did not stop its portal"

echo "== ChainHash: a qcow2 backing chain against qemu-img convert"
chain="$work/chain"
mkdir "$chain"
qemu-img create -q -f qcow2 "$chain/base.qcow2" 64M
qemu-io -f qcow2 -c "write -P 0x11 0 1M" -c "write -P 0x22 5M 512k" "$chain/base.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$chain/mid.qcow2"
qemu-io -f qcow2 -c "write -P 0x33 512k 1M" "$chain/mid.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$chain/top.qcow2" 96M
qemu-io -f qcow2 -c "write -P 0x44 70M 64k" -c "write -z 0 64k" "$chain/top.qcow2" >/dev/null
qemu-img convert -O raw "$chain/top.qcow2" "$chain/top.raw"
expected=$(sha256sum "$chain/top.raw" | cut -d' ' -f1)
sample ChainHash "$chain/top.qcow2" >"$work/hash.out"
cat "$work/hash.out"
expect_line "$work/hash.out" "^sha256: $expected\$" "ChainHash's SHA-256 differs from qemu-img convert's ($expected)"
expect_line "$work/hash.out" "^virtual size: $((96 << 20))\$" "ChainHash's virtual size is not 96 MiB"
expect_line "$work/hash.out" "^backing file: mid.qcow2\$" "ChainHash did not name the backing file"

echo "== PoolDrive: an image pool without HTTP"
mkdir "$work/pool"
sample PoolDrive "$work/pool" >"$work/pool.out"
cat "$work/pool.out"
expect_line "$work/pool.out" "^  volume vol1 size $((64 << 20)) uuid " "PoolDrive did not list vol1"
expect_line "$work/pool.out" "^  volume vol1-copy size $((128 << 20)) uuid " "PoolDrive did not list the grown copy"
expect_line "$work/pool.out" ", 0 volumes after destroy:\$" "volumes were left after destroy"
expect_line "$work/pool.out" "^destroying vol1 again: VolumeNotFound: " "destroying a missing volume was not refused as VolumeNotFound"
if compgen -G "$work/pool/*.qcow2" >/dev/null; then
  fail "PoolDrive left images in its pool"
fi

if [ -n "$trimmed" ]; then
  echo "== PoolDrive, trimmed: the pool's state survives trimming"
  mkdir "$work/trimmed-pool"
  "$trimmed" "$work/trimmed-pool" >"$work/trimmed.out"
  cat "$work/trimmed.out"
  expect_line "$work/trimmed.out" "^  volume vol1-copy size $((128 << 20)) uuid [0-9a-f-]{36}\$" "the trimmed PoolDrive did not list the copy with its uuid"
  expect_line "$work/trimmed.out" "^destroying vol1 again: VolumeNotFound: " "the trimmed PoolDrive did not refuse a missing volume"
  [ "$(grep -c '^pool samples ' "$work/trimmed.out")" -eq 2 ] || fail "the trimmed PoolDrive did not list its pool twice"
  [ "$(sed -n 's/^pool samples (\([^)]*\)).*/\1/p' "$work/trimmed.out" | sort -u | wc -l)" -eq 1 ] ||
    fail "the trimmed PoolDrive's pool changed identity between two listings: its index file was not kept"
  index=$(find "$work/trimmed-pool" -maxdepth 1 -name '*.json' | head -n 1)
  [ -n "$index" ] && grep -q '"uuid"' "$index" || fail "the trimmed PoolDrive's index file holds no uuid: $(cat "$index" 2>/dev/null)"
fi

echo "samples: all checks passed"
