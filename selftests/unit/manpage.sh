#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# m2mctl(8) renders without a warning and documents every command that
# m2mctl --help lists.
. "$(dirname "$0")/../lib.sh"

MAN=$BUILD/m2mctl.8
[ -f "$MAN" ] || skip_all "$MAN is not built"

render() { groff -man -Tutf8 -ww "$MAN" 2>&1 >/dev/null; }
check_eq "groff renders m2mctl.8 without warnings" "" render

text=$(groff -man -Tascii -P-cbou "$MAN" 2>/dev/null | tr -s ' ')
while read -r synopsis; do
	check "m2mctl.8 documents '$synopsis'" \
		grep -qF -- "$synopsis" <<< "$text"
done < <("$M2MCTL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][^ ]*\( [a-z][a-z]*\)\{0,1\}\) .*/\1/p' | sort -u)

ktap_finish
