#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A gateway's boot: scripts/m2mguard-start enforcing in m2m-gw, the
# gateway of topology.sh, with its configuration and state in a temporary
# directory (NETNS=m2m-gw in its m2mguard.conf; failsafe: tcp 22).
#
# Through each start, m2m-dev1 (class "meters") pings, 100 a second, a
# destination its policy drops (Z, 203.0.113.1: not allowlisted) and one
# it allows (X, 192.0.2.1). m2m-ep counts the echo requests that arrive
# (and drops them, so no reply makes a flow "established"). From the
# moment the guard is up, not one request to Z may arrive.
#
#   boot       forwarding off, guard up, forwarding on, the floods; the
#              failsafe lets SSH reach the gateway, nothing else does;
#              the module goes in without a policy; then the start script:
#              the policy in force, the guard down, the last good policy
#              kept, X reached and Z never
#   rmmod      refused while the policy enforces; fine after "m2mctl
#              policy unload"
#   broken     a policy file that does not parse: the last good policy is
#              put in force instead, and says so
#   none       neither: the guard stays up and drops all forwarding but
#              the failsafe, and the script fails saying why
#   fail-open  FAIL_MODE=open: no guard, a loud failure, and Z is reached
#              (so the counting does see leaks)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"
command -v socat > /dev/null || skip_all "socat is missing"

START=$TOP/scripts/m2mguard-start
X=192.0.2.1
Z=203.0.113.1
work=$(mktemp -d)
export M2M_CONF_DIR=$work/etc M2M_STATE_DIR=$work/state M2M_MODULE=$MODULE
export M2MCTL
LAST_GOOD=$M2M_STATE_DIR/last-good-m2m-gw.bin
floods=()
servers=()

cleanup()
{
	[ ${#floods[@]} -gt 0 ] && kill "${floods[@]}" 2>/dev/null
	[ ${#servers[@]} -gt 0 ] && kill "${servers[@]}" 2>/dev/null
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=cleanup

gw() { ip netns exec m2m-gw "$@"; }
not() { ! "$@"; }

forwarding()
{
	gw sysctl -qw net.ipv4.ip_forward="$1" \
		net.ipv6.conf.all.forwarding="$1"
}

# Echo requests to X and Z, counted and dropped at the endpoints.
counters_create()
{
	ip netns exec m2m-ep nft -f - <<-EOF
	table inet m2m_gateway {
		counter x { }
		counter z { }
		chain input {
			type filter hook input priority 0; policy accept;
			ip daddr $X icmp type echo-request counter name x drop
			ip daddr $Z icmp type echo-request counter name z drop
		}
	}
	EOF
}

arrived()
{
	ip netns exec m2m-ep nft -j list counter inet m2m_gateway "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

arrived_at_least() { [ "$(arrived "$1")" -ge "$2" ]; }

flood_start()
{
	ip netns exec m2m-ep nft reset counters table inet m2m_gateway \
		> /dev/null
	for d in x z; do
		ip netns exec m2m-dev1 ping -n -q -i 0.01 \
			"$([ $d = x ] && echo $X || echo $Z)" \
			> "$work/flood.$d" 2>&1 &
		floods+=($!)
	done
}

# Stop the floods; print how many requests went to Z.
flood_stop()
{
	kill -INT "${floods[@]}" 2>/dev/null
	wait "${floods[@]}" 2>/dev/null
	floods=()
	sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$work/flood.z"
}

guard_up() { gw nft list table inet m2mguard_guard > /dev/null 2>&1; }

# Packets the guard dropped in its forward chain.
guard_drops()
{
	gw nft -j list chain inet m2mguard_guard forward |
		jq '[.nftables[] | select(.rule) | .rule.expr[] |
		     select(.counter) | .counter.packets] | add'
}

guard_drops_at_least() { [ "$(guard_drops)" -ge "$1" ]; }

# A TCP service on ADDR:PORT in namespace NS that greets with BANNER.
serve()
{
	ip netns exec "$1" socat "TCP-LISTEN:$3,bind=$2,reuseaddr,fork" \
		"SYSTEM:echo $4" 2>/dev/null &
	servers+=($!)
}

# The greeting of ADDR:PORT, seen from m2m-dev1.
greeting()
{
	ip netns exec m2m-dev1 timeout 5 socat -u \
		"TCP:$1:$2,connect-timeout=2" STDOUT 2>/dev/null
}

start() { "$START" "$@"; }

check "topology" topo_create
forwarding 0
check "counters at the endpoints" counters_create
mkdir -p "$M2M_CONF_DIR"
printf 'FAIL_MODE=closed\nNETNS=m2m-gw\n' > "$M2M_CONF_DIR/m2mguard.conf"
printf '# SSH only: no "established"\ntcp 22\n' \
	> "$M2M_CONF_DIR/failsafe.conf"
topo_geo > "$work/geo.csv"
topo_policy "$work/geo.csv" > "$M2M_CONF_DIR/policy.yaml"
serve m2m-gw 10.1.0.1 22 ssh-gw
serve m2m-gw 10.1.0.1 2222 other-gw
serve m2m-ep 10.9.0.2 22 ssh-ep
check "services listening" wait_for 10 sh -c \
	"ip netns exec m2m-gw ss -Htln | grep -q ':2222 ' &&
	 ip netns exec m2m-ep ss -Htln | grep -q ':22 '"

echo "# boot: the guard, then the module, then the policy"
check "guard up before the module" start guard
check "the guard governs the policy's sources" \
	sh -c "ip netns exec m2m-gw nft list set inet m2mguard_guard \
		governed4 | grep -q 10.1.0.0/23"
forwarding 1
flood_start
check "the guard drops the governed floods" wait_for 10 \
	guard_drops_at_least 20
check_eq "failsafe: SSH reaches the gateway" ssh-gw greeting 10.1.0.1 22
check_eq "no failsafe for tcp/2222: the gateway's answer is dropped" "" \
	greeting 10.1.0.1 2222
check "insmod: the module, no policy yet" insmod "$MODULE"
n=$(guard_drops)
check "module without a policy: the guard keeps dropping" wait_for 10 \
	guard_drops_at_least $((n + 50))
check_fail "start: the policy in force" 0 \
	"policy $M2M_CONF_DIR/policy.yaml in force" start
check "the guard is down" not guard_up
check "the last good policy is kept" test -s "$LAST_GOOD"
check "X is reached once the policy is in force" wait_for 10 \
	arrived_at_least x 10
sent=$(flood_stop)
echo "# $sent echo requests to Z during the boot, $(arrived z) arrived"
check "the flood ran through the boot" test "${sent:-0}" -ge 100
check_eq "boot: nothing reached Z" 0 arrived z

echo "# rmmod"
check_fail "rmmod while the policy enforces: in use" 1 "in use" \
	rmmod m2mguard
check "m2mctl policy unload" "$M2MCTL" -n m2m-gw policy unload
check "rmmod after the unload" rmmod m2mguard

echo "# a broken policy file: the last good policy"
printf 'classes: [\n' >> "$M2M_CONF_DIR/policy.yaml"
forwarding 0
check "guard up" start guard
forwarding 1
flood_start
check_fail "start: the last good policy, loudly" 0 \
	"enforcing the last good policy from $LAST_GOOD" start
check_eq "the policy in force is the last good one" true \
	eval '"$M2MCTL" -n m2m-gw -j policy diff "$LAST_GOOD" |
	      jq .identical'
check "the guard is down" not guard_up
check "X is reached" wait_for 10 arrived_at_least x 10
sent=$(flood_stop)
check_eq "broken policy file: nothing reached Z" 0 arrived z

echo "# neither a policy file nor a last good policy"
check "unload, rmmod" module_remove
rm -f "$LAST_GOOD"
forwarding 0
flood_start
check_fail "start fails, and says why" 1 \
	"NO POLICY IS IN FORCE: the fail-closed guard stays up" start
check "the guard stays up" guard_up
forwarding 1
check "no sources known: all forwarding dropped" sh -c \
	"ip netns exec m2m-gw nft list chain inet m2mguard_guard forward |
	 grep -q 'no policy known: all forwarding'"
check_eq "failsafe: SSH through the gateway" ssh-ep greeting 10.9.0.2 22
check "the guard drops the floods" wait_for 10 guard_drops_at_least 20
sent=$(flood_stop)
check_eq "no policy: nothing reached Z" 0 arrived z
check_eq "no policy: nothing reached X either" 0 arrived x
check "stop: the guard down" start stop
check "the guard is down" not guard_up

echo "# FAIL_MODE=open"
check "rmmod" module_remove
printf 'FAIL_MODE=open\nNETNS=m2m-gw\n' > "$M2M_CONF_DIR/m2mguard.conf"
flood_start
check_fail "start fails, loudly" 1 \
	"NO POLICY IS IN FORCE, and FAIL_MODE=open" start
check "no guard" not guard_up
check "fail-open: the flood does reach Z" wait_for 10 arrived_at_least z 10
flood_stop > /dev/null

check "rmmod m2mguard" module_remove

ktap_finish
