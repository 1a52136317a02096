/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The last good policy: a copy of the compiled policy that the kernel
 * last accepted, kept for the boot-time start script (see lastgood.c).
 */
#ifndef M2MCTL_LASTGOOD_H
#define M2MCTL_LASTGOOD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Where the last good policy of the namespace m2mctl acts in lives:
 * "$M2M_STATE_DIR/last-good.bin" (default directory /var/lib/m2mguard),
 * or "last-good-NETNS.bin" with -n NETNS. Returns 0, or -1 if it does not
 * fit PATH.
 */
int lastgood_path(char *path, size_t size);

/*
 * Replace the last good policy by BLOB, atomically: a reader sees the old
 * file or the new one, never a part. Returns 0, or -1 after a warning.
 */
int lastgood_save(const void *blob, uint32_t len);

#endif /* M2MCTL_LASTGOOD_H */
