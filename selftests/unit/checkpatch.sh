#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel style: the kernel's own checkpatch.pl (extracted from Debian's
# linux-source by scripts/install-deps) finds no error and no warning in
# the code that builds into the module or the BPF programs.
. "$(dirname "$0")/../lib.sh"

CHECKPATCH=${M2M_CACHE:-/var/cache/m2mguard}/checkpatch/checkpatch.pl
[ -f "$CHECKPATCH" ] || skip_all "no checkpatch.pl: run scripts/install-deps"

for f in "$TOP"/kmod/*.[ch] "$TOP"/include/m2mguard/*.h \
	 "$TOP"/include/uapi/linux/*.h "$TOP"/bpf/*.[ch]; do
	[ -f "$f" ] || continue
	ignore=SPDX_LICENSE_TAG
	# BPF programs use volatile to keep values the verifier must see
	# bounded in a register; the kernel's own BPF samples do too.
	[[ $f == "$TOP"/bpf/* ]] && ignore+=,VOLATILE
	check "checkpatch ${f#"$TOP"/}" perl "$CHECKPATCH" --no-tree --terse \
		--file --show-types --quiet --max-line-length=80 \
		--ignore "$ignore" "$f"
done

ktap_finish
