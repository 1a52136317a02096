# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of m2mguard's shell selftests. Each test sources this file,
# calls its checks, and ends with ktap_finish. Results are KTAP lines, one
# per check; the commands a check runs are echoed as "# $ cmd", and their
# output is shown only when the check fails.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
M2MCTL=${M2MCTL:-$BUILD/m2mctl}
MODULE=${MODULE:-$TOP/m2mguard.ko}

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

_ktap_n=0
_ktap_failed=0
_ktap_out=$(mktemp)
_netns=()

echo "TAP version 13"

_ktap_result()
{
	local ok=$1
	shift

	_ktap_n=$((_ktap_n + 1))
	if [ "$ok" = ok ]; then
		echo "ok $_ktap_n $*"
	else
		_ktap_failed=$((_ktap_failed + 1))
		sed 's/^/# /' "$_ktap_out"
		echo "not ok $_ktap_n $*"
	fi
}

# check NAME CMD...: CMD must succeed.
check()
{
	local name=$1
	shift

	echo "\$ $*" > "$_ktap_out"
	if "$@" >> "$_ktap_out" 2>&1; then
		_ktap_result ok "$name"
	else
		echo "exit status $?" >> "$_ktap_out"
		_ktap_result "not ok" "$name"
	fi
}

# not CMD...: CMD fails; for check, as "check NAME not CMD...".
not() { ! "$@"; }

# check_fail NAME STATUS MESSAGE CMD...: CMD must exit with STATUS and
# print MESSAGE (a fixed string) on stderr.
check_fail()
{
	local name=$1 want=$2 msg=$3 rc
	shift 3

	echo "\$ $*" > "$_ktap_out"
	"$@" > "$_ktap_out.out" 2> "$_ktap_out.err"
	rc=$?
	cat "$_ktap_out.out" "$_ktap_out.err" >> "$_ktap_out"
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit status $want, got $rc" >> "$_ktap_out"
		_ktap_result "not ok" "$name"
	elif ! grep -qF -- "$msg" "$_ktap_out.err"; then
		echo "expected on stderr: $msg" >> "$_ktap_out"
		_ktap_result "not ok" "$name"
	else
		_ktap_result ok "$name"
	fi
	rm -f "$_ktap_out.out" "$_ktap_out.err"
}

# check_eq NAME WANT CMD...: CMD's stdout must be exactly WANT.
check_eq()
{
	local name=$1 want=$2 got
	shift 2

	echo "\$ $*" > "$_ktap_out"
	got=$("$@" 2>> "$_ktap_out")
	if [ "$got" = "$want" ]; then
		_ktap_result ok "$name"
	else
		printf 'expected: %s\ngot:      %s\n' "$want" "$got" \
			>> "$_ktap_out"
		_ktap_result "not ok" "$name"
	fi
}

skip_all()
{
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

ktap_finish()
{
	echo "1..$_ktap_n"
	rm -f "$_ktap_out"
	[ "$_ktap_failed" -eq 0 ] && exit $KSFT_PASS
	exit $KSFT_FAIL
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or the
# deadline passes.
wait_for()
{
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift

	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ns_create NAME...: new network namespaces, loopback up, deleted at exit.
ns_create()
{
	local ns

	for ns in "$@"; do
		ip netns add "$ns" || return 1
		_netns+=("$ns")
		ip -n "$ns" link set lo up
	done
}

_lib_cleanup()
{
	local ns

	for ns in "${_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "$_ktap_out"
	[ -n "${LIB_CLEANUP:-}" ] && $LIB_CLEANUP
}
trap _lib_cleanup EXIT

# module_remove: unload m2mguard. A policy that can drop holds the module
# (see M2M_CMD_POLICY_CLEAR): unload every namespace's policy first, and
# give the namespaces being deleted the time to drop theirs.
module_remove()
{
	local ns

	[ -d /sys/module/m2mguard ] || return 0
	"$M2MCTL" -d kmod policy unload > /dev/null 2>&1
	for ns in /run/netns/*; do
		[ -e "$ns" ] && "$M2MCTL" -d kmod -n "${ns##*/}" policy unload \
			> /dev/null 2>&1
	done
	wait_for 10 rmmod m2mguard || rmmod m2mguard
}

require_root()
{
	[ "$(id -u)" = 0 ] || skip_all "needs root"
}
