# SPDX-License-Identifier: GPL-2.0
#
# Two policies, A and B, for the gateway of topology.sh, sourced after it.
# Their verdicts for the class "meters" (m2m-dev1) differ, and are chosen
# so that a packet classified by parts of both policies shows:
#
#   destination                        policy A            policy B
#   X  192.0.2.1     2001:db8:1::1 DE  allow               no-consent
#   Y  198.51.100.1  2001:db8:2::1 US  residency           allow
#   Z  203.0.113.1   2001:db8:3::1 FR  no-consent          no-consent
#   W  198.18.1.1    2001:db8:5::1 DE  allow               allow
#
# The class of one policy with the endpoints of the other allows Z and
# drops W, and the endpoints are listed in opposite orders, so that a
# destination group of one policy names another endpoint in the other:
# a packet delivered to Z, or one lost to W, was misclassified.

AB_X4=192.0.2.1 AB_Y4=198.51.100.1 AB_Z4=203.0.113.1 AB_W4=198.18.1.1
AB_X6=2001:db8:1::1 AB_Y6=2001:db8:2::1 AB_Z6=2001:db8:3::1
AB_W6=2001:db8:5::1

# ab_endpoint NAME PREFIX4 PREFIX6 PURPOSE
ab_endpoint()
{
	cat <<-YAML
	  - name: $1
	    destinations: [$2, "$3"]
	    purposes: [$4]
	YAML
}

# ab_policy GEOFILE A|B
ab_policy()
{
	local consent=metering zone=eea

	[ "$2" = B ] && consent=billing zone=eea-and-us
	cat <<-YAML
	settings:
	  mode: enforce
	purposes: [metering, billing]
	zones:
	  eea-and-us: { include: [eea], add: [US] }
	geo:
	  format: csv
	  file: $1
	classes:
	  - name: meters
	    sources: [10.1.0.0/24, "fd01::/64"]
	    consent: [$consent]
	    zone: $zone
	endpoints:
	YAML
	if [ "$2" = A ]; then
		ab_endpoint x 192.0.2.0/24 2001:db8:1::/48 metering
		ab_endpoint y 198.51.100.0/24 2001:db8:2::/48 metering
		ab_endpoint z 203.0.113.0/24 2001:db8:3::/48 billing
		ab_endpoint w 198.18.1.0/24 2001:db8:5::/48 metering
	else
		ab_endpoint w 198.18.1.0/24 2001:db8:5::/48 billing
		ab_endpoint z 203.0.113.0/24 2001:db8:3::/48 metering
		ab_endpoint y 198.51.100.0/24 2001:db8:2::/48 billing
		ab_endpoint x 192.0.2.0/24 2001:db8:1::/48 metering
	fi
}
