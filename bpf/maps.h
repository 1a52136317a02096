/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps of one policy's verdict program. The loader (ctl/bpf.c) sizes
 * them before the program is loaded, so most max_entries here are
 * placeholders. See m2mguard.h for what they hold.
 */
#ifndef _M2MGUARD_BPF_MAPS_H
#define _M2MGUARD_BPF_MAPS_H

#include "shared.h"

/* The policy's shape, set by the loader and folded in by the verifier. */
const volatile struct m2m_bpf_cfg m2m_cfg = {};

/* ---- the tables of one policy ---- */

/*
 * A range table array: one value, or chunks. The loader sets the value
 * size, so the map has no BTF type for it.
 */
#define M2M_RT_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(map_flags, BPF_F_MMAPABLE);			\
		__uint(max_entries, 1);					\
		__uint(key_size, sizeof(__u32));			\
		__uint(value_size, 8);					\
	} name SEC(".maps")

M2M_RT_MAP(m2m_dst4_index);
M2M_RT_MAP(m2m_dst4_leaves);
M2M_RT_MAP(m2m_dst6_index);
M2M_RT_MAP(m2m_dst6_leaves);
M2M_RT_MAP(m2m_src4_index);
M2M_RT_MAP(m2m_src4_leaves);
M2M_RT_MAP(m2m_src6_index);
M2M_RT_MAP(m2m_src6_leaves);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_class);
} m2m_classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_group);
} m2m_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_endpoint);
} m2m_endpoints SEC(".maps");

/* ---- what one policy counts and remembers ---- */

struct m2m_bpf_ctr {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_bpf_ctr);
} m2m_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_bpf_last);
} m2m_last SEC(".maps");

/* The events of one class and reason: a window of one second. */
struct m2m_bpf_evslot {
	struct bpf_spin_lock lock;
	__u32 sent;		/* events admitted in this window */
	__u64 start;		/* ns: the window's start */
	__u32 suppressed;	/* not sent since the last one that was */
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_bpf_evslot);
} m2m_evslots SEC(".maps");

/* Flows reported in the last second: hash tag << 32 | ms at the report. */
#define M2M_BPF_EV_FLOWS	1024

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, M2M_BPF_EV_FLOWS);
	__type(key, __u32);
	__type(value, __u64);
} m2m_evflows SEC(".maps");

#endif /* _M2MGUARD_BPF_MAPS_H */
