# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# KTAP reporting for the shell suites (trace/run.sh, programs/run.sh), which
# source this file. Each test's output goes to a file; result() prints it as
# diagnostics and counts the test in $n, $pass, $fail and $skip. A skip (rc
# 4) must say why on a "SKIP: reason" line, else it counts as a failure.

n=0 pass=0 fail=0 skip=0

# Print a file as TAP diagnostics.
diag() {
	sed -e 's/^# //' -e 's/^/# /' "$1"
}

# result RC NAME OUTPUT: report one test (rc 0 pass, 4 skip, else fail).
result() {
	local rc=$1 name=$2 out=$3 reason

	n=$((n + 1))
	diag "$out"
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok $n $name"
	elif [ "$rc" -eq 4 ]; then
		reason=$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)
		if [ -z "$reason" ]; then
			fail=$((fail + 1))
			echo "not ok $n $name # skipped without a reason"
			return
		fi
		skip=$((skip + 1))
		echo "ok $n $name # SKIP $reason"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
	fi
}

# need TOOL PACKAGE: skip (return 4) unless TOOL is on the host, which the
# guest sees (scripts/deps installs PACKAGE).
need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "SKIP: $1 is not installed on the host (Debian package $2)"
		return 4
	fi
}

# totals: the kselftest Totals line; returns non-zero if a test failed.
totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" -eq 0 ]
}
