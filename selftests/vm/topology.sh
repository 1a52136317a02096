# SPDX-License-Identifier: GPL-2.0
#
# The gateway topology of the module tests, sourced after lib.sh.
#
#   m2m-dev1  10.1.0.2/24  fd01::2/64     class "meters"
#        \
#         m2m-gw  (the module's hooks run here; forwards between its sides)
#        /      \
#   m2m-dev2     m2m-ep  10.9.0.2/24  fd09::2/64, and the endpoints:
#   10.1.1.2/24          192.0.2.1      2001:db8:1::1   DE  allowlisted
#   fd01:1::2/64         198.51.100.1   2001:db8:2::1   US  allowlisted
#   class "cameras"      203.0.113.1    2001:db8:3::1   FR  not allowlisted
#                        198.18.0.1     2001:db8:4::1   JP  basis (SCC)
#                        198.18.1.1     2001:db8:5::1   DE  maintenance only
#
# A small CSV geo database maps the endpoint prefixes to those countries.

EP4="192.0.2.1 198.51.100.1 203.0.113.1 198.18.0.1 198.18.1.1"
EP6="2001:db8:1::1 2001:db8:2::1 2001:db8:3::1 2001:db8:4::1 2001:db8:5::1"

topo_geo()
{
	cat <<-'CSV'
	192.0.2.0/24,DE
	198.51.100.0/24,US
	203.0.113.0/24,FR
	198.18.0.0/24,JP
	198.18.1.0/24,DE
	2001:db8:1::/48,DE
	2001:db8:2::/48,US
	2001:db8:3::/48,FR
	2001:db8:4::/48,JP
	2001:db8:5::/48,DE
	CSV
}

# topo_policy GEOFILE [MODE]: the policy of the tests.
topo_policy()
{
	cat <<-YAML
	settings:
	  mode: ${2:-enforce}
	purposes: [metering, billing, maintenance]
	geo:
	  format: csv
	  file: $1
	classes:
	  - name: meters
	    sources: [10.1.0.0/24, "fd01::/64"]
	    consent: [metering, billing]
	    zone: eea
	  - name: cameras
	    sources: [10.1.1.0/24, "fd01:1::/64"]
	    consent: [maintenance]
	    zone: eea
	endpoints:
	  - name: billing-de
	    destinations: [192.0.2.0/24, "2001:db8:1::/48"]
	    purposes: [billing, maintenance]
	  - name: cloud-us
	    destinations: [198.51.100.0/24, "2001:db8:2::/48"]
	    purposes: [metering]
	  - name: vendor-jp
	    destinations: [198.18.0.0/24, "2001:db8:4::/48"]
	    purposes: [metering, maintenance]
	    transfer-basis: { type: scc, reference: "SCC 2021/914 test" }
	  - name: service-de
	    destinations: [198.18.1.0/24, "2001:db8:5::/48"]
	    purposes: [maintenance]
	YAML
}

# Each namespace is set up by one "ip -batch": under TCG every process
# costs a quarter of a second, and this topology takes some fifty steps.
topo_create()
{
	local a

	ns_create m2m-dev1 m2m-dev2 m2m-gw m2m-ep || return 1
	ip -n m2m-gw -batch - <<-EOF || return 1
	link add g1 type veth peer name d1 netns m2m-dev1
	link add g2 type veth peer name d2 netns m2m-dev2
	link add g9 type veth peer name e9 netns m2m-ep
	link set g1 up
	link set g2 up
	link set g9 up
	addr add 10.1.0.1/24 dev g1
	addr add fd01::1/64 dev g1 nodad
	addr add 10.1.1.1/24 dev g2
	addr add fd01:1::1/64 dev g2 nodad
	addr add 10.9.0.1/24 dev g9
	addr add fd09::1/64 dev g9 nodad
	$(for a in $EP4; do echo "route add $a/32 via 10.9.0.2"; done)
	$(for a in $EP6; do echo "route add $a/128 via fd09::2"; done)
	EOF
	ip netns exec m2m-gw sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	ip -n m2m-dev1 -batch - <<-EOF || return 1
	link set d1 up
	addr add 10.1.0.2/24 dev d1
	addr add fd01::2/64 dev d1 nodad
	route add default via 10.1.0.1
	route add ::/0 via fd01::1
	EOF
	ip -n m2m-dev2 -batch - <<-EOF || return 1
	link set d2 up
	addr add 10.1.1.2/24 dev d2
	addr add fd01:1::2/64 dev d2 nodad
	route add default via 10.1.1.1
	route add ::/0 via fd01:1::1
	EOF
	ip -n m2m-ep -batch - <<-EOF
	link set e9 up
	addr add 10.9.0.2/24 dev e9
	addr add fd09::2/64 dev e9 nodad
	route add default via 10.9.0.1
	route add ::/0 via fd09::1
	$(for a in $EP4; do echo "addr add $a/32 dev e9"; done)
	$(for a in $EP6; do echo "addr add $a/128 dev e9 nodad"; done)
	EOF
}

# udp_from NS DST PORT: one datagram of 4 bytes (32 on the wire over
# IPv4).
udp_from()
{
	ip netns exec "$1" bash -c "echo m2m > /dev/udp/$2/$3"
}

# ping_from NS DST COUNT SIZE: COUNT echo requests of SIZE payload bytes;
# succeeds if every one was answered.
ping_from()
{
	ip netns exec "$1" ping -q -n -c "$3" -s "$4" -i 0.01 -W 1 "$2" \
		> /dev/null 2>&1
}

# stat_of NS JQ-FILTER: one figure from "m2mctl -j stats --by ...".
stat_of()
{
	"$M2MCTL" -n "$1" -j stats --by reason --by endpoint --by class \
		--by country | jq -r "$2"
}
