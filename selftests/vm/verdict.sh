#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every verdict, for IPv4 and IPv6, through the gateway of topology.sh:
# allowed flows are delivered, each drop reason drops, audit mode delivers
# and counts, and the counters are exact (K packets of S bytes: K and K*S
# under the right reason, endpoint, class and country).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

K=5		# packets per flow
S=100		# ICMP payload bytes
work=$(mktemp -d)
unload() { module_remove 2>/dev/null; rm -rf "$work"; }
LIB_CLEANUP=unload

check "insmod m2mguard.ko" insmod "$MODULE"
check "topology" topo_create
topo_geo > "$work/geo.csv"
topo_policy "$work/geo.csv" > "$work/policy.yaml"
check "load the policy" "$M2MCTL" -n m2m-gw policy load "$work/policy.yaml"

# flow NAME DEV DST EXPECT(pass|drop)
flow()
{
	if [ "$4" = pass ]; then
		check "$1 delivered" ping_from "$2" "$3" "$K" "$S"
	else
		check "$1 dropped" not ping_from "$2" "$3" "$K" "$S"
	fi
}

# Expected: FAMILY IP-HEADER-BYTES
for fam in 4 6; do
	if [ $fam = 4 ]; then
		set -- $EP4; hdr=28; jurbytes=$((K * (S + 28)))
	else
		set -- $EP6; hdr=48
	fi
	bytes=$((K * (S + hdr)))
	check "stats reset" "$M2MCTL" -n m2m-gw stats reset

	flow "ipv$fam meters -> DE billing (allow)" m2m-dev1 "$1" pass
	flow "ipv$fam meters -> US cloud (residency)" m2m-dev1 "$2" drop
	flow "ipv$fam meters -> FR (not-allowlisted)" m2m-dev1 "$3" drop
	flow "ipv$fam meters -> JP with SCC (allow-basis)" m2m-dev1 "$4" pass
	flow "ipv$fam meters -> DE service (no-consent)" m2m-dev1 "$5" drop
	flow "ipv$fam cameras -> DE billing (allow)" m2m-dev2 "$1" pass

	r='.reasons[] | select(.audited == false) |'
	check_eq "ipv$fam allow: packets" $((2 * K)) \
		stat_of m2m-gw "$r select(.reason == \"allow\") | .packets"
	check_eq "ipv$fam allow: bytes" $((2 * bytes)) \
		stat_of m2m-gw "$r select(.reason == \"allow\") | .bytes"
	for reason in residency not-allowlisted allow-basis no-consent; do
		check_eq "ipv$fam $reason: packets, bytes" "$K $bytes" \
			stat_of m2m-gw "$r select(.reason == \"$reason\") |
				\"\(.packets) \(.bytes)\""
	done
	check_eq "ipv$fam endpoint billing-de" "$((2 * K)) $((2 * bytes))" \
		stat_of m2m-gw '.endpoints[] | select(.endpoint == "billing-de")
			| "\(.packets) \(.bytes)"'
	check_eq "ipv$fam endpoint cloud-us" "$K $bytes" \
		stat_of m2m-gw '.endpoints[] | select(.endpoint == "cloud-us")
			| "\(.packets) \(.bytes)"'
	check_eq "ipv$fam class cameras allowed" "$K $bytes" \
		stat_of m2m-gw '.classes[] | select(.class == "cameras" and
			.reason == "allow") | "\(.packets) \(.bytes)"'
	check_eq "ipv$fam class meters residency" "$K $bytes" \
		stat_of m2m-gw '.classes[] | select(.class == "meters" and
			.reason == "residency") | "\(.packets) \(.bytes)"'
	check_eq "ipv$fam country DE (billing, service)" \
		"$((3 * K)) $((3 * bytes))" \
		stat_of m2m-gw '.countries[] | select(.country == "DE") |
			"\(.packets) \(.bytes)"'
	check_eq "ipv$fam country JP" "$K $bytes" \
		stat_of m2m-gw '.countries[] | select(.country == "JP") |
			"\(.packets) \(.bytes)"'

	# Audit: the would-be drops pass and count as audited.
	check "ipv$fam mode audit" "$M2MCTL" -n m2m-gw mode audit
	check "stats reset" "$M2MCTL" -n m2m-gw stats reset
	flow "ipv$fam audit: meters -> US cloud" m2m-dev1 "$2" pass
	flow "ipv$fam audit: meters -> FR" m2m-dev1 "$3" pass
	check_eq "ipv$fam audited residency" "$K $bytes" \
		stat_of m2m-gw '.reasons[] | select(.audited and
			.reason == "residency") | "\(.packets) \(.bytes)"'
	check_eq "ipv$fam audited not-allowlisted" "$K $bytes" \
		stat_of m2m-gw '.reasons[] | select(.audited and
			.reason == "not-allowlisted") | "\(.packets) \(.bytes)"'
	check "ipv$fam mode enforce" "$M2MCTL" -n m2m-gw mode enforce
done

# The policy's own mode is in force from each load.
topo_policy "$work/geo.csv" audit > "$work/audit.yaml"
check "load a policy in audit mode" \
	"$M2MCTL" -n m2m-gw policy load "$work/audit.yaml"
check_eq "its mode is in force" audit \
	sh -c "$M2MCTL -n m2m-gw -j status | jq -r .mode"
flow "policy audit: meters -> US cloud" m2m-dev1 198.51.100.1 pass
check "load it in enforce mode again" \
	"$M2MCTL" -n m2m-gw policy load "$work/policy.yaml"
check_eq "enforce is in force" enforce \
	sh -c "$M2MCTL -n m2m-gw -j status | jq -r .mode"
flow "policy enforce: meters -> US cloud" m2m-dev1 198.51.100.1 drop

check "unscoped traffic passes (gateway to endpoint)" \
	ping_from m2m-gw 203.0.113.1 1 8
check "rmmod m2mguard" module_remove

ktap_finish
