#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's life, from load to unload, leaving nothing behind:
#
#  1. The memory figures with the module not loaded: the baseline.
#  2. max_policy_bytes: a policy over it is refused with its message, one
#     of exactly its size is taken.
#  3. LOADS commits of the full Tor geo policy (examples/gateway.yaml) in
#     m2m-lc, while two UDP floods there, one per CPU, are classified
#     (smart-meters to billing-eu over UDP: not-allowlisted, dropped).
#  4. m2m-lc is deleted holding that policy, an open transaction, an
#     events listener and the floods: once they are gone, no vmalloc area
#     of the module's is left.
#  5. Through the gateway of topology.sh, under floods from both CPUs,
#     with a listener subscribed and a transaction open: a policy that
#     drops keeps the module loaded; in audit mode rmmod succeeds.
#  6. lsmod knows no m2mguard, the figures are back near the baseline,
#     and the module loads again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/ab_policy.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"
NLC=${NLC:-$BUILD/selftests/tools/nlclient}
UDPSEND=${UDPSEND:-$BUILD/selftests/tools/udpsend}
[ -x "$UDPSEND" ] && [ -x "$NLC" ] ||
	skip_all "$UDPSEND or $NLC is missing: build selftests/tools"

LOADS=${LOADS:-10}
PARAM=/sys/module/m2mguard/parameters/max_policy_bytes
OK="errno=0 msg='' attr_offset=-"
work=$(mktemp -d)
pids=()
finish()
{
	[ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=finish

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
module_vmalloc() { grep -c '\[m2mguard\]' /proc/vmallocinfo; }
no_module_vmalloc() { [ "$(module_vmalloc)" -eq 0 ]; }
loaded() { grep -q '^m2mguard ' /proc/modules; }
info_of() { ip netns exec "$1" "$NLC" info | sed -n "s/^$2=//p"; }
has_txn() { [ -n "$(info_of "$1" txn)" ]; }
listening() { grep -qF "$OK" "$1"; }
heard() { grep -q '^event ' "$1"; }

# What may stay behind after the module is gone, in kB: allocator and
# cache noise. Under TCG MemFree moves by tens of MB between identical
# runs, so it only catches a leak per commit (LOADS x 18 MB); VmallocUsed,
# where the blob and the big tables live, catches a single geo policy,
# and /proc/vmallocinfo (step 4) a single table of any policy.
FIGURES="MemFree VmallocUsed Percpu SUnreclaim"
declare -A base tolerance=([MemFree]=65536 [VmallocUsed]=512
			   [Percpu]=256 [SUnreclaim]=2048)

settle() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# Whether every figure is back within its tolerance of the baseline.
near_baseline()
{
	local f grown

	settle
	for f in $FIGURES; do
		grown=$(($(meminfo $f) - base[$f]))
		[ $f = MemFree ] && grown=$((-grown))
		[ "$grown" -le "${tolerance[$f]}" ] || return 1
	done
}

# flood NS SRC4|- FILE DST...: a UDP flood pinned to each CPU, from NS.
flood()
{
	local ns=$1 src=$2 out=$3 cpu
	shift 3

	for cpu in 0 1; do
		taskset -c $cpu ip netns exec "$ns" nice -n 10 "$UDPSEND" \
			-t 600 ${src:+-s "$src"} "$@" > "$out.$cpu" &
		pids+=($!)
	done
}

# Stop and forget every helper process.
reap()
{
	kill -9 "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	pids=()
}

echo "# 1. the baseline"
check "m2mguard is not loaded" not loaded
check "compile examples/gateway.yaml" "$M2MCTL" policy compile \
	"$TOP/examples/gateway.yaml" -o "$work/gw.bin"
size=$(stat -c %s "$work/gw.bin")
settle
for f in $FIGURES; do
	base[$f]=$(meminfo $f)
done

echo "# 2. max_policy_bytes"
check "insmod m2mguard.ko" insmod "$MODULE"
check "namespace m2m-lc" ns_create m2m-lc
echo $((size - 1)) > "$PARAM"
check_fail "one byte over max_policy_bytes: m2mctl" 2 \
	"Error: policy larger than the module parameter max_policy_bytes" \
	"$M2MCTL" -n m2m-lc policy load "$work/gw.bin"
check_eq "one byte over max_policy_bytes: the kernel" \
	"errno=7 msg='policy larger than the module parameter max_policy_bytes' attr_offset=20" \
	ip netns exec m2m-lc "$NLC" push "$work/gw.bin"
check_eq "no policy came of it" 0 info_of m2m-lc generation
check "no transaction either" not has_txn m2m-lc
echo "$size" > "$PARAM"

echo "# 3. $LOADS commits of the geo policy, under traffic"
ip -n m2m-lc addr add 10.10.0.1/32 dev lo
ip -n m2m-lc addr add 198.51.100.1/32 dev lo
flood m2m-lc 10.10.0.1 "$work/lc" 198.51.100.1
check_eq "$LOADS commits, each of exactly max_policy_bytes" "$OK" \
	ip netns exec m2m-lc "$NLC" swap "$LOADS" "$work/gw.bin"
check_eq "generation $LOADS" "$LOADS" info_of m2m-lc generation
echo "# the policy holds $(info_of m2m-lc memory) bytes"
check "the floods are classified" test "$("$M2MCTL" -n m2m-lc -j stats |
	jq '[.reasons[] | select(.reason == "not-allowlisted") |
	     .packets] | add')" -gt 0
check "its memory shows in /proc/vmallocinfo" test "$(module_vmalloc)" -gt 0
echo "$((256 << 20))" > "$PARAM"

echo "# 4. deleting m2m-lc with its policy, transaction and listener"
ip netns exec m2m-lc "$NLC" begin 4096 --hold > "$work/hold" &
pids+=($!)
ip netns exec m2m-lc "$NLC" listen --hold > "$work/listen" &
pids+=($!)
check "a transaction is open" wait_for 10 has_txn m2m-lc
check "a listener joined events" wait_for 10 listening "$work/listen"
check "ip netns del m2m-lc" ip netns del m2m-lc
check "the policy lives while its namespace does" \
	test "$(module_vmalloc)" -gt 0
reap
check "it went with the namespace" wait_for 60 no_module_vmalloc

echo "# 5. rmmod under traffic, with a listener and a transaction"
check "topology" topo_create
topo_geo > "$work/geo.csv"
ab_policy "$work/geo.csv" A > "$work/A.yaml"
check "load policy A" "$M2MCTL" -n m2m-gw policy load "$work/A.yaml"
ip netns exec m2m-gw "$NLC" begin 4096 --hold > "$work/hold" &
pids+=($!)
ip netns exec m2m-gw "$NLC" listen --hold > "$work/listen" &
pids+=($!)
check "a transaction is open" wait_for 10 has_txn m2m-gw
check "a listener joined events" wait_for 10 listening "$work/listen"
flood m2m-dev1 "" "$work/gw" "$AB_X4" "$AB_Y4" "$AB_Z4" "$AB_W4" \
	"$AB_X6" "$AB_Y6" "$AB_Z6" "$AB_W6"
check "the floods are classified" wait_for 10 sh -c "test \"\$('$M2MCTL' \
	-n m2m-gw -j stats | jq '[.reasons[].packets] | add')\" -gt 0"
check_fail "a policy that drops keeps the module loaded" 1 "in use" \
	rmmod m2mguard
check "audit mode" "$M2MCTL" -n m2m-gw mode audit
check "the listener hears events" wait_for 10 heard "$work/listen"
check "rmmod m2mguard" rmmod m2mguard
check "the floods, listener and sender outlived it" kill -0 "${pids[@]}"
reap

echo "# 6. nothing left behind"
check "lsmod shows no m2mguard" not loaded
for ns in m2m-dev1 m2m-dev2 m2m-gw m2m-ep; do
	ip netns del $ns
done
wait_for 60 near_baseline
for f in $FIGURES; do
	grown=$(($(meminfo $f) - base[$f]))
	[ $f = MemFree ] && grown=$((-grown))
	check "$f back within ${tolerance[$f]} kB (${grown} kB)" \
		test "$grown" -le "${tolerance[$f]}"
done
check "insmod again" insmod "$MODULE"
check_eq "a fresh module: generation 0" "generation=0" \
	sh -c "'$NLC' info | grep ^generation="
check "rmmod again" rmmod m2mguard

ktap_finish
