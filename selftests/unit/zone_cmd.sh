#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mctl zone list and zone show, through build/m2mctl: exact rows for
# built-in zones (from data/jurisdictions.tsv) and for a policy's own,
# in text and JSON, and the message for a zone that does not exist.
. "$(dirname "$0")/../lib.sh"

[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make ctl"
command -v jq > /dev/null || skip_all "no jq: run scripts/install-deps"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup

cat > "$work/policy.yaml" <<'YAML'
purposes: [metering]
geo: { format: none }
zones:
  eu-plus-swiss: { include: [eea], add: [CH] }
  registry: [EU, DE]
classes:
  - name: meters
    sources: [10.0.0.0/8]
    consent: [metering]
    zone: eu-plus-swiss
endpoints:
  - name: billing
    destinations: [192.0.2.0/24]
    purposes: [metering]
    jurisdiction: DE
YAML

check_eq "zone list: the eea row" \
	"  eea               30         built-in  EU member states, Iceland, Liechtenstein, Norway" \
	eval '"$M2MCTL" zone list | grep "^  eea "'

check_eq "zone list -j: adequacy-partial" \
	'{"name":"adequacy-partial","countries":2,"source":"built-in","description":"adequacy decisions that cover only some recipients"}' \
	eval '"$M2MCTL" -j zone list | jq -c ".zones[2]"'

check_eq "zone list --policy: the policy's zones after the built-in ones" \
	"eea adequacy adequacy-partial eu-plus-swiss registry" \
	eval '"$M2MCTL" -j zone list --policy "$work/policy.yaml" |
		jq -r "[.zones[].name] | join(\" \")"'

check_eq "zone list --policy: a policy zone described" \
	"  eu-plus-swiss     31         $work/policy.yaml:4  eea + CH" \
	eval '"$M2MCTL" zone list --policy "$work/policy.yaml" |
		grep "^  eu-plus-swiss "'

want="zone:                adequacy-partial
source:              built-in
description:         adequacy decisions that cover only some recipients
countries:           2
members:
  code  name           instrument                                       date        scope    note
  CA    Canada         Commission Decision 2002/2/EC                    2001-12-20  partial  commercial organisations subject to PIPEDA only
  US    United States  Commission Implementing Decision (EU) 2023/1795  2023-07-10  partial  only organisations certified under the EU-US Data Privacy Framework"
check_eq "zone show adequacy-partial: exact text" "$want" \
	"$M2MCTL" zone show adequacy-partial

check_eq "zone show eea -j: Germany" \
	'{"code":"DE","name":"Germany","instrument":"Regulation (EU) 2016/679 (GDPR)","date":"2018-05-25","scope":"full","note":"EU member state"}' \
	eval '"$M2MCTL" -j zone show eea | jq -c ".members[] | select(.code == \"DE\")"'

check_eq "zone show eea: 30 members, in code order" "30 AT IS" \
	eval '"$M2MCTL" -j zone show eea |
		jq -r "\"\(.countries) \(.members[0].code) \(.members[] |
			select(.code == \"IS\") | .code)\""'

check_eq "zone show --policy: EU is the registry code, in no instrument" \
	'{"code":"EU","name":"European Union (registry code)","instrument":null,"date":null,"scope":null,"note":null}' \
	eval '"$M2MCTL" -j zone show registry --policy "$work/policy.yaml" |
		jq -c ".members[1]"'

check_eq "zone show --policy: CH added to the EEA, with its decision" \
	"31 Commission Decision 2000/518/EC" \
	eval '"$M2MCTL" -j zone show eu-plus-swiss --policy "$work/policy.yaml" |
		jq -r "\"\(.countries) \(.members[] | select(.code == \"CH\") |
			.instrument)\""'

check_fail "zone show: unknown zone" 1 \
	"m2mctl: unknown zone 'x'; known zones: eea, adequacy, adequacy-partial" \
	"$M2MCTL" zone show x

check_fail "zone show --policy: unknown zone lists the policy's too" 1 \
	"m2mctl: unknown zone 'EEA'; known zones: eea, adequacy, adequacy-partial, eu-plus-swiss, registry" \
	"$M2MCTL" zone show EEA --policy "$work/policy.yaml"

check_fail "zone show: no name" 1 \
	"m2mctl: usage: m2mctl zone show NAME [--policy FILE]" \
	"$M2MCTL" zone show --policy "$work/policy.yaml"

check_fail "zone list: a policy that does not parse" 1 \
	"$work/missing.yaml" \
	"$M2MCTL" zone list --policy "$work/missing.yaml"

ktap_finish
