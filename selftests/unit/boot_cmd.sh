#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mctl's part in a gateway's boot, without the module: "policy sources"
# (the prefixes the fail-closed guard drops, the fewest that cover each
# class's addresses, most specific class first, from YAML and compiled
# files alike), and "policy load" keeping a last good policy only when
# the kernel took it.
. "$(dirname "$0")/../lib.sh"

[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make ctl"
command -v jq > /dev/null || skip_all "no jq: run scripts/install-deps"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup
export M2M_STATE_DIR=$work/state

cat > "$work/policy.yaml" <<'YAML'
purposes: [metering]
geo: { format: none }
classes:
  - name: meters
    sources: [10.0.0.0/23, 10.0.2.0/24, 10.1.0.128/25, "fd01::/64"]
    consent: [metering]
    zone: eea
  - name: cameras
    sources: [10.1.0.0/24, "fd01:0:0:1::/64"]
    consent: [metering]
    zone: eea
endpoints:
  - name: billing
    destinations: [192.0.2.0/24]
    purposes: [metering]
    jurisdiction: DE
YAML

rows='.sources[] | "\(.prefix) \(.class)"'
want="10.0.0.0/23 meters
10.0.2.0/24 meters
10.1.0.0/25 cameras
10.1.0.128/25 meters
fd01::/64 meters
fd01:0:0:1::/64 cameras"

check_eq "policy sources: prefixes and classes" "$want" \
	eval '"$M2MCTL" -j policy sources "$work/policy.yaml" | jq -r "$rows"'
check "policy compile" "$M2MCTL" policy compile "$work/policy.yaml" \
	-o "$work/policy.bin"
check_eq "the same from the compiled policy" "$want" \
	eval '"$M2MCTL" -j policy sources "$work/policy.bin" | jq -r "$rows"'
check_eq "text: a table" "  10.1.0.128/25    meters" \
	eval '"$M2MCTL" policy sources "$work/policy.yaml" | grep 10.1.0.128'
sed '/- name: cameras/,/zone:/d; s|"fd01::/64"|"::/0"|' "$work/policy.yaml" \
	> "$work/all6.yaml"
check_eq "one class over all of IPv6: one prefix" "::/0" \
	eval '"$M2MCTL" -j policy sources "$work/all6.yaml" |
	      jq -r ".sources[] | .prefix" | grep :'
printf 'classes: [\n' > "$work/broken.yaml"
check_fail "a broken policy: its error, exit 1" 1 "broken.yaml:" \
	"$M2MCTL" policy sources "$work/broken.yaml"

echo "# policy load keeps only what the kernel took"
if [ -d /sys/module/m2mguard ]; then
	echo "# the module is loaded here: skipping"
else
	check_fail "policy load without the module" 2 \
		"the m2mguard module is not loaded" \
		"$M2MCTL" -d kmod policy load "$work/policy.yaml"
	check "no last good policy kept" test ! -e "$M2M_STATE_DIR"
fi
check_fail "policy unload without the module" 2 \
	"the m2mguard module is not loaded" "$M2MCTL" -d kmod policy unload
check_fail "policy unload takes no argument" 1 "usage" \
	"$M2MCTL" policy unload now

ktap_finish
