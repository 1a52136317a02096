#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads, registers its generic netlink family, answers m2mctl,
# and unloads cleanly.
. "$(dirname "$0")/../lib.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

check "insmod m2mguard.ko" insmod "$MODULE"
check_eq "m2mctl status reports the module version" "0.1.0" \
	sh -c "$M2MCTL -j status | jq -r .version"
check_eq "a new module has no policy (generation 0)" "0" \
	sh -c "$M2MCTL -j status | jq -r .generation"
check "m2mctl status in a new namespace" \
	sh -c "ip netns add m2m-t1 && $M2MCTL -n m2m-t1 status; \
	       rc=\$?; ip netns del m2m-t1; exit \$rc"
check "rmmod m2mguard" rmmod m2mguard
check_fail "m2mctl status without the module" 2 \
	"the m2mguard module is not loaded" "$M2MCTL" status

ktap_finish
