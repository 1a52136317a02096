/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The compiled policy: the one format that m2mctl writes and the module,
 * the BPF loader and m2mctl's own explain read.
 *
 * A blob is a header, a section table, and the sections, each an array of
 * fixed-size elements at an 8-byte aligned offset. All integers are in host
 * byte order (a blob never leaves the machine that compiled it). Readers
 * must check everything: the kernel gets the blob from userspace.
 *
 *	+-----------------------+ 0
 *	| struct m2m_policy_hdr |
 *	+-----------------------+ hdr_len
 *	| struct m2m_section[]  | nsections entries, one per type
 *	+-----------------------+
 *	| section data ...      |
 *	+-----------------------+ total_len
 *
 * Destination addresses map through a range table (include/m2mguard/
 * rtable.h) to M2M_DST_VALUE(group, jurisdiction): the endpoint group whose
 * rules apply there (0 for none) and the geo jurisdiction of the address;
 * one lookup answers both "is there an endpoint" and "where is it". Source
 * addresses map to a class index + 1 (0: unscoped).
 */
#ifndef _M2MGUARD_POLICY_H
#define _M2MGUARD_POLICY_H

#include <linux/types.h>

#define M2M_POLICY_MAGIC	0x504d324dU	/* "M2MP" in little endian */
#define M2M_POLICY_VERSION	1

/*
 * Jurisdictions are ISO 3166-1 alpha-2 codes packed into 1..676
 * ((first - 'A') * 26 + (second - 'A') + 1); 0 is unknown. The registry
 * code "EU" packs like any other and is given meaning by the zones.
 */
#define M2M_JUR_UNKNOWN		0
#define M2M_JUR_MAX		676
#define M2M_JUR_WORDS		((M2M_JUR_MAX + 64) / 64)

static inline __u16 m2m_jur_code(char a, char b)
{
	if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
		return M2M_JUR_UNKNOWN;
	return (a - 'A') * 26 + (b - 'A') + 1;
}

#define M2M_DST_JUR_BITS	10
#define M2M_DST_VALUE(group, jur) \
	(((__u32)(group) << M2M_DST_JUR_BITS) | (jur))
#define M2M_DST_GROUP(v)	((v) >> M2M_DST_JUR_BITS)
#define M2M_DST_JUR(v)		((v) & ((1U << M2M_DST_JUR_BITS) - 1))
#define M2M_GROUPS_MAX		((1U << (32 - M2M_DST_JUR_BITS)) - 1)

struct m2m_policy_hdr {
	__u32 magic;		/* M2M_POLICY_MAGIC */
	__u16 version;		/* M2M_POLICY_VERSION */
	__u16 hdr_len;		/* sizeof(struct m2m_policy_hdr) */
	__u32 total_len;	/* of the whole blob */
	__u32 nsections;
	__u8 sha256[32];	/* of the blob with this field zeroed */
	__u32 flags;		/* none yet: 0 */
	__u32 reserved;		/* 0 */
};

enum m2m_section_type {
	M2M_SEC_SETTINGS = 1,	/* struct m2m_settings, exactly 1 */
	M2M_SEC_DST4,		/* struct m2m_range4, value M2M_DST_VALUE */
	M2M_SEC_DST6,		/* struct m2m_range6, value M2M_DST_VALUE */
	M2M_SEC_SRC4,		/* struct m2m_range4, value class index + 1 */
	M2M_SEC_SRC6,		/* struct m2m_range6, value class index + 1 */
	M2M_SEC_CLASSES,	/* struct m2m_class */
	M2M_SEC_GROUPS,		/* struct m2m_group; index 0 is unused */
	M2M_SEC_ENDPOINTS,	/* struct m2m_endpoint */
	M2M_SEC_STRINGS,	/* char, NUL-terminated names; [0] is "" */
	M2M_SEC_GEO,		/* struct m2m_geo, 0 or 1 */
	__M2M_SEC_MAX,
};

struct m2m_section {
	__u32 type;		/* enum m2m_section_type */
	__u32 offset;		/* from the blob's start, 8-byte aligned */
	__u32 count;		/* elements */
	__u32 elem_size;	/* must equal the element's sizeof */
};

/* Per class and per endpoint: follow the level above, or override it. */
enum m2m_rule_mode {
	M2M_RULE_INHERIT,
	M2M_RULE_ENFORCE,
	M2M_RULE_AUDIT,
};

struct m2m_settings {
	__u8 mode;		/* enum m2m_mode */
	__u8 unknown_allowed;	/* 1: an unknown jurisdiction is in zone */
	__u8 privacy;		/* enum m2m_privacy */
	__u8 reserved;
	__u32 event_rate;	/* events/s per class and reason */
	__u32 counter_interval;	/* ms between counter snapshots */
	__u32 reserved2;
};

struct m2m_class {
	__u64 zone[M2M_JUR_WORDS];	/* bit j: jurisdiction j allowed */
	__u64 consent;		/* bit p: purpose p consented */
	__u32 name;		/* string offset */
	__u32 line;		/* in the policy file */
	__u8 mode;		/* enum m2m_rule_mode */
	__u8 reserved[7];
};

/* The rules that apply at some destination: endpoints[first, +count). */
struct m2m_group {
	__u32 first;
	__u32 count;
};

#define M2M_EP_BASIS	0x01	/* a transfer basis allows any jurisdiction */
#define M2M_EP_TLS	0x02	/* the flow must start with a TLS handshake */

struct m2m_endpoint {
	__u64 purposes;		/* bit p: serves purpose p */
	__u32 name;		/* string offset */
	__u32 line;		/* in the policy file */
	__u32 basis;		/* string offset of the basis reference */
	__u16 port_lo;		/* host order, inclusive */
	__u16 port_hi;
	__u16 jurisdiction;	/* pinned, or M2M_JUR_UNKNOWN: use geo */
	__u8 proto;		/* IPPROTO_*, 0 for any */
	__u8 mode;		/* enum m2m_rule_mode */
	__u8 flags;		/* M2M_EP_* */
	__u8 reserved[11];
};

/* Where geo jurisdictions came from. */
struct m2m_geo {
	__u32 name;		/* string offset: source, e.g. file name */
	__u32 date;		/* string offset: the database's date */
	__u32 entries4;		/* ranges read */
	__u32 entries6;
	__u8 sha256[32];	/* of the database file(s) */
};

#endif /* _M2MGUARD_POLICY_H */
