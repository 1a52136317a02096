#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module cannot be unloaded while a policy that can drop is in force:
# each such namespace holds one module reference (refcnt), taken and
# dropped as policies and modes change. "m2mctl policy unload"
# (POLICY_CLEAR) lifts a policy; deleting a namespace drops its
# reference too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

work=$(mktemp -d)
cleanup() { module_remove 2>/dev/null; rm -rf "$work"; }
LIB_CLEANUP=cleanup

refcnt() { cat /sys/module/m2mguard/refcnt; }
refcnt_is() { [ "$(refcnt)" = "$1" ]; }

# policy NAME CLASS-MODE ENDPOINT-MODE: the policy of topology.sh with a
# mode for both classes and one for the endpoint "billing-de" (or none).
policy()
{
	topo_policy "$work/geo.csv" | awk -v c="$2" -v e="$3" '{ print }
		/- name: (meters|cameras)$/ && c { print "    mode: " c }
		/- name: billing-de$/ && e { print "    mode: " e }' \
		> "$work/$1.yaml"
}

topo_geo > "$work/geo.csv"
policy plain "" ""
policy classes-audit audit ""
policy one-endpoint audit enforce

check "insmod m2mguard.ko" insmod "$MODULE"
check_eq "no policy: no reference" 0 refcnt
check_fail "unload without a policy" 2 "Error: no policy is loaded" \
	"$M2MCTL" policy unload

check "load a policy" "$M2MCTL" policy load "$work/plain.yaml"
check_eq "an enforcing policy holds the module" 1 refcnt
check_fail "rmmod: in use" 1 "in use" rmmod m2mguard
check_eq "a new policy in its place: still one" 1 sh -c \
	"'$M2MCTL' policy load '$work/plain.yaml' > /dev/null && cat \
	 /sys/module/m2mguard/refcnt"
check "mode audit" "$M2MCTL" mode audit
check_eq "audit only counts: no reference" 0 refcnt
check "mode enforce" "$M2MCTL" mode enforce
check_eq "enforcing again" 1 refcnt

check "every class audits" "$M2MCTL" policy load "$work/classes-audit.yaml"
check_eq "nothing can drop: no reference" 0 refcnt
check "but one endpoint enforces" \
	"$M2MCTL" policy load "$work/one-endpoint.yaml"
check_eq "it can drop: a reference" 1 refcnt

check_fail "unload without CAP_NET_ADMIN: refused" 2 \
	"Error: Operation not permitted" \
	setpriv --bounding-set -net_admin --inh-caps -net_admin \
	"$M2MCTL" policy unload
check_eq "and the policy stays" 1 refcnt
check "m2mctl policy unload" "$M2MCTL" policy unload
check_eq "unloaded: no reference" 0 refcnt
check_eq "status: no policy" null \
	eval '"$M2MCTL" -j status | jq -r .policy_hash'

echo "# one reference per namespace; a deleted namespace drops its own"
check "two namespaces" ns_create m2m-u1 m2m-u2
check "a policy in each" sh -c \
	"'$M2MCTL' -n m2m-u1 policy load '$work/plain.yaml' &&
	 '$M2MCTL' -n m2m-u2 policy load '$work/plain.yaml'"
check_eq "two references" 2 refcnt
check "delete one namespace" ip netns del m2m-u1
check "its reference goes with it" wait_for 10 refcnt_is 1
check "unload the other" "$M2MCTL" -n m2m-u2 policy unload
check_eq "none left" 0 refcnt
check "rmmod m2mguard" rmmod m2mguard

ktap_finish
