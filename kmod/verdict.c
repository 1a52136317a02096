// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict for one flow under an opened policy: steps 1-4 and 6 of
 * "The verdict, per packet" in DESIGN.md. It runs for every packet, so it
 * allocates nothing, takes no lock and reads only the tables it is given;
 * the caller keeps them alive (RCU in the module).
 *
 * THEORY OF OPERATION
 *
 * Two range lookups and one short scan answer every question. The source
 * address maps to its class (index + 1, 0 for none). The destination
 * address maps to one 32-bit value packing two answers: the endpoint group
 * that applies there, and the geo jurisdiction of the address. A group is
 * a run of endpoints, the rules written for that destination prefix; the
 * first one whose protocol and port range fit the flow is the endpoint.
 * Everything else is a few loads from the matched class and endpoint.
 *
 * Example: class "meters" (zone EEA, consent {billing}) and an endpoint
 * "upload" on 192.0.2.0/24, tcp 443, purposes {billing}, no pinned
 * jurisdiction. Geo says 192.0.2.0/24 is in DE. The compiler makes
 * "upload" group 3 and gives the /24 the value M2M_DST_VALUE(3, DE).
 * For meter 10.1.2.3 -> 192.0.2.7 tcp/443: the source lookup
 * gives "meters", the destination lookup gives group 3 and DE, "upload"
 * matches tcp/443, DE is in the EEA, billing is consented: allow. The same
 * flow to udp/443 finds no endpoint in group 3: not-allowlisted. Had the
 * endpoint pinned US (no basis), it would be residency.
 *
 * A would-be drop is only counted when the most specific level that sets
 * a mode says audit: the endpoint, else the class, else the namespace.
 */

#include <m2mguard/tables.h>

#ifdef __KERNEL__
#include <linux/socket.h>
#else
#include <stdbool.h>
#include <sys/socket.h>
#endif

/* Anything not IPv6 is looked up as IPv4: the hooks only pass these two. */
static __u32 src_class(const struct m2m_tables *t, const struct m2m_flow *f)
{
	if (f->family == AF_INET6)
		return m2m_rtable6_lookup(t->src6, f->src6_hi, f->src6_lo);
	return m2m_rtable4_lookup(t->src4, f->src4);
}

static __u32 dst_value(const struct m2m_tables *t, const struct m2m_flow *f)
{
	if (f->family == AF_INET6)
		return m2m_rtable6_lookup(t->dst6, f->dst6_hi, f->dst6_lo);
	return m2m_rtable4_lookup(t->dst4, f->dst4);
}

/* First endpoint of GROUP that takes the flow's protocol and port. */
static const struct m2m_endpoint *
match_endpoint(const struct m2m_tables *t, __u32 group,
	       const struct m2m_flow *f, __u32 *id)
{
	const struct m2m_group *g = &t->groups[group];
	const struct m2m_endpoint *ep;
	__u32 i;

	/* Group 0 is empty: an address without endpoints ends here. */
	for (i = g->first; i < g->first + g->count; i++) {
		ep = &t->endpoints[i];
		if (ep->proto && ep->proto != f->proto)
			continue;
		if (f->dport < ep->port_lo || f->dport > ep->port_hi)
			continue;
		*id = i + 1;
		return ep;
	}
	return NULL;
}

static bool in_zone(const struct m2m_tables *t, const struct m2m_class *c,
		    __u16 j)
{
	if (j == M2M_JUR_UNKNOWN)
		return t->settings->unknown_allowed;
	return (c->zone[j / 64] >> (j % 64)) & 1;
}

/* Whether a would-be drop only audits; EP is NULL without an endpoint. */
static bool audits(const struct m2m_endpoint *ep, const struct m2m_class *c,
		   __u8 mode)
{
	if (ep && ep->mode != M2M_RULE_INHERIT)
		return ep->mode == M2M_RULE_AUDIT;
	if (c->mode != M2M_RULE_INHERIT)
		return c->mode == M2M_RULE_AUDIT;
	return mode == M2M_MODE_AUDIT;
}

static void deny(struct m2m_verdict *v, __u8 reason, bool audit)
{
	v->reason = reason;
	v->audited = audit;
	v->drop = !audit;
}

void m2m_classify(const struct m2m_tables *t, const struct m2m_flow *flow,
		  __u8 mode, struct m2m_verdict *v)
{
	const struct m2m_endpoint *ep;
	const struct m2m_class *c;
	bool basis = false;
	__u32 dst;

	v->reason = M2M_R_UNSCOPED;
	v->drop = 0;
	v->audited = 0;
	v->jur_source = M2M_JUR_FROM_GEO;
	v->endpoint_id = 0;

	/* Looked up even when unscoped: jurisdictions are counted for all. */
	v->class_id = src_class(t, flow);
	dst = dst_value(t, flow);
	v->jurisdiction = M2M_DST_JUR(dst);
	if (!v->class_id)
		return;
	c = &t->classes[v->class_id - 1];

	ep = match_endpoint(t, M2M_DST_GROUP(dst), flow, &v->endpoint_id);
	if (!ep) {
		deny(v, M2M_R_NOT_ALLOWLISTED, audits(NULL, c, mode));
		return;
	}

	if (ep->jurisdiction != M2M_JUR_UNKNOWN) {
		v->jurisdiction = ep->jurisdiction;
		v->jur_source = M2M_JUR_PINNED;
	}

	if (!in_zone(t, c, v->jurisdiction)) {
		if (!(ep->flags & M2M_EP_BASIS)) {
			deny(v, M2M_R_RESIDENCY, audits(ep, c, mode));
			return;
		}
		basis = true;
	}

	if (!(ep->purposes & c->consent)) {
		deny(v, M2M_R_NO_CONSENT, audits(ep, c, mode));
		return;
	}

	/* TODO: step 5, M2M_EP_TLS, needs the flow's first payload. */
	v->reason = basis ? M2M_R_ALLOW_BASIS : M2M_R_ALLOW;
}

static const char *const reason_names[__M2M_R_MAX] = {
	[M2M_R_UNSCOPED]	= "unscoped",
	[M2M_R_ALLOW]		= "allow",
	[M2M_R_ALLOW_BASIS]	= "allow-basis",
	[M2M_R_NOT_ALLOWLISTED]	= "not-allowlisted",
	[M2M_R_RESIDENCY]	= "residency",
	[M2M_R_NO_CONSENT]	= "no-consent",
	[M2M_R_PLAINTEXT]	= "plaintext",
};

const char *m2m_reason_name(unsigned int reason)
{
	if (reason >= __M2M_R_MAX || !reason_names[reason])
		return "unknown";
	return reason_names[reason];
}
