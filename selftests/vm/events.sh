#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "events" group through the gateway of topology.sh, watched by
# "m2mctl monitor" in m2m-gw: a policy notice on load, drop events with
# exact fields, one event per flow, at most RATE events per second per
# class and reason with every drop accounted for (events + suppressed ==
# drops), no raw source address unless asked for, truncated and raw
# sources, audited drops, counter snapshots, and the monitor's exits.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/topology.sh"

require_root
[ -n "${M2M_IN_VM:-}" ] || skip_all "runs inside scripts/vm"

RATE=10
FLOOD=200
work=$(mktemp -d)
mon=$work/monitor.json
mon_pid=

unload()
{
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null && wait "$mon_pid"
	module_remove 2>/dev/null
	rm -rf "$work"
}
LIB_CLEANUP=unload

# The policy of topology.sh with event settings and quick snapshots.
events_policy()
{
	topo_policy "$1" | awk -v rate="$RATE" '{ print }
		/^settings:$/ {
			print "  events: { rate: " rate ", privacy: pseudonym }"
			print "  counter-interval: 500"
		}'
}

# monitor_start FILE ARGS...: "m2mctl -v monitor ARGS" in m2m-gw, in the
# background, until it listens.
monitor_start()
{
	local out=$1
	shift

	"$M2MCTL" -n m2m-gw -v "$@" > "$out" 2> "$out.err" &
	mon_pid=$!
	wait_for 10 grep -q listening "$out.err"
}

# drops JQ-CONDITION [JQ-OUTPUT]: the drop events seen so far that match.
drops()
{
	jq -rc "select(.type == \"drop\" and ($1)) | ${2:-.}" "$mon"
}

has_drop() { [ -n "$(drops "$1")" ]; }
count_drops() { drops "$1" | wc -l; }
has_type() { grep -q "\"type\":\"$1\"" "$mon"; }
status_of() { "$M2MCTL" -n m2m-gw -j status | jq -r "$1"; }

fields='"\(.reason) \(.audited) \(.class) \(.endpoint) \(.jurisdiction)'
fields+=' \(.proto) \(.dst) \(.dport)"'

check "insmod m2mguard.ko" insmod "$MODULE"
check "topology" topo_create
topo_geo > "$work/geo.csv"
events_policy "$work/geo.csv" > "$work/policy.yaml"

check "monitor listens" monitor_start "$mon" -j monitor --timeout 300
check "load the policy" "$M2MCTL" -n m2m-gw policy load "$work/policy.yaml"
check "policy notice on load" wait_for 5 has_type policy
check_eq "policy notice: generation and hash" \
	"$(status_of '"\(.generation) \(.policy_hash)"')" \
	jq -r 'select(.type == "policy") | "\(.generation) \(.policy_hash)"' \
	"$mon"
check_eq "the policy's event settings apply" "$RATE pseudonym 500" \
	status_of '"\(.event_rate) \(.privacy) \(.counter_interval_ms)"'

# Drops, with every field.
udp_from m2m-dev1 198.51.100.1 443
check "ipv4 drop: event" wait_for 5 has_drop '.dport == 443'
check_eq "ipv4 drop: fields" \
	"residency false meters cloud-us US udp 198.51.100.1 443" \
	drops '.dport == 443' "$fields"
ping_from m2m-dev1 2001:db8:3::1 1 8
check "ipv6 drop: event" wait_for 5 has_drop '.dst == "2001:db8:3::1"'
check_eq "ipv6 drop: fields" \
	"not-allowlisted false meters null FR icmpv6 2001:db8:3::1 0" \
	drops '.dst == "2001:db8:3::1"' "$fields"
check_eq "default privacy: sources are pseudonyms" 2 \
	count_drops '(.dport == 443 or .dst == "2001:db8:3::1") and
		.src_kind == "pseudonym" and (.src | test("^[0-9a-f]{16}$"))'
check "default privacy: no source address in the events" \
	not grep -q -e '10\.1\.0\.2' -e 'fd01::2' "$mon"

# One event per flow: five echo requests, one event; the next event of
# that class and reason carries the other four as suppressed.
ping_from m2m-dev2 198.51.100.1 5 8
udp_from m2m-dev2 198.51.100.1 53
check "one flow, one event" wait_for 5 has_drop '.dport == 53'
check_eq "one flow, one event: count" 1 \
	count_drops '.class == "cameras" and .proto == "icmp"'
check_eq "one flow, one event: suppressed" 4 \
	drops '.class == "cameras" and .dport == 53' .suppressed

# A flood of distinct flows: at most RATE events per started second, and
# the events with their suppressed counts add up to the drops.
check "stats reset" "$M2MCTL" -n m2m-gw stats reset
mark=$(wc -l < "$mon")
t0=$(date +%s%N)
ip netns exec m2m-dev1 bash -c "for p in \$(seq 1000 $((999 + FLOOD))); do
	echo m2m > /dev/udp/198.51.100.1/\$p; done"
secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
flush_n=0
flush()
{
	flush_n=$((flush_n + 1))
	udp_from m2m-dev1 198.51.100.1 $((3000 + flush_n))
	wait_for 1 has_drop ".dport == $((3000 + flush_n))"
}
check "flood: a drop after the window is reported" wait_for 15 flush
flood_events()
{
	tail -n "+$((mark + 1))" "$mon" | jq -r "select(.type == \"drop\" and
		.class == \"meters\" and .reason == \"residency\") | $1"
}
flood_sum()
{
	flood_events '1 + .suppressed' | awk '{ n += $1 } END { print n + 0 }'
}
n=$(flood_events .dport | awk '$1 < 3000' | wc -l)
echo "# flood: $FLOOD drops in ${secs}s, $n events"
check "flood: rate limited (at most $((RATE * (secs + 1))))" \
	test "$n" -ge 1 -a "$n" -le $((RATE * (secs + 1)))
check_eq "flood: events + suppressed == drops" \
	"$(stat_of m2m-gw '.classes[] | select(.class == "meters" and
		.reason == "residency" and (.audited | not)) | .packets')" \
	flood_sum

# Audited would-be drops are reported as such.
check "mode audit" "$M2MCTL" -n m2m-gw mode audit
check "audit: the flow passes" ping_from m2m-dev1 2001:db8:2::1 1 8
check "audit: event" wait_for 5 has_drop '.dst == "2001:db8:2::1"'
check_eq "audit: fields" \
	"residency true meters cloud-us US icmpv6 2001:db8:2::1 0" \
	drops '.dst == "2001:db8:2::1"' "$fields"
check "mode enforce" "$M2MCTL" -n m2m-gw mode enforce

# Truncated and raw sources.
check "privacy truncate" "$M2MCTL" -n m2m-gw events set privacy truncate
udp_from m2m-dev1 203.0.113.1 5001
ping_from m2m-dev1 2001:db8:5::1 1 8
check "truncate: events" wait_for 5 has_drop '.dst == "2001:db8:5::1"'
check_eq "truncate: ipv4 /24" "truncated 10.1.0.0/24" \
	drops '.dport == 5001' '"\(.src_kind) \(.src)"'
check_eq "truncate: ipv6 /48" "truncated fd01::/48" \
	drops '.dst == "2001:db8:5::1"' '"\(.src_kind) \(.src)"'
check "privacy raw" "$M2MCTL" -n m2m-gw events set privacy raw
udp_from m2m-dev1 198.18.1.1 5002
check "raw: event" wait_for 5 has_drop '.dport == 5002'
check_eq "raw: the address" "raw 10.1.0.2" \
	drops '.dport == 5002' '"\(.src_kind) \(.src)"'

# Rate 0: no events, and nothing counted as suppressed.
check "rate 0" "$M2MCTL" -n m2m-gw events set rate 0
udp_from m2m-dev1 203.0.113.1 6000
check "rate back to $RATE" "$M2MCTL" -n m2m-gw events set rate $RATE
udp_from m2m-dev1 203.0.113.1 6001
check "rate 0: the next event arrives" wait_for 5 has_drop '.dport == 6001'
check_eq "rate 0: nothing sent" 0 count_drops '.dport == 6000'
check_eq "rate 0: nothing suppressed" 0 drops '.dport == 6001' .suppressed

# Counter snapshots arrive while somebody listens.
check "counter snapshot" wait_for 5 grep -q '"reason:residency"' "$mon"
check_eq "counter snapshot: generation" 1 \
	sh -c "jq -r 'select(.type == \"counters\") | .generation' $mon |
	       tail -n 1"
check_eq "no events lost" 0 status_of .events_lost

# The monitor in text, stopping after one event, and after its timeout.
text=$work/monitor.txt
monitor_text()
{
	local pid

	"$M2MCTL" -n m2m-gw -v monitor --count 1 --timeout 30 > "$text" \
		2> "$text.err" &
	pid=$!
	wait_for 10 grep -q listening "$text.err" || return 1
	udp_from m2m-dev1 203.0.113.1 7000
	wait "$pid"
}
check "monitor --count 1: exits 0 after one event" monitor_text
check "monitor text: one line, key=value" \
	grep -Eq '^[0-9T:.-]+Z drop .*reason=not-allowlisted audited=no class=meters endpoint=- jurisdiction=FR proto=udp dst=203\.0\.113\.1 dport=7000 src=10\.1\.0\.2 src_kind=raw suppressed=0$' \
	"$text"
check "monitor --timeout 1: exits 0" \
	timeout 20 "$M2MCTL" -n m2m-gw monitor --timeout 1
check_fail "events set: bad privacy" 1 "unknown privacy \`loud'" \
	"$M2MCTL" -n m2m-gw events set privacy loud
check_fail "events set: rate out of range" 1 "bad event rate" \
	"$M2MCTL" -n m2m-gw events set rate 100001
check_fail "monitor: bad count" 1 "bad count" \
	"$M2MCTL" -n m2m-gw monitor --count x
check_fail "monitor without CAP_NET_ADMIN" 2 "it needs CAP_NET_ADMIN" \
	setpriv --bounding-set -net_admin --inh-caps -net_admin \
	"$M2MCTL" monitor --timeout 1

kill "$mon_pid"
wait "$mon_pid"
check_eq "monitor: exits 0 on SIGTERM" 0 echo $?
mon_pid=
check "rmmod m2mguard" module_remove

ktap_finish
