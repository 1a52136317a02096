#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The same policy and the same random packets give the same counters
# through the module, through the eBPF datapath and through m2mctl's
# userspace verdict (kmod/verdict.c, which m2mctl explain runs).
#
# The policy is the full Tor geo database, 1,000 random endpoints and
# three classes (selftests/bpf/testpolicy.h); the packets are a fixed
# stream of random IPv4 and IPv6 packets in many shapes (options,
# extension headers, fragments, truncated transport headers; TCP, UDP,
# ICMP and others), most from the classes' sources, to the endpoints or
# anywhere. selftests/tools/difftraffic makes both, and the counters that
# m2m_classify() gives those packets: the first half in enforce mode, the
# second in audit mode. The device sends the packets as raw Ethernet
# frames, so any source address can be sent; the gateway forwards them to
# a sink that drops them all.
#
#   m2m-dv (d1) ---- (g1) m2m-gw (g9) ---- (s9) m2m-sk
#   frames from       module's hooks;       the gateway's only neighbour,
#   class sources     tc egress on g9       at a MAC it does not have
#
# Every datapath must then hold exactly the expected counters by reason
# (audited too), endpoint, class and reason, and country, packets and
# bytes, and pass to the sink exactly the packets it does not drop.
#
# DIFF_PACKETS=N sends N packets through each datapath (default 100000:
# about 45 s in all under QEMU TCG, 4 s of it sending), DIFF_ENDPOINTS=N
# makes the policy with N endpoints (default 1000).
. "$(dirname "$0")/../lib.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

N=${DIFF_PACKETS:-100000}
ENDPOINTS=${DIFF_ENDPOINTS:-1000}
HALF=$((N / 2))
GW_MAC=02:6d:32:00:00:01	# g1, where the device's frames go
NH_MAC=02:6d:32:00:00:99	# the gateway's next hop: no one's
TOOL=$BUILD/selftests/tools/difftraffic
work=$(mktemp -d)
cleanup()
{
	"$M2MCTL" -d bpf detach > /dev/null 2>&1
	rm -rf /sys/fs/bpf/m2mguard
	module_remove 2> /dev/null
	rm -rf "$work"
}
LIB_CLEANUP=cleanup

[ -x "$TOOL" ] || skip_all "$TOOL is not built"
tool() { "$TOOL" -e "$ENDPOINTS" "$@"; }

topology()
{
	ns_create m2m-dv m2m-gw m2m-sk || return 1
	ip -n m2m-dv link add d1 type veth peer name g1 netns m2m-gw &&
	ip -n m2m-gw link add g9 type veth peer name s9 netns m2m-sk &&
	ip -n m2m-gw link set g1 address $GW_MAC || return 1
	# The device sends nothing of its own.
	ip netns exec m2m-dv sysctl -qw net.ipv6.conf.d1.disable_ipv6=1
	ip netns exec m2m-gw sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.g1.rp_filter=0 || return 1
	ip -n m2m-dv link set d1 up && ip -n m2m-gw link set g1 up &&
	ip -n m2m-gw link set g9 up && ip -n m2m-sk link set s9 up || return 1

	# Every destination leaves by g9, to a next hop whose MAC no one
	# has: the sink drops every frame, quietly.
	ip -n m2m-gw route add default via 169.254.0.2 dev g9 onlink &&
	ip -n m2m-gw neigh replace 169.254.0.2 lladdr $NH_MAC dev g9 \
		nud permanent &&
	ip -n m2m-gw -6 route add default via fe80::2 dev g9 &&
	ip -n m2m-gw -6 neigh replace fe80::2 lladdr $NH_MAC dev g9 \
		nud permanent || return 1

	# Nor does the gateway send anything of its own there (IPv6 router
	# solicitations, MLD reports): the sink counts the device's packets
	# only.
	ip netns exec m2m-gw nft -f - <<-EOF
	table inet m2m_quiet {
		chain out {
			type filter hook output priority 0; policy accept;
			oifname "g9" drop
		}
	}
	EOF
}

# rx_packets NS DEV
rx_packets()
{
	ip -n "$1" -s -j link show "$2" | jq '.[0].stats64.rx.packets'
}

# send FROM TO: packets FROM to TO - 1, from the device.
send()
{
	ip netns exec m2m-dv "$TOOL" -e "$ENDPOINTS" send d1 $GW_MAC "$1" "$2"
}

# The expected counters, sorted; and in $dropped, how many packets the
# datapaths drop.
expect()
{
	tool expect "$work/policy.bin" "$N" "$HALF" > "$work/expected.raw" \
		2> "$work/summary" || return 1
	sort "$work/expected.raw" > "$work/expected"
	dropped=$(awk '$1 == "reason" && $3 == "false" &&
		$2 !~ /^(unscoped|allow|allow-basis)$/ { n += $4 }
		END { print n + 0 }' "$work/expected")
}

# Every verdict occurs, and every would-be drop is also audited.
every_reason()
{
	local r

	for r in unscoped allow allow-basis not-allowlisted residency \
		 no-consent; do
		grep -q "^reason $r false " "$work/expected" ||
			{ echo "no packet gets $r"; return 1; }
	done
	for r in not-allowlisted residency no-consent; do
		grep -q "^reason $r true " "$work/expected" ||
			{ echo "no packet gets $r, audited"; return 1; }
	done
}

# counters FILE DATAPATH-OPTIONS...: the counters of a datapath into
# FILE, in the same lines, sorted.
counters()
{
	local file=$1
	shift

	"$M2MCTL" "$@" -j stats --by reason --by endpoint --by class \
		--by country > "$work/stats.json" || return 1
	jq -r 'def f: " \(.packets) \(.bytes)";
		(.reasons[] | "reason \(.reason) \(.audited)" + f),
		(.endpoints[] | "endpoint \(.endpoint)" + f),
		(.classes[] | "class \(.class) \(.reason) \(.audited)" + f),
		(.countries[] | "country \(.country)" + f)' "$work/stats.json" |
		sort > "$file"
}

# same_counters FILE: FILE holds exactly the expected counters; else show
# the first differences.
same_counters()
{
	[ -f "$1" ] || { echo "no counters were read"; return 1; }
	diff "$work/expected" "$1" > "$1.diff" && return 0
	echo "$(grep -c '^[<>]' "$1.diff") lines differ" \
		"(< expected, > datapath); the first ones:"
	grep '^[<>]' "$1.diff" | head -n 20
	return 1
}

# run NAME MODE-COMMAND...: send the packets, the first half in enforce
# mode, the second in audit mode, and compare. MODE-COMMAND, followed by
# enforce or audit, sets the datapath's mode.
run()
{
	local name=$1 t0 t1 rx0 sk0 sk1
	shift

	check "$name: enforce mode" "$@" enforce
	rx0=$(rx_packets m2m-gw g1)
	sk0=$(rx_packets m2m-sk s9)
	t0=$(date +%s%N)
	check "$name: send packets 0..$((HALF - 1))" send 0 "$HALF"
	check "$name: audit mode" "$@" audit
	check "$name: send packets $HALF..$((N - 1))" send "$HALF" "$N"
	t1=$(date +%s%N)
	sk1=$(rx_packets m2m-sk s9)
	echo "# $name: $N packets in $(((t1 - t0) / 1000000)) ms"

	check_eq "$name: the gateway received all $N" "$N" \
		echo $(($(rx_packets m2m-gw g1) - rx0))
	check_eq "$name: the sink received all but the $dropped dropped" \
		$((N - dropped)) echo $((sk1 - sk0))
}

t_start=$(date +%s)
check "random policy" tool policy "$work/policy.yaml"
check "compile it" "$M2MCTL" policy compile "$work/policy.yaml" \
	-o "$work/policy.bin"
check "the verdicts of m2m_classify" expect
echo "# $(cat "$work/summary")"
check "they reach every verdict" every_reason
check "topology" topology

# The module, in the gateway's namespace.
kmodctl() { "$M2MCTL" -n m2m-gw "$@"; }
check "insmod m2mguard.ko" insmod "$MODULE"
check "kmod: load the policy" kmodctl policy load "$work/policy.bin"
check "kmod: stats reset" kmodctl stats reset
run kmod kmodctl mode
check "kmod: read the counters" counters "$work/kmod" -n m2m-gw
check "kmod: the same counters as m2m_classify" \
	same_counters "$work/kmod"
check "rmmod m2mguard" module_remove

# The eBPF datapath, on the gateway's uplink.
bpfctl() { "$M2MCTL" -d bpf "$@"; }
check "bpf: load the policy" bpfctl policy load "$work/policy.bin"
check "bpf: attach to g9" bpfctl -n m2m-gw attach dev g9
check "bpf: stats reset" bpfctl stats reset
run bpf bpfctl mode
check "bpf: read the counters" counters "$work/bpf" -d bpf
check "bpf: the same counters as m2m_classify" same_counters "$work/bpf"
check "bpf: detach" bpfctl -n m2m-gw detach dev g9

echo "# $N packets per datapath, $(($(date +%s) - t_start)) s in all"
ktap_finish
