#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS builds and installs the module from the sources "make install"
# leaves in /usr/src/m2mguard-VERSION, against the headers of the Debian
# kernel the VM boots. Everything DKMS writes goes to a temporary tree
# (--dkmstree, --sourcetree, --installtree, and a throwaway signing key):
# the system's DKMS state is not touched.
. "$(dirname "$0")/../lib.sh"

command -v dkms > /dev/null || skip_all "no dkms: run scripts/install-deps"
ABI=$(cat "${M2M_CACHE:-/var/cache/m2mguard}/vm/abi" 2>/dev/null)
KSRC=/usr/src/linux-headers-$ABI
[ -n "$ABI" ] && [ -d "$KSRC" ] ||
	skip_all "no headers of the VM kernel: run scripts/install-deps"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
LIB_CLEANUP=cleanup

VERSION=$(sed -n 's/^#define M2M_VERSION "\(.*\)"$/\1/p' \
	"$TOP/kmod/m2mguard.h")
root=$work/root
mkdir -p "$work/dkms" "$work/modules/$ABI"
export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub

# dkms ACTION [ARGS...], in the temporary trees.
dk()
{
	local action=$1
	shift

	dkms "$action" -m m2mguard -v "$VERSION" --dkmstree "$work/dkms" \
		--sourcetree "$root/usr/src" --installtree "$work/modules" "$@"
}

built=$work/dkms/m2mguard/$VERSION/$ABI/$(uname -m)/module/m2mguard.ko

check "make install DESTDIR=...: the sources" sh -c \
	"make -s -C '$TOP' install DESTDIR='$root' > '$work/make.out' 2>&1 ||
	 { cat '$work/make.out'; exit 1; }"
check "dkms add" dk add
check "dkms build against $ABI" dk build -k "$ABI" \
	--kernelsourcedir "$KSRC"
check "the module is built" test -f "$built"
check_eq "for that kernel" "$ABI" \
	sh -c "modinfo -F vermagic '$built' | cut -d' ' -f1"
check_eq "of this version" "$VERSION" modinfo -F version "$built"
check "dkms install, no depmod" dk install -k "$ABI" \
	--kernelsourcedir "$KSRC" --no-depmod
check "in updates/dkms" test -f \
	"$work/modules/$ABI/updates/dkms/m2mguard.ko"
check_eq "dkms status" "m2mguard/$VERSION, $ABI, $(uname -m): installed" \
	dk status -k "$ABI"
check "dkms remove" dk remove --all --no-depmod
check "the module is gone" test ! -e \
	"$work/modules/$ABI/updates/dkms/m2mguard.ko"

ktap_finish
