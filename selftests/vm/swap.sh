#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Atomic policy swaps under traffic. Two UDP floods from m2m-dev1, one
# pinned to each CPU, go through the gateway of topology.sh to the eight
# destinations of ab_policy.sh (X, Y, Z, W over IPv4 and IPv6) while
# m2mctl swaps policies A and B in and out at least SWAPS times. The
# endpoint namespace counts what arrives per destination (nftables).
#
# Every packet must get the verdict of A or of B, never one of a mix:
#
#   X, Y  allowed by one policy, dropped by the other: some arrive, and
#         some do not
#   Z     dropped by both, allowed by any mix: none arrives
#   W     allowed by both, dropped by any mix: every one arrives
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/ab_policy.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"
UDPSEND=${UDPSEND:-$BUILD/selftests/tools/udpsend}
NLC=${NLC:-$BUILD/selftests/tools/nlclient}
[ -x "$UDPSEND" ] && [ -x "$NLC" ] ||
	skip_all "$UDPSEND or $NLC is missing: build selftests/tools"
[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs"

SWAPS=${SWAPS:-1000}
M2MCTL_SWAPS=20
PORT=9000
NAMES="x4 y4 z4 w4 x6 y6 z6 w6"
work=$(mktemp -d)
flood_pids=()
unload()
{
	[ ${#flood_pids[@]} -gt 0 ] && kill "${flood_pids[@]}" 2>/dev/null
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=unload

addr_of()
{
	case $1 in
	x4) echo "$AB_X4" ;; y4) echo "$AB_Y4" ;;
	z4) echo "$AB_Z4" ;; w4) echo "$AB_W4" ;;
	x6) echo "$AB_X6" ;; y6) echo "$AB_Y6" ;;
	z6) echo "$AB_Z6" ;; w6) echo "$AB_W6" ;;
	esac
}

# A named counter per destination in m2m-ep, and a drop after it, so that
# no port-unreachable comes back.
counters_create()
{
	local n a fam

	{
		echo "table inet m2m_swap {"
		for n in $NAMES; do
			echo "counter $n { }"
		done
		echo "chain input {"
		echo "type filter hook input priority 0; policy accept;"
		for n in $NAMES; do
			a=$(addr_of $n)
			fam=ip
			[ "${n#?}" = 6 ] && fam=ip6
			echo "$fam daddr $a udp dport $PORT counter name $n drop"
		done
		echo "}"
		echo "}"
	} | ip netns exec m2m-ep nft -f -
}

delivered()
{
	ip netns exec m2m-ep nft -j list counter inet m2m_swap "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# swap_loop N: N commits, B and A in turn, with m2mctl for the first few
# and nlclient's faster loop for the rest; print how many worked.
swap_loop()
{
	local i ok=0

	for ((i = 0; i < M2MCTL_SWAPS / 2; i++)); do
		"$M2MCTL" -n m2m-gw policy load "$work/B.bin" > /dev/null &&
			ok=$((ok + 1))
		"$M2MCTL" -n m2m-gw policy load "$work/A.bin" > /dev/null &&
			ok=$((ok + 1))
	done
	ip netns exec m2m-gw "$NLC" swap $(($1 - ok)) "$work/B.bin" \
		"$work/A.bin" > "$work/swap.out" &&
		ok=$1
	echo "$ok"
}

check "insmod m2mguard.ko" insmod "$MODULE"
check "topology" topo_create
topo_geo > "$work/geo.csv"
for p in A B; do
	ab_policy "$work/geo.csv" $p > "$work/$p.yaml"
	check "compile policy $p" "$M2MCTL" policy compile "$work/$p.yaml" \
		-o "$work/$p.bin"
done
check "counters at the endpoints" counters_create
check "load policy A" "$M2MCTL" -n m2m-gw policy load "$work/A.bin"
# Resolve the neighbours before the flood, not during it.
check "W reachable over IPv4" wait_for 10 ping_from m2m-dev1 "$AB_W4" 1 8
check "W reachable over IPv6" wait_for 10 ping_from m2m-dev1 "$AB_W6" 1 8
check "counters zeroed" ip netns exec m2m-ep nft reset counters table \
	inet m2m_swap

dsts=()
for n in $NAMES; do
	dsts+=("$(addr_of $n)")
done
for cpu in 0 1; do
	taskset -c $cpu ip netns exec m2m-dev1 nice -n 10 "$UDPSEND" \
		-p $PORT -t 600 "${dsts[@]}" > "$work/sent$cpu" &
	flood_pids+=($!)
done

echo "# $SWAPS swaps under two floods"
swapped=$(swap_loop "$SWAPS")
kill -TERM "${flood_pids[@]}"
for pid in "${flood_pids[@]}"; do
	wait "$pid"
done
flood_pids=()
check_eq "every swap succeeded" "$SWAPS" echo "$swapped"

checked=0
for n in $NAMES; do
	a=$(addr_of $n)
	sent=$(awk -v a="$a" '$1 == a { s += $2 } END { print s + 0 }' \
		"$work"/sent0 "$work"/sent1)
	got=$(delivered $n)
	checked=$((checked + sent))
	echo "# ${n%?} over IPv${n#?} ($a): $got of $sent delivered"
	case $n in
	z?)	check_eq "${n%?} IPv${n#?}: none delivered" 0 echo "$got" ;;
	w?)	check_eq "${n%?} IPv${n#?}: all delivered" "$sent" \
			echo "$got" ;;
	*)	check "${n%?} IPv${n#?}: some delivered, some dropped" \
			test "$got" -gt 0 -a "$got" -lt "$sent" ;;
	esac
done
echo "# $swapped swaps, $checked packets checked"

check "clear the policy" ip netns exec m2m-gw "$NLC" raw clear
check "rmmod m2mguard" module_remove

ktap_finish
