#!/usr/bin/env bash
# Runs the sandbox4j benchmarks on this machine and renders BENCHMARKS.md and
# benchmarks/results/startup-exec.png. A short profile: about twenty minutes on two cores.
#
#   benchmarks/run.sh [--only a,b] [--skip a,b] [--variant 'name[option=value;...]']... [--quick] [--build]
#
#   --only a,b      measure only these backends (remote backends are measured only when named here)
#   --skip a,b      do not measure these backends
#   --variant SPEC  also measure a backend with builder options, name[option=value;...] (repeatable);
#                   'microvm[vm.snapshot=false]' (a cold boot, next to the snapshot restore) is always added
#   --quick         a much shorter profile to check the pipeline; its numbers mean little
#   --build         rebuild benchmarks/target/benchmarks.jar even when it looks up to date
#
# Every backend on the class path is probed; those unavailable here, refusing the host image, or failing a
# smoke test are skipped and listed with the reason in BENCHMARKS.md. Raw results (JMH JSON and logs,
# backends.json, memory.json) go to benchmarks/results/raw/ (not committed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# SANDBOX4J_BENCH_JAR: run that jar as it is (no build check), e.g. one built with -Dbuild.dir.name=...
JAR="${SANDBOX4J_BENCH_JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
RESULTS="$ROOT/benchmarks/results"
RAW="$RESULTS/raw"
COMMAND="benchmarks/run.sh${*:+ $*}"

ONLY=""
SKIP=""
# the microvm's cold boot, for issue 6's "restore at least 4x faster than its own cold boot"
VARIANTS=('microvm[vm.snapshot=false]')
QUICK=0
BUILD=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --only) ONLY="$2"; shift 2 ;;
        --skip) SKIP="$2"; shift 2 ;;
        --variant) VARIANTS+=("$2"); shift 2 ;;
        --quick) QUICK=1; shift ;;
        --build) BUILD=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# JMH profiles: fast backends (namespaces, containers) and slow ones (user-space kernels, VMs: fewer,
# longer iterations and a smaller dd). -f 1: one fork; -wi/-i: warm-up/measured iterations; -w/-r: their time.
# The fast profile's 5 x 2 s warm-up and 5 x 2 s measurement: with a 1-2 s warm-up the JIT was still compiling
# while measured (a warm bubblewrap one-shot costs ~4 ms of JVM CPU, a cold one ~20 ms), and a container start
# (~250 ms) got a dozen samples, so the docker-vs-CLI ratio swung 0.9x-1.5x from run to run.
# The dd runs need no JIT warm-up (dd is native, the sandbox is opened and used once in the trial's setup):
# their iterations all measure.
if [[ $QUICK == 1 ]]; then
    FAST=(-f 1 -wi 1 -i 1 -w 1s -r 1s); SLOW=(-f 1 -wi 0 -i 1 -r 1s)
    DD_FAST=(-f 1 -wi 0 -i 2 -r 1s); DD_SLOW=(-f 1 -wi 0 -i 1 -r 1s)
    COUNT_FAST=100000; COUNT_SLOW=10000
else
    FAST=(-f 1 -wi 5 -i 5 -w 2s -r 2s); SLOW=(-f 1 -wi 1 -i 2 -w 2s -r 2s)
    DD_FAST=(-f 1 -wi 0 -i 6 -r 1s); DD_SLOW=(-f 1 -wi 0 -i 3 -r 2s)
    COUNT_FAST=1000000; COUNT_SLOW=100000
fi
PROFILES="fast backends: \`${FAST[*]}\`, dd \`${DD_FAST[*]}\` count=$COUNT_FAST; slow backends (USER_KERNEL, VIRTUAL_MACHINE): \`${SLOW[*]}\`, dd \`${DD_SLOW[*]}\` count=$COUNT_SLOW"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

stale() {
    [[ ! -f "$JAR" ]] && return 0
    [[ -n $(find "$ROOT/pom.xml" "$ROOT"/core "$ROOT"/backend-* "$ROOT"/benchmarks \
        \( -name pom.xml -o -path '*/src/main/*' \) -newer "$JAR" -print -quit 2>/dev/null) ]]
}
if [[ -z ${SANDBOX4J_BENCH_JAR:-} ]] && { [[ $BUILD == 1 ]] || stale; }; then
    echo "== building $JAR" >&2
    (cd "$ROOT" && mvn -q -pl benchmarks -am package -DskipTests)
fi

mkdir -p "$RAW"
rm -f "$RAW"/jmh-*.json "$RAW"/jmh-*.log "$RAW"/ddclock-*.json "$RAW"/backends.json "$RAW"/memory.json

echo "== probing backends" >&2
LIST_ARGS=(--out "$RAW/backends.json")
[[ -n $ONLY ]] && LIST_ARGS+=(--only "$ONLY")
[[ -n $SKIP ]] && LIST_ARGS+=(--skip "$SKIP")
for v in ${VARIANTS[@]+"${VARIANTS[@]}"}; do LIST_ARGS+=(--variant "$v"); done
LISTING=$(java -cp "$JAR" dev.sandbox4j.benchmarks.BackendList "${LIST_ARGS[@]}" 2> >(grep -v '^SLF4J' >&2))
FAST_TARGETS=$(sed -n 's/^fast=//p' <<<"$LISTING")
SLOW_TARGETS=$(sed -n 's/^slow=//p' <<<"$LISTING")
CLI=$(sed -n 's/^cli=//p' <<<"$LISTING")
echo "fast: ${FAST_TARGETS:-none}; slow: ${SLOW_TARGETS:-none}; cli baselines: ${CLI:-none}" >&2

jmh() { # name, JMH arguments...
    local name=$1; shift
    echo "== JMH $name" >&2
    # a failing benchmark is logged and left out of the JSON; the report lists it from the log
    java -jar "$JAR" "$@" -jvmArgsAppend "-Xmx1g -Dsandbox4j.bench.results=$RAW" -rf json -rff "$RAW/jmh-$name.json" >"$RAW/jmh-$name.log" 2>&1 \
        || echo "JMH $name exited with $? (see $RAW/jmh-$name.log)" >&2
    grep -E '^(Benchmark|[A-Za-z]+\.[A-Za-z]+ )' "$RAW/jmh-$name.log" | grep -vE ':p(0\.0|0\.9|1\.0)' >&2 || true
}

P='dev\.sandbox4j\.benchmarks\.'
# the host floor and the fast backends, with the CLI baselines in the same JMH run
FAST_BENCH="${P}(Startup|ExecLatency)\."
[[ -n $CLI ]] && FAST_BENCH="${P}(Startup|ExecLatency|CliBaseline)\."
jmh 1-fast "$FAST_BENCH" -p backend="host${FAST_TARGETS:+,$FAST_TARGETS}" ${CLI:+-p cli=$CLI} "${FAST[@]}"
jmh 2-fast-syscalls "${P}SyscallOverhead\." -p backend="host${FAST_TARGETS:+,$FAST_TARGETS}" -p count=$COUNT_FAST \
    "${DD_FAST[@]}"
if [[ -n $SLOW_TARGETS ]]; then
    jmh 3-slow "${P}(Startup|ReadyToExec|TimeToReady|ExecLatency)\." -p backend="$SLOW_TARGETS" "${SLOW[@]}"
    # the host again, with the same smaller dd, so that the ratio compares like with like
    jmh 4-slow-syscalls "${P}SyscallOverhead\." -p backend="host,$SLOW_TARGETS" -p count=$COUNT_SLOW "${DD_SLOW[@]}"
fi

echo "== idle memory" >&2
MEM_TARGETS=()
IFS=',' read -r -a MEM_TARGETS <<<"${FAST_TARGETS}${SLOW_TARGETS:+,$SLOW_TARGETS}"
java -cp "$JAR" dev.sandbox4j.benchmarks.IdleMemory --out "$RAW/memory.json" ${MEM_TARGETS[@]+"${MEM_TARGETS[@]}"} \
    2> >(grep -v '^SLF4J' >&2)

echo "== rendering" >&2
java -cp "$JAR" dev.sandbox4j.benchmarks.Report --results "$RAW" --markdown "$ROOT/BENCHMARKS.md" \
    --chart "$RESULTS/startup-exec.png" --chart-link benchmarks/results/startup-exec.png \
    --command "$COMMAND" --profiles "$PROFILES" --load-at-start "$LOAD_AT_START"
echo "done: $ROOT/BENCHMARKS.md, $RESULTS/startup-exec.png" >&2
