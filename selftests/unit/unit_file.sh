#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mguard.service as installed: "systemd-analyze verify" finds nothing
# to say about it (its commands exist, its manual page too), and it runs
# the start script once, before the network comes up.
. "$(dirname "$0")/../lib.sh"

command -v systemd-analyze > /dev/null ||
	skip_all "no systemd-analyze (Debian's systemd package)"
[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup
root=$work/root
unit=$root/lib/systemd/system/m2mguard.service

# verify: no output at all, and success. The manual is checked when the
# build made one.
verify()
{
	local out man=yes

	[ -f "$root/usr/share/man/man8/m2mctl.8" ] || man=no
	out=$(MANPATH=$root/usr/share/man systemd-analyze verify --man=$man \
		--root="$root" m2mguard.service 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

# key KEY: the value of KEY in the installed unit.
key() { sed -n "s/^$1=//p" "$unit"; }

check "make install DESTDIR=..." sh -c \
	"make -s -C '$TOP' install DESTDIR='$root' > '$work/make.out' 2>&1 ||
	 { cat '$work/make.out'; exit 1; }"
check "systemd-analyze verify" verify
check_eq "Type" oneshot key Type
check_eq "RemainAfterExit" yes key RemainAfterExit
check_eq "ExecStart" "/usr/lib/m2mguard/m2mguard-start start" key ExecStart
check_eq "ExecStop" "/usr/lib/m2mguard/m2mguard-start stop" key ExecStop
check_eq "Before" "network-pre.target shutdown.target" key Before
check_eq "Wants" network-pre.target key Wants
check "After local-fs.target" sh -c "sed -n 's/^After=//p' '$unit' |
	grep -qw local-fs.target"

# A unit verify must refuse, so that the check above means something.
sed 's|^ExecStart=.*|ExecStart=/usr/lib/m2mguard/no-such-script|' "$unit" \
	> "$work/bad.service"
mv "$work/bad.service" "$unit"
check "verify refuses a missing ExecStart" not verify

ktap_finish
