#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the iepoll selftest suites, as root in the guest with the module
# loaded:  make -C selftests && scripts/vm -- selftests/run.sh [SUITE...]
#
# SUITE names a suite (ctl, wait, wakeup, file, close, paths, submit, stress,
# race, preload, trace, programs: real programs under iepoll-run, built by
# make -C tools; native: the kernel's own epoll through iepoll's probes);
# without one, every suite runs.  Each prints KTAP ending
# with the kselftest Totals line;
# after each, this prints "SUITE <name> rc=<rc>".  Exits non-zero if any
# suite failed.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
all=(ctl wait wakeup file close paths submit stress race preload trace programs native)
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("${all[@]}")

if [ ! -c /dev/iepoll ]; then
	echo "# run.sh: /dev/iepoll is absent: the iepoll module is not loaded," \
	     "so every iepoll variant fails; run in the VM: scripts/vm -- selftests/run.sh"
fi
[ "$(id -u)" -eq 0 ] ||
	echo "# run.sh: not root: the watch-limit and other-user tests will fail"

failed=0
for s in "${suites[@]}"; do
	case $s in
	trace)	prog=$here/trace/run.sh ;;
	programs) prog=$here/programs/run.sh ;;
	native)	prog=$here/native/run.sh ;;
	*)	prog=$here/${s}_test ;;
	esac
	rc=0
	start=$SECONDS
	if [ ! -x "$prog" ]; then
		echo "# run.sh: $prog is missing: build it with make -C selftests"
		rc=127
	else
		"$prog" || rc=$?
	fi
	echo "# run.sh: suite $s took $((SECONDS - start)) s"
	echo "SUITE $s rc=$rc"
	[ "$rc" -eq 0 ] || failed=1
done
exit "$failed"
