#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The native suite: iepoll's probes on the kernel's own epoll
# (tools/iepoll-native, module/native.c), run as root in the guest with the
# module loaded (scripts/vm -- selftests/native/run.sh).  Prints KTAP and
# the kselftest Totals line; exits non-zero if a test failed.
#
#   unprivileged  uid 65534 is refused (EPERM), nothing is registered
#   counts        native_work (static, raw syscalls; see native_work.c)
#                 under "iepoll-native attach --": its instances' create,
#                 insert, remove (by reason), callback, deliver and wait
#                 events, each with its fd and data, equal what its own
#                 system calls returned and, for deliveries, what
#                 syscalls:sys_exit_epoll_wait/pwait recorded in the same run
#   detached      after the holder exits: no kprobe left on an eventpoll
#                 function (/sys/kernel/debug/kprobes/list), status says 0
#   share         a second holder with the same offsets shares; one with
#                 other symbols is refused (EBUSY) and changes nothing
#   bad-symbol    a clone that does not exist: refused, the symbol named
#   bad-name      a symbol that is not the probe's function: refused
#   bad-size      a member of the wrong size: refused, the member named
#   bad-offset    a member at a wrong offset of the right size: refused by
#                 the sample check, the member named
#   rmmod         rmmod while attached fails (the holder keeps the module),
#                 the probes keep working
#   cycles        NATIVE_CYCLES (default 10) attach/detach cycles while
#                 short native_work runs follow each other, all native
#                 events on
# NATIVE_ROUNDS (default 300, 100 on the debug kernel) sets counts' rounds.
# After each refusal nothing is registered.  On a kernel without
# /sys/kernel/btf/vmlinux the offsets come from kernel-btf (see there).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tool=$repo/tools/iepoll-native
work=$here/native_work
tmp=$(mktemp -d /tmp/iepoll-native.XXXXXX)
chmod 755 "$tmp"
kplist=/sys/kernel/debug/kprobes/list
status=/sys/kernel/debug/iepoll/native
instance=/sys/kernel/tracing/instances/iepoll-native-selftest
made=
# the debug kernel is several times slower: fewer rounds, the same checks
if [ "${IEPOLL_KERNEL:-}" = debug ]; then
	rounds=${NATIVE_ROUNDS:-100}
else
	rounds=${NATIVE_ROUNDS:-300}
fi
cycles=${NATIVE_CYCLES:-10}

cleanup() {
	rm -rf "$tmp"
	[ -n "$made" ] || return 0
	echo 0 >"$instance/events/enable" || true
	rmdir "$instance" || echo "# rmdir $instance failed"
}
trap cleanup EXIT

if mkdir "$instance" 2>/dev/null; then
	made=1
	echo 8192 >"$instance/buffer_size_kb"
fi

# A kernel without BTF of its own (the debug kernel, built without debug
# info): the BTF of its fs/eventpoll.c, from its build tree (kernel-btf).
btf=()
if [ ! -r /sys/kernel/btf/vmlinux ]; then
	kdir=/lib/modules/$(uname -r)/build
	echo "# run.sh: no /sys/kernel/btf/vmlinux: the BTF of fs/eventpoll.c from $kdir"
	if "$here/kernel-btf" "$kdir" "$tmp/kernel.btf" >"$tmp/kbtf" 2>&1; then
		chmod 644 "$tmp/kernel.btf"	# uid 65534 reads it too
		btf=(--btf "$tmp/kernel.btf")
	else
		sed 's/^/# /' "$tmp/kbtf"
	fi
fi

tests=(unprivileged counts detached share bad-symbol bad-name bad-size
       bad-offset rmmod cycles)
# shellcheck source=selftests/ktap.sh
. "$here/../ktap.sh"

echo "TAP version 13"
echo "1..${#tests[@]}"

# The eventpoll probes in the kprobes list, if any.
registered() {
	grep -E ' (ep_|do_epoll_)' "$kplist" || true
}

# run_out CMD...: CMD's output to $tmp/out and here; CMD's exit status.
run_out() {
	local rc=0

	"$@" >"$tmp/out" 2>&1 || rc=$?
	cat "$tmp/out"
	return "$rc"
}

# nothing_registered: fail with the list when a probe stayed.
nothing_registered() {
	local left

	left=$(registered)
	if [ -n "$left" ]; then
		echo "probes left registered:"
		echo "$left"
		return 1
	fi
	echo "nothing registered ($kplist has no eventpoll function)"
}

# refused WHAT MESSAGE ARGS...: iepoll-native ARGS attach -- true must fail
# with exit 1, the kernel log must have MESSAGE, nothing registered.
refused() {
	local what=$1 msg=$2 rc=0 before

	shift 2
	before=$(dmesg | wc -l)
	run_out "$tool" "${btf[@]}" "$@" attach -- true || rc=$?
	dmesg | tail -n +$((before + 1)) >"$tmp/dmesg"
	grep 'native' "$tmp/dmesg" || true
	if [ "$rc" -ne 1 ]; then
		echo "$what: expected exit 1, got $rc"
		return 1
	fi
	if ! grep -qF "$msg" "$tmp/dmesg"; then
		echo "$what: expected the kernel to say '$msg'"
		return 1
	fi
	nothing_registered
}

t_unprivileged() {
	local rc=0

	"$tool" "${btf[@]}" resolve
	run_out setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$tool" "${btf[@]}" attach -- true || rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q 'Operation not permitted' "$tmp/out"; then
		echo "uid 65534: expected exit 1 with EPERM, got $rc"
		return 1
	fi
	nothing_registered
}

# count AWK-CONDITION: the lines of $tmp/trace that match.
count() {
	awk "$1 { n++ } END { print n + 0 }" "$tmp/fields"
}

# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		echo "$1: $2"
	else
		echo "$1: expected $3, got $2"
		bad=1
	fi
}

t_counts() {
	local e pid outer inner lfd efd ofd nfd ifd adds dels closes waits
	local delivered sys bad=0

	if [ -z "$made" ]; then
		echo "no tracefs instance $instance"
		return 1
	fi
	echo 0 >"$instance/events/enable"
	: >"$instance/trace"
	echo 1 >"$instance/events/iepoll/enable"
	for e in sys_exit_epoll_wait sys_exit_epoll_pwait; do
		echo 1 >"$instance/events/syscalls/$e/enable"
	done
	"$tool" "${btf[@]}" attach -- "$work" "$rounds" >"$tmp/work" 2>&1 ||
		{ cat "$tmp/work"; return 1; }
	echo 0 >"$instance/events/enable"
	cat "$tmp/work"
	cat "$instance/trace" >"$tmp/trace"
	read -r pid adds dels closes waits delivered < <(sed -n \
		's/^native_work: pid \([0-9]*\) adds \([0-9]*\) dels \([0-9]*\) closes \([0-9]*\) waits \([0-9]*\) delivered \([0-9]*\)$/\1 \2 \3 \4 \5 \6/p' \
		"$tmp/work")
	read -r lfd efd ofd nfd ifd < <(sed -n \
		's/^native_work: fds level \([0-9]*\) edge \([0-9]*\) oneshot \([0-9]*\) nested \([0-9]*\) inner-pipe \([0-9]*\)$/\1 \2 \3 \4 \5/p' \
		"$tmp/work")
	# "event id N key value ...", one line per event
	sed -n 's/^.*: \(iepoll_[a-z_]*\): \(.*\)$/\1 \2/p
		s/^ *native_work-[0-9]* .*: sys_\(epoll_[a-z]*\) -> 0x\([0-9a-f]*\)$/sys_exit_\1 ret \2/p' \
		"$tmp/trace" >"$tmp/fields"
	# native_work's two instances, by their creation (outer first)
	outer=$(awk -v p="$pid" '$1 == "iepoll_create" && $5 == p { print $3 }' "$tmp/fields" | sed -n 1p)
	inner=$(awk -v p="$pid" '$1 == "iepoll_create" && $5 == p { print $3 }' "$tmp/fields" | sed -n 2p)
	echo "native_work pid $pid: instances $outer (outer) $inner (inner); $(wc -l <"$tmp/fields") events"
	if [ -z "$outer" ] || [ -z "$inner" ] ||
	   [ "$outer" -lt 2147483648 ] || [ "$inner" -lt 2147483648 ]; then
		echo "expected two iepoll_create events of pid $pid with native ids (bit 31)"
		grep -m 20 iepoll_create "$tmp/trace" || true
		return 1
	fi
	local o="\$3 == $outer" i="\$3 == $inner" r=$rounds
	expect "inserts (ADDs that succeeded: $adds)" \
		"$(count "(\$1 == \"iepoll_insert\") && ($o || $i)")" "$adds"
	expect "insert level pipe fd/data" \
		"$(count "\$1 == \"iepoll_insert\" && $o && \$5 == $lfd && \$11 == \"0x10\"")" 1
	expect "insert inner pipe fd/data" \
		"$(count "\$1 == \"iepoll_insert\" && $i && \$5 == $ifd && \$11 == \"0x44\"")" 1
	expect "removes CTL (DELs: $dels)" \
		"$(count "\$1 == \"iepoll_remove\" && ($o || $i) && \$13 == \"CTL\"")" "$dels"
	expect "removes CLOSE (closes of watched files: $closes)" \
		"$(count "\$1 == \"iepoll_remove\" && ($o || $i) && \$13 == \"CLOSE\" && \$5 == $efd")" "$closes"
	expect "removes RELEASE (items left at the instances' closes)" \
		"$(count "\$1 == \"iepoll_remove\" && ($o || $i) && \$13 == \"RELEASE\"")" \
		$((adds - dels - closes))
	expect "callbacks on the level pipe (READY)" \
		"$(count "\$1 == \"iepoll_callback\" && $o && \$5 == $lfd && \$9 == \"READY\"")" "$r"
	expect "callbacks on the edge pipe (READY)" \
		"$(count "\$1 == \"iepoll_callback\" && $o && \$5 == $efd && \$9 == \"READY\"")" "$r"
	expect "callbacks on the inner pipe (READY)" \
		"$(count "\$1 == \"iepoll_callback\" && $i && \$5 == $ifd && \$9 == \"READY\"")" "$r"
	expect "deliveries (the waits' returns: $delivered)" \
		"$(count "\$1 == \"iepoll_deliver\" && ($o || $i)")" "$delivered"
	sys=0
	while read -r _ _ e; do
		sys=$((sys + 16#$e))
	done < <(awk '$1 ~ /^sys_exit_epoll/' "$tmp/fields")
	expect "deliveries (syscalls:sys_exit_epoll_* of the run: $sys)" \
		"$(count "\$1 == \"iepoll_deliver\" && ($o || $i)")" "$sys"
	expect "deliveries level pipe fd/revents/data" \
		"$(count "\$1 == \"iepoll_deliver\" && $o && \$5 == $lfd && \$7 == \"EPOLLIN\" && \$9 == \"0x10\"")" "$r"
	expect "deliveries oneshot socket fd/data" \
		"$(count "\$1 == \"iepoll_deliver\" && $o && \$5 == $ofd && \$9 == \"0x12\"")" "$r"
	expect "deliveries nested instance fd/data" \
		"$(count "\$1 == \"iepoll_deliver\" && $o && \$5 == $nfd && \$9 == \"0x13\"")" "$r"
	expect "deliveries inner pipe fd/data (not counted for the outer)" \
		"$(count "\$1 == \"iepoll_deliver\" && $i && \$5 == $ifd && \$9 == \"0x44\"")" "$r"
	expect "wait_enter (waits: $waits)" \
		"$(count "\$1 == \"iepoll_wait_enter\" && ($o || $i)")" "$waits"
	expect "wait_exit (waits: $waits)" \
		"$(count "\$1 == \"iepoll_wait_exit\" && ($o || $i)")" "$waits"
	expect "wait_exit res summed" \
		"$(awk "\$1 == \"iepoll_wait_exit\" && ($o || $i) { n += \$5 } END { print n + 0 }" "$tmp/fields")" \
		"$delivered"
	expect "wait_enter timeout 0 (the non-blocking waits)" \
		"$(count "\$1 == \"iepoll_wait_enter\" && ($o || $i) && \$7 == 0")" $((2 * r))
	# iepoll-native's sample item has data IEPOLL_NATIVE_SAMPLE_DATA
	if grep -E 'iepoll_[a-z_]+: id ' "$tmp/trace" | grep -v 0x1e9011a77ac4ed |
	   grep -qE '0x[0-9a-f]{12,}'; then
		echo "a trace line holds something like a kernel address:"
		grep -E 'iepoll_[a-z_]+: id .*0x[0-9a-f]{12,}' "$tmp/trace" |
			grep -v 0x1e9011a77ac4ed | head -n 3
		bad=1
	fi
	return "$bad"
}

t_detached() {
	"$tool" "${btf[@]}" status
	if ! grep -q '^attached:	0$' "$status"; then
		echo "expected 'attached: 0' in $status"
		return 1
	fi
	nothing_registered
}

t_share() {
	local rc=0

	run_out "$tool" "${btf[@]}" attach -- \
		"$tool" "${btf[@]}" attach -- sh -c "cat $status" || rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^attached:	2$' "$tmp/out"; then
		echo "a second holder with the same offsets: expected to share (attached: 2), rc $rc"
		return 1
	fi
	rc=0
	run_out "$tool" "${btf[@]}" attach -- "$tool" "${btf[@]}" \
		--symbol do_epoll_create=do_epoll_create.part.9 attach -- true ||
		rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q 'Device or resource busy' "$tmp/out"; then
		echo "a second holder with other symbols: expected EBUSY, got rc $rc"
		return 1
	fi
	nothing_registered
}

t_bad_symbol() {
	refused "a missing clone" "cannot probe ep_item_poll.isra.99" \
		--symbol ep_item_poll=ep_item_poll.isra.99
}

t_bad_name() {
	refused "another function" "symbol 'vfs_read' is neither ep_item_poll" \
		--symbol ep_item_poll=vfs_read
}

t_bad_size() {
	refused "a 4-byte member read as 8" "member epitem.ffd.fd: offset 56 size 8" \
		--member epitem.ffd.fd=56:8
}

t_bad_offset() {
	local fllink

	# epitem.ep moved onto epitem.fllink: a pointer too, the wrong one
	fllink=$("$tool" "${btf[@]}" resolve | awk '$1 == "epitem.fllink" { print $3 }')
	refused "epitem.ep at epitem.fllink's offset" "epitem.ep does not read back" \
		--member "epitem.ep=$fllink"
}

t_rmmod() {
	local rc=0

	run_out "$tool" "${btf[@]}" attach -- \
		sh -c "rmmod iepoll; echo rmmod=\$?; $work 5" || rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^rmmod=1$' "$tmp/out" ||
	   ! grep -q '^native_work: pid' "$tmp/out"; then
		echo "expected rmmod to fail while attached and the workload to run, rc $rc"
		return 1
	fi
	lsmod | grep -q '^iepoll ' || { echo "the module is gone"; return 1; }
	nothing_registered
}

t_cycles() {
	local i wpid rc=0

	echo 1 >"$instance/events/iepoll/enable"
	# Short runs with pauses between them: where kprobes are optimized int3s
	# (the debug kernel), registering and unregistering waits for an
	# RCU-tasks grace period, which a task that never sleeps holds off.
	while :; do "$work" 20 >/dev/null || exit 1; sleep 0.05; done \
		>"$tmp/bg" 2>&1 &
	wpid=$!
	for ((i = 0; i < cycles; i++)); do
		"$tool" "${btf[@]}" attach -- true >"$tmp/out" 2>&1 ||
			{ cat "$tmp/out"; rc=1; break; }
	done
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	echo 0 >"$instance/events/enable"
	echo "$i attach/detach cycles beside a running native_work;" \
		"$(grep -c iepoll_ "$instance/trace") events traced"
	[ "$rc" -eq 0 ] || return 1
	nothing_registered
}

for t in "${tests[@]}"; do
	rc=0
	start=$SECONDS
	( "t_${t//-/_}" ) >"$tmp/result" 2>&1 || rc=$?
	echo "took $((SECONDS - start)) s" >>"$tmp/result"
	result "$rc" "native $t" "$tmp/result"
done
totals
