#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module as an operator drives it: only through m2mctl, in the gateway
# of topology.sh (commands run in m2m-gw).
#
#  1. policy load, and status showing it in force
#  2. a changed policy: load --dry-run reports exactly what it adds,
#     removes and alters, and nothing is swapped in; policy diff prints
#     the same report
#  3. explain against the policy in force: passes and drops (audits in
#     6), with the class and endpoint, where they are defined, and the
#     jurisdiction
#  4. a known number of packets, then stats in text, JSON (jq) and
#     Prometheus metrics (promtool), with exact figures
#  5. monitor sees a drop event
#  6. mode enforce -> audit -> enforce, in status, explain and the counters
#  7. refused loads (a bad prefix, a policy over max_policy_bytes) exit
#     with their status and leave the policy in force as it was
#
# Every verdict and the exact counters of each are verdict.sh's; the
# fields of events, their rate limit and privacy are events.sh's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"
PROMTOOL=${PROMTOOL:-${M2M_CACHE:-/var/cache/m2mguard}/bin/promtool}
[ -x "$PROMTOOL" ] ||
	skip_all "$PROMTOOL is missing: scripts/install-deps fetches it"

PARAM=/sys/module/m2mguard/parameters/max_policy_bytes
work=$(mktemp -d)
mon_pid=
unload()
{
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null && wait "$mon_pid"
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=unload

ctl() { "$M2MCTL" -n m2m-gw "$@"; }

# to FILE CMD...: CMD's output into FILE, to be looked at more than once.
to()
{
	local file=$1
	shift

	"$@" > "$file"
}

# in_force: the generation and hash of the policy in force.
in_force() { ctl -j status | jq -r '"\(.generation) \(.policy_hash)"'; }

# explained SRC DST PROTO [PORT]: the answer of explain, on one line.
explained()
{
	ctl -j explain "$@" | jq -r '[.verdict, .reason, .class.name,
		.class.defined, .endpoint.name, .endpoint.defined,
		.jurisdiction.code, .jurisdiction.source] | map(tostring) |
		join(" ")'
}

# line_of NAME FILE: the line where FILE defines NAME.
line_of() { grep -n -- "- name: $1\$" "$2" | cut -d: -f1; }

# residency_is N [AUDITED]: whether N packets were dropped (or audited)
# for residency.
residency_is()
{
	[ "$(ctl -j stats | jq ".reasons[] | select(.reason == \"residency\"
		and .audited == ${2:-false}) | .packets")" = "$1" ]
}

# changed_policy GEOFILE: the policy of topology.sh with class cameras
# removed, chargers added and the consent of meters narrowed; endpoint
# service-de removed, analytics-fr added, and cloud-us on IPv4 only and
# serving billing too.
changed_policy()
{
	cat <<-YAML
	settings:
	  mode: enforce
	purposes: [metering, billing, maintenance]
	geo:
	  format: csv
	  file: $1
	classes:
	  - name: meters
	    sources: [10.1.0.0/24, "fd01::/64"]
	    consent: [metering]
	    zone: eea
	  - name: chargers
	    sources: [10.1.2.0/24]
	    consent: [maintenance]
	    zone: eea
	endpoints:
	  - name: billing-de
	    destinations: [192.0.2.0/24, "2001:db8:1::/48"]
	    purposes: [billing, maintenance]
	  - name: cloud-us
	    destinations: [198.51.100.0/24]
	    purposes: [metering, billing]
	  - name: vendor-jp
	    destinations: [198.18.0.0/24, "2001:db8:4::/48"]
	    purposes: [metering, maintenance]
	    transfer-basis: { type: scc, reference: "SCC 2021/914 test" }
	  - name: analytics-fr
	    destinations: [203.0.113.0/24]
	    purposes: [maintenance]
	YAML
}

check "insmod m2mguard.ko" insmod "$MODULE"
check "topology" topo_create
# A geo file name with a double quote and a backslash, which the
# Prometheus label geo_source must escape.
geo=$work/'geo"1\2.csv'
topo_geo > "$geo"
topo_policy "$geo" > "$work/policy.yaml"
changed_policy "$geo" > "$work/changed.yaml"

echo "# 1. policy load"
check "policy load" to "$work/load" ctl policy load "$work/policy.yaml"
check_eq "policy load: generation 1" "generation:          1" \
	grep '^generation:' "$work/load"
check "status -j" to "$work/status.json" ctl -j status
check_eq "status: in force, enforcing" "enforce 1 64" \
	jq -r '"\(.mode) \(.generation) \(.policy_hash | length)"' \
	"$work/status.json"
live=$(jq -r '"\(.generation) \(.policy_hash)"' "$work/status.json")

echo "# 2. a changed policy: load --dry-run, diff"
dry=$work/dry.json
check "policy load --dry-run" \
	to "$dry" ctl -j policy load --dry-run "$work/changed.yaml"
check_eq "load --dry-run: classes added, removed, altered" \
	'{"added":["chargers"],"removed":["cameras"],"altered":[{"name":"meters","changed":"consent"}]}' \
	jq -c .classes "$dry"
check_eq "load --dry-run: endpoints added, removed, altered" \
	'{"added":["analytics-fr"],"removed":["service-de"],"altered":[{"name":"cloud-us","changed":"destinations, purposes"}]}' \
	jq -c .endpoints "$dry"
check_eq "load --dry-run: settings and geo as they were" \
	'[true,false,false,false]' \
	jq -c '[.loaded, .identical, .settings, .geo]' "$dry"
check_eq "load --dry-run: the policy in force is unchanged" "$live" in_force
check_eq "policy diff" "policy:              $work/changed.yaml
a policy is loaded:  yes
identical:           no
classes:
  added:
    class:               chargers
  removed:
    class:               cameras
  altered:
    class   changed
    meters  consent
endpoints:
  added:
    endpoint:            analytics-fr
  removed:
    endpoint:            service-de
  altered:
    endpoint  changed
    cloud-us  destinations, purposes
settings change:     no
geo database changes: no" ctl policy diff "$work/changed.yaml"

echo "# 3. explain against the policy in force"
meters=$(line_of meters "$work/policy.yaml")
cameras=$(line_of cameras "$work/policy.yaml")
billing=$(line_of billing-de "$work/policy.yaml")
cloud=$(line_of cloud-us "$work/policy.yaml")
check_eq "explain a pass: meters -> billing-de" \
	"pass allow meters line $meters billing-de line $billing DE geo" \
	explained 10.1.0.2 192.0.2.1 tcp 443
check_eq "explain a drop: meters -> cloud-us" \
	"drop residency meters line $meters cloud-us line $cloud US geo" \
	explained 10.1.0.2 198.51.100.1 udp 443
check_eq "explain a drop without endpoint: cameras -> FR" \
	"drop not-allowlisted cameras line $cameras null null FR geo" \
	explained 10.1.1.2 203.0.113.1 tcp 443
# The policy in force does not know its file; explain --policy does.
check "explain --policy FILE" to "$work/explain.json" \
	"$M2MCTL" -j explain --policy "$work/policy.yaml" 10.1.0.2 \
	198.51.100.1 udp 443
check_eq "explain --policy FILE: defined at FILE:LINE" \
	"$work/policy.yaml:$cloud" jq -r .endpoint.defined "$work/explain.json"

echo "# 4. stats of a known number of packets: text, JSON, Prometheus"
check "stats reset" ctl stats reset
check "3 echo requests to billing-de: delivered" \
	ping_from m2m-dev1 192.0.2.1 3 100
udp_from m2m-dev1 198.51.100.1 443
udp_from m2m-dev1 198.51.100.1 443
check "2 datagrams to cloud-us: counted" wait_for 5 residency_is 2

# The echo replies come from no class: unscoped.
check "stats" to "$work/stats" ctl stats
check_eq "stats: by reason" "by reason:
  reason     audited  packets  bytes
  unscoped   no       3        384
  allow      no       3        384
  residency  no       2        64" sed -n '/^by reason:/,$p' "$work/stats"

stats=$work/stats.json
check "stats -j" to "$stats" ctl -j stats --by reason --by endpoint \
	--by class
check "stats -j: valid JSON" jq -e . "$stats"
check_eq "stats -j: reasons" "unscoped 3 allow 3 residency 2" \
	jq -r '[.reasons[] | "\(.reason) \(.packets)"] | join(" ")' "$stats"
check_eq "stats -j: endpoints" "billing-de 3 cloud-us 2" \
	jq -r '[.endpoints[] | "\(.endpoint) \(.packets)"] | join(" ")' \
	"$stats"
check_eq "stats -j: class meters" "allow 3 residency 2" \
	jq -r '[.classes[] | select(.class == "meters") |
		"\(.reason) \(.packets)"] | join(" ")' "$stats"

metrics=$work/m2mguard.prom
series() { grep -qFx -- "$1" "$metrics"; }
check "stats --prometheus" to "$metrics" ctl stats --prometheus
check "stats --prometheus: promtool check metrics" \
	"$PROMTOOL" check metrics < "$metrics"
check "m2mguard_packets_total: allow 3" \
	series 'm2mguard_packets_total{reason="allow",audited="false"} 3'
check "m2mguard_bytes_total: residency 64" \
	series 'm2mguard_bytes_total{reason="residency",audited="false"} 64'
check "m2mguard_packets_total: every reason, zeros too" \
	series 'm2mguard_packets_total{reason="no-consent",audited="true"} 0'
check "m2mguard_class_packets_total: meters, residency 2" \
	series 'm2mguard_class_packets_total{class="meters",reason="residency",audited="false"} 2'
check "m2mguard_endpoint_packets_total: billing-de 3" \
	series 'm2mguard_endpoint_packets_total{endpoint="billing-de"} 3'
check "m2mguard_country_bytes_total: US 64" \
	series 'm2mguard_country_bytes_total{country="US"} 64'
check "m2mguard_policy_generation: 1" series "m2mguard_policy_generation 1"
read -r hash date sum < <(jq -r \
	'"\(.policy_hash) \(.geo.date) \(.geo.sha256)"' "$work/status.json")
esc=$(printf '%s' "$geo" | sed 's/[\\"]/\\&/g')
check "m2mguard_policy_info: hash and geo as status says, escaped" \
	series "m2mguard_policy_info{policy_hash=\"$hash\",geo_source=\"$esc\",geo_date=\"$date\",geo_sha256=\"$sum\"} 1"
check_fail "stats --prometheus with -j: a usage error" 1 \
	"\`--prometheus' cannot be combined with \`-j'" \
	ctl -j stats --prometheus

echo "# 5. monitor"
monitor_drop()
{
	local rc

	ctl -v monitor --count 1 --timeout 20 > "$work/mon" \
		2> "$work/mon.err" &
	mon_pid=$!
	wait_for 10 grep -q listening "$work/mon.err" || return 1
	udp_from m2m-dev1 198.51.100.1 5353
	wait "$mon_pid"
	rc=$?
	mon_pid=
	cat "$work/mon"
	return $rc
}
check "monitor --count 1: exits 0 after a drop" monitor_drop
check "monitor: the drop, with its reason" \
	grep -q ' drop .*reason=residency .*dport=5353 ' "$work/mon"

echo "# 6. mode enforce -> audit -> enforce"
mode_is() { ctl status | grep -qx "mode: *$1"; }
check "mode audit" ctl mode audit
check "status: audit" mode_is audit
check_eq "explain: the drop is only audited" \
	"audit residency meters line $meters cloud-us line $cloud US geo" \
	explained 10.1.0.2 198.51.100.1 udp 443
udp_from m2m-dev1 198.51.100.1 443
check "stats: counted as audited" wait_for 5 residency_is 1 true
check "mode enforce" ctl mode enforce
check "status: enforce" mode_is enforce
check_eq "explain: a drop again" \
	"drop residency meters line $meters cloud-us line $cloud US geo" \
	explained 10.1.0.2 198.51.100.1 udp 443

echo "# 7. refused loads leave the policy in force"
live=$(in_force)
sed 's|192.0.2.0/24|192.0.2.0/33|' "$work/policy.yaml" > "$work/bad.yaml"
at=$(awk '(c = index($0, "192.0.2.0/33")) { print NR ":" c; exit }' \
	"$work/bad.yaml")
check_fail "a bad prefix: exit 1, at its place" 1 \
	"$work/bad.yaml:$at: bad prefix '192.0.2.0/33'" \
	ctl policy load "$work/bad.yaml"
check_eq "a bad prefix: the policy in force is unchanged" "$live" in_force

check "compile the changed policy" \
	ctl policy compile "$work/changed.yaml" -o "$work/changed.bin"
max=$(cat "$PARAM")
echo $(($(stat -c %s "$work/changed.bin") - 1)) > "$PARAM"
check_fail "one byte over max_policy_bytes: exit 2" 2 \
	"Error: policy larger than the module parameter max_policy_bytes" \
	ctl policy load "$work/changed.bin"
echo "$max" > "$PARAM"
check_eq "over max_policy_bytes: the policy in force is unchanged" \
	"$live" in_force
# The changed policy would make this flow not-allowlisted.
check_eq "same verdict: meters -> service-de" \
	"drop no-consent meters line $meters service-de line $(line_of \
	service-de "$work/policy.yaml") DE geo" \
	explained 10.1.0.2 198.18.1.1 udp 53
check "same verdict: meters -> billing-de delivered" \
	ping_from m2m-dev1 192.0.2.1 1 8

check "rmmod m2mguard" module_remove

ktap_finish
