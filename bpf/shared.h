/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every program of the datapath includes, and the maps that every
 * policy shares: they are created once, with the programs that stay
 * attached (dispatch.bpf.c), pinned, and reused by each policy's instance.
 */
#ifndef _M2MGUARD_BPF_SHARED_H
#define _M2MGUARD_BPF_SHARED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * The shared headers pull in <stddef.h> outside the kernel, and vmlinux.h
 * already has what it would give.
 */
#define _LINUX_TYPES_H
#define __KERNEL__
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>
#undef __KERNEL__

#include "m2mguard.h"

/* Mapped by m2mctl, which changes single fields: no lost updates. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_bpf_state);
} m2m_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} m2m_events SEC(".maps");

#endif /* _M2MGUARD_BPF_SHARED_H */
