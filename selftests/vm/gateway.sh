#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A gateway's boot with the module: scripts/m2mguard-start enforcing in
# m2m-gw under the floods of gateway_lib.sh.
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
. "$(dirname "$0")/gateway_lib.sh"

gateway_create

echo "# boot: the guard, then the module, then the policy"
gateway_boot check "insmod: the module, no policy yet" insmod "$MODULE"

echo "# rmmod"
check_fail "rmmod while the policy enforces: in use" 1 "in use" \
	rmmod m2mguard
check "m2mctl policy unload" "$M2MCTL" -n m2m-gw policy unload
check "rmmod after the unload" rmmod m2mguard

echo "# a broken policy file: the last good policy"
gateway_broken kmod

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
flood_stop > /dev/null
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
