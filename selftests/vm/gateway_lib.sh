# SPDX-License-Identifier: GPL-2.0
#
# A gateway booting under a flood, shared by gateway.sh (the module) and
# gateway_bpf.sh (the eBPF datapath); sourced after lib.sh. The start
# script enforces in m2m-gw, the gateway of topology.sh, with its
# configuration and state in a temporary directory (NETNS=m2m-gw in its
# m2mguard.conf; failsafe: tcp 22).
#
# During a start, m2m-dev1 (class "meters") pings, 100 a second, a
# destination its policy drops (Z, 203.0.113.1: not allowlisted) and one
# it allows (X, 192.0.2.1). m2m-ep counts the echo requests that arrive
# (and drops them, so no reply makes a flow "established"). From the
# moment the guard is up, not one request to Z may arrive.
#
# m2m-gw serves "ssh-gw" on 10.1.0.1:22, which the failsafe lets through,
# and "other-gw" on 10.1.0.1:2222, which it does not; m2m-ep serves
# "ssh-ep" on 10.9.0.2:22, through the gateway.
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

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

# The test's own cleanup, if it needs one, runs first.
GATEWAY_CLEANUP=

gateway_cleanup()
{
	[ -n "$GATEWAY_CLEANUP" ] && $GATEWAY_CLEANUP
	[ ${#floods[@]} -gt 0 ] && kill "${floods[@]}" 2>/dev/null
	[ ${#servers[@]} -gt 0 ] && kill "${servers[@]}" 2>/dev/null
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=gateway_cleanup

gw() { ip netns exec m2m-gw "$@"; }
start() { "$START" "$@"; }

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

# gateway_create SETTING...: the topology, forwarding off, the counters,
# the policy, the services, and m2mguard.conf with FAIL_MODE=closed,
# NETNS=m2m-gw and the SETTINGs.
gateway_create()
{
	check "topology" topo_create
	forwarding 0
	check "counters at the endpoints" counters_create
	mkdir -p "$M2M_CONF_DIR"
	printf '%s\n' FAIL_MODE=closed NETNS=m2m-gw "$@" \
		> "$M2M_CONF_DIR/m2mguard.conf"
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
}

# gateway_boot [CMD...]: the boot, the floods running throughout: the
# guard up, then forwarding; the failsafe lets SSH reach the gateway and
# nothing else; CMD, if given, while the guard holds; then the start
# script puts the policy in force, takes the guard down and keeps the
# last good policy; X is reached, Z never.
gateway_boot()
{
	local n sent

	check "guard up before the datapath" start guard
	check "the guard governs the policy's sources" \
		sh -c "ip netns exec m2m-gw nft list set inet m2mguard_guard \
			governed4 | grep -q 10.1.0.0/23"
	forwarding 1
	flood_start
	check "the guard drops the governed floods" wait_for 10 \
		guard_drops_at_least 20
	check_eq "failsafe: SSH reaches the gateway" ssh-gw \
		greeting 10.1.0.1 22
	check_eq "no failsafe for tcp/2222: the gateway's answer is dropped" \
		"" greeting 10.1.0.1 2222
	if [ $# -gt 0 ]; then
		"$@"
		n=$(guard_drops)
		check "the guard keeps dropping" wait_for 10 \
			guard_drops_at_least $((n + 50))
	fi
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
}

# gateway_broken DATAPATH: with a policy file that does not parse and no
# policy in force, the start puts the last good policy in force instead,
# saying so; under the floods, X is reached and Z never.
gateway_broken()
{
	printf 'classes: [\n' >> "$M2M_CONF_DIR/policy.yaml"
	forwarding 0
	check "guard up" start guard
	forwarding 1
	flood_start
	check_fail "start: the last good policy, loudly" 0 \
		"enforcing the last good policy from $LAST_GOOD" start
	check_eq "the policy in force is the last good one" true \
		eval "\"\$M2MCTL\" -d $1 -n m2m-gw -j policy diff \
		      \"\$LAST_GOOD\" | jq .identical"
	check "the guard is down" not guard_up
	check "X is reached" wait_for 10 arrived_at_least x 10
	flood_stop > /dev/null
	check_eq "broken policy file: nothing reached Z" 0 arrived z
}
