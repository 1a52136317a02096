#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Geo provenance of the policy in force: status and stats -j name the
# database the policy was compiled with (source, date, entries per
# family, sha256), read back from the module. A policy whose database
# is bad is never sent: exit 1, and the generation and the provenance in
# force stay as they were.
. "$(dirname "$0")/../lib.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

work=$(mktemp -d)
unload() { module_remove 2>/dev/null; rm -rf "$work"; }
LIB_CLEANUP=unload

# policy GEOFILE: one class, one endpoint that geo places.
policy()
{
	cat <<-YAML
	purposes: [metering]
	geo:
	  format: csv
	  file: $1
	classes:
	  - name: meters
	    sources: [10.1.0.0/24]
	    consent: [metering]
	    zone: eea
	endpoints:
	  - name: billing
	    destinations: [192.0.2.0/24]
	    purposes: [metering]
	YAML
}

printf '# exported 2026-05-04\n192.0.2.0/24,DE\n2001:db8::/32,UK\n' \
	> "$work/geo.csv"
printf '192.0.2.0/24,DE\n2001:db8::/3' > "$work/cut.csv"
policy "$work/geo.csv" > "$work/good.yaml"
policy "$work/cut.csv" > "$work/bad.yaml"
sha=$(sha256sum "$work/geo.csv" | cut -d' ' -f1)
want="$work/geo.csv 2026-05-04 1 1 $sha"
provenance='.geo | "\(.source) \(.date) \(.entries4) \(.entries6) \(.sha256)"'

check "insmod m2mguard.ko" insmod "$MODULE"
check_eq "status: no policy, no geo" "null" \
	eval '"$M2MCTL" -j status | jq -c .geo'
check "load a policy over a CSV database" \
	"$M2MCTL" policy load "$work/good.yaml"
check_eq "status: the database of the policy in force" "$want" \
	eval '"$M2MCTL" -j status | jq -r "$provenance"'
check_eq "stats -j: the same database" "$want" \
	eval '"$M2MCTL" -j stats | jq -r "$provenance"'
check "status: text names it" \
	eval '"$M2MCTL" status | grep -q "^  sha256: *$sha$"'

gen=$("$M2MCTL" -j status | jq -r .generation)
check_fail "policy load: a truncated database is refused, nothing sent" 1 \
	"bad geo database: $work/cut.csv:2: truncated last line" \
	"$M2MCTL" policy load "$work/bad.yaml"
check_eq "the generation in force stays" "$gen" \
	eval '"$M2MCTL" -j status | jq -r .generation'
check_eq "and so does its database" "$want" \
	eval '"$M2MCTL" -j status | jq -r "$provenance"'
check "rmmod m2mguard" module_remove

ktap_finish
