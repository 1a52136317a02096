#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink interface under hostile or broken requests, through the
# gateway of topology.sh with policy A of ab_policy.sh in force:
#
#  - every malformed, unknown or out-of-range attribute of every operation
#    is refused with its extended ack message and the attribute's offset;
#  - an unprivileged process may read (GET_INFO, counters) but change
#    nothing and not join "events"; neither may the root of a user
#    namespace, in a network namespace it does not own; in one it owns, it
#    manages that namespace's own policy;
#  - aborted, truncated, oversize, corrupt, out-of-order and half-sent
#    transactions (carrying policy B, which flips two verdicts) leave
#    policy A and its verdicts in force; a second BEGIN is refused while
#    one is open; a dead sender's transaction is dropped.
#
# nlclient prints the kernel's answer as
#	errno=N msg='EXTACK MESSAGE' attr_offset=N|- [miss_type=N]
# where the offset counts from the request's netlink header: its first
# attribute is at 20.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/ab_policy.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"
NLC=${NLC:-$BUILD/selftests/tools/nlclient}
[ -x "$NLC" ] || skip_all "$NLC is missing: build selftests/tools"

PARAM=/sys/module/m2mguard/parameters/max_policy_bytes
work=$(mktemp -d)
hold_pid=
unload()
{
	[ -n "$hold_pid" ] && kill -9 "$hold_pid" 2>/dev/null
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=unload

nlc() { ip netns exec m2m-gw "$NLC" "$@"; }
# answer NAME WANT NLCLIENT-ARGS...: the kernel answers exactly WANT.
answer() { local name=$1 want=$2; shift 2; check_eq "$name" "$want" nlc "$@"; }
state() { "$M2MCTL" -n m2m-gw -j status | jq -r '"\(.generation) \(.policy_hash)"'; }
open_txn() { nlc info | sed -n 's/^txn=//p'; }
has_txn() { [ -n "$(open_txn)" ]; }
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

OK="errno=0 msg='' attr_offset=-"
EPERM="errno=1 msg='' attr_offset=-"
RANGE="errno=34 msg='integer out of range' attr_offset"
LEN="errno=22 msg='invalid attribute length' attr_offset"
BINLEN="errno=34 msg='binary attribute size out of range' attr_offset"
UNSUP="errno=22 msg='Unsupported attribute' attr_offset"
UNKNOWN="errno=22 msg='Unknown attribute type' attr_offset"
missing() { echo "errno=22 msg='missing M2M_A_$1' attr_offset=- miss_type=$2"; }

check "insmod m2mguard.ko" insmod "$MODULE"
check "topology" topo_create
chmod 755 "$work"
topo_geo > "$work/geo.csv"
for p in A B; do
	ab_policy "$work/geo.csv" $p > "$work/$p.yaml"
	"$M2MCTL" policy compile "$work/$p.yaml" -o "$work/$p.bin" > /dev/null
done
chmod 644 "$work"/*
A=$work/A.bin B=$work/B.bin
check "load policy A" "$M2MCTL" -n m2m-gw policy load "$A"
before=$(state)

# policy_a_in_force NAME: the state and the verdicts of policy A.
policy_a_in_force()
{
	check_eq "$1: policy A still in force" "$before" state
	check "$1: X still delivered" ping_from m2m-dev1 "$AB_X4" 1 8
	check "$1: Y still dropped" not ping_from m2m-dev1 "$AB_Y4" 1 8
}

echo "# operations without attributes refuse any"
for op in info "policy-get --dump" "counters-get --dump" reset clear; do
	answer "$op: an attribute" "$UNSUP=20" raw $op txn:u32:1
	answer "$op: an unknown attribute" "$UNKNOWN=20" raw $op 99:u32:1
done
answer "info: bytes after the attributes" \
	"errno=22 msg='bytes leftover after parsing attributes' attr_offset=-" \
	raw info --trailing 2
answer "unknown command" "errno=95 msg='' attr_offset=-" raw 99

echo "# POLICY_BEGIN"
answer "begin: no size" "$(missing POLICY_SIZE 4)" raw begin
answer "begin: size 0" "$RANGE=20" raw begin size:u32:0
answer "begin: size as u64" "$LEN=20" raw begin size:u64:16
answer "begin: size as u8" "$LEN=20" raw begin size:u8:16
answer "begin: another attribute" "$UNSUP=28" raw begin size:u32:16 txn:u32:1
answer "begin: an unknown attribute" "$UNKNOWN=28" \
	raw begin size:u32:16 99:u32:1
max=$(cat "$PARAM")
answer "begin: one byte over max_policy_bytes" \
	"errno=7 msg='policy larger than the module parameter max_policy_bytes' attr_offset=20" \
	begin $((max + 1))
# Above INT_MAX, kvmalloc() warns unless told not to.
echo 4294967295 > "$PARAM"
answer "begin: 3 GB allowed but not to be had" \
	"errno=12 msg='out of memory for the policy' attr_offset=-" \
	begin 3000000000
echo "$max" > "$PARAM"
check "no transaction left open" not has_txn

echo "# POLICY_CHUNK"
answer "chunk: no txn" "$(missing TXN_ID 5)" raw chunk
answer "chunk: no offset" "$(missing OFFSET 6)" raw chunk txn:u32:1
answer "chunk: no data" "$(missing DATA 7)" raw chunk txn:u32:1 offset:u32:0
answer "chunk: txn 0" "$RANGE=20" \
	raw chunk txn:u32:0 offset:u32:0 data:bin:1
answer "chunk: txn as u16" "$LEN=20" \
	raw chunk txn:u16:1 offset:u32:0 data:bin:1
answer "chunk: offset as u8" "$LEN=28" \
	raw chunk txn:u32:1 offset:u8:0 data:bin:1
answer "chunk: empty data" "$BINLEN=36" \
	raw chunk txn:u32:1 offset:u32:0 data:bin:0
answer "chunk: data over M2M_CHUNK_MAX" "$BINLEN=36" \
	raw chunk txn:u32:1 offset:u32:0 data:bin:61441
answer "chunk: another attribute" "$UNSUP=44" \
	raw chunk txn:u32:1 offset:u32:0 data:bin:1 size:u32:1
answer "chunk: an unknown attribute" "$UNKNOWN=44" \
	raw chunk txn:u32:1 offset:u32:0 data:bin:1 99:u32:1
answer "chunk: no such transaction" \
	"errno=2 msg='no such policy transaction' attr_offset=20" \
	raw chunk txn:u32:4242 offset:u32:0 data:bin:1

for op in commit abort; do
	echo "# POLICY_${op^^}"
	answer "$op: no txn" "$(missing TXN_ID 5)" raw $op
	answer "$op: txn 0" "$RANGE=20" raw $op txn:u32:0
	answer "$op: txn as u64" "$LEN=20" raw $op txn:u64:1
	answer "$op: another attribute" "$UNSUP=28" \
		raw $op txn:u32:1 size:u32:1
	answer "$op: an unknown attribute" "$UNKNOWN=28" \
		raw $op txn:u32:1 99:u32:1
	answer "$op: no such transaction" \
		"errno=2 msg='no such policy transaction' attr_offset=20" \
		raw $op txn:u32:4242
done

echo "# SET"
answer "set: nothing" "errno=22 msg='nothing to set' attr_offset=-" raw set
answer "set: mode 2" "$RANGE=20" raw set mode:u8:2
answer "set: mode as u32" "$LEN=20" raw set mode:u32:0
answer "set: privacy 3" "$RANGE=20" raw set privacy:u8:3
answer "set: event rate 100001" "$RANGE=20" raw set rate:u32:100001
answer "set: counter interval 99 ms" "$RANGE=20" raw set interval:u32:99
answer "set: counter interval 3600001 ms" "$RANGE=20" \
	raw set interval:u32:3600001
answer "set: a valid mode, then a bad rate" "$RANGE=28" \
	raw set mode:u8:0 rate:u32:100001
answer "set: another attribute" "$UNSUP=20" raw set size:u32:1
answer "set: an unknown attribute" "$UNKNOWN=20" raw set 99:u32:1
answer "set: enforce mode" "$OK" raw set mode:u8:0
policy_a_in_force "after the malformed requests"

echo "# broken transactions carrying policy B leave policy A in force"
answer "abort" "$OK" push "$B" --abort
policy_a_in_force "abort"
answer "truncated: one byte less than announced" \
	"errno=22 msg='policy incomplete: fewer bytes sent than announced' attr_offset=-" \
	push "$B" --truncate
policy_a_in_force "truncated"
answer "oversize: announced over max_policy_bytes" \
	"errno=7 msg='policy larger than the module parameter max_policy_bytes' attr_offset=20" \
	push "$B" --size $((max + 1))
policy_a_in_force "oversize"
answer "chunk past the announced size" \
	"errno=90 msg='chunk runs past the announced policy size' attr_offset=36" \
	push "$B" --chunk 256 --size 500
check "chunk past the announced size: transaction dropped" not has_txn
answer "bad offset: a gap between chunks" \
	"errno=22 msg='chunk does not start where the last one ended' attr_offset=28" \
	push "$B" --chunk 256 --bad-offset
check "bad offset: transaction dropped" not has_txn
answer "corrupt: one byte flipped" \
	"errno=22 msg='policy: checksum mismatch' attr_offset=-" \
	push "$B" --corrupt
policy_a_in_force "bad offset, corrupt"
answer "half-sent: the sender exits after 2 chunks" "$OK" \
	push "$B" --chunk 256 --stop-after 2
check "half-sent: its transaction went with its socket" not has_txn
policy_a_in_force "half-sent"

echo "# one transaction at a time, owned by its socket"
ip netns exec m2m-gw "$NLC" push "$B" --chunk 256 --stop-after 1 --hold \
	> "$work/hold.out" &
hold_pid=$!
check "a sender holds a transaction open" wait_for 10 has_txn
txn=$(open_txn)
answer "a second begin" \
	"errno=16 msg='another policy transaction is in progress' attr_offset=-" \
	begin 16
for op in "chunk offset:u32:256 data:bin:1" commit abort; do
	set -- $op
	answer "$1 from another socket" \
		"errno=2 msg='policy transaction belongs to another socket' attr_offset=20" \
		raw "$1" txn:u32:"$txn" "${@:2}"
done
check_eq "the owner's transaction survives them" "$txn" open_txn
check_eq "another namespace has its own" "$OK" \
	ip netns exec m2m-ep "$NLC" begin 16
kill -9 "$hold_pid"
wait "$hold_pid" 2>/dev/null
hold_pid=
check "the killed sender's transaction is dropped" not has_txn
answer "a new begin works" "$OK" begin 16
policy_a_in_force "killed sender"

echo "# a whole transaction does swap policy B in"
answer "push policy B" "$OK" push "$B" --chunk 256
check "X dropped under B" not ping_from m2m-dev1 "$AB_X4" 1 8
check "Y delivered under B" ping_from m2m-dev1 "$AB_Y4" 1 8
check "load policy A again" "$M2MCTL" -n m2m-gw policy load "$A"
before=$(state)

# Unprivileged runs need a client and policies they may read: the tree
# may lie under a folder only root may enter, such as /root.
pub=$(mktemp -d)
chmod 755 "$pub"
cp "$NLC" "$A" "$B" "$pub"/
NLC_ROOT=$NLC A_ROOT=$A B_ROOT=$B
NLC=$pub/${NLC##*/} A=$pub/A.bin B=$pub/B.bin

echo "# an unprivileged process reads, and changes nothing"
check "GET_INFO as nobody" ip netns exec m2m-gw $NOBODY "$NLC" info
check_eq "COUNTERS_GET as nobody" "$OK" \
	ip netns exec m2m-gw $NOBODY "$NLC" raw counters-get --dump
for op in "begin size:u32:16" "chunk txn:u32:1 offset:u32:0 data:bin:1" \
	  "commit txn:u32:1" "abort txn:u32:1" "set mode:u8:1" reset clear \
	  "policy-get --dump"; do
	check_eq "${op%% *} as nobody: EPERM" "$EPERM" \
		ip netns exec m2m-gw $NOBODY "$NLC" raw $op
done
check_eq "join events as nobody: EPERM" "$EPERM" \
	ip netns exec m2m-gw $NOBODY "$NLC" listen
check_eq "policy push as nobody: EPERM" "$EPERM" \
	ip netns exec m2m-gw $NOBODY "$NLC" push "$A"
policy_a_in_force "unprivileged requests"

echo "# the root of a user namespace, in namespaces it does not own"
check "nobody may create a user namespace" $NOBODY unshare -U -r true
check_eq "in the initial namespace: begin" "$EPERM" \
	$NOBODY unshare -U -r "$NLC" raw begin size:u32:16
check_eq "in the initial namespace: join events" "$EPERM" \
	$NOBODY unshare -U -r "$NLC" listen
for op in "begin size:u32:16" "set mode:u8:1" reset clear; do
	check_eq "in the gateway namespace: ${op%% *}" "$EPERM" \
		ip netns exec m2m-gw $NOBODY unshare -U -r "$NLC" raw $op
done
check_eq "in the gateway namespace: push" "$EPERM" \
	ip netns exec m2m-gw $NOBODY unshare -U -r "$NLC" push "$B"
check_eq "in the gateway namespace: join events" "$EPERM" \
	ip netns exec m2m-gw $NOBODY unshare -U -r "$NLC" listen
policy_a_in_force "user namespace requests"

echo "# ... and in a network namespace it owns, its own policy"
check_eq "push, then read back" "$OK
generation=1" $NOBODY unshare -U -r -n sh -c \
	"'$NLC' push '$B' && '$NLC' info | grep ^generation="
check_eq "join events there" "$OK" $NOBODY unshare -U -r -n "$NLC" listen
check_eq "set there" "$OK" $NOBODY unshare -U -r -n "$NLC" raw set mode:u8:1
policy_a_in_force "a user namespace's own policy"
NLC=$NLC_ROOT A=$A_ROOT B=$B_ROOT
rm -rf "$pub"

# A policy that drops keeps the module loaded, that of the user
# namespace's own network namespace until its asynchronous clean-up.
answer "clear the gateway's policy" "$OK" raw clear
check "rmmod m2mguard" module_remove

ktap_finish
