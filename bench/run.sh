#!/usr/bin/env bash
# The logsvc benchmark: durable ingest against an nginx ceiling, GET /logs
# latency at 200 and at FILL entries, and peak RSS; then the Lambda cold start
# (bench/cold_start.sh) when build/lambda/bootstrap exists. See bench/README.md.
#
#   bench/run.sh                        # defaults: DURATION=10 FILL=1000000
#   DURATION=3 FILL=20000 bench/run.sh  # quick smoke run
#
# Environment:
#   LOGSVC_BIN     the binary (default: build/logsvc in the repository)
#   LOGSVC_ARGS    extra arguments for `logsvc serve` (e.g. "--threads 1")
#   DURATION       seconds of each timed wrk run (default 10)
#   FILL           entries stored before the second GET measurement (default 1000000, >= 200)
#   READ_CONNS     connections of the GET /logs runs (default 8)
#   NGINX_WORKERS  nginx worker counts to try; the best is the ceiling (default "1 2")
#   ROUNDS         interleaved rounds of nginx and logsvc ingest, and of the two GET
#                  runs; each is reported by its median round (default 3)
#   FILL_TIMEOUT   seconds the fill may take before it counts as broken (default 1800)
#   FILL_STALL     seconds without progress before the fill counts as broken (default 120)
#   TMPDIR         where the data directories go (default /tmp); it must be a real disk
#
# Prints a summary table on stdout (progress on stderr), writes the same as JSON to
# bench/results/latest.json. Exits 0 whether or not targets are met; 1 if a run
# broke (non-201 answers, socket errors, a short fill); 2 on a setup problem.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
LOGSVC_BIN=${LOGSVC_BIN:-$REPO_ROOT/build/logsvc}
DURATION=${DURATION:-10}
FILL=${FILL:-1000000}
READ_CONNS=${READ_CONNS:-8}
NGINX_WORKERS=${NGINX_WORKERS:-"1 2"}
ROUNDS=${ROUNDS:-3}
FILL_TIMEOUT=${FILL_TIMEOUT:-1800}
FILL_STALL=${FILL_STALL:-120}
read -ra LOGSVC_EXTRA <<<"${LOGSVC_ARGS:-}"
RESULTS_DIR=$BENCH_DIR/results
RESULTS_JSON=$RESULTS_DIR/latest.json

# The write load, the same for nginx and logsvc.
POST_THREADS=2
POST_CONNS=64
GET_THREADS=1
SMALL_FILL=200
# The entry every POST sends; nginx answers with a body of logsvc's size (134 bytes).
POST_BODY='{"severity":"info","message":"GET /api/orders/18446 200 in 12ms user=u-4821 region=eu-west-1"}'
NGINX_REPLY='{"statusCode":201,"message":"Log entry created successfully","logId":"030ecf90-43bb-4dfb-920a-6e43aff39fb2","timestamp":1795539683637}'

# ---------------------------------------------------------------------------
# Plumbing

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'bench/run.sh: error: %s\n' "$*" >&2
  exit 2
}

ERRORS=()
broke() {  # a run went wrong: say so loudly, record it, go on; exit 1 at the end
  ERRORS+=("$1")
  printf '\n!!!!!!!! BROKEN: %s !!!!!!!!\n\n' "$1" >&2
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_uint "$DURATION" && ((DURATION >= 1)) || die "DURATION must be a whole number of seconds >= 1"
is_uint "$ROUNDS" && ((ROUNDS >= 1)) || die "ROUNDS must be a whole number >= 1"
is_uint "$FILL" && ((FILL >= SMALL_FILL)) || die "FILL must be a whole number >= $SMALL_FILL"
is_uint "$READ_CONNS" && ((READ_CONNS >= 1)) || die "READ_CONNS must be a whole number >= 1"
is_uint "$FILL_TIMEOUT" && ((FILL_TIMEOUT >= 1)) || die "FILL_TIMEOUT must be a whole number >= 1"
is_uint "$FILL_STALL" && ((FILL_STALL >= 1)) || die "FILL_STALL must be a whole number >= 1"
for w in $NGINX_WORKERS; do is_uint "$w" && ((w >= 1)) || die "NGINX_WORKERS must list numbers >= 1"; done

if [[ ! -x $LOGSVC_BIN ]]; then
  die "no logsvc binary at $LOGSVC_BIN. Build it first:
    cmake -S $REPO_ROOT -B $REPO_ROOT/build -DCMAKE_BUILD_TYPE=Release && make -C $REPO_ROOT/build -j\$(nproc) logsvc
  or point LOGSVC_BIN at one."
fi
for tool in wrk nginx curl awk ss dd; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (needed by the benchmark)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logsvc-bench.XXXXXX")
PIDS=()  # every process this script started and has not stopped yet

forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# SIGTERM, then up to $2 seconds (default 15) for it to exit, then SIGKILL.
stop_pid() {
  local pid=$1 grace=${2:-15} i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      printf 'bench/run.sh: pid %s ignored SIGTERM for %ss; killing it\n' "$pid" "$grace" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

cleanup() {
  local pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 5; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port on 127.0.0.1 (for nginx; logsvc picks its own with port 0).
pick_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    if [[ -z $(ss -Htln "sport = :$p") ]]; then
      echo "$p"
      return 0
    fi
  done
  die "found no free port"
}

# Reads "BENCH k=v k=v ..." from a wrk output file into the associative array B.
declare -A B
read_bench_line() {
  local line kv
  B=()
  line=$(grep -m1 '^BENCH ' "$1" || true)
  [[ -n $line ]] || {
    cat "$1" >&2
    die "wrk printed no BENCH line (output above)"
  }
  for kv in ${line#BENCH }; do B[${kv%%=*}]=${kv#*=}; done
}

calc() { awk "BEGIN { printf \"$1\", $2 }"; }  # calc FORMAT EXPRESSION
ms() { calc %.3f "$1 / 1000"; }  # microseconds -> milliseconds
th() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/' -e 'ta' <<<"$1"; }  # 1234567 -> 1,234,567

# ---------------------------------------------------------------------------
# CPU accounting: how the machine's CPU time was spent during a run, in cores
# (the machine has NPROC): the server under test, wrk, everything else, idle.

CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)

machine_jiffies() {  # prints "total idle" (idle includes iowait)
  local _cpu u n s i w irq sirq st _rest
  read -r _cpu u n s i w irq sirq st _rest </proc/stat
  echo "$((u + n + s + i + w + irq + sirq + st)) $((i + w))"
}

# utime+stime of processes, all threads; with --rocksdb only RocksDB's own
# background threads (named rocksdb:*), which flush and compact.
proc_jiffies() {
  local only_rocksdb=0 sum=0 pid stat t fields
  if [[ ${1:-} == --rocksdb ]]; then
    only_rocksdb=1
    shift
  fi
  for pid in "$@"; do
    if ((only_rocksdb)); then
      for t in /proc/"$pid"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == rocksdb:* ]] || continue
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        read -ra fields <<<"${stat##*) }"
        sum=$((sum + fields[11] + fields[12]))
      done
    else
      stat=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
      read -ra fields <<<"${stat##*) }"
      sum=$((sum + fields[11] + fields[12]))
    fi
  done
  echo "$sum"
}

# CPU time of this shell's finished children (wrk, once waited for, and the few
# small tools this script runs meanwhile), in jiffies, into CHILD_JIFFIES.
# `times` has to run in this shell: in a $(...) subshell it would see nothing.
children_jiffies() {
  times >"$WORK/times.txt"
  CHILD_JIFFIES=$(awk -v hz="$CLK_TCK" 'NR == 2 {
      split($1, u, /[ms]/); split($2, s, /[ms]/)
      printf "%d\n", ((u[1] * 60 + u[2]) + (s[1] * 60 + s[2])) * hz }' "$WORK/times.txt")
}

# write()-type system calls of processes (/proc/PID/io syscw). logsvc writes its
# sockets with sendmsg, which is not counted, and logs nothing per request, so
# for logsvc this is (nearly) one per WAL group commit; RocksDB's flushes add a few.
syscw() {
  local sum=0 pid v
  for pid in "$@"; do
    v=$(awk '$1 == "syscw:" { print $2 }' /proc/"$pid"/io 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

declare -A CPU0 CPU
cpu_begin() {  # cpu_begin SERVER_PID...
  local m
  children_jiffies
  m=$(machine_jiffies)
  CPU0=([total]=${m% *} [idle]=${m#* } [server]=$(proc_jiffies "$@")
    [rocksdb]=$(proc_jiffies --rocksdb "$@") [wrk]=$CHILD_JIFFIES [syscw]=$(syscw "$@")
    [t]=$EPOCHREALTIME)
}
cpu_end() {  # cpu_end SERVER_PID... (after wrk was waited for); fills CPU[...] in cores
  local m total idle server rocksdb wrk
  m=$(machine_jiffies)
  children_jiffies
  total=$((${m% *} - CPU0[total]))
  idle=$((${m#* } - CPU0[idle]))
  server=$(($(proc_jiffies "$@") - CPU0[server]))
  rocksdb=$(($(proc_jiffies --rocksdb "$@") - CPU0[rocksdb]))
  wrk=$((CHILD_JIFFIES - CPU0[wrk]))
  ((total > 0)) || total=1
  CPU=(
    [wall_s]=$(calc %.2f "$EPOCHREALTIME - ${CPU0[t]}")
    [server]=$(calc %.2f "$server * $NPROC / $total")
    [server_cpu_s]=$(calc %.2f "$server / $CLK_TCK")
    [rocksdb_bg]=$(calc %.2f "$rocksdb * $NPROC / $total")
    [wrk]=$(calc %.2f "$wrk * $NPROC / $total")
    [idle]=$(calc %.2f "$idle * $NPROC / $total")
    [other]=$(calc %.2f "($total - $idle - $server - $wrk) * $NPROC / $total")
    [syscw]=$(($(syscw "$@") - CPU0[syscw]))
  )
  [[ ${CPU[other]} != -* ]] || CPU[other]=0.00  # jiffy rounding
}

declare -A CPU_OF  # phase -> "server rocksdb_bg wrk other idle server_cpu_s"
record_cpu() { CPU_OF[$1]="${CPU[server]} ${CPU[rocksdb_bg]} ${CPU[wrk]} ${CPU[other]} ${CPU[idle]} ${CPU[server_cpu_s]}"; }

# ---------------------------------------------------------------------------
# Servers

# start_nginx WORKERS: sets NGX_PID, NGX_PORT.
start_nginx() {
  local workers=$1 dir=$WORK/nginx-$1 attempt i code affinity=""
  mkdir -p "$dir/tmp"
  ((workers > 1)) && affinity="worker_cpu_affinity auto;"
  for attempt in 1 2 3 4 5; do
    NGX_PORT=$(pick_port)
    cat >"$dir/nginx.conf" <<EOF
# The ceiling: what answering a POST /logs costs with no work behind it.
worker_processes $workers;
$affinity
worker_rlimit_nofile 16384;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  server_tokens off;
  default_type application/json;
  keepalive_timeout 75s;
  keepalive_requests 1000000000;
  client_body_buffer_size 16k;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$NGX_PORT reuseport backlog=4096;
    location = /logs {
      return 201 '$NGINX_REPLY';
    }
    location / {
      return 404;
    }
  }
}
EOF
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
    NGX_PID=$!
    PIDS+=("$NGX_PID")
    for ((i = 0; i < 50; i++)); do
      kill -0 "$NGX_PID" 2>/dev/null || break
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X POST \
        -H 'Content-Type: application/json' --data "$POST_BODY" "http://127.0.0.1:$NGX_PORT/logs" || true)
      [[ $code == 201 ]] && return 0
      sleep 0.1
    done
    stop_pid "$NGX_PID" 5
    say "nginx did not come up on port $NGX_PORT (attempt $attempt): $(tail -n 2 "$dir/error.log" 2>/dev/null)"
  done
  die "nginx would not start; see its error log above"
}

nginx_pids() {  # master and workers, one a line
  local p
  echo "$NGX_PID"
  for p in $(ps -o pid= --ppid "$NGX_PID" 2>/dev/null || true); do echo "$p"; done
}

# start_logsvc NAME: a fresh data directory; sets SVC_PID, SVC_PORT, SVC_LOG.
start_logsvc() {
  local dir=$WORK/$1 line i re='"listen":"127\.0\.0\.1:([0-9]+)"'
  mkdir -p "$dir"
  SVC_LOG=$dir/stderr.log
  "$LOGSVC_BIN" serve --listen 127.0.0.1:0 --data-dir "$dir/data" "${LOGSVC_EXTRA[@]}" 2>"$SVC_LOG" &
  SVC_PID=$!
  PIDS+=("$SVC_PID")
  for ((i = 0; i < 100; i++)); do
    line=$(head -n 1 "$SVC_LOG" 2>/dev/null || true)
    if [[ $line =~ $re ]]; then
      SVC_PORT=${BASH_REMATCH[1]}
      return 0
    fi
    if ! kill -0 "$SVC_PID" 2>/dev/null; then
      cat "$SVC_LOG" >&2
      die "logsvc exited at start (its stderr is above)"
    fi
    sleep 0.1
  done
  cat "$SVC_LOG" >&2
  die "logsvc printed no \"listen\" line within 10 s"
}

# stop_logsvc NAME: SIGTERM, and a note if it complained while running.
stop_logsvc() {
  local t0=$EPOCHREALTIME complaints
  stop_pid "$SVC_PID" 60
  say "$1: logsvc stopped in $(calc %.1f "$EPOCHREALTIME - $t0") s"
  complaints=$(grep -c -E '"level":"(warn|error)"' "$SVC_LOG" || true)
  if ((complaints > 0)); then
    say "$1: logsvc logged $complaints warning/error lines, e.g.:"
    grep -m 3 -E '"level":"(warn|error)"' "$SVC_LOG" >&2 || true
  fi
}

vm_kb() {  # vm_kb PID FIELD: e.g. VmHWM in kB
  awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status
}

# ---------------------------------------------------------------------------
# Loads

# run_post LABEL PORT SERVER_PID...: DURATION seconds of POST /logs; sets B[...] and CPU[...].
run_post() {
  local label=$1 port=$2 out=$WORK/wrk-$1.txt
  shift 2
  say "$label: wrk -t$POST_THREADS -c$POST_CONNS -d${DURATION}s POST /logs"
  cpu_begin "$@"
  wrk -t"$POST_THREADS" -c"$POST_CONNS" -d"${DURATION}s" -s "$BENCH_DIR/post.lua" \
    "http://127.0.0.1:$port/logs" >"$out" 2>&1 || {
    cat "$out" >&2
    die "wrk failed ($label)"
  }
  cpu_end "$@"
  read_bench_line "$out"
  B[rps]=$(calc %.0f "${B[requests]} * 1000000 / ${B[duration_us]}")
  if ((B[non201] > 0 || B[socket_errors] > 0 || B[created] == 0)); then
    cat "$out" >&2
    broke "$label: ${B[non201]} answers were not 201 and ${B[socket_errors]} socket errors (of ${B[requests]} requests)"
  fi
  say "$label: ${B[rps]} requests/s, p99 ${B[p99_us]} us"
}

# run_get LABEL PORT SERVER_PID...: DURATION seconds of GET /logs; sets B[...] and CPU[...].
run_get() {
  local label=$1 port=$2 out=$WORK/wrk-$1.txt
  shift 2
  say "$label: wrk --latency -t$GET_THREADS -c$READ_CONNS -d${DURATION}s GET /logs"
  cpu_begin "$@"
  wrk --latency -t"$GET_THREADS" -c"$READ_CONNS" -d"${DURATION}s" -s "$BENCH_DIR/get.lua" \
    "http://127.0.0.1:$port/logs" >"$out" 2>&1 || {
    cat "$out" >&2
    die "wrk failed ($label)"
  }
  cpu_end "$@"
  read_bench_line "$out"
  B[rps]=$(calc %.0f "${B[requests]} * 1000000 / ${B[duration_us]}")
  if ((B[non200] > 0 || B[socket_errors] > 0 || B[ok] == 0)); then
    cat "$out" >&2
    broke "$label: ${B[non200]} answers were not 200 and ${B[socket_errors]} socket errors (of ${B[requests]} requests)"
  fi
  say "$label: p50 ${B[p50_us]} us, p99 ${B[p99_us]} us, ${B[rps]} requests/s"
}

# run_fill LABEL PORT N SERVER_PID...: POST exactly N entries (see fill.lua); sets B[...] and CPU[...].
run_fill() {
  local label=$1 port=$2 n=$3 out=$WORK/wrk-$1.txt marks=$WORK/marks-$1 wpid signalled=0 gave_up=0
  local done_threads progress last_progress last_change last_print now t v
  shift 3
  mkdir -p "$marks"
  say "$label: POSTing $n entries with wrk -t$POST_THREADS -c$POST_CONNS"
  cpu_begin "$@"
  BENCH_FILL_N=$n BENCH_FILL_THREADS=$POST_THREADS BENCH_FILL_MARKS=$marks \
    wrk -t"$POST_THREADS" -c"$POST_CONNS" -d"${FILL_TIMEOUT}s" --timeout 10s -s "$BENCH_DIR/fill.lua" \
    "http://127.0.0.1:$port/logs" >"$out" 2>&1 &
  wpid=$!
  PIDS+=("$wpid")
  # wrk sleeps for all of -d even when its threads have stopped; SIGINT ends the sleep.
  # Meanwhile: show progress every 10 s, and give up if it stalls for FILL_STALL s.
  # (No forks here but sleep: this loop shares the CPU with the run it watches.)
  now=${EPOCHREALTIME/./}
  last_change=$now last_print=$now last_progress=-1
  while kill -0 "$wpid" 2>/dev/null; do
    done_threads=0 progress=0
    for ((t = 1; t <= POST_THREADS; t++)); do
      [[ -e $marks/done.$t ]] && done_threads=$((done_threads + 1))
      if [[ -e $marks/progress.$t ]] && read -r v <"$marks/progress.$t" && [[ $v =~ ^[0-9]+$ ]]; then
        progress=$((progress + v))
      fi
    done
    now=${EPOCHREALTIME/./}
    if ((done_threads >= POST_THREADS)); then
      # (again every second, in case the first one came before wrk was listening for it)
      if ((signalled++ % 10 == 0)); then kill -INT "$wpid" 2>/dev/null || true; fi
    else
      if ((progress != last_progress)); then
        last_progress=$progress
        last_change=$now
      fi
      if ((now - last_print >= 10000000)); then
        say "$label: $(th "$progress") / $(th "$n") answered"
        last_print=$now
      fi
      # Giving up: SIGINT, so that wrk still reports what it got.
      if ((gave_up)); then
        :
      elif ! kill -0 "$SVC_PID" 2>/dev/null; then
        broke "$label: logsvc died during the fill"
        gave_up=1
        kill -INT "$wpid" 2>/dev/null || true
      elif ((now - last_change > FILL_STALL * 1000000)); then
        broke "$label: no progress for ${FILL_STALL} s (at $progress of $n answered); giving up"
        gave_up=1
        kill -INT "$wpid" 2>/dev/null || true
      fi
    fi
    sleep 0.1
  done
  wait "$wpid" || true
  forget_pid "$wpid"
  cpu_end "$@"
  read_bench_line "$out"
  B[seconds]=$(calc %.1f "${B[duration_us]} / 1000000")
  B[rps]=$(calc %.0f "${B[created]} * 1000000 / ${B[duration_us]}")
  if ((B[created] != n || B[non201] > 0 || B[finished_threads] != B[threads] || B[socket_errors] > 0)); then
    cat "$out" >&2
    broke "$label: asked for $n entries, got ${B[created]} answered 201, ${B[non201]} other answers, ${B[socket_errors]} socket errors, ${B[finished_threads]}/${B[threads]} wrk threads finished"
  fi
  say "$label: $n entries in ${B[seconds]} s (${B[rps]} entries/s)"
}

# GET /logs returns the newest 100: check it says so.
check_listing() {
  local body count
  body=$(curl -s --max-time 10 "http://127.0.0.1:$1/logs" || true)
  count=$(sed -n 's/.*"count":\([0-9]*\).*/\1/p' <<<"${body:0:200}")
  [[ $count == 100 ]] || broke "GET /logs answered count '${count}' (expected 100): ${body:0:200}"
}

# ---------------------------------------------------------------------------
# The machine

T_START=$EPOCHREALTIME
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
CPU_MODEL=${CPU_MODEL:-unknown}
KERNEL=$(uname -r)
NGINX_VERSION=$(nginx -v 2>&1 || true)
NGINX_VERSION=${NGINX_VERSION#nginx version: }
WRK_VERSION=$(wrk -v 2>&1 || true)
WRK_VERSION=${WRK_VERSION%%$'\n'*}
WRK_VERSION=${WRK_VERSION% Copyright*}
LOGSVC_VERSION=$("$LOGSVC_BIN" --version 2>&1 || true)
LOGSVC_BUILT=$(date -u -r "$LOGSVC_BIN" +%Y-%m-%dT%H:%M:%SZ)
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$REPO_ROOT" status --porcelain -- src include CMakeLists.txt 2>/dev/null) ]]; then
  GIT_REV="$GIT_REV+dirty"
fi

say "machine: $NPROC cores, $CPU_MODEL; $NGINX_VERSION; $WRK_VERSION; $LOGSVC_VERSION ($LOGSVC_BIN)"

# Is anything else using the CPU? (On a shared machine every number below is low and noisy.)
cpu_begin
sleep 1
cpu_end
BUSY_BEFORE=$(calc %.0f "(${CPU[other]}) * 100 / $NPROC")
if ((BUSY_BEFORE > 10)); then
  say "WARNING: other processes use ${BUSY_BEFORE}% of the CPU before the benchmark starts; expect low, noisy numbers"
fi

# What one small synced append costs on the disk under TMPDIR (a WAL group commit is one).
FSYNC_US=$(dd if=/dev/zero of="$WORK/fsync-probe" bs=4k count=200 oflag=dsync 2>&1 |
  awk -F', ' '/copied/ { sub(/ s$/, "", $(NF-1)); printf "%.0f", $(NF-1) * 1000000 / 200 }')
rm -f "$WORK/fsync-probe"
FSYNC_US=${FSYNC_US:-0}
say "disk: a 4 KiB O_DSYNC append takes ~${FSYNC_US} us under $(dirname "$WORK")"

# ---------------------------------------------------------------------------
# 1-2. The nginx ceiling and logsvc durable ingest, in ROUNDS interleaved rounds
#
# This machine runs in faster and slower phases lasting seconds to minutes: the
# same server needs 7.4 or 9 us of CPU per request (nginx), 13.5 or 17.5 us
# (logsvc), from one minute to the next. One run of each, 20 s apart, may land
# in different phases, and their ratio then says more about the machine than
# about logsvc. So each round runs nginx, then logsvc on a new data dir, and
# each side is reported by its median round.

declare -A NGX_RPS NGX_P99 NGX_ROUNDS ROUND
INGEST_ROUNDS=""
for ((round = 1; round <= ROUNDS; round++)); do
  for w in $NGINX_WORKERS; do
    start_nginx "$w"
    mapfile -t pids < <(nginx_pids)
    run_post "nginx-$w#$round" "$NGX_PORT" "${pids[@]}"
    record_cpu "nginx-$w#$round"
    CPU_OF[nginx-$w#$round]+=" ${B[requests]}"
    ROUND[nginx-$w#$round,rps]=${B[rps]}
    ROUND[nginx-$w#$round,p99_us]=${B[p99_us]}
    NGX_ROUNDS[$w]+=" ${B[rps]}"
    stop_pid "$NGX_PID" 10
  done

  start_logsvc ingest
  run_post "logsvc-ingest#$round" "$SVC_PORT" "$SVC_PID"
  record_cpu "ingest#$round"
  CPU_OF[ingest#$round]+=" ${B[requests]}"
  for k in rps p50_us p99_us non201 requests; do ROUND[ingest#$round,$k]=${B[$k]}; done
  ROUND[ingest#$round,hwm_kb]=$(vm_kb "$SVC_PID" VmHWM)
  ROUND[ingest#$round,commits_per_s]=$(calc %.0f "${CPU[syscw]} / ${CPU[wall_s]}")
  ROUND[ingest#$round,per_commit]=$(calc %.1f "${B[requests]} / (${CPU[syscw]} > 0 ? ${CPU[syscw]} : 1)")
  INGEST_ROUNDS+=" ${B[rps]}"
  stop_logsvc "logsvc-ingest#$round"
  rm -rf "$WORK/ingest"
done

# median_round "V1 V2 ...": the round (1-based) whose value is the median (the
# lower of the middle two for an even count).
median_round() {
  tr ' ' '\n' <<<"$1" | grep . | awk '{ print NR, $1 }' | sort -k2,2n |
    awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] }'
}

NGX_BEST_RPS=0
NGX_BEST_WORKERS=0
for w in $NGINX_WORKERS; do
  round=$(median_round "${NGX_ROUNDS[$w]}")
  NGX_RPS[$w]=${ROUND[nginx-$w#$round,rps]}
  NGX_P99[$w]=${ROUND[nginx-$w#$round,p99_us]}
  CPU_OF[nginx-$w]=${CPU_OF[nginx-$w#$round]}
  if ((NGX_RPS[$w] > NGX_BEST_RPS)); then
    NGX_BEST_RPS=${NGX_RPS[$w]}
    NGX_BEST_WORKERS=$w
  fi
done
round=$(median_round "$INGEST_ROUNDS")
INGEST_RPS=${ROUND[ingest#$round,rps]}
INGEST_P50=${ROUND[ingest#$round,p50_us]}
INGEST_P99=${ROUND[ingest#$round,p99_us]}
INGEST_NON201=${ROUND[ingest#$round,non201]}
INGEST_REQUESTS=${ROUND[ingest#$round,requests]}
INGEST_HWM_KB=${ROUND[ingest#$round,hwm_kb]}
INGEST_COMMITS_PER_S=${ROUND[ingest#$round,commits_per_s]}
INGEST_PER_COMMIT=${ROUND[ingest#$round,per_commit]}
CPU_OF[ingest]=${CPU_OF[ingest#$round]}
INGEST_RATIO=$(calc %.3f "$INGEST_RPS / ($NGX_BEST_RPS > 0 ? $NGX_BEST_RPS : 1)")

# ---------------------------------------------------------------------------
# 3. GET /logs at 200 entries; 4. the same at FILL entries; 5. peak RSS
#
# Two processes, one with 200 entries and one filled to FILL, so that their GET
# runs can alternate, in ROUNDS rounds, under the same phases of the machine
# (see 1-2); each is reported by its median round (by p99).

start_logsvc small
SMALL_PID=$SVC_PID SMALL_PORT=$SVC_PORT SMALL_LOG=$SVC_LOG
run_fill fill-200 "$SMALL_PORT" "$SMALL_FILL" "$SMALL_PID"
check_listing "$SMALL_PORT"

start_logsvc read
run_fill fill-read-200 "$SVC_PORT" "$SMALL_FILL" "$SVC_PID"
if ((FILL > SMALL_FILL)); then
  run_fill fill "$SVC_PORT" $((FILL - SMALL_FILL)) "$SVC_PID"
  record_cpu fill
  CPU_OF[fill]+=" ${B[created]}"
  FILL_SECONDS=${B[seconds]}
  FILL_RPS=${B[rps]}
  FILL_P99=${B[p99_us]}
  FILL_COMMITS_PER_S=$(calc %.0f "${CPU[syscw]} / ${CPU[wall_s]}")
  FILL_PER_COMMIT=$(calc %.1f "${B[created]} / (${CPU[syscw]} > 0 ? ${CPU[syscw]} : 1)")
else
  FILL_SECONDS=0 FILL_RPS=0 FILL_P99=0 FILL_COMMITS_PER_S=0 FILL_PER_COMMIT=0
fi
FILL_HWM_KB=$(vm_kb "$SVC_PID" VmHWM)
check_listing "$SVC_PORT"

G200_ROUNDS="" GFILL_ROUNDS=""
for ((round = 1; round <= ROUNDS; round++)); do
  run_get "get-200#$round" "$SMALL_PORT" "$SMALL_PID"
  record_cpu "get-200#$round"
  CPU_OF[get-200#$round]+=" ${B[requests]}"
  for k in "${!B[@]}"; do ROUND[get-200#$round,$k]=${B[$k]}; done
  G200_ROUNDS+=" ${B[p99_us]}"

  run_get "get-fill#$round" "$SVC_PORT" "$SVC_PID"
  record_cpu "get-fill#$round"
  CPU_OF[get-fill#$round]+=" ${B[requests]}"
  for k in "${!B[@]}"; do ROUND[get-fill#$round,$k]=${B[$k]}; done
  GFILL_ROUNDS+=" ${B[p99_us]}"
done
declare -A G200 GFILL
round=$(median_round "$G200_ROUNDS")
for k in "${!B[@]}"; do G200[$k]=${ROUND[get-200#$round,$k]}; done
CPU_OF[get-200]=${CPU_OF[get-200#$round]}
round=$(median_round "$GFILL_ROUNDS")
for k in "${!B[@]}"; do GFILL[$k]=${ROUND[get-fill#$round,$k]}; done
CPU_OF[get-fill]=${CPU_OF[get-fill#$round]}

HWM_KB=$(vm_kb "$SVC_PID" VmHWM)
RSS_KB=$(vm_kb "$SVC_PID" VmRSS)
DATA_DIR_MB=$(du -sm "$WORK/read/data" | cut -f1)
stop_logsvc logsvc-read
SVC_PID=$SMALL_PID SVC_LOG=$SMALL_LOG stop_logsvc logsvc-small

HWM_MB=$(calc %.1f "$HWM_KB / 1024")
P99_RATIO=$(calc %.3f "${GFILL[p99_us]} / (${G200[p99_us]} > 0 ? ${G200[p99_us]} : 1)")
TOTAL_SECONDS=$(calc %.0f "$EPOCHREALTIME - $T_START")

# ---------------------------------------------------------------------------
# Report

verdict() {  # verdict VALUE OP TARGET
  awk -v v="$1" -v t="$3" "BEGIN { exit !(v $2 t) }" && echo PASS || echo FAIL
}
V_RATIO=$(verdict "$INGEST_RATIO" '>=' 0.5)
V_P99=$(verdict "${GFILL[p99_us]}" '<' 2000)
V_P99_RATIO=$(verdict "$P99_RATIO" '<=' 1.5)
V_RSS=$(verdict "$HWM_MB" '<' 200)

FILL_H=$(th "$FILL")
row() { printf '  %-46s %18s  %-10s %s\n' "$@"; }

{
  echo
  echo "logsvc benchmark  ($STARTED_AT, took $TOTAL_SECONDS s; repository at $GIT_REV)"
  echo "  machine   $NPROC cores, $CPU_MODEL, Linux $KERNEL"
  echo "            4 KiB O_DSYNC append ~${FSYNC_US} us; other load before start ${BUSY_BEFORE}% CPU"
  echo "  versions  $NGINX_VERSION; $WRK_VERSION; $LOGSVC_VERSION ($LOGSVC_BIN, built $LOGSVC_BUILT)"
  echo "  settings  DURATION=${DURATION}s ROUNDS=$ROUNDS FILL=$FILL READ_CONNS=$READ_CONNS; POST: wrk -t$POST_THREADS -c$POST_CONNS${LOGSVC_ARGS:+; LOGSVC_ARGS=$LOGSVC_ARGS}"
  echo
  row "measure" "value" "target" "result"
  for w in $NGINX_WORKERS; do
    row "nginx POST /logs, $w worker(s)" "$(th "${NGX_RPS[$w]}") req/s" "" ""
  done
  row "nginx ceiling (best: $NGX_BEST_WORKERS worker(s))" "$(th "$NGX_BEST_RPS") req/s" "" ""
  row "logsvc durable ingest" "$(th "$INGEST_RPS") req/s" "" ""
  row "  ingest latency p50 / p99" "$(ms "$INGEST_P50") / $(ms "$INGEST_P99") ms" "" ""
  row "  ~WAL group commits (write() calls)" "$(th "$INGEST_COMMITS_PER_S")/s, ${INGEST_PER_COMMIT} each" "" ""
  row "  logsvc / nginx" "$INGEST_RATIO" ">= 0.5" "$V_RATIO"
  for w in $NGINX_WORKERS; do
    row "  rounds: nginx, $w worker(s)" "$(echo ${NGX_ROUNDS[$w]})" "" ""
  done
  row "  rounds: logsvc ingest" "$(echo $INGEST_ROUNDS)" "" ""
  row "GET /logs @ 200 entries p50 / p99" "$(ms "${G200[p50_us]}") / $(ms "${G200[p99_us]}") ms" "" ""
  row "fill to $FILL_H entries" "${FILL_SECONDS} s, $(th "$FILL_RPS")/s" "" ""
  row "  ~WAL group commits (write() calls)" "$(th "$FILL_COMMITS_PER_S")/s, ${FILL_PER_COMMIT} each" "" ""
  row "GET /logs @ $FILL_H p50 / p99" "$(ms "${GFILL[p50_us]}") / $(ms "${GFILL[p99_us]}") ms" "" ""
  row "  rounds: p99 us @ 200" "$(echo $G200_ROUNDS)" "" ""
  row "  rounds: p99 us @ $FILL_H" "$(echo $GFILL_ROUNDS)" "" ""
  row "  p99 @ $FILL_H" "$(ms "${GFILL[p99_us]}") ms" "< 2 ms" "$V_P99"
  row "  p99 @ $FILL_H / p99 @ 200" "$P99_RATIO" "<= 1.5" "$V_P99_RATIO"
  row "logsvc peak RSS (VmHWM) after the fill" "$HWM_MB MiB" "< 200 MiB" "$V_RSS"
  echo
  echo "  CPU during each run, in cores of $NPROC (server = nginx or logsvc, of which"
  echo "  rocksdb = RocksDB flush/compaction threads; other = processes not ours):"
  printf '  %-16s %7s %8s %6s %6s %6s %16s\n' run server rocksdb wrk other idle "server us/req"
  for phase in $(for w in $NGINX_WORKERS; do echo "nginx-$w"; done) ingest get-200 fill get-fill; do
    [[ -n ${CPU_OF[$phase]:-} ]] || continue
    read -r c_srv c_rdb c_wrk c_oth c_idle c_s c_n <<<"${CPU_OF[$phase]}"
    printf '  %-16s %7s %8s %6s %6s %6s %16s\n' "$phase" "$c_srv" "$c_rdb" "$c_wrk" "$c_oth" "$c_idle" \
      "$(calc %.1f "$c_s * 1000000 / (${c_n:-0} > 0 ? ${c_n:-0} : 1)")"
  done
  if ((${#ERRORS[@]} > 0)); then
    echo
    echo "  BROKEN RUNS (numbers above are not trustworthy):"
    for e in "${ERRORS[@]}"; do echo "    - $e"; done
  fi
  echo
}

# ---------------------------------------------------------------------------
# JSON

json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//[$'\n\r\t']/ }
  printf '"%s"' "$s"
}
cpu_json() {
  local c_srv c_rdb c_wrk c_oth c_idle c_s c_n
  read -r c_srv c_rdb c_wrk c_oth c_idle c_s c_n <<<"${CPU_OF[$1]:-0 0 0 0 0 0 0}"
  printf '{"server_cores": %s, "rocksdb_bg_cores": %s, "wrk_cores": %s, "other_cores": %s, "idle_cores": %s, "server_cpu_s": %s, "requests": %s}' \
    "$c_srv" "$c_rdb" "$c_wrk" "$c_oth" "$c_idle" "$c_s" "${c_n:-0}"
}
get_json() {
  local -n g=$1
  printf '{"entries": %s, "requests": %s, "rps": %s, "mean_us": %s, "p50_us": %s, "p90_us": %s, "p99_us": %s, "p999_us": %s, "max_us": %s, "non200": %s, "socket_errors": %s}' \
    "$2" "${g[requests]}" "${g[rps]}" "${g[mean_us]}" "${g[p50_us]}" "${g[p90_us]}" "${g[p99_us]}" \
    "${g[p999_us]}" "${g[max_us]}" "${g[non200]}" "${g[socket_errors]}"
}
pass_bool() { [[ $1 == PASS ]] && echo true || echo false; }

mkdir -p "$RESULTS_DIR"
{
  echo "{"
  echo "  \"started_at\": $(json_str "$STARTED_AT"),"
  echo "  \"total_seconds\": $TOTAL_SECONDS,"
  echo "  \"repository_revision\": $(json_str "$GIT_REV"),"
  echo "  \"logsvc_bin\": $(json_str "$LOGSVC_BIN"),"
  echo "  \"logsvc_bin_built_at\": $(json_str "$LOGSVC_BUILT"),"
  echo "  \"machine\": {\"nproc\": $NPROC, \"cpu_model\": $(json_str "$CPU_MODEL"), \"kernel\": $(json_str "$KERNEL"), \"other_cpu_pct_before\": $BUSY_BEFORE, \"dsync_4k_append_us\": $FSYNC_US},"
  echo "  \"versions\": {\"nginx\": $(json_str "$NGINX_VERSION"), \"wrk\": $(json_str "$WRK_VERSION"), \"logsvc\": $(json_str "$LOGSVC_VERSION")},"
  echo "  \"settings\": {\"duration_s\": $DURATION, \"rounds\": $ROUNDS, \"fill\": $FILL, \"read_conns\": $READ_CONNS, \"read_threads\": $GET_THREADS, \"post_threads\": $POST_THREADS, \"post_conns\": $POST_CONNS, \"logsvc_args\": $(json_str "${LOGSVC_ARGS:-}")},"
  printf '  "nginx": {"best_workers": %s, "rps": %s, "runs": [' "$NGX_BEST_WORKERS" "$NGX_BEST_RPS"
  sep=""
  for w in $NGINX_WORKERS; do
    printf '%s{"workers": %s, "rps": %s, "rounds_rps": [%s], "p99_us": %s, "cpu": %s}' "$sep" "$w" "${NGX_RPS[$w]}" \
      "$(echo ${NGX_ROUNDS[$w]} | tr ' ' ',')" "${NGX_P99[$w]}" "$(cpu_json "nginx-$w")"
    sep=", "
  done
  echo "]},"
  echo "  \"ingest\": {\"rps\": $INGEST_RPS, \"rounds_rps\": [$(echo $INGEST_ROUNDS | tr ' ' ',')], \"ratio_to_nginx\": $INGEST_RATIO, \"requests\": $INGEST_REQUESTS, \"non201\": $INGEST_NON201, \"p50_us\": $INGEST_P50, \"p99_us\": $INGEST_P99, \"wal_writes_per_s\": $INGEST_COMMITS_PER_S, \"entries_per_wal_write\": $INGEST_PER_COMMIT, \"vmhwm_kb\": $INGEST_HWM_KB, \"cpu\": $(cpu_json ingest)},"
  echo "  \"get_small\": $(get_json G200 "$SMALL_FILL"),"
  echo "  \"fill\": {\"entries_total\": $FILL, \"entries_posted\": $((FILL - SMALL_FILL)), \"seconds\": $FILL_SECONDS, \"rps\": $FILL_RPS, \"p99_us\": $FILL_P99, \"wal_writes_per_s\": $FILL_COMMITS_PER_S, \"entries_per_wal_write\": $FILL_PER_COMMIT, \"vmhwm_kb_after\": $FILL_HWM_KB, \"data_dir_mb\": $DATA_DIR_MB, \"cpu\": $(cpu_json fill)},"
  echo "  \"get_filled\": $(get_json GFILL "$FILL"),"
  echo "  \"get_rounds_p99_us\": {\"small\": [$(echo $G200_ROUNDS | tr ' ' ',')], \"filled\": [$(echo $GFILL_ROUNDS | tr ' ' ',')]},"
  echo "  \"p99_ratio_filled_to_small\": $P99_RATIO,"
  echo "  \"rss\": {\"vmhwm_kb\": $HWM_KB, \"vmhwm_mib\": $HWM_MB, \"vmrss_kb_at_end\": $RSS_KB},"
  echo "  \"cpu_get\": {\"small\": $(cpu_json get-200), \"filled\": $(cpu_json get-fill)},"
  echo "  \"targets\": ["
  echo "    {\"name\": \"ingest_ratio_to_nginx\", \"value\": $INGEST_RATIO, \"target\": \">= 0.5\", \"pass\": $(pass_bool "$V_RATIO")},"
  echo "    {\"name\": \"get_p99_filled_ms\", \"value\": $(ms "${GFILL[p99_us]}"), \"target\": \"< 2\", \"pass\": $(pass_bool "$V_P99")},"
  echo "    {\"name\": \"get_p99_ratio_filled_to_small\", \"value\": $P99_RATIO, \"target\": \"<= 1.5\", \"pass\": $(pass_bool "$V_P99_RATIO")},"
  echo "    {\"name\": \"peak_rss_mib\", \"value\": $HWM_MB, \"target\": \"< 200\", \"pass\": $(pass_bool "$V_RSS")}"
  echo "  ],"
  printf '  "errors": ['
  sep=""
  for e in "${ERRORS[@]}"; do
    printf '%s%s' "$sep" "$(json_str "$e")"
    sep=", "
  done
  echo "]"
  echo "}"
} >"$RESULTS_JSON.tmp"
mv "$RESULTS_JSON.tmp" "$RESULTS_JSON"
if command -v jq >/dev/null && ! jq -e . "$RESULTS_JSON" >/dev/null; then
  die "wrote invalid JSON to $RESULTS_JSON"
fi
say "wrote $RESULTS_JSON"

# ---------------------------------------------------------------------------
# 6. Lambda cold start (bench/cold_start.sh), when the bootstrap is built

if [[ -x $REPO_ROOT/build/lambda/bootstrap ]]; then
  say "Lambda cold start (bench/cold_start.sh)"
  cold_rc=0
  "$BENCH_DIR/cold_start.sh" || cold_rc=$?
  if ((cold_rc == 1)); then
    printf '\n!!!!!!!! BROKEN: a run of bench/cold_start.sh broke (above) !!!!!!!!\n\n' >&2
    exit 1
  fi
  ((cold_rc == 0)) || exit "$cold_rc"
else
  say "no $REPO_ROOT/build/lambda/bootstrap: skipping the Lambda cold start (bench/cold_start.sh)"
fi

((${#ERRORS[@]} == 0)) || exit 1
exit 0
