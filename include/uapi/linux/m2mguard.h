/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * m2mguard generic netlink interface: the contract between the kernel
 * module and m2mctl.
 *
 * Family "m2mguard", version M2M_GENL_VERSION. Every command that changes
 * state needs CAP_NET_ADMIN in the user namespace that owns the network
 * namespace of the socket; so does joining the "events" group. Rejected
 * requests carry an extended ack message and, where one attribute is to
 * blame, that attribute.
 *
 * A policy travels as one compiled policy blob (include/m2mguard/policy.h),
 * sent in a transaction of chunks and swapped in whole at commit.
 */
#ifndef _UAPI_LINUX_M2MGUARD_H
#define _UAPI_LINUX_M2MGUARD_H

#include <linux/types.h>

#define M2M_GENL_NAME		"m2mguard"
#define M2M_GENL_VERSION	1
#define M2M_GENL_MCGRP_EVENTS	"events"

/* Largest M2M_A_DATA payload of one POLICY_CHUNK message. */
#define M2M_CHUNK_MAX		(60 * 1024)

/* Limits of the settings (SET, and the compiled policy's defaults). */
#define M2M_EVENT_RATE_MAX	100000
#define M2M_COUNTER_INTERVAL_MIN	100
#define M2M_COUNTER_INTERVAL_MAX	3600000

enum m2m_cmd {
	M2M_CMD_UNSPEC,

	/*
	 * GET_INFO (doit): no attributes.
	 * Reply: VERSION, GENERATION, POLICY_HASH (absent with no policy),
	 * POLICY_SIZE, MODE, EVENT_RATE, COUNTER_INTERVAL, PRIVACY, MEMORY,
	 * TXN_ID (absent with no open transaction), EVENTS_LOST.
	 * Also starts the counter snapshots if the "events" group has
	 * listeners (see EVENT_COUNTERS).
	 */
	M2M_CMD_GET_INFO,

	/*
	 * POLICY_BEGIN: POLICY_SIZE (u32, 1..max_policy_bytes module
	 * parameter). Opens the namespace's one transaction; -EBUSY while
	 * another is open. Reply: TXN_ID.
	 */
	M2M_CMD_POLICY_BEGIN,

	/*
	 * POLICY_CHUNK: TXN_ID, OFFSET (u32), DATA (binary, 1..M2M_CHUNK_MAX).
	 * Chunks must arrive in order, without gaps or overlap.
	 */
	M2M_CMD_POLICY_CHUNK,

	/*
	 * POLICY_COMMIT: TXN_ID. Validates the complete blob and swaps it in;
	 * on any error the transaction is dropped and the old policy stays.
	 * Reply: GENERATION.
	 */
	M2M_CMD_POLICY_COMMIT,

	/* POLICY_ABORT: TXN_ID. Drops the transaction. */
	M2M_CMD_POLICY_ABORT,

	/*
	 * POLICY_GET (dumpit): no attributes. Each message: GENERATION,
	 * POLICY_SIZE, OFFSET, DATA; the concatenated DATA is the blob in
	 * force. An empty dump means no policy.
	 */
	M2M_CMD_POLICY_GET,

	/*
	 * COUNTERS_GET (dumpit): no attributes. Each message: GENERATION and
	 * COUNTERS, an array of struct m2m_counter_rec.
	 */
	M2M_CMD_COUNTERS_GET,

	/* COUNTERS_RESET: no attributes. */
	M2M_CMD_COUNTERS_RESET,

	/*
	 * SET: any of MODE (u8, enum m2m_mode), EVENT_RATE (u32 events per
	 * second per class and reason, 0..M2M_EVENT_RATE_MAX),
	 * COUNTER_INTERVAL (u32 ms, M2M_COUNTER_INTERVAL_MIN..MAX), PRIVACY
	 * (u8, enum m2m_privacy).
	 */
	M2M_CMD_SET,

	/*
	 * Notifications on the "events" group, built only while it has
	 * listeners. The policy's settings (EVENT_RATE, PRIVACY,
	 * COUNTER_INTERVAL) take effect at each commit; SET changes them
	 * until the next one.
	 *
	 * EVENT_DROP: EVENT (struct m2m_event), SUPPRESSED. A drop, or an
	 * audited would-be drop. At most EVENT_RATE per second per class and
	 * reason (0: none), and one per flow (src, dst, proto, dport) per
	 * second; SUPPRESSED counts the events of the class and reason not
	 * sent since the last one that was.
	 */
	M2M_CMD_EVENT_DROP,

	/*
	 * EVENT_COUNTERS: GENERATION, COUNTERS (the nonzero records, in as
	 * many messages as they need; an empty COUNTERS with none). Every
	 * COUNTER_INTERVAL ms while a policy is loaded and the group has
	 * listeners. Generic netlink tells a family nothing when a socket
	 * joins, so the snapshots start after a listener's next request
	 * (GET_INFO), commit or drop event, and stop when nobody listens.
	 */
	M2M_CMD_EVENT_COUNTERS,

	/* EVENT_POLICY: GENERATION, POLICY_HASH. A policy was committed. */
	M2M_CMD_EVENT_POLICY,

	/*
	 * POLICY_CLEAR: no attributes. Removes the policy in force, so that
	 * the namespace passes everything; -ENOENT without one. An open
	 * transaction stays open. While a policy that can drop is in force
	 * in any namespace, the module holds a reference to itself and
	 * cannot be unloaded; clearing the last one releases it.
	 */
	M2M_CMD_POLICY_CLEAR,

	__M2M_CMD_MAX,
};
#define M2M_CMD_MAX (__M2M_CMD_MAX - 1)

enum m2m_attr {
	M2M_A_UNSPEC,
	M2M_A_VERSION,		/* string, module version */
	M2M_A_GENERATION,	/* u64, policies committed since load */
	M2M_A_POLICY_HASH,	/* binary, SHA-256 of the blob, 32 bytes */
	M2M_A_POLICY_SIZE,	/* u32, bytes */
	M2M_A_TXN_ID,		/* u32, nonzero */
	M2M_A_OFFSET,		/* u32, bytes into the blob */
	M2M_A_DATA,		/* binary, part of the blob */
	M2M_A_MODE,		/* u8, enum m2m_mode */
	M2M_A_EVENT_RATE,	/* u32 */
	M2M_A_COUNTER_INTERVAL,	/* u32, ms */
	M2M_A_PRIVACY,		/* u8, enum m2m_privacy */
	M2M_A_MEMORY,		/* u64, bytes held by the policy in force */
	M2M_A_COUNTERS,		/* binary, struct m2m_counter_rec[] */
	M2M_A_EVENT,		/* binary, struct m2m_event */
	M2M_A_SUPPRESSED,	/* u32, events not sent since the last one */
	M2M_A_PAD,
	M2M_A_EVENTS_LOST,	/* u64, events the kernel failed to send */

	__M2M_A_MAX,
};
#define M2M_A_MAX (__M2M_A_MAX - 1)

enum m2m_mode {
	M2M_MODE_ENFORCE,
	M2M_MODE_AUDIT,
	__M2M_MODE_MAX,
};
#define M2M_MODE_MAX (__M2M_MODE_MAX - 1)

enum m2m_privacy {
	M2M_PRIVACY_PSEUDONYM,	/* keyed hash of the source address */
	M2M_PRIVACY_TRUNCATE,	/* IPv4 /24, IPv6 /48 */
	M2M_PRIVACY_RAW,
	__M2M_PRIVACY_MAX,
};
#define M2M_PRIVACY_MAX (__M2M_PRIVACY_MAX - 1)

/*
 * Why a packet got its verdict. Counted per reason; a would-be drop seen
 * in audit mode passes and is counted under its reason as audited.
 */
enum m2m_reason {
	M2M_R_UNSCOPED,		/* source in no class: pass */
	M2M_R_ALLOW,		/* allowlisted, in zone, consented */
	M2M_R_ALLOW_BASIS,	/* allowed by an endpoint's transfer basis */
	M2M_R_NOT_ALLOWLISTED,	/* drop: no endpoint for dst/proto/port */
	M2M_R_RESIDENCY,	/* drop: jurisdiction outside the zone */
	M2M_R_NO_CONSENT,	/* drop: no purpose in common */
	M2M_R_PLAINTEXT,	/* drop: TLS required, not seen */
	__M2M_R_MAX,
};
#define M2M_R_MAX (__M2M_R_MAX - 1)

/* Counter tables of struct m2m_counter_rec. */
enum m2m_counter_table {
	M2M_CT_REASON,		/* key: reason, + __M2M_R_MAX if audited */
	M2M_CT_ENDPOINT,	/* key: endpoint index */
	/* key: class index * 2 * __M2M_R_MAX + the M2M_CT_REASON key */
	M2M_CT_CLASS,
	M2M_CT_JURISDICTION,	/* key: jurisdiction (see m2m_jur_code) */
	__M2M_CT_MAX,
};

struct m2m_counter_rec {
	__u16 table;		/* enum m2m_counter_table */
	__u16 reserved;
	__u32 key;
	__u64 packets;
	__u64 bytes;
};

/* How the source address of an event is shown. */
enum m2m_event_src {
	M2M_SRC_PSEUDONYM,	/* src: 8-byte keyed hash, rest zero */
	M2M_SRC_TRUNCATED,	/* src: IPv4 /24 or IPv6 /48 */
	M2M_SRC_RAW,
};

struct m2m_event {
	__u64 generation;	/* of the policy that gave the verdict */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 reason;		/* enum m2m_reason */
	__u8 audited;		/* 1: passed because of audit mode */
	__u8 proto;		/* IPPROTO_* */
	__u16 dport;		/* host order, 0 without ports */
	__u16 jurisdiction;	/* m2m_jur_code, 0 unknown */
	__u32 class_idx;	/* class index */
	__u32 endpoint;		/* endpoint index + 1, 0 for none */
	__u8 src_kind;		/* enum m2m_event_src */
	__u8 reserved[7];
	__u8 dst[16];		/* network order; IPv4 in the first 4 */
	__u8 src[16];		/* per src_kind */
};

#endif /* _UAPI_LINUX_M2MGUARD_H */
