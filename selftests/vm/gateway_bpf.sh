#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A gateway's boot with the eBPF datapath and no module: scripts/
# m2mguard-start with DATAPATH=bpf enforcing in m2m-gw under the floods of
# gateway_lib.sh, attached to the uplink g9 and to a cgroup of its own.
#
#   boot     forwarding off, guard up, forwarding on, the floods; the
#            failsafe lets SSH reach the gateway, nothing else does; then
#            the start script: the policy in the eBPF datapath, attached
#            to both targets, the guard down, the last good policy kept,
#            X reached and Z never
#   attach   a restart with a device that does not exist: the others
#            are attached again, the start fails loudly, and the guard
#            goes up over the policy in force, the failsafe still letting
#            SSH reach the gateway
#   fixed    a reload attaches everywhere and takes the guard down; stop
#            leaves the datapath enforcing. Still one filter on g9 and one
#            link on the cgroup, and under the floods, Z never reached
#   broken   the datapath gone, a policy file that does not parse: the
#            last good policy is put in force and attached, and says so
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/gateway_lib.sh"

PINS=/sys/fs/bpf/m2mguard
CG=$work/cgroup/m2m-gateway

bpf_remove()
{
	"$M2MCTL" -d bpf detach > /dev/null 2>&1
	rm -rf "$PINS"
}

bpf_cleanup()
{
	bpf_remove
	rmdir "$CG" 2>/dev/null
	umount "$work/cgroup" 2>/dev/null
}
GATEWAY_CLEANUP=bpf_cleanup

# The filters on g9's egress, and the cgroup links pinned.
filters() { gw tc filter show dev g9 egress | grep -c ' handle '; }
links() { find "$PINS/links" -name 'cgroup-*' | wc -l; }

# start_kept: start, its messages also kept in $work/start.err.
start_kept()
{
	start 2>&1 > /dev/null | tee "$work/start.err" >&2
	return "${PIPESTATUS[0]}"
}

mkdir -p "$work/cgroup"
if ! mount -t cgroup2 none "$work/cgroup" || ! mkdir "$CG"; then
	skip_all "cannot mount a cgroup2 hierarchy"
fi
bpf_remove
gateway_create DATAPATH=bpf "BPF_ATTACH=\"dev:g9 cgroup:$CG\""

echo "# boot: the guard, then the policy, then the attachments"
check "no module" test ! -d /sys/module/m2mguard
gateway_boot
check_eq "the eBPF datapath enforces" bpf \
	eval '"$M2MCTL" -d bpf -j status | jq -r .datapath'
check_eq "one filter on g9" 1 filters
check_eq "one link on the cgroup" 1 links

echo "# an attach fails, over the policy in force"
conf=$M2M_CONF_DIR/m2mguard.conf
sed -i 's|^BPF_ATTACH="dev:g9 |&dev:m2m-none0 |' "$conf"
flood_start
check_fail "start fails, loudly" 1 \
	"NOT ATTACHED TO EVERY TARGET: the fail-closed guard stays up" \
	start_kept
check "and says where" grep -qF "cannot attach to dev m2m-none0" \
	"$work/start.err"
check "the others attached again, then the guard up" sh -c \
	"grep -e 'attached to' -e 'guard up' '$work/start.err' | tr '\n' ' ' |
	 grep -q 'dev g9 .*attached to cgroup .*fail-closed guard up'"
check "the guard is up" guard_up
check "the guard drops the governed floods" wait_for 10 \
	guard_drops_at_least 20
check_eq "failsafe: SSH reaches the gateway" ssh-gw greeting 10.1.0.1 22

echo "# fixed: reload, stop"
sed -i 's| dev:m2m-none0||' "$conf"
check_fail "reload: attached again" 0 "attached to dev g9" start reload
check "the guard is down" not guard_up
check "stop" start stop
n=$(arrived x)
check "X is reached" wait_for 10 arrived_at_least x $((n + 20))
sent=$(flood_stop)
check "the flood ran through them" test "${sent:-0}" -ge 100
check_eq "attach failure, reload, stop: nothing reached Z" 0 arrived z
check_eq "still one filter on g9" 1 filters
check_eq "still one link on the cgroup" 1 links
check "no module all along" test ! -d /sys/module/m2mguard

echo "# a broken policy file: the last good policy"
check "detach, unpin" bpf_remove
gateway_broken bpf
check_eq "attached again: one filter on g9" 1 filters

ktap_finish
