#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mctl geo info, lookup and diff, through build/m2mctl:
#
#   lookup   a small MaxMind DB written by the Perl writer, against
#            mmdblookup at the first and the last address of every
#            network in it (listed by the pure-Perl MaxMind::DB::Reader,
#            not by the code under test)
#   UK       Debian's tor-geoipdb tags some ranges UK: read as GB
#   refused  malformed, truncated and empty Tor, CSV and MaxMind files,
#            by geo info, policy check and policy load; the load stops
#            before the kernel is asked (exit 1, not 2)
#   diff     one database written as a Tor pair, a CSV file and a
#            MaxMind DB, and an update of it that moves some ranges of a
#            gateway.yaml-like policy (no endpoint pinned): every pair of
#            formats names exactly the endpoints whose ranges moved
. "$(dirname "$0")/../lib.sh"

[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make ctl"
command -v jq > /dev/null || skip_all "no jq: run scripts/install-deps"
command -v mmdblookup > /dev/null ||
	skip_all "no mmdblookup: run scripts/install-deps"
perl -MMaxMind::DB::Writer::Tree -MMaxMind::DB::Reader -e 1 2> /dev/null ||
	skip_all "no MaxMind::DB::Writer: run scripts/install-deps"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup

# ---- tools: databases in three formats from one list ----

# mmdb FILE < "NETWORK country|registered_country|none CC" lines
cat > "$work/mmdb.pl" <<'PERL'
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my %types = (country => 'map', registered_country => 'map',
	     continent => 'map', iso_code => 'utf8_string',
	     code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6, record_size => 28, database_type => 'M2M-Country',
	languages => ['en'], description => { en => 'm2mguard test' },
	remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1,
	map_key_type_callback => sub { $types{ $_[0] } });
while (<STDIN>) {
	my ($net, $key, $cc) = split;
	next unless $net;
	my $data = $key eq 'none' ? { continent => { code => 'EU' } }
				  : { $key => { iso_code => $cc } };
	$tree->insert_network($net, $data);
}
open my $fh, '>:raw', $ARGV[0] or die "$ARGV[0]: $!";
$tree->write_tree($fh);
PERL
mmdb() { sed 's/ / country /' | perl "$work/mmdb.pl" "$1"; }

# The first and last address of every network of an IPv6 MaxMind DB;
# IPv4 (::/96) as IPv4.
cat > "$work/networks.pl" <<'PERL'
use strict;
use warnings;
use MaxMind::DB::Reader;
use Math::BigInt;
use Socket qw(AF_INET6 inet_ntop);

sub text {
	my ($n, $v4) = @_;
	my $hex = substr(('0' x 32) . substr($n->as_hex, 2), -32);

	return join('.', unpack('C4', pack('H8', substr($hex, 24))))
		if $v4;
	return inet_ntop(AF_INET6, pack('H32', $hex));
}

my $r = MaxMind::DB::Reader->new(file => $ARGV[0]);
$r->iterate_search_tree(sub {
	my ($ip, $len) = @_;
	my $first = Math::BigInt->new($ip);
	my $last = $first + Math::BigInt->new(2)->bpow(128 - $len) - 1;
	my $v4 = $len >= 96 && $last < Math::BigInt->new(2)->bpow(32);

	print text($first, $v4), "\n", text($last, $v4), "\n";
});
PERL

# tor BASE < "PREFIX CC" lines in address order: BASE (IPv4) and BASE6.
cat > "$work/tor.pl" <<'PERL'
use strict;
use warnings;
use Socket qw(AF_INET AF_INET6 inet_pton inet_ntop);

open my $v4, '>', $ARGV[0] or die;
open my $v6, '>', "$ARGV[0]6" or die;
print $v4 "# Generated: Thu, 25 Jun 2026 04:33:59 GMT\n";
print $v6 "# Generated: Thu, 25 Jun 2026 04:33:59 GMT\n";
while (<STDIN>) {
	my ($net, $cc) = split;
	next unless $net;
	my ($addr, $len) = split m{/}, $net;
	my $six = $addr =~ /:/;
	my $bits = $six ? 128 : 32;
	my $a = inet_pton($six ? AF_INET6 : AF_INET, $addr);
	my $host = ~pack('B*', ('1' x $len) . ('0' x ($bits - $len)));
	my $end = $a | $host;

	if ($six) {
		printf $v6 "%s,%s,%s\n", $addr, inet_ntop(AF_INET6, $end), $cc;
	} else {
		printf $v4 "%u,%u,%s\n", unpack('N', $a), unpack('N', $end),
			$cc;
	}
}
PERL
tor() { perl "$work/tor.pl" "$1"; }
csv() { sed 's/ /,/' > "$1"; }

# ---- geo lookup against mmdblookup, every network ----

networks="1.0.0.0/8 country FR
1.2.3.0/24 country UK
5.0.0.0/16 registered_country IT
6.0.0.0/8 none
185.0.0.0/10 country DE
185.16.0.0/12 country AT
223.255.255.0/24 country JP
2001:db8::/32 country NL
2001:db8:1::/48 registered_country BE
2a02::/16 country IE
2a02:8000::/17 country PL"
perl "$work/mmdb.pl" "$work/lookup.mmdb" <<< "$networks"
perl "$work/networks.pl" "$work/lookup.mmdb" > "$work/addresses"

# What mmdblookup says: country, else registered country, else unknown;
# UK as GB, as the loaders read it.
mmdb_says()
{
	local key out

	for key in country registered_country; do
		out=$(mmdblookup --file "$1" --ip "$2" "$key" iso_code \
			2> /dev/null | sed -n 's/.*"\(..\)" <utf8_string>.*/\1/p')
		if [ -n "$out" ]; then
			[ "$out" = UK ] && out=GB
			echo "$out"
			return
		fi
	done
	echo unknown
}

# Every address of FILE2 looked up in FILE by both; prints mismatches.
compare_lookups()
{
	local addr want got bad=0

	while read -r addr; do
		want=$(mmdb_says "$1" "$addr")
		got=$("$M2MCTL" geo lookup "$addr" --geo "$1" |
			sed -n 's/^country: *//p')
		if [ "$want" != "$got" ]; then
			echo "$addr: mmdblookup $want, m2mctl $got"
			bad=1
		fi
	done < "$2"
	return $bad
}

check "the MaxMind DB has IPv4 and IPv6 networks, aliases too" \
	eval '[ $(wc -l < "$work/addresses") -ge 100 ] &&
	      grep -q "^185\." "$work/addresses" &&
	      grep -q "^::ffff:" "$work/addresses" &&
	      grep -q "^2a02:" "$work/addresses"'
check "geo lookup = mmdblookup, first and last address of every network" \
	compare_lookups "$work/lookup.mmdb" "$work/addresses"
check_eq "geo lookup: the network that holds the address" \
	"1.2.3.0/24 GB United Kingdom" \
	eval '"$M2MCTL" -j geo lookup 1.2.3.4 --geo "$work/lookup.mmdb" |
		jq -r "\"\(.range) \(.country) \(.name)\""'
check_eq "geo lookup: no country, no registered country" \
	"unknown 6.0.0.0/8" \
	eval '"$M2MCTL" -j geo lookup 6.1.2.3 --geo "$work/lookup.mmdb" |
		jq -r "\"\(.country) \(.range)\""'
check_fail "geo lookup: not an address" 1 \
	"m2mctl: bad address '1.2.3'; expected an IPv4 or IPv6 address" \
	"$M2MCTL" geo lookup 1.2.3 --geo "$work/lookup.mmdb"
check_fail "geo lookup: unknown format" 1 \
	"m2mctl: unknown geo format 'maxmind'; expected tor, csv, mmdb or auto" \
	"$M2MCTL" geo lookup 1.2.3.4 --geo "$work/lookup.mmdb" --format maxmind

# ---- UK in Debian's tor-geoipdb ----

TOR4=/usr/share/tor/geoip
TOR6=/usr/share/tor/geoip6
if [ -r "$TOR4" ] && [ -r "$TOR6" ]; then
	uk=$(cat "$TOR4" "$TOR6" | grep -c ',UK$')
	check_eq "geo info: the $uk UK ranges of tor-geoipdb read as GB" \
		"tor $uk 385602" \
		eval '"$M2MCTL" -j geo info "$TOR4" "$TOR6" |
			jq -r "\"\(.format) \(.uk_as_gb) \(.entries.ipv4)\""'
	line=$(grep -n -m1 ',UK$' "$TOR4")
	start=${line#*:}
	start=${start%%,*}
	addr=$(printf '%d.%d.%d.%d' $((start >> 24)) $((start >> 16 & 255)) \
		$((start >> 8 & 255)) $((start & 255)))
	check_eq "geo lookup $addr (UK in the file): GB, line ${line%%:*}" \
		"GB adequacy $TOR4:${line%%:*}" \
		eval '"$M2MCTL" -j geo lookup "$addr" |
			jq -r "\"\(.country) \(.zones) \(.entry)\""'
else
	echo "ok $((_ktap_n + 1)) # SKIP no tor-geoipdb"
	_ktap_n=$((_ktap_n + 1))
fi

# ---- malformed, truncated and empty databases are refused ----

perl "$work/mmdb.pl" "$work/good.mmdb" <<< "$networks"
size=$(stat -c %s "$work/good.mmdb")
printf '16777216,16777471,AU\nabc,16777727,FR\n' > "$work/bad.tor"
printf '16777216,16777471,AU\n16777472,1677' > "$work/cut.tor"
: > "$work/empty.tor"
printf '10.0.0.0/8,DE\n10.0.0.0/33,FR\n' > "$work/bad.csv"
printf '10.0.0.0/8,DE\n11.0.0.0/1' > "$work/cut.csv"
: > "$work/empty.csv"
cp "$work/good.mmdb" "$work/bad.mmdb"
head -c 48 /dev/zero | dd of="$work/bad.mmdb" conv=notrunc 2> /dev/null
head -c $((size / 2)) "$work/good.mmdb" > "$work/cut.mmdb"
: > "$work/empty.mmdb"
perl "$work/mmdb.pl" "$work/none.mmdb" < /dev/null

# refused FORMAT FILE WHY: geo info, policy check and policy load say WHY.
refused()
{
	local fmt=$1 f=$work/$2 why=$3

	check_fail "geo info: $2 refused" 1 \
		"m2mctl: bad geo database: $f$why" \
		"$M2MCTL" geo info "$f" --format "$fmt"
	cat > "$work/policy.yaml" <<-YAML
	purposes: [metering]
	geo:
	  format: $fmt
	  file: $2
	classes:
	  - name: meters
	    sources: [10.0.0.0/8]
	    consent: [metering]
	    zone: eea
	endpoints:
	  - name: billing
	    destinations: [192.0.2.0/24]
	    purposes: [metering]
	YAML
	check_fail "policy check: $2 refused" 1 \
		"$work/policy.yaml:4:9: bad geo database: $f$why" \
		"$M2MCTL" policy check "$work/policy.yaml"
	check_fail "policy load: $2 refused, nothing sent" 1 \
		"$work/policy.yaml:4:9: bad geo database: $f$why" \
		"$M2MCTL" policy load "$work/policy.yaml"
}

refused tor bad.tor ":2: bad start address 'abc'"
refused tor cut.tor \
	":2: truncated last line (no newline): expected START,END,CC"
refused tor empty.tor ": no entries"
refused csv bad.csv ":2: bad prefix '10.0.0.0/33': bad prefix length"
refused csv cut.csv ":2: truncated last line (no newline): expected \
START,END,CC or PREFIX,CC"
refused csv empty.csv ": no entries"
refused mmdb bad.mmdb ": corrupt search tree"
refused mmdb cut.mmdb \
	": not a MaxMind DB (The MaxMind DB file contains invalid metadata)"
refused mmdb empty.mmdb ": empty file, not a MaxMind DB"
refused mmdb none.mmdb ": no entries"
check "policy compile: no output after a refused database" \
	eval '! "$M2MCTL" policy compile "$work/policy.yaml" \
		-o "$work/out.bin" 2> /dev/null && [ ! -e "$work/out.bin" ]'

# ---- geo diff across formats ----

# The endpoints of examples/gateway.yaml, none pinned: geo decides.
cat > "$work/gateway.yaml" <<'YAML'
settings:
  unknown-jurisdiction: deny
purposes: [metering, billing, maintenance, analytics]
zones:
  eu-plus-swiss: { include: [eea], add: [CH] }
  eea-and-adequate: { include: [eea, adequacy] }
classes:
  - name: smart-meters
    sources: [10.10.0.0/16, "fd00:10::/48"]
    consent: [metering, billing]
    zone: eea
  - name: ev-chargers
    sources: [10.20.0.0/16]
    consent: [metering, billing, maintenance]
    zone: eu-plus-swiss
  - name: building-sensors
    sources: ["fd00:30::/48"]
    consent: [maintenance, analytics]
    zone: eea-and-adequate
endpoints:
  - name: billing-eu
    destinations: [198.51.100.0/24, "2001:db8:100::/48"]
    protocol: tcp
    ports: [443, 8883, 9000-9100]
    purposes: [billing, metering]
  - name: telemetry-eu
    destinations: [198.51.100.0/26]
    protocol: tcp
    ports: [443]
    purposes: [metering]
  - name: charger-backend
    destinations: [203.0.113.0/25]
    protocol: tcp
    ports: [443, 8443]
    purposes: [maintenance, billing]
  - name: time
    destinations: [203.0.113.128/28, "2001:db8:123::/48"]
    protocol: udp
    ports: [123]
    purposes: [maintenance]
  - name: reachability
    destinations: [203.0.113.128/28]
    protocol: icmp
    purposes: [maintenance]
  - name: vendor-support-us
    destinations: [192.0.2.0/24]
    protocol: tcp
    ports: [443]
    purposes: [maintenance]
    transfer-basis: { type: scc, reference: "SCC 2021/914 module 2" }
  - name: analytics-uk
    destinations: ["2001:db8:200::/48"]
    protocol: tcp
    ports: [443]
    purposes: [analytics]
YAML

old="192.0.2.0/24 US
198.51.100.0/24 DE
203.0.113.0/24 CH
2001:db8:100::/48 DE
2001:db8:123::/48 DE
2001:db8:200::/48 UK"

# 198.51.100.64/26 moves to the US (billing-eu, not telemetry-eu, whose
# /26 is more specific), 203.0.113.128/25 to FR (time and reachability,
# not charger-backend), 2001:db8:100::/48 out of the database
# (billing-eu); UK becomes GB, which is no change.
new="192.0.2.0/24 US
198.51.100.0/26 DE
198.51.100.64/26 US
198.51.100.128/25 DE
203.0.113.0/25 CH
203.0.113.128/25 FR
2001:db8:123::/48 DE
2001:db8:200::/48 GB"

for v in old new; do
	tor "$work/$v.geoip" <<< "${!v}"
	csv "$work/$v.csv" <<< "${!v}"
	mmdb "$work/$v.mmdb" <<< "${!v}"
done
tor_old=$work/old.geoip,$work/old.geoip6
tor_new=$work/new.geoip,$work/new.geoip6

entry='"\(.country) \(.range) \(.entry)"'
check_eq "geo lookup in a Tor pair: the IPv6 entry, UK read as GB" \
	"GB 2001:db8:200::/48 $work/old.geoip6:4" \
	eval '"$M2MCTL" -j geo lookup 2001:db8:200::1 \
		--geo "$work/old.geoip" "$work/old.geoip6" | jq -r "$entry"'
check_eq "geo lookup in a CSV file, the address after --geo FILE" \
	"DE 198.51.100.0/24 $work/old.csv:2" \
	eval '"$M2MCTL" -j geo lookup --geo "$work/old.csv" 198.51.100.7 |
		jq -r "$entry"'

# affected OLD NEW: the names of the endpoints the report lists.
affected()
{
	"$M2MCTL" -j geo diff "$1" "$2" --policy "$work/gateway.yaml" |
		jq -r '[.endpoints[].endpoint] | sort | join(" ")'
}

moved="billing-eu reachability time"
check_eq "geo diff: Tor -> MaxMind DB" "$moved" \
	affected "$tor_old" "$work/new.mmdb"
check_eq "geo diff: MaxMind DB -> CSV" "$moved" \
	affected "$work/old.mmdb" "$work/new.csv"
check_eq "geo diff: CSV -> Tor" "$moved" \
	affected "$work/old.csv" "$tor_new"
check_eq "geo diff: MaxMind DB -> Tor, backwards" "$moved" \
	affected "$work/new.mmdb" "$tor_old"
check_eq "geo diff: the same data as Tor and MaxMind DB: no change" "" \
	affected "$tor_old" "$work/old.mmdb"
check_eq "geo diff: the same data as CSV and Tor: no change" "" \
	affected "$work/new.csv" "$tor_new"

# change ENDPOINT RANGE CLASS: "old new zone before after" of that row.
change()
{
	"$M2MCTL" -j geo diff "$tor_old" "$work/new.mmdb" \
		--policy "$work/gateway.yaml" |
		jq -r --arg e "$1" --arg r "$2" --arg c "$3" '.changes[] |
			select(.endpoint == $e and .range == $r and
			       .class == $c) |
			"\(.old) \(.new) \(.zone) \(.before) \(.after)"'
}

check_eq "geo diff: billing-eu leaves the meters' zone (US)" \
	"DE US leaves allow residency" \
	change billing-eu 198.51.100.64/26 smart-meters
check_eq "geo diff: billing-eu leaves the meters' zone (unknown)" \
	"DE unknown leaves allow residency" \
	change billing-eu 2001:db8:100::/48 smart-meters
check_eq "geo diff: time stays in the chargers' zone (CH -> FR)" \
	"CH FR stays in allow allow" \
	change time 203.0.113.128/28 ev-chargers
check_eq "geo diff: only classes that consent are shown" \
	"ev-chargers building-sensors" \
	eval '"$M2MCTL" -j geo diff "$tor_old" "$work/new.mmdb" \
		--policy "$work/gateway.yaml" | jq -r "[.changes[] |
		select(.endpoint == \"reachability\") | .class] | join(\" \")"'
check_eq "geo diff: per class, IPv4 that changes and leaves the zone" \
	"smart-meters ipv4 384 64 0 64" \
	eval '"$M2MCTL" -j geo diff "$tor_old" "$work/new.mmdb" \
		--policy "$work/gateway.yaml" | jq -r ".classes[0] |
		\"\(.class) \(.family) \(.addresses) \(.changed) \(.enters) \
\(.leaves)\""'
# 2^80 addresses: exact digits in the JSON text (jq would round them).
check_eq "geo diff: per class, an IPv6 /48 out of the database" \
	"\"leaves\":1208925819614629174706176" \
	eval '"$M2MCTL" -j geo diff "$tor_old" "$work/new.mmdb" \
		--policy "$work/gateway.yaml" | tr -d " \n" |
		grep -o "\"class\":\"smart-meters\",\"family\":\"ipv6\"[^}]*" |
		grep -o "\"leaves\":[0-9]*"'
check "geo diff: text output" \
	eval '"$M2MCTL" geo diff "$work/old.csv" "$work/new.csv" \
		--policy "$work/gateway.yaml" |
		grep -q "^  billing-eu  .*  198\.51\.100\.64/26  *DE  *US  *smart-meters  *leaves  *allow  *residency$"'
check_fail "geo diff: no policy" 1 \
	"m2mctl: usage: m2mctl geo diff OLD[,OLD6] NEW[,NEW6] --policy FILE" \
	"$M2MCTL" geo diff "$work/old.csv" "$work/new.csv"
check_fail "geo diff: a bad database is named" 1 \
	"m2mctl: bad geo database: $work/cut.tor:2: truncated last line" \
	"$M2MCTL" geo diff "$work/cut.tor" "$work/new.csv" \
	--policy "$work/gateway.yaml" --old-format tor

ktap_finish
