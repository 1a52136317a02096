#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The eBPF datapath on the VM's kernel (Debian 6.1): the same BPF objects
# that run on the host load here (CO-RE), m2mctl sets the datapath up and
# attaches it to the gateway's uplink (g9 in topology.sh), and every
# verdict drops or delivers, counted exactly. The verifier's work on this
# kernel is reported by verdict_test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

K=5		# packets per flow
S=100		# ICMP payload bytes
work=$(mktemp -d)
cleanup()
{
	"$M2MCTL" -d bpf detach 2>/dev/null
	rm -rf /sys/fs/bpf/m2mguard "$work"
}
LIB_CLEANUP=cleanup

bpfctl() { "$M2MCTL" -d bpf "$@"; }

# stat JQ-FILTER: one figure of the BPF datapath's counters.
stat()
{
	bpfctl -j stats --by reason --by endpoint --by class --by country |
		jq -r "$1"
}

check "topology" topo_create
topo_geo > "$work/geo.csv"
topo_policy "$work/geo.csv" > "$work/policy.yaml"
check "load the policy into BPF maps" bpfctl policy load "$work/policy.yaml"
check_eq "status: datapath bpf" bpf \
	sh -c "'$M2MCTL' -d bpf -j status | jq -r .datapath"
check "attach to the gateway's uplink" bpfctl -n m2m-gw attach dev g9

for fam in 4 6; do
	if [ $fam = 4 ]; then set -- $EP4; hdr=28; else set -- $EP6; hdr=48; fi
	bytes=$((K * (S + hdr)))
	check "stats reset" bpfctl stats reset

	check "ipv$fam allow delivered" ping_from m2m-dev1 "$1" "$K" "$S"
	check "ipv$fam residency dropped" not ping_from m2m-dev1 "$2" "$K" "$S"
	check "ipv$fam not-allowlisted dropped" \
		not ping_from m2m-dev1 "$3" "$K" "$S"
	check "ipv$fam allow-basis delivered" ping_from m2m-dev1 "$4" "$K" "$S"
	check "ipv$fam no-consent dropped" not ping_from m2m-dev1 "$5" "$K" "$S"

	for reason in allow residency not-allowlisted allow-basis no-consent; do
		check_eq "ipv$fam $reason: packets, bytes" "$K $bytes" \
			stat ".reasons[] | select(.reason == \"$reason\") |
				\"\(.packets) \(.bytes)\""
	done
	check_eq "ipv$fam class meters residency" "$K $bytes" \
		stat '.classes[] | select(.class == "meters" and
			.reason == "residency") | "\(.packets) \(.bytes)"'
done

set -- $EP4
check "audit mode" bpfctl mode audit
check "audit: residency delivered" ping_from m2m-dev1 "$2" "$K" "$S"
check_eq "audit: counted as audited" "$K" \
	stat '.reasons[] | select(.reason == "residency" and .audited) |
		.packets'
check "enforce mode" bpfctl mode enforce
check "detach" bpfctl -n m2m-gw detach dev g9
check "detached: residency delivered" ping_from m2m-dev1 "$2" "$K" "$S"

# The verifier of this kernel, on the full geo policy (and its verdicts).
check "verdict_test on this kernel" \
	env M2M_VERDICT_PACKETS=2000 "$BUILD/selftests/bpf/verdict_test"

ktap_finish
