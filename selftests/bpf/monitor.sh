#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "m2mctl monitor" on the eBPF datapath, attached to a veth in this
# namespace:
#
#   this namespace                          m2m-mon-PID
#   m2m0 10.10.0.2/24 --------------------- m2m1 10.10.0.1/24
#   (IPv4 only: nothing unscoped counts)   endpoints, UDP port 5000:
#   tc egress: the datapath                 192.0.2.1            DE  billing
#   class "meters": 10.10.0.0/24,           192.0.2.2, 192.0.2.3 US  us
#   consent billing, zone EEA
#
# Drop events from the ring buffer with every field, the rate limit's
# suppressed count, counter snapshots with exact figures, a policy notice
# after a reload, text output, and the ends of --count and --timeout.
# Pins go to a BPF file system of the test's own mount namespace.

if [ -z "${M2M_MONITOR_MNTNS:-}" ] && [ "$(id -u)" = 0 ]; then
	M2M_MONITOR_MNTNS=1 exec unshare --mount --propagation private -- \
		"$0" "$@"
fi

. "$(dirname "$0")/../lib.sh"

require_root
mount -t bpf bpf /sys/fs/bpf || skip_all "cannot mount a BPF file system"

PEER=m2m-mon-$$
LEN=36		# bytes of each datagram's IP packet: 20 + 8 + "m2mguard"
work=$(mktemp -d)
mon=$work/monitor.json
txt=$work/monitor.txt
mon_pid=

cleanup()
{
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null && wait "$mon_pid"
	"$M2MCTL" -d bpf detach > /dev/null 2>&1
	rm -rf /sys/fs/bpf/m2mguard "$work"
}
LIB_CLEANUP=cleanup

[ -n "${M2M_STATE_DIR:-}" ] || export M2M_STATE_DIR=$work/state

# policy RATE PRIVACY: the policy of the picture, events and snapshots as
# given.
policy()
{
	cat <<-EOF
	settings:
	  events: { rate: $1, privacy: $2 }
	  counter-interval: 200
	purposes: [billing]
	geo: { format: none }
	classes:
	  - name: meters
	    sources: [10.10.0.0/24]
	    consent: [billing]
	    zone: eea
	endpoints:
	  - name: billing
	    destinations: [192.0.2.1]
	    protocol: udp
	    ports: [5000]
	    purposes: [billing]
	    jurisdiction: DE
	  - name: us
	    destinations: [192.0.2.2, 192.0.2.3]
	    protocol: udp
	    ports: [5000]
	    purposes: [billing]
	    jurisdiction: US
	EOF
}

topology()
{
	ip link set lo up &&
	ns_create "$PEER" &&
	ip link add m2m0 type veth peer name m2m1 &&
	ip link set m2m1 netns "$PEER" &&
	sysctl -qw net.ipv6.conf.m2m0.disable_ipv6=1 &&
	ip addr add 10.10.0.2/24 dev m2m0 &&
	ip link set m2m0 up &&
	ip -n "$PEER" addr add 10.10.0.1/24 dev m2m1 &&
	ip -n "$PEER" addr add 192.0.2.1/32 dev lo &&
	ip -n "$PEER" addr add 192.0.2.2/32 dev lo &&
	ip -n "$PEER" addr add 192.0.2.3/32 dev lo &&
	ip -n "$PEER" link set m2m1 up &&
	ip route add 192.0.2.0/24 via 10.10.0.1 &&
	ip neigh replace 10.10.0.1 dev m2m0 nud permanent lladdr \
		"$(ip -n "$PEER" -br link show m2m1 | awk '{ print $3 }')"
}

# udp DST N: N datagrams of one flow from 10.10.0.2 to DST, port 5000.
udp()
{
	local i

	for ((i = 0; i < $2; i++)); do
		printf m2mguard > "/dev/udp/$1/5000" || return 1
	done
}

# monitor_start FILE ARGS...: "m2mctl -v ARGS" in the background, until
# it listens.
monitor_start()
{
	local out=$1
	shift

	"$M2MCTL" -v "$@" > "$out" 2> "$out.err" &
	mon_pid=$!
	wait_for 10 grep -q listening "$out.err"
}

# monitor_exits SECONDS: the monitor ends by itself within SECONDS, with
# status 0.
monitor_exits()
{
	local pid=$mon_pid

	wait_for "$1" not kill -0 "$pid" || return 1
	mon_pid=
	wait "$pid"
}

# drops JQ-CONDITION: the drop events seen so far that match, less their
# time.
drops()
{
	jq -c "select(.type == \"drop\" and ($1)) | del(.time)" "$mon" \
		2> /dev/null
}

# snapshot GENERATION: the counters of its last snapshot, keys sorted.
snapshot()
{
	jq -cS "select(.type == \"counters\" and .generation == $1) |
		.counters" "$mon" 2> /dev/null | tail -n 1
}

# first_snapshot GENERATION: the counters of its first snapshot.
first_snapshot()
{
	jq -c "select(.type == \"counters\" and .generation == $1) |
		.counters" "$mon" 2> /dev/null | head -n 1
}

snapshot_is() { [ "$(snapshot "$1")" = "$2" ]; }
has_drop() { [ -n "$(drops "$1")" ]; }
has_type() { grep -q "\"type\":\"$1\"" "$mon"; }

# text_lines TYPE [N]: the first N (default all) text lines of TYPE (a
# grep pattern), less their time.
text_lines()
{
	grep " \($1\) " "$txt" | cut -d' ' -f2- | head -n "${2:--0}"
}

# timeout_run SECONDS FILE: a JSON monitor of SECONDS into FILE.
timeout_run()
{
	"$M2MCTL" -d bpf -j monitor --timeout "$1" > "$2"
}

# figures PACKETS: {"bytes":..,"packets":PACKETS} of datagrams of LEN.
figures() { echo "{\"bytes\":$(($1 * LEN)),\"packets\":$1}"; }

check_fail "no datapath: refused" 2 "the BPF datapath is not set up" \
	"$M2MCTL" -d bpf monitor --timeout 1
check_fail "bad count" 1 "bad count \`x'" \
	"$M2MCTL" -d bpf monitor --count x
check "topology" topology
policy 1 raw > "$work/policy1.yaml"
policy 100 truncate > "$work/policy2.yaml"
check "load the policy" "$M2MCTL" -d bpf policy load "$work/policy1.yaml"
check "attach to m2m0" "$M2MCTL" -d bpf attach dev m2m0

check "monitor listens" monitor_start "$mon" -d bpf -j monitor --count 3 \
	--timeout 15

# Rate 1: the first drop is reported; the rest of its flow and the first
# packet of another flow in the same second are suppressed, and counted
# in the next event of that class and reason, a window later.
check "residency drops, one window" udp 192.0.2.2 3
check "another flow, same window" udp 192.0.2.3 1
check "allowed packets" udp 192.0.2.1 2
check "first event" wait_for 5 has_drop true
sleep 1.1
check "another flow, next window" udp 192.0.2.3 1
check "second event" wait_for 5 has_drop '.dst == "192.0.2.3"'
check_eq "first event: fields" \
	'{"type":"drop","generation":1,"reason":"residency","audited":false,'\
'"class":"meters","endpoint":"us","jurisdiction":"US","proto":"udp",'\
'"dst":"192.0.2.2","dport":5000,"src":"10.10.0.2","src_kind":"raw",'\
'"suppressed":0}' \
	drops '.dst == "192.0.2.2"'
check_eq "second event: three suppressed" \
	'{"type":"drop","generation":1,"reason":"residency","audited":false,'\
'"class":"meters","endpoint":"us","jurisdiction":"US","proto":"udp",'\
'"dst":"192.0.2.3","dport":5000,"src":"10.10.0.2","src_kind":"raw",'\
'"suppressed":3}' \
	drops '.dst == "192.0.2.3"'

# Every counter that is not zero, and no other.
want="{\"class:meters:allow\":$(figures 2),"
want+="\"class:meters:residency\":$(figures 5),"
want+="\"country:DE\":$(figures 2),\"country:US\":$(figures 5),"
want+="\"endpoint:billing\":$(figures 2),\"endpoint:us\":$(figures 5),"
want+="\"reason:allow\":$(figures 2),\"reason:residency\":$(figures 5)}"
wait_for 5 snapshot_is 1 "$want"
check_eq "counter snapshot: exact figures" "$want" snapshot 1

# A reload: the notice with the new generation and hash, then snapshots
# of the new policy's counters, which start from zero.
check "reload the policy" "$M2MCTL" -d bpf policy load "$work/policy2.yaml"
check "policy notice" wait_for 5 has_type policy
check_eq "policy notice: generation and hash" \
	"$("$M2MCTL" -d bpf -j status | jq -r '"2 \(.policy_hash)"')" \
	jq -r 'select(.type == "policy") | "\(.generation) \(.policy_hash)"' \
	"$mon"
check "snapshot of the new policy" wait_for 5 \
	grep -q '"type":"counters","generation":2' "$mon"
check_eq "new policy: no counters yet" null first_snapshot 2

# The third drop event, under the new privacy setting, ends the monitor.
check "drop under the new policy" udp 192.0.2.2 1
check "--count 3: the monitor ends by itself" monitor_exits 5
check_eq "third event: truncated source" \
	'{"type":"drop","generation":2,"reason":"residency","audited":false,'\
'"class":"meters","endpoint":"us","jurisdiction":"US","proto":"udp",'\
'"dst":"192.0.2.2","dport":5000,"src":"10.10.0.0/24",'\
'"src_kind":"truncated","suppressed":0}' \
	drops '.generation == 2'
check_eq "three drop events in all" 3 grep -c '"type":"drop"' "$mon"

# Text from the same calls, the datapath found without -d: a snapshot,
# then a reload and a drop at once, the notice first.
check "text monitor listens" monitor_start "$txt" monitor --count 1 \
	--timeout 10
check "text snapshot" wait_for 5 grep -q ' counters ' "$txt"
want="counters generation=2 reason:residency=1/$LEN endpoint:us=1/$LEN"
want+=" class:meters:residency=1/$LEN country:US=1/$LEN"
check_eq "text snapshot line" "$want" text_lines counters 1
check "reload the policy again" \
	"$M2MCTL" -d bpf policy load "$work/policy2.yaml"
check "drop for the text monitor" udp 192.0.2.3 1
check "text monitor ends by itself" monitor_exits 5
want="policy generation=3 policy_hash="
want+=$("$M2MCTL" -d bpf -j status | jq -r .policy_hash)
want+=$'\n'"drop generation=3 reason=residency audited=no class=meters"
want+=" endpoint=us jurisdiction=US proto=udp dst=192.0.2.3 dport=5000"
want+=" src=10.10.0.0/24 src_kind=truncated suppressed=0"
check_eq "text notice, then drop" "$want" text_lines 'policy\|drop'

# --timeout: snapshots only, and the end after a second.
t0=$(date +%s%N)
check "--timeout 1: exit status 0" timeout_run 1 "$work/timeout.json"
ms=$((($(date +%s%N) - t0) / 1000000))
check "--timeout 1: ends after 1 s ($ms ms)" test "$ms" -ge 1000 -a \
	"$ms" -lt 4000
check "--timeout 1: counter snapshots" \
	grep -q '"type":"counters","generation":3' "$work/timeout.json"
check "--timeout 1: no drop events" \
	not grep -q '"type":"drop"' "$work/timeout.json"

# events set changes the settings in force until the next load.
check "events set privacy raw rate 0" \
	"$M2MCTL" -d bpf events set privacy raw rate 0
check_eq "events set: in force" "raw 0" \
	sh -c "'$M2MCTL' -d bpf -j status | jq -r '\"\\(.privacy) \\(.event_rate)\"'"
check "events set: a bad privacy is refused" \
	not "$M2MCTL" -d bpf events set privacy none

check "detach" "$M2MCTL" -d bpf detach
ktap_finish
