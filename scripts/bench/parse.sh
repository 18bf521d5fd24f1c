#!/usr/bin/env bash
# Benchmark parsing one V8 heap snapshot with several tools, one at a time,
# each under `/usr/bin/time -v` (GNU time; for wall time and peak RSS), and
# print a markdown report on stdout.
#
#   scripts/bench/parse.sh [-n RUNS] [--tools LIST] [--no-build] FILE.heapsnapshot
#
#   -n RUNS       run each tool RUNS times (default 1); the table shows the
#                 median wall time, the max peak RSS and every run's wall time.
#   --tools LIST  comma-separated, in this order of running (default
#                 heapsnap,v8-heap-parser,devtools):
#                   heapsnap                 target/release/heapsnap info FILE
#                   v8-heap-parser           v8-heap-parser-bench FILE
#                                            (fs::read + v8_heap_parser::decode_slice)
#                   v8-heap-parser-reader    v8-heap-parser-bench --reader FILE
#                                            (v8_heap_parser::decode_reader on a BufReader)
#                   v8-heap-parser-retained  v8-heap-parser-bench --retained FILE
#                                            (decode_slice + dominators/retained sizes)
#                   devtools                 node --max-old-space-size=16000 scripts/devtools/load.mjs FILE
#                                            (DevTools' HeapSnapshotLoader + buildSnapshot,
#                                            which includes dominators and retained sizes)
#   --no-build    do not run `cargo build` (use the binaries already built).
#   --wait-idle S before each run, wait up to S seconds (default 300; 0 = do
#                 not wait) until the machine is idle (other processes use
#                 less than 0.1 core over a 4 s sample). The machine is shared:
#                 the "other load" column shows how many cores other processes
#                 used on average during each run (machine-wide busy CPU time
#                 from /proc/stat minus the tool's user+sys, divided by wall
#                 time; max over the runs). Values above ~0.2 mean the wall time
#                 is probably inflated.
#
# Environment: JOBS (cargo -j, default 1).
#
# Before the runs the file is read once (cat > /dev/null) so that every tool
# starts with it in the page cache. Ratios: "wall vs heapsnap" is the tool's
# median wall time divided by heapsnap's (only when heapsnap is in LIST);
# "RSS / file" is peak RSS in bytes divided by the file size in bytes.
# MiB = 2^20 bytes. Per-run logs are kept in a temporary directory, whose path
# is printed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/scripts/bench"
V8HP_DIR="$BENCH/v8-heap-parser-bench"
V8HP_BIN="$V8HP_DIR/target/release/v8-heap-parser-bench"
HEAPSNAP_BIN="$ROOT/target/release/heapsnap"
DEVTOOLS="$ROOT/scripts/devtools"
JOBS="${JOBS:-1}"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

RUNS=1
TOOLS="heapsnap,v8-heap-parser,devtools"
BUILD=1
WAIT_IDLE=300
FILE=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -n) [ "$#" -ge 2 ] || usage; RUNS="$2"; shift 2 ;;
    -n*) RUNS="${1#-n}"; shift ;;
    --tools) [ "$#" -ge 2 ] || usage; TOOLS="$2"; shift 2 ;;
    --tools=*) TOOLS="${1#--tools=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    --wait-idle) [ "$#" -ge 2 ] || usage; WAIT_IDLE="$2"; shift 2 ;;
    --wait-idle=*) WAIT_IDLE="${1#--wait-idle=}"; shift ;;
    -h|--help) usage ;;
    -*) echo "parse.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$FILE" ] || usage; FILE="$1"; shift ;;
  esac
done
[ -n "$FILE" ] || usage
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "parse.sh: -n needs a positive integer" >&2; exit 2; }
[[ "$WAIT_IDLE" =~ ^[0-9]+$ ]] || { echo "parse.sh: --wait-idle needs a number of seconds" >&2; exit 2; }
[ -f "$FILE" ] || { echo "parse.sh: no such file: $FILE" >&2; exit 2; }
FILE="$(cd "$(dirname "$FILE")" && pwd)/$(basename "$FILE")"
if [ ! -x /usr/bin/time ] || ! /usr/bin/time -v true >/dev/null 2>&1; then
  echo "parse.sh: GNU time is needed at /usr/bin/time (apt-get install -y time)" >&2
  exit 2
fi

IFS=',' read -r -a TOOL_LIST <<< "$TOOLS"
for t in "${TOOL_LIST[@]}"; do
  case "$t" in
    heapsnap|v8-heap-parser|v8-heap-parser-reader|v8-heap-parser-retained|devtools) ;;
    *) echo "parse.sh: unknown tool: $t" >&2; exit 2 ;;
  esac
done
want() { [[ ",$TOOLS," == *",$1"* ]]; } # prefix match: v8-heap-parser* all need the bench binary

# --- build -------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  if want heapsnap; then
    echo "parse.sh: cargo build --release -j$JOBS (heapsnap)" >&2
    (cd "$ROOT" && cargo build --release -j"$JOBS" --bin heapsnap) >&2
  fi
  if want v8-heap-parser; then
    echo "parse.sh: cargo build --release -j$JOBS (v8-heap-parser-bench)" >&2
    cargo build --release -j"$JOBS" --locked --manifest-path "$V8HP_DIR/Cargo.toml" >&2
  fi
fi
if want heapsnap && [ ! -x "$HEAPSNAP_BIN" ]; then echo "parse.sh: missing $HEAPSNAP_BIN" >&2; exit 2; fi
if want v8-heap-parser && [ ! -x "$V8HP_BIN" ]; then echo "parse.sh: missing $V8HP_BIN" >&2; exit 2; fi
if want devtools && [ ! -d "$DEVTOOLS/node_modules/heap-snapshot-toolkit" ]; then
  echo "parse.sh: run 'npm ci --prefix scripts/devtools' first" >&2; exit 2
fi

tool_cmd() { # prints the command, one word per line (read back with mapfile)
  case "$1" in
    heapsnap) printf '%s\n' "$HEAPSNAP_BIN" info "$FILE" ;;
    v8-heap-parser) printf '%s\n' "$V8HP_BIN" "$FILE" ;;
    v8-heap-parser-reader) printf '%s\n' "$V8HP_BIN" --reader "$FILE" ;;
    v8-heap-parser-retained) printf '%s\n' "$V8HP_BIN" --retained "$FILE" ;;
    devtools) printf '%s\n' node --max-old-space-size=16000 "$DEVTOOLS/load.mjs" "$FILE" ;;
  esac
}

# Node count as reported by each tool (a sanity check that it parsed the file).
tool_nodes() {
  case "$1" in
    heapsnap) sed -n 's/^nodes: *\([0-9]*\).*/\1/p' "$2" | head -n1 ;;
    *) sed -n 's/.*"node_count":\([0-9]*\).*/\1/p' "$2" | head -n1 ;;
  esac
}

# Machine-wide busy CPU time so far, in clock ticks (first line of /proc/stat:
# user nice system idle iowait irq softirq steal ...).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK)

# Wait (up to WAIT_IDLE s) until other processes use < 0.1 core over 4 s.
wait_idle() {
  [ "$WAIT_IDLE" -gt 0 ] || return 0
  local waited=0 b0 b1 cores
  while :; do
    b0=$(busy_ticks); sleep 4; b1=$(busy_ticks)
    cores=$(awk -v d=$((b1 - b0)) -v hz="$HZ" 'BEGIN{printf "%.2f", d / hz / 4}')
    if awk -v c="$cores" 'BEGIN{exit !(c < 0.1)}'; then return 0; fi
    waited=$((waited + 4))
    if [ "$waited" -ge "$WAIT_IDLE" ]; then
      echo "parse.sh: machine still busy ($cores cores) after ${waited}s; running anyway" >&2
      return 0
    fi
    [ $((waited % 60)) -eq 4 ] && echo "parse.sh: machine busy ($cores cores used by others); waiting..." >&2
  done
}

# --- machine -----------------------------------------------------------------
FILE_BYTES=$(stat -c %s "$FILE")
HEADER=$(head -c 4096 "$FILE")
HDR_NODES=$(sed -n 's/.*"node_count":\([0-9]*\).*/\1/p' <<< "$HEADER" | head -n1)
HDR_EDGES=$(sed -n 's/.*"edge_count":\([0-9]*\).*/\1/p' <<< "$HEADER" | head -n1)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM_TOTAL=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
V8HP_VERSION=$(awk '/^name = "v8-heap-parser"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$V8HP_DIR/Cargo.lock" 2>/dev/null || true)
TOOLKIT_VERSION=$(node -p "require('$DEVTOOLS/node_modules/heap-snapshot-toolkit/package.json').version" 2>/dev/null || echo '?')

echo "# Parse benchmark: $(basename "$FILE")"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- file: \`$FILE\`, $FILE_BYTES bytes ($(awk -v b="$FILE_BYTES" 'BEGIN{printf "%.1f MiB", b/1048576}')), header node_count $HDR_NODES, edge_count $HDR_EDGES"
echo "- machine: nproc $(nproc), CPU \`$CPU_MODEL\`, RAM $MEM_TOTAL, kernel $(uname -r)"
echo "- load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- repository: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (work tree may have uncommitted changes)"
echo "- tools: $(want heapsnap && "$HEAPSNAP_BIN" --version 2>/dev/null | head -n1 || echo 'heapsnap -'), rustc $(rustc --version | cut -d' ' -f2-), v8-heap-parser ${V8HP_VERSION:-?}, node $(node --version) (V8 $(node -p process.versions.v8)), heap-snapshot-toolkit $TOOLKIT_VERSION, $(/usr/bin/time --version 2>&1 | head -n1)"
if want heapsnap; then
  echo "- heapsnap binary: \`target/release/heapsnap\`, built $(date -u -r "$HEAPSNAP_BIN" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$HEAPSNAP_BIN" | cut -c1-12)"
fi
echo "- runs per tool: $RUNS, tools run one at a time in the order listed; file pre-read into the page cache"
echo

cat "$FILE" > /dev/null

LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/heapsnap-parse-bench.XXXXXX")
declare -A MEDIAN PEAK USER SYS ALLRUNS NODES STATUS OTHER

for t in "${TOOL_LIST[@]}"; do
  mapfile -t cmd < <(tool_cmd "$t")
  walls=()
  peak=0
  user_sum=0
  sys_sum=0
  other_max=0
  STATUS[$t]=ok
  for ((i = 1; i <= RUNS; i++)); do
    base="$LOG_DIR/$t.$i"
    echo "parse.sh: [$t run $i/$RUNS] ${cmd[*]}" >&2
    wait_idle
    set +e
    b0=$(busy_ticks)
    /usr/bin/time -v -o "$base.time" "${cmd[@]}" > "$base.out" 2> "$base.err"
    rc=$?
    b1=$(busy_ticks)
    set -e
    if [ "$rc" -ne 0 ]; then
      STATUS[$t]="FAILED (exit $rc)"
      echo "parse.sh: $t failed (exit $rc); last lines of stderr:" >&2
      tail -n 5 "$base.err" >&2
    fi
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34"
    wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$base.time" |
      awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$base.time")
    user=$(sed -n 's/.*User time (seconds): //p' "$base.time")
    sys=$(sed -n 's/.*System time (seconds): //p' "$base.time")
    walls+=("$wall")
    [ "$rss_kb" -gt "$peak" ] && peak=$rss_kb
    user_sum=$(awk -v a="$user_sum" -v u="$user" 'BEGIN{print a + u}')
    sys_sum=$(awk -v a="$sys_sum" -v s="$sys" 'BEGIN{print a + s}')
    other=$(awk -v d=$((b1 - b0)) -v hz="$HZ" -v u="$user" -v s="$sys" -v w="$wall" \
      'BEGIN{ o = (w > 0) ? (d / hz - u - s) / w : 0; if (o < 0) o = 0; printf "%.2f", o }')
    other_max=$(awk -v a="$other_max" -v b="$other" 'BEGIN{print (b > a) ? b : a}')
    NODES[$t]=$(tool_nodes "$t" "$base.out")
    echo "parse.sh: [$t run $i/$RUNS] wall ${wall}s, other load ${other} cores, peak RSS $((rss_kb / 1024)) MiB, user ${user}s, sys ${sys}s, stdout: $(head -c 300 "$base.out" | head -n1)" >&2
  done
  MEDIAN[$t]=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END{ if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2] + a[NR/2+1]) / 2 }')
  PEAK[$t]=$peak
  USER[$t]=$(awk -v c="$user_sum" -v n="$RUNS" 'BEGIN{printf "%.2f", c / n}')
  SYS[$t]=$(awk -v c="$sys_sum" -v n="$RUNS" 'BEGIN{printf "%.2f", c / n}')
  ALLRUNS[$t]=$(IFS=' '; echo "${walls[*]}")
  OTHER[$t]=$other_max
done

echo "| tool | wall s (median) | peak RSS MiB | wall vs heapsnap | RSS / file size | user s (mean) | sys s (mean) | nodes reported | runs: wall s | other load (cores, max) | status |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
for t in "${TOOL_LIST[@]}"; do
  if [ -n "${MEDIAN[heapsnap]:-}" ]; then
    ratio=$(awk -v a="${MEDIAN[$t]}" -v b="${MEDIAN[heapsnap]}" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else print "-" }')
  else
    ratio="-"
  fi
  rss_mib=$(awk -v k="${PEAK[$t]}" 'BEGIN{printf "%.0f", k / 1024}')
  rss_ratio=$(awk -v k="${PEAK[$t]}" -v f="$FILE_BYTES" 'BEGIN{printf "%.2f", k * 1024 / f}')
  echo "| $t | ${MEDIAN[$t]} | $rss_mib | $ratio | $rss_ratio | ${USER[$t]} | ${SYS[$t]} | ${NODES[$t]:--} | ${ALLRUNS[$t]} | ${OTHER[$t]} | ${STATUS[$t]} |"
done
echo
echo "Commands (FILE = \`$FILE\`):"
echo
for t in "${TOOL_LIST[@]}"; do
  mapfile -t cmd < <(tool_cmd "$t")
  echo "- $t: \`/usr/bin/time -v ${cmd[*]//$ROOT\//}\`"
done
echo
echo "Per-run logs (stdout, stderr, /usr/bin/time -v output): \`$LOG_DIR\`"
