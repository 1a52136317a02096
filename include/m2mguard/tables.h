/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A compiled policy opened for lookups, and the verdict it gives a flow.
 * One source (kmod/tables.c, kmod/verdict.c) serves the module, m2mctl's
 * explain and the tests, so all of them decide alike.
 */
#ifndef _M2MGUARD_TABLES_H
#define _M2MGUARD_TABLES_H

#include <linux/types.h>
#include <linux/m2mguard.h>
#include <m2mguard/policy.h>
#include <m2mguard/rtable.h>

/* Most classes, groups and endpoints accepted in one policy. */
#define M2M_CLASSES_MAX		4096
#define M2M_ENDPOINTS_MAX	(1U << 20)

/*
 * A validated blob with its range tables built. The section pointers
 * point into the blob, which the caller keeps for as long as the tables.
 */
struct m2m_tables {
	const struct m2m_policy_hdr *hdr;
	const struct m2m_settings *settings;
	const struct m2m_class *classes;
	const struct m2m_group *groups;
	const struct m2m_endpoint *endpoints;
	const char *strings;
	const struct m2m_geo *geo;	/* NULL without a GEO section */
	__u32 nclasses;
	__u32 ngroups;
	__u32 nendpoints;
	__u32 strings_len;
	__u32 ndst4, ndst6, nsrc4, nsrc6;	/* boundaries in the blob */
	struct m2m_rtable4 *dst4;
	struct m2m_rtable6 *dst6;
	struct m2m_rtable4 *src4;
	struct m2m_rtable6 *src6;
};

/*
 * Check every field of BLOB (LEN bytes) and build its range tables into T.
 * On error returns -EINVAL (or -E2BIG, -ENOMEM) and points *WHY at a
 * constant message naming the problem, fit for an extack.
 */
int m2m_tables_open(struct m2m_tables *t, const void *blob, __u32 len,
		    const char **why);
void m2m_tables_close(struct m2m_tables *t);

/* Bytes held by the built range tables (not counting the blob). */
size_t m2m_tables_size(const struct m2m_tables *t);

/* Name at string offset OFF, "" if out of range. */
const char *m2m_tables_str(const struct m2m_tables *t, __u32 off);

/* Section TYPE of T's blob and its element count; NULL (0) without one. */
const void *m2m_tables_section(const struct m2m_tables *t, __u32 type,
			       __u32 *count);

/* A flow as the verdict sees it; addresses in host order. */
struct m2m_flow {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 proto;		/* IPPROTO_* */
	__u16 dport;		/* host order; 0 for protocols without ports */
	__u32 src4, dst4;
	__u64 src6_hi, src6_lo, dst6_hi, dst6_lo;
};

/*
 * IPv6 neighbour discovery and multicast listener messages stay on the
 * link and carry no personal data; a gateway's own address usually lies
 * in a class's prefix, so classifying them would cut the link. Every
 * datapath passes them unclassified and uncounted.
 */
static inline int m2m_icmp6_link_control(__u8 type)
{
	return (type >= 130 && type <= 137) || type == 143;
}

/*
 * Whether a PROTO header starts with the source and destination ports:
 * TCP (6), UDP (17), DCCP (33), SCTP (132) and UDP-Lite (136). For the
 * others a flow's dport is 0 on every datapath.
 */
static inline int m2m_proto_has_ports(__u8 proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 ||
	       proto == 136;
}

#define M2M_JUR_FROM_GEO	0
#define M2M_JUR_PINNED		1

struct m2m_verdict {
	__u8 reason;		/* enum m2m_reason */
	__u8 drop;		/* 1: drop the packet */
	__u8 audited;		/* 1: would drop, passes in audit mode */
	__u8 jur_source;	/* M2M_JUR_FROM_GEO or M2M_JUR_PINNED */
	__u16 jurisdiction;	/* m2m_jur_code; 0 unknown */
	__u32 class_id;		/* class index + 1, 0: unscoped */
	__u32 endpoint_id;	/* endpoint index + 1, 0: none */
};

/*
 * The fields of drop event EV that come from flow F and verdict V of the
 * policy of GENERATION, alike on every datapath. The caller zeroes EV and
 * fills in the addresses, which depend on the privacy setting.
 */
static inline void m2m_event_fill(struct m2m_event *ev, __u64 generation,
				  const struct m2m_flow *f,
				  const struct m2m_verdict *v)
{
	ev->generation = generation;
	ev->family = f->family;
	ev->reason = v->reason;
	ev->audited = v->audited;
	ev->proto = f->proto;
	ev->dport = f->dport;
	ev->jurisdiction = v->jurisdiction;
	ev->class_idx = v->class_id - 1;
	ev->endpoint = v->endpoint_id;
}

/*
 * Steps 1-4 and 6 of the verdict (DESIGN.md) for FLOW under tables T, with
 * MODE the namespace's global mode (enum m2m_mode). The most specific mode
 * decides whether a would-be drop is only audited: the matched endpoint's,
 * else the class's, else MODE (M2M_RULE_INHERIT defers to the level above).
 */
void m2m_classify(const struct m2m_tables *t, const struct m2m_flow *flow,
		  __u8 mode, struct m2m_verdict *v);

/* Stable names of enum m2m_reason, for counters, events and JSON. */
const char *m2m_reason_name(unsigned int reason);

#endif /* _M2MGUARD_TABLES_H */
