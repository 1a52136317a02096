#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mctl's part in a gateway's boot, without the module: "policy sources"
# (the prefixes the fail-closed guard drops, the fewest that cover each
# class's addresses, most specific class first, from YAML and compiled
# files alike), "policy load" keeping a last good policy only when
# the kernel took it, and the eBPF datapath's answers to the start
# script: no policy while it is not set up, a missing device refused, and
# a second attach to a device that leaves one filter.
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

echo "# the eBPF datapath, as m2mguard-start uses it"
# bpf_ns CMD...: CMD in network and mount namespaces of its own, with an
# empty BPF file system: nothing stays pinned or attached on the host.
bpf_ns()
{
	unshare -m -n bash -c 'mount --make-rprivate / &&
		mount -t bpf bpf /sys/fs/bpf && "$@"' bash "$@"
}

# twice: attach to a new veth twice, and count the filters on it.
twice()
{
	ip link add m2m-v0 type veth peer name m2m-v1 &&
	"$M2MCTL" -d bpf attach dev m2m-v0 > /dev/null &&
	"$M2MCTL" -d bpf attach dev m2m-v0 > /dev/null &&
	tc filter show dev m2m-v0 egress | grep -c ' handle '
}

if [ "$(id -u)" != 0 ] || ! bpf_ns true 2>/dev/null; then
	echo "# no BPF file system of our own here: skipping"
else
	check_fail "policy show, the datapath not set up: none, exit 2" 2 \
		"no policy is loaded" bpf_ns "$M2MCTL" -d bpf policy show
	check_fail "attach to a device that is not there: exit 1" 1 \
		"no interface \`m2m-none0'" \
		bpf_ns "$M2MCTL" -d bpf attach dev m2m-none0
	export -f twice
	export M2MCTL
	if bpf_ns twice > /dev/null 2>&1; then
		check_eq "attached twice: one filter" 1 bpf_ns twice
	else
		echo "# the kernel does not take the BPF programs here: skipping"
	fi
fi

ktap_finish
