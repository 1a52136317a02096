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

topo_link()
{
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

topo_create()
{
	local a

	ns_create m2m-dev1 m2m-dev2 m2m-gw m2m-ep || return 1
	topo_link m2m-dev1 d1 m2m-gw g1 && topo_link m2m-dev2 d2 m2m-gw g2 &&
	topo_link m2m-gw g9 m2m-ep e9 || return 1

	ip netns exec m2m-gw sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
	ip -n m2m-dev1 addr add 10.1.0.2/24 dev d1
	ip -n m2m-dev1 addr add fd01::2/64 dev d1 nodad
	ip -n m2m-dev2 addr add 10.1.1.2/24 dev d2
	ip -n m2m-dev2 addr add fd01:1::2/64 dev d2 nodad
	ip -n m2m-gw addr add 10.1.0.1/24 dev g1
	ip -n m2m-gw addr add fd01::1/64 dev g1 nodad
	ip -n m2m-gw addr add 10.1.1.1/24 dev g2
	ip -n m2m-gw addr add fd01:1::1/64 dev g2 nodad
	ip -n m2m-gw addr add 10.9.0.1/24 dev g9
	ip -n m2m-gw addr add fd09::1/64 dev g9 nodad
	ip -n m2m-ep addr add 10.9.0.2/24 dev e9
	ip -n m2m-ep addr add fd09::2/64 dev e9 nodad
	ip -n m2m-dev1 route add default via 10.1.0.1
	ip -n m2m-dev1 -6 route add default via fd01::1
	ip -n m2m-dev2 route add default via 10.1.1.1
	ip -n m2m-dev2 -6 route add default via fd01:1::1
	ip -n m2m-ep route add default via 10.9.0.1
	ip -n m2m-ep -6 route add default via fd09::1
	for a in $EP4; do
		ip -n m2m-ep addr add "$a/32" dev e9
		ip -n m2m-gw route add "$a/32" via 10.9.0.2
	done
	for a in $EP6; do
		ip -n m2m-ep addr add "$a/128" dev e9 nodad
		ip -n m2m-gw -6 route add "$a/128" via fd09::2
	done
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
