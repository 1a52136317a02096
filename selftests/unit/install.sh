#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a temporary DESTDIR: every file in
# its place, PREFIX honoured in the unit file, the DKMS sources complete
# and versioned like the module, configuration kept across installs and
# uninstalls, and the built module in /lib/modules/RELEASE/updates when
# KDIR is given.
. "$(dirname "$0")/../lib.sh"

[ -x "$M2MCTL" ] || skip_all "no $M2MCTL: run make"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup

VERSION=$(sed -n 's/^#define M2M_VERSION "\(.*\)"$/\1/p' \
	"$TOP/kmod/m2mguard.h")
root=$work/root

inst() { make -s -C "$TOP" "$@" > "$work/make.out" 2>&1 ||
	{ cat "$work/make.out"; return 1; }; }

# Every path given exists under ROOT.
present()
{
	local p

	for p in "$@"; do
		[ -e "$root$p" ] || { echo "missing: $p"; return 1; }
	done
}

check "make install DESTDIR=..." inst install DESTDIR="$root"
check "m2mctl, the start script, the unit, the BPF objects" present \
	/usr/sbin/m2mctl /usr/lib/m2mguard/m2mguard-start \
	/lib/systemd/system/m2mguard.service \
	/usr/lib/m2mguard/m2mguard.bpf.o
check "the start script is executable" test -x \
	"$root/usr/lib/m2mguard/m2mguard-start"
check "the examples and the gateway guide" present \
	/usr/share/doc/m2mguard/examples/gateway.yaml \
	/usr/share/doc/m2mguard/examples/failsafe.conf \
	/usr/share/doc/m2mguard/examples/m2mguard.conf \
	/usr/share/doc/m2mguard/gateway.md
check "the default configuration" present \
	/etc/m2mguard/failsafe.conf /etc/m2mguard/m2mguard.conf \
	/var/lib/m2mguard
if [ -f "$TOP/build/m2mctl.8" ] || [ -f "$TOP/ctl/m2mctl.8" ]; then
	check "the manual" present /usr/share/man/man8/m2mctl.8
fi

src=/usr/src/m2mguard-$VERSION
check "the DKMS sources" present "$src/dkms.conf" "$src/Kbuild" \
	"$src/kmod/main.c" "$src/kmod/m2mguard.h" \
	"$src/include/uapi/linux/m2mguard.h" "$src/include/m2mguard/tables.h"
check "every object of Kbuild has its source" sh -c \
	"cd '$root$src' && for o in \$(sed -n 's/^m2mguard-y *+*= *//p' Kbuild);
	 do [ -f \"\${o%.o}.c\" ] || { echo \"no \${o%.o}.c\"; exit 1; }; done"
check_eq "dkms.conf: the module's version" "PACKAGE_VERSION=\"$VERSION\"" \
	grep '^PACKAGE_VERSION=' "$root$src/dkms.conf"
check_eq "the repository's dkms.conf agrees" "PACKAGE_VERSION=\"$VERSION\"" \
	grep '^PACKAGE_VERSION=' "$TOP/dkms.conf"
check "dkms.conf: rebuilt for every kernel, into updates/dkms" sh -c \
	"grep -qx 'AUTOINSTALL=\"yes\"' '$root$src/dkms.conf' &&
	 grep -qx 'DEST_MODULE_LOCATION\[0\]=\"/updates/dkms\"' \
		'$root$src/dkms.conf' &&
	 grep -qx 'BUILT_MODULE_NAME\[0\]=\"m2mguard\"' '$root$src/dkms.conf'"

echo "local" > "$root/etc/m2mguard/failsafe.conf"
check "install again" inst install DESTDIR="$root"
check_eq "an edited failsafe.conf is kept" local \
	cat "$root/etc/m2mguard/failsafe.conf"

check "make uninstall" inst uninstall DESTDIR="$root"
check_eq "only the configuration and the state remain" \
	"/etc/m2mguard/failsafe.conf
/etc/m2mguard/m2mguard.conf" \
	sh -c "cd '$root' && find . -type f | sed 's/^\.//' | sort"
check "and the state directory" test -d "$root/var/lib/m2mguard"

root=$work/local
check "make install PREFIX=/usr/local" \
	inst install DESTDIR="$root" PREFIX=/usr/local
check "binaries under /usr/local" present /usr/local/sbin/m2mctl \
	/usr/local/lib/m2mguard/m2mguard-start
check "the DKMS sources where DKMS looks" present "$src/dkms.conf"
check_eq "the unit runs the start script from there" \
	"ExecStart=/usr/local/lib/m2mguard/m2mguard-start start" \
	grep '^ExecStart=' "$root/lib/systemd/system/m2mguard.service"

ABI=$(cat "${M2M_CACHE:-/var/cache/m2mguard}/vm/abi" 2>/dev/null)
KDIR=/usr/src/linux-headers-$ABI
if [ -n "$ABI" ] && [ -d "$KDIR" ]; then
	root=$work/kdir
	check "make install KDIR=...: the built module" \
		inst install DESTDIR="$root" KDIR="$KDIR"
	check "in /lib/modules/$ABI/updates" present \
		"/lib/modules/$ABI/updates/m2mguard.ko"
	check "no DKMS sources then" test ! -e "$root$src"
	check "make uninstall KDIR=..." \
		inst uninstall DESTDIR="$root" KDIR="$KDIR"
	check "the module is gone" test ! -e \
		"$root/lib/modules/$ABI/updates/m2mguard.ko"
fi

ktap_finish
