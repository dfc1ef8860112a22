#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The iepoll trace selftests, run as root in the guest with the module
# loaded (scripts/vm -- selftests/trace/run.sh).  Prints KTAP and ends with
# the kselftest Totals line; exits non-zero if a test failed.
#
# trace_check (built on the host: make -C selftests/trace) checks the event
# sequence, the hist trigger and the statistics; the host's trace-cmd, perf
# and bpftrace each record or count the events of trace_check's scenario.
# "parsers" checks that trace_check and tools/iepoll-trace read one trace
# alike, both by the events' format files; "docs" that docs/tracing.md's
# table of events lists what those format files have; "counters" that
# tools/iepoll-trace knows every counter the module has (module/stats.h),
# compared or not, and names none it does not have; "fdinfo" that
# tools/iepoll-fdinfo --json shows an instance of python3 under
# tools/iepoll-run with its item and counters.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
check=$here/trace_check
# In the repository, as scripts/vm runs it; absent where it is installed.
repo=$(cd "$here/../.." && pwd)
trace_tool=$repo/tools/iepoll-trace
tmp=$(mktemp -d /tmp/iepoll-trace.XXXXXX)

# trace_check's tests share one tracefs instance, made here: a mkdir and an
# rmdir of an instance create and remove the files of every event, which
# takes seconds on the debug kernel. trace_check empties it and turns its
# iepoll events off before each test.
#
# module:module_load stays on in it for the whole suite (no module is loaded
# meanwhile: it records nothing). While any event is on, ftrace keeps its
# comm recorder on sched_switch and sched_wakeup; otherwise every first
# enable and last disable of the tests, trace-cmd's and perf's runs included,
# patches those tracepoints in the scheduler's hottest code. Under TCG, a
# vCPU once ran a stale int3 of that patching ("Oops: int3" in
# ttwu_do_activate on the backports kernel, during latency0, with the host
# fully loaded): the suite patches the scheduler once, not dozens of times.
instance=/sys/kernel/tracing/instances/iepoll-selftest
made=
if [ -d "${instance%/*}" ] && mkdir "$instance" 2>/dev/null; then
	made=1
	echo 1 >"$instance/events/module/module_load/enable" ||
		echo "# could not enable module:module_load in $instance"
fi
cleanup() {
	rm -rf "$tmp"
	[ -n "$made" ] || return 0
	echo 0 >"$instance/events/enable"
	if ! rmdir "$instance"; then
		echo "# rmdir $instance failed: a test left a trigger on it?"
		cat "$instance"/events/iepoll/*/trigger | grep -v '^#' | sed 's/^/# /'
	fi
}
trap cleanup EXIT

# The scenario's events, as trace_check scenario produces them.
want_counts="insert=1 modify=1 remove=1 callback=4 send_events=2 deliver=2 wait_enter=3 wait_exit=3"
events="insert modify remove callback send_events deliver wait_enter wait_exit"

tests=(sequence closed sleep latency0 hist stats submit fallback detach parsers docs counters
       fdinfo trace-cmd perf-stat perf-record bpftrace)
# shellcheck source=selftests/ktap.sh
. "$here/../ktap.sh"

echo "TAP version 13"
echo "1..${#tests[@]}"

# count_events FILE ID: the scenario's events of instance ID in a text dump
# (trace-cmd report, perf script), as "insert=1 modify=1 ...".
count_events() {
	local e c out=""

	for e in $events; do
		c=$(grep -cE "iepoll_$e: +id $2 " "$1" || true)
		out="$out $e=$c"
	done
	echo "${out# }"
}

# The instance id printed by "trace_check scenario".
scenario_id() {
	sed -n 's/^instance \([0-9]*\):.*/\1/p' "$1" | head -n 1
}

# compare NAME GOT: a tool's counts against the scenario's.
compare() {
	echo "# $1 counted: $2"
	echo "# expected:   $want_counts"
	[ "$2" = "$want_counts" ]
}

# check_dump TOOL FILE ID: a tool's text dump (libtraceevent formats the
# lines of trace-cmd report and perf script from the events' format files).
check_dump() {
	grep "iepoll_" "$2" | head -n 20
	if grep -q "FAILED TO PARSE" "$2"; then
		echo "$1 could not parse an event's format"
		return 1
	fi
	compare "$1" "$(count_events "$2" "$3")"
}

# Every event of the workloads of trace_check, read by trace_check and by
# tools/iepoll-trace (its parse_line(), the one its report uses): the two
# must agree, line by line, and the trace must hold every event of
# events/iepoll/ so that every format is read.
t_parsers() {
	local e missing=0

	if [ ! -f "$trace_tool" ]; then
		echo "SKIP: no $trace_tool: the selftests run outside the repository"
		return 4
	fi
	"$check" record "$tmp/parsers.trace" || return 1
	"$check" parse "$tmp/parsers.trace" >"$tmp/parsers.c" || return 1
	python3 - "$trace_tool" /sys/kernel/tracing/events/iepoll \
		"$tmp/parsers.trace" >"$tmp/parsers.py" <<-'EOF' || return 1
	import importlib.machinery, importlib.util, sys
	sys.dont_write_bytecode = True
	loader = importlib.machinery.SourceFileLoader("iepoll_trace", sys.argv[1])
	mod = importlib.util.module_from_spec(
	    importlib.util.spec_from_loader(loader.name, loader))
	loader.exec_module(mod)
	formats = mod.read_formats(sys.argv[2])
	with open(sys.argv[3], encoding="utf-8", errors="replace") as f:
	    for line in f:
	        r = mod.parse_line(formats, line)
	        if r is None:
	            continue
	        _, name, fields = r
	        if fields is None:
	            sys.exit(f"iepoll-trace cannot read: {line.rstrip()}")
	        print(name + "".join(f" {k}={v}" for k, v in fields.items()))
	EOF
	for e in /sys/kernel/tracing/events/iepoll/*/format; do
		e=${e%/format}
		e=${e##*/}
		if ! grep -q "^$e " "$tmp/parsers.c"; then
			echo "the trace has no $e"
			missing=1
		fi
	done
	if ! diff -u "$tmp/parsers.c" "$tmp/parsers.py"; then
		echo "trace_check (-) and iepoll-trace (+) read the trace differently"
		return 1
	fi
	echo "$(wc -l <"$tmp/parsers.c") events read alike by trace_check and iepoll-trace:"
	cut -d' ' -f1 "$tmp/parsers.c" | sort | uniq -c
	return "$missing"
}

# Runs in a subshell: its output goes to the test's file.
t_trace_cmd() {
	local id

	need trace-cmd trace-cmd || return
	trace-cmd record -q -C global -e iepoll -o "$tmp/trace.dat" \
		"$check" scenario >"$tmp/tc-record" 2>&1 ||
		{ cat "$tmp/tc-record"; return 1; }
	id=$(scenario_id "$tmp/tc-record")
	trace-cmd report -i "$tmp/trace.dat" >"$tmp/tc-report" 2>&1 ||
		{ cat "$tmp/tc-report"; return 1; }
	echo "trace-cmd record -C global -e iepoll -- trace_check scenario (instance $id); trace-cmd report:"
	check_dump trace-cmd "$tmp/tc-report" "$id"
}

t_perf_stat() {
	local e list="" got="" c

	need perf linux-perf || return
	for e in $events; do
		list="$list${list:+,}iepoll:iepoll_$e"
	done
	# -a: system wide, whichever task fires an event.
	perf stat -a -x, -e "$list" -o "$tmp/stat" "$check" scenario \
		>"$tmp/stat-out" 2>&1 || { cat "$tmp/stat-out"; return 1; }
	echo "perf stat -a -x, -e iepoll:... -- trace_check scenario:"
	grep iepoll "$tmp/stat"
	for e in $events; do
		c=$(awk -F, -v ev="iepoll:iepoll_$e" '$3 == ev { print $1 }' "$tmp/stat")
		got="$got $e=${c:-none}"
	done
	compare "perf stat" "${got# }"
}

t_perf_record() {
	local id

	need perf linux-perf || return
	perf record -N -a -e 'iepoll:*' -o "$tmp/perf.data" "$check" scenario \
		>"$tmp/rec-out" 2>&1 || { cat "$tmp/rec-out"; return 1; }
	id=$(scenario_id "$tmp/rec-out")
	perf script -i "$tmp/perf.data" >"$tmp/script" 2>"$tmp/script-err" ||
		{ cat "$tmp/script-err"; return 1; }
	echo "perf record -a -e 'iepoll:*' -- trace_check scenario (instance $id); perf script:"
	check_dump "perf script" "$tmp/script" "$id"
}

# bpftrace reads a module's tracepoint fields through clang and the kernel
# headers (the module has no BTF: Debian's headers carry no vmlinux).
# Debian splits them in an -amd64 (build) and a -common (source) tree;
# where the "source" link is missing, the -common tree is its sibling. The
# debug kernel's build tree (scripts/vm links it as /lib/modules/<release>/
# build) has a "source" link to linux-source-6.1.
bpftrace_headers() {
	local rel build src

	rel=$(uname -r)
	build=$(readlink -f "/lib/modules/$rel/build" 2>/dev/null) || build=
	src=$(readlink -f "/lib/modules/$rel/source" 2>/dev/null) || src=
	[ -f "$src/include/linux/kconfig.h" ] ||
		src=$(readlink -f "$build/source" 2>/dev/null) || src=
	[ -f "$src/include/linux/kconfig.h" ] || src=${build%-*}-common
	if [ ! -d "$build/include" ] || [ ! -f "$src/include/linux/kconfig.h" ]; then
		echo "SKIP: bpftrace needs the kernel headers of $rel for the module's tracepoints (no BTF), none under /lib/modules/$rel/build"
		return 4
	fi
	export BPFTRACE_KERNEL_BUILD=$build BPFTRACE_KERNEL_SOURCE=$src
	echo "BPFTRACE_KERNEL_BUILD=$build"
	echo "BPFTRACE_KERNEL_SOURCE=$src"
}

t_bpftrace() {
	local id e c got=""

	need bpftrace bpftrace || return
	bpftrace_headers || return
	# The maps are printed when the command given with -c exits.
	bpftrace -e '
		tracepoint:iepoll:* { @[probe] = count(); }
		tracepoint:iepoll:iepoll_deliver {
			@deliver[args->id, args->fd, args->data] = count();
			@latency_ns = hist(args->latency_ns);
		}' -c "$check scenario" >"$tmp/bt" 2>&1 ||
		{ cat "$tmp/bt"; return 1; }
	cat "$tmp/bt"
	id=$(scenario_id "$tmp/bt")
	for e in $events; do
		c=$(sed -n "s/^@\[tracepoint:iepoll:iepoll_$e\]: //p" "$tmp/bt")
		got="$got $e=${c:-0}"
	done
	compare bpftrace "${got# }" || return 1
	# args-> reads the fields: the two deliveries of this instance, data
	# 0x1111 and 0x2222 (4369 and 8738).
	if ! grep -qE "^@deliver\[$id, [0-9]+, 4369\]: 1$" "$tmp/bt" ||
	   ! grep -qE "^@deliver\[$id, [0-9]+, 8738\]: 1$" "$tmp/bt"; then
		echo "@deliver does not show instance $id's two deliveries"
		return 1
	fi
}

# tools/iepoll-trace --counters: each counter of the module, as debugfs
# prints the module's list, is compared or said why not; none is unknown.
t_counters() {
	if [ ! -f "$trace_tool" ]; then
		echo "SKIP: no $trace_tool: the selftests run outside the repository"
		return 4
	fi
	python3 "$trace_tool" --counters
}

# tools/iepoll-fdinfo --json PID, run by a python3 under tools/iepoll-run
# on itself: its one instance (select.epoll), holding one pipe, the
# creator, the counters and the item as python3 registered it (and ctl
# completed it: EPOLLERR and EPOLLHUP are always watched).
t_fdinfo() {
	if [ ! -d "$repo/tools" ]; then
		echo "SKIP: no $repo/tools: the selftests run outside the repository"
		return 4
	fi
	"$repo/tools/iepoll-run" -- python3 - "$repo/tools/iepoll-fdinfo" <<'PY'
import json, os, select, subprocess, sys

r, w = os.pipe()
ep = select.epoll()
ep.register(r, select.EPOLLIN | select.EPOLLET)
ep.modify(r, select.EPOLLIN)
out = subprocess.run([sys.argv[1], "--json", str(os.getpid())],
                     check=True, stdout=subprocess.PIPE).stdout
print(out.decode())
insts = json.loads(out)["instances"]
assert len(insts) == 1, "not one instance"
i = insts[0]
assert (i["pid"], i["fd"], i["creator_pid"], i["comm"]) == \
    (os.getpid(), ep.fileno(), os.getpid(), "python3"), "holder or creator"
assert i["id"] > 0, "id"
assert i["stats"]["inserts"] == 1 and i["stats"]["modifies"] == 1, "stats"
assert len(i["stats"]) >= 12, "counters"
assert len(i["items"]) == 1, "not one item"
it = i["items"][0]
assert (it["tfd"], it["events"], it["data"] & 0xffffffff) == \
    (r, select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP, r), "item"
assert it["ino"] == os.fstat(r).st_ino, "ino"
print(f"instance {i['id']}: fd {i['fd']}, item tfd {r}, as registered")
PY
}

if [ ! -x "$check" ]; then
	echo "# $check is missing: build it on the host with make -C selftests/trace"
	for t in "${tests[@]}"; do
		n=$((n + 1))
		echo "not ok $n $t # trace_check not built"
	done
	echo "# Totals: pass:0 fail:$n xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi

for t in "${tests[@]}"; do
	out="$tmp/out.$t"
	rc=0
	case $t in
	trace-cmd)	(t_trace_cmd) >"$out" 2>&1 || rc=$? ;;
	perf-stat)	(t_perf_stat) >"$out" 2>&1 || rc=$? ;;
	perf-record)	(t_perf_record) >"$out" 2>&1 || rc=$? ;;
	bpftrace)	(t_bpftrace) >"$out" 2>&1 || rc=$? ;;
	parsers)	(t_parsers) >"$out" 2>&1 || rc=$? ;;
	docs)		(cd "$repo" && "$check" docs docs/tracing.md) >"$out" 2>&1 || rc=$? ;;
	counters)	(t_counters) >"$out" 2>&1 || rc=$? ;;
	fdinfo)		(t_fdinfo) >"$out" 2>&1 || rc=$? ;;
	*)		"$check" "$t" >"$out" 2>&1 || rc=$? ;;
	esac
	result "$rc" "$t" "$out"
done

totals
