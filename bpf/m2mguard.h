/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The eBPF datapath's contract between its programs (the .bpf.c files) and
 * their loader (ctl/bpf.c): what the maps hold and how one compiled policy
 * is laid out in them.
 *
 * Theory of operation
 *
 * Two small programs stay attached: a tc egress (clsact) one and a
 * cgroup_skb egress one (dispatch.bpf.c). Each does one tail call through
 * a one-slot program array into the verdict program of the policy in
 * force (m2mguard.bpf.c). A policy is loaded as a new instance of that
 * program with its own maps, sized exactly for it, so the verifier knows
 * every table's bounds and inlines every array lookup; the policy's shape
 * (where each table starts, how deep its index goes) is read-only data
 * that the verifier folds in. Replacing the policy is one update of each
 * program array: a packet runs wholly in the old instance or wholly in the
 * new one, and the old one is freed after the packets in it are gone.
 *
 * The range tables are those the module builds (kmod/rtable.c), copied
 * byte for byte into two maps per table: its index (the node array) and
 * its leaves (the key and value arrays, each from an 8-byte boundary).
 * Each map holds its array as one value, so a lookup fetches two
 * pointers and then reads at checked offsets, as the module does. When
 * both fit in one value, the leaves follow the index in the index's map,
 * one pointer for both. An array that would pass the largest value an
 * array map takes (4 MiB) is cut into chunks of that size instead, each
 * read costing a map lookup. The
 * verdict, its counters and its events follow kmod/verdict.c,
 * kmod/counters.c and kmod/events.c.
 *
 * Maps shared by every policy (created once, pinned, reused by each new
 * instance): m2m_state, m2m_events. Maps of one policy: the tables
 * (m2m_TABLE_index, m2m_TABLE_leaves for TABLE dst4, dst6, src4, src6;
 * m2m_classes, m2m_groups, m2m_endpoints), its per-CPU counters
 * (same flat layout as the module's), its event rate state, the last
 * verdict per CPU (for tests), and for m2mctl the blob and a summary.
 */
#ifndef _M2MGUARD_BPF_M2MGUARD_H
#define _M2MGUARD_BPF_M2MGUARD_H

/* The range tables of a policy, in m2m_bpf_cfg.rt[]. */
enum m2m_bpf_table {
	M2M_BPF_DST4,
	M2M_BPF_DST6,
	M2M_BPF_SRC4,
	M2M_BPF_SRC6,
	M2M_BPF_TABLES,
};

/* Deepest index walk below the root, and most halvings in a wide leaf. */
#define M2M_BPF_DEPTH_MAX	24
#define M2M_BPF_WIDE_STEPS_MAX	23

/* The largest value of an array map, and the chunk of a larger array. */
#define M2M_BPF_CHUNK_SHIFT	22
#define M2M_BPF_CHUNK		(1U << M2M_BPF_CHUNK_SHIFT)

/* How one array lies in its map. */
struct m2m_bpf_mem {
	__u32 bytes;		/* of the array, a multiple of 8 */
	__u32 chunked;		/* 1: in M2M_BPF_CHUNK pieces, one a value */
};

/* One range table: where its leaf arrays start among its leaves, bytes. */
struct m2m_bpf_rt {
	struct m2m_bpf_mem index;
	struct m2m_bpf_mem leaves;
	__u32 key16;
	__u32 value16;
	__u32 key32;
	__u32 value32;
	__u32 key64;
	__u32 value64;
	__u32 wide;		/* struct m2m_rt_wide records */
	__u32 depth;		/* node levels below the root, at most */
	__u32 wide_steps;	/* halvings that search the largest wide leaf */
	__u32 joined;		/* 1: the leaves follow the index in its map */
};

/* One policy's shape: read-only data of its verdict program. */
struct m2m_bpf_cfg {
	__u64 generation;
	struct m2m_bpf_rt rt[M2M_BPF_TABLES];
	__u32 nclasses;
	__u32 ngroups;
	__u32 nendpoints;
	__u32 group_max;	/* endpoints in the largest group */
	__u32 nctr;		/* counter records, as m2m_ctr_count() */
	__u8 loaded;		/* 0: no policy, everything passes */
	__u8 unknown_allowed;
	__u8 reserved[6];
};

/* m2m_state[0]: settings and figures that outlive a policy. */
struct m2m_bpf_state {
	__u64 generation;	/* of the policy in force, 0: none yet */
	__u64 events_lost;	/* drop events the full ring buffer refused */
	__u64 key[2];		/* siphash key: pseudonyms and flow hashes */
	__u32 event_rate;	/* events/s per class and reason, 0: none */
	__u32 counter_interval;	/* ms, reported only */
	__u8 mode;		/* enum m2m_mode */
	__u8 privacy;		/* enum m2m_privacy */
	__u8 reserved[6];
};

/* A record of the m2m_events ring buffer. */
struct m2m_bpf_event {
	struct m2m_event ev;
	__u32 suppressed;	/* as M2M_A_SUPPRESSED */
	__u32 reserved;
};

/* m2m_last[0], per CPU: the last verdict this CPU gave. */
struct m2m_bpf_last {
	__u64 seq;		/* packets classified on this CPU */
	struct m2m_verdict v;
	__u32 len;		/* bytes counted */
	__u32 reserved;
};

/* m2m_meta[0]: what m2mctl shows of the policy in force. */
struct m2m_bpf_meta {
	__u64 generation;
	__u64 memory;		/* bytes of the policy's maps */
	__u8 hash[32];		/* SHA-256 of the blob as loaded */
	__u32 len;		/* of the blob */
	__u32 counters_id;	/* map ids of this policy's counters... */
	__u32 blob_id;		/* ...and blob, read together with this */
	__u32 reserved;
};

/* Bytes per element of m2m_blob. */
#define M2M_BPF_BLOB_CHUNK	4096

#endif /* _M2MGUARD_BPF_M2MGUARD_H */
