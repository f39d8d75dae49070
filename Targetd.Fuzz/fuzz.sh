#!/usr/bin/env bash
# Coverage-guided fuzzing of one harness with AFL++ and SharpFuzz:
#   Targetd.Fuzz/fuzz.sh HARNESS SECONDS
# HARNESS: framer, login, session, qcow2, jsonrpc, qcow2target or config. Builds Targetd.Fuzz (Release), copies
# its output to artifacts/fuzz/HARNESS/bin, instruments there the assemblies the harness drives, fuzzes for SECONDS
# from Targetd.Fuzz/corpus/HARNESS into artifacts/fuzz/HARNESS/out and prints the figures of fuzzer_stats.
# Exits non-zero when AFL saved a crash or a hang (replay one: dotnet .../bin/Targetd.Fuzz.dll HARNESS < file).
set -euo pipefail

if [ "$#" -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 HARNESS SECONDS" >&2
  exit 2
fi
harness=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

case "$harness" in
  framer | login) assemblies=(Targetd.Iscsi.dll) ;;
  session) assemblies=(Targetd.Iscsi.dll Targetd.Core.dll) ;;
  qcow2) assemblies=(Targetd.Qcow2.dll) ;;
  jsonrpc | qcow2target) assemblies=(Targetd.Storage.dll Targetd.Core.dll) ;;
  config) assemblies=(targetd.dll qcow2target.dll) ;;
  *)
    echo "unknown harness '$harness'" >&2
    exit 2
    ;;
esac

for tool in afl-fuzz dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (afl-fuzz: apt-get install afl++)" >&2; exit 2; }
done

work="$root/artifacts/fuzz/$harness"
rm -rf "$work"
mkdir -p "$work"
cd "$root"
dotnet tool restore >/dev/null
dotnet build Targetd.Fuzz/Targetd.Fuzz.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
cp -r Targetd.Fuzz/bin/Release/net10.0 "$work/bin"
for assembly in "${assemblies[@]}"; do
  dotnet sharpfuzz "$work/bin/$assembly"
done

# The harness runs under dotnet, which AFL cannot check for instrumentation; AFL may share the CPUs with other work.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
export AFL_FORKSRV_INIT_TMOUT=60000
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredPGO=0
afl-fuzz -s "${FUZZ_SEED:-1}" -i "$here/corpus/$harness" -o "$work/out" -t 5000 -V "$seconds" -- dotnet "$work/bin/Targetd.Fuzz.dll" "$harness" \
  >"$work/afl.log" 2>&1 || { tail -n 30 "$work/afl.log" >&2; echo "afl-fuzz failed (log: $work/afl.log)" >&2; exit 1; }

stats="$work/out/default/fuzzer_stats"
stat() { sed -n "s/^$1 *: *//p" "$stats"; }
crashes=$(find "$work/out/default/crashes" "$work/out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "fuzz $harness: ${seconds}s, execs_done $(stat execs_done), execs_per_sec $(stat execs_per_sec), corpus_count $(stat corpus_count), bitmap_cvg $(stat bitmap_cvg), edges_found $(stat edges_found), saved_crashes $(stat saved_crashes), saved_hangs $(stat saved_hangs)"
if [ "$crashes" -gt 0 ]; then
  find "$work/out/default/crashes" "$work/out/default/hangs" -type f -name 'id:*' >&2
  echo "fuzz $harness: $crashes crash or hang input(s); replay: dotnet $work/bin/Targetd.Fuzz.dll $harness < FILE" >&2
  exit 1
fi
