#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/m2mguard-start without the module, each run in a private
# network namespace: the guard it builds from the policy file, the last
# good policy and failsafe.conf (bad lines reported and skipped, a
# failsafe nft refuses replaced by the default one), its configuration
# file, and its failures when the module cannot be loaded. The eBPF
# datapath's sequence runs against a stand-in m2mctl that logs its calls
# and touches no BPF file system: DATAPATH and BPF_ATTACH, their
# rejections, attach failures and the last good policy.
. "$(dirname "$0")/../lib.sh"

require_root
[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make ctl"
command -v nft > /dev/null || skip_all "no nft: run scripts/install-deps"
unshare -n nft list ruleset > /dev/null 2>&1 ||
	skip_all "nftables does not work in a new network namespace here"

START=$TOP/scripts/m2mguard-start
work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup

export M2M_CONF_DIR=$work/etc M2M_STATE_DIR=$work/state M2MCTL
export M2M_MODULE=$work/no-such-module.ko
mkdir -p "$M2M_CONF_DIR" "$M2M_STATE_DIR"
ruleset=$work/ruleset

# start ARGS...: the start script in a new network namespace, which is
# gone when it ends; its ruleset then is left in $ruleset.
start()
{
	unshare -n sh -c '"$0" "$@"; rc=$?; nft list ruleset > "$RULESET"
		exit $rc' "$START" "$@"
}
export RULESET=$ruleset

# has TEXT...: every TEXT is a line (trimmed) of the ruleset.
has()
{
	local t

	for t in "$@"; do
		sed 's/^[[:space:]]*//' "$ruleset" | grep -qxF -- "$t" ||
			{ echo "not in the ruleset: $t"; return 1; }
	done
}

policy()
{
	cat <<-YAML
	purposes: [metering]
	geo: { format: none }
	classes:
	  - name: meters
	    sources: [$1]
	    consent: [metering]
	    zone: eea
	endpoints:
	  - name: billing
	    destinations: [192.0.2.0/24]
	    purposes: [metering]
	    jurisdiction: DE
	YAML
}

echo "# nothing configured"
check_fail "guard: no governed sources known, all forwarding" 0 \
	"the guard drops all forwarding" start guard
check "the catch-all drop in forward" has \
	'counter packets 0 bytes 0 drop comment "no policy known: all forwarding"'
check "no failsafe.conf: tcp 22 and established" has \
	"tcp dport 22 accept" "tcp sport 22 accept" \
	"ct state established,related accept"
check "the fixed failsafe" has 'iifname "lo" accept' \
	"ip6 daddr fe80::/10 accept" "ip daddr 169.254.0.0/16 accept"
check "IPv6 neighbour discovery" sh -c "grep -q 'nd-neighbor-solicit' \
	'$ruleset'"

echo "# the sources of the policy file and of the last good policy"
policy '10.1.0.0/24, "fd01::/64"' > "$M2M_CONF_DIR/policy.yaml"
policy '10.7.0.0/16' > "$work/other.yaml"
check "compile the last good policy" "$M2MCTL" policy compile \
	"$work/other.yaml" -o "$M2M_STATE_DIR/last-good.bin"
check "guard" start guard
check "both policies' sources are governed" has \
	"elements = { 10.1.0.0/24, 10.7.0.0/16 }" "elements = { fd01::/64 }"
check "forwarded and local packets from them dropped" sh -c \
	"[ \$(grep -c 'ip saddr @governed4 counter packets 0 bytes 0 drop' \
	  '$ruleset') = 2 ]"
check "no catch-all drop" not grep -q "all forwarding" "$ruleset"
echo "classes: [" >> "$M2M_CONF_DIR/policy.yaml"
check "a broken policy file: the last good one's sources" start guard
check "governed" has "elements = { 10.7.0.0/16 }"

echo "# failsafe.conf"
cat > "$M2M_CONF_DIR/failsafe.conf" <<-EOF
	# management
	tcp 2022
	udp 161-162   # SNMP
	addr 192.0.2.200
	addr 2001:db8:ff::/64
	iface mgmt0
	tcp 70000
	ssh 22
	tcp 22 23
EOF
check_fail "guard: bad lines are reported" 0 \
	"failsafe.conf:7: bad port \`70000'" start guard
check_fail "unknown kinds too" 0 "failsafe.conf:8: unknown failsafe \`ssh'" \
	start guard
check_fail "and extra words" 0 "failsafe.conf:9: one argument expected" \
	start guard
check "the good lines are in force" has "tcp dport 2022 accept" \
	"udp sport 161-162 accept" "ip saddr 192.0.2.200 accept" \
	"ip6 daddr 2001:db8:ff::/64 accept" 'oifname "mgmt0" accept'
check "no default failsafe beside them" not grep -q "dport 22 " "$ruleset"
echo "addr 10.0.0.300" >> "$M2M_CONF_DIR/failsafe.conf"
check_fail "a failsafe nft refuses: the default failsafe instead" 0 \
	"trying again with the default failsafe" start guard
check "the guard is up, with tcp 22" has "tcp dport 22 accept"

echo "# start without the module"
check_fail "the module does not load: the guard stays" 1 \
	"NO POLICY IS IN FORCE: the fail-closed guard stays up" start
check_fail "and says why" 1 "cannot load the m2mguard module" start
check "the guard is up" grep -q "table inet m2mguard_guard" "$ruleset"
echo "FAIL_MODE=open" > "$M2M_CONF_DIR/m2mguard.conf"
check_fail "fail-open: no guard, loudly" 1 \
	"NO POLICY IS IN FORCE, and FAIL_MODE=open" start
check "no guard" not grep -q "m2mguard_guard" "$ruleset"

echo "# m2mguard.conf"
printf 'FAIL_MODE=shut\nCOLOUR=blue\n' > "$M2M_CONF_DIR/m2mguard.conf"
check_fail "a bad FAIL_MODE fails closed" 1 \
	"FAIL_MODE is closed or open, not \`shut': failing closed" start
check "the guard is up" grep -q "table inet m2mguard_guard" "$ruleset"
check_fail "an unknown setting is reported" 1 \
	"m2mguard.conf:2: unknown setting \`COLOUR' ignored" start
echo "NETNS=m2m-nowhere" > "$M2M_CONF_DIR/m2mguard.conf"
check_fail "NETNS must exist" 1 "NETNS=m2m-nowhere: no such network" start
echo "POLICY=nowhere.yaml" > "$M2M_CONF_DIR/m2mguard.conf"
rm "$M2M_STATE_DIR/last-good.bin"
check_fail "POLICY, relative to the configuration" 0 \
	"neither $M2M_CONF_DIR/nowhere.yaml nor" start guard
check_fail "a bad command" 2 "usage: m2mguard-start" start restart

echo "# DATAPATH=bpf, with a stand-in m2mctl"
# The stand-in logs each call; "policy load" takes what the real m2mctl
# reads; attaching fails for the targets in STUB_MISSING.
cat > "$work/m2mctl" <<-'STUB'
	#!/bin/bash
	echo "$*" >> "$STUB_DIR/calls"
	while [ $# -gt 0 ]; do
		case $1 in -d|-n) shift 2 ;; *) break ;; esac
	done
	case "$1 ${2:-}" in
	"policy sources")
		exec "$REAL_M2MCTL" "$@" ;;
	"policy show")
		[ -e "$STUB_DIR/loaded" ] && exit 0
		echo "m2mctl: no policy is loaded" >&2
		exit 2 ;;
	"policy load")
		"$REAL_M2MCTL" policy sources "$3" > /dev/null || exit 1
		touch "$STUB_DIR/loaded" ;;
	"attach dev"|"attach cgroup")
		case " $STUB_MISSING " in *" $3 "*)
			echo "m2mctl: no interface \`$3'" >&2
			exit 1 ;;
		esac ;;
	*)	echo "stand-in m2mctl: unexpected \`$*'" >&2
		exit 1 ;;
	esac
STUB
chmod +x "$work/m2mctl"
export REAL_M2MCTL=$M2MCTL M2MCTL=$work/m2mctl STUB_DIR=$work STUB_MISSING=
conf=$M2M_CONF_DIR/m2mguard.conf
calls=$work/calls
policy '10.1.0.0/24' > "$M2M_CONF_DIR/policy.yaml"
rm -f "$M2M_CONF_DIR/failsafe.conf"

# fresh: no policy loaded, no call logged.
fresh() { rm -f "$work/loaded" "$calls"; }
# called REGEX: a logged call is REGEX (extended, whole line).
called() { grep -qxE -- "$1" "$calls"; }
# sequence: the logged calls but "policy sources", in one line.
sequence() { grep -v '^policy sources ' "$calls" | tr '\n' ';'; }
# on_bpf CALL...: the sequence of these calls, each with -d bpf.
on_bpf() { printf -- '-d bpf %s;' "$@"; }
guard_in_ruleset() { grep -q "table inet m2mguard_guard" "$ruleset"; }

printf 'DATAPATH=bpf\nBPF_ATTACH="dev:eth1 cgroup:/sys/fs/cgroup/m2m"\n' \
	> "$conf"
fresh
check_fail "start: the policy in force" 0 \
	"policy $M2M_CONF_DIR/policy.yaml in force" start
check_eq "no module; policy loaded, then each target attached" \
	"$(on_bpf "policy show" "policy load $M2M_CONF_DIR/policy.yaml" \
		"attach dev eth1" "attach cgroup /sys/fs/cgroup/m2m")" sequence
check "the guard is down" not guard_in_ruleset
fresh
touch "$work/loaded"
check_fail "start again, the policy in force: attached again" 0 \
	"attached to cgroup /sys/fs/cgroup/m2m" start
check "no guard put up for the restart" not called "policy sources .*"
check "attached again" called "-d bpf attach dev eth1"
check_fail "reload: the policy, the targets again" 0 \
	"attached to dev eth1" start reload

echo "# DATAPATH=bpf: an attach fails"
not_attached="THE POLICY IS NOT ATTACHED TO EVERY TARGET"
export STUB_MISSING=eth1
fresh
check_fail "start fails, loudly" 1 \
	"$not_attached: the fail-closed guard stays up" start
check "the guard is up" guard_in_ruleset
check "the other target is attached all the same" \
	called "-d bpf attach cgroup /sys/fs/cgroup/m2m"
fresh
check "m2mctl's message, indented, then where it failed" sh -c \
	"'$START' 2>&1 | grep -A1 -xF \"    m2mctl: no interface \\\`eth1'\" |
	 grep -q ': error: cannot attach to dev eth1 (see above)$'"
fresh
touch "$work/loaded"
check_fail "a policy was in force: the guard goes up after the failure" 1 \
	"fail-closed guard up" start
check "the guard is up" guard_in_ruleset
check_fail "reload fails too" 1 "cannot attach to dev eth1" start reload
printf 'FAIL_MODE=open\n' >> "$conf"
fresh
check_fail "FAIL_MODE=open: no guard, loudly" 1 \
	"$not_attached, and FAIL_MODE=open" start
check "no guard" not guard_in_ruleset
export STUB_MISSING=

echo "# DATAPATH=bpf: a broken policy file"
check "compile the last good policy" "$REAL_M2MCTL" policy compile \
	"$M2M_CONF_DIR/policy.yaml" -o "$M2M_STATE_DIR/last-good.bin"
echo "classes: [" >> "$M2M_CONF_DIR/policy.yaml"
printf 'DATAPATH=bpf\nBPF_ATTACH=dev:eth1\n' > "$conf"
fresh
check_fail "the last good policy, then the targets" 0 \
	"enforcing the last good policy from $M2M_STATE_DIR/last-good.bin" \
	start
check_eq "loaded and attached with -d bpf" \
	"$(on_bpf "policy show" "policy load $M2M_CONF_DIR/policy.yaml" \
		"policy load $M2M_STATE_DIR/last-good.bin" "attach dev eth1")" \
	sequence
rm "$M2M_STATE_DIR/last-good.bin"
fresh
check_fail "neither: the guard stays up" 1 \
	"NO POLICY IS IN FORCE: the fail-closed guard stays up" start
check "nothing attached" not called ".* attach .*"
policy '10.1.0.0/24' > "$M2M_CONF_DIR/policy.yaml"

echo "# DATAPATH and BPF_ATTACH rejected"
# rejected CONF MESSAGE: with m2mguard.conf CONF, start fails closed
# saying MESSAGE: the guard up, nothing asked of m2mctl but the sources.
rejected()
{
	local name=${1//$'\n'/ }

	printf '%s\n' "$1" > "$conf"
	fresh
	check_fail "$name: rejected" 1 "$2" start
	check "$name: the guard is up, nothing loaded" sh -c \
		"grep -q 'table inet m2mguard_guard' '$ruleset' &&
		 ! grep -v '^policy sources ' '$calls'"
}
rejected "DATAPATH=ebpf" \
	"m2mguard.conf:1: DATAPATH is kmod or bpf, not \`ebpf': failing closed"
needs="m2mguard.conf: DATAPATH=bpf needs BPF_ATTACH, a list of dev:IFNAME"
needs+=" and cgroup:/PATH entries: failing closed"
rejected "DATAPATH=bpf" "$needs"
rejected $'DATAPATH=bpf\nBPF_ATTACH=' "DATAPATH=bpf needs BPF_ATTACH"
rejected $'DATAPATH=bpf\nBPF_ATTACH=" "' "DATAPATH=bpf needs BPF_ATTACH"
for bad in eth1 dev: dev:a/b dev:a:1 dev:.. dev:interface-name16 \
	   cgroup: cgroup:system.slice; do
	msg="m2mguard.conf:2: BPF_ATTACH entries are dev:IFNAME or"
	msg+=" cgroup:/PATH, not \`$bad': failing closed"
	rejected $'DATAPATH=bpf\nBPF_ATTACH="dev:eth0 '"$bad"'"' "$msg"
done
rejected $'FAIL_MODE=open\nDATAPATH=bpf\nBPF_ATTACH=eth1' \
	"not \`eth1': failing closed"
check_fail "FAIL_MODE=open or not, and says nothing is loaded" 1 \
	"nothing is loaded: $conf has errors (see above)" start
fresh
check_fail "reload with a bad setting: nothing loaded" 1 \
	"nothing is loaded: $conf has errors" start reload
check "reload asked m2mctl for nothing" test ! -e "$calls"
printf 'BPF_ATTACH=dev:eth1\n' > "$conf"
check_fail "BPF_ATTACH without DATAPATH=bpf: ignored, said so" 1 \
	"m2mguard.conf:1: BPF_ATTACH ignored with DATAPATH=kmod" start
check_fail "the module, as before" 1 "cannot load the m2mguard module" start
export M2MCTL=$REAL_M2MCTL
rm -f "$conf"

echo "# stop"
check "stop takes the guard down" unshare -n sh -c \
	"'$START' guard 2>/dev/null && '$START' stop 2>/dev/null &&
	 ! nft list table inet m2mguard_guard 2>/dev/null"
check "stop without a guard" start stop

ktap_finish
