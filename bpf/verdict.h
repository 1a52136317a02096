/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verdict, its counters and its events, given the two range lookups:
 * kmod/verdict.c and kmod/counters.c, step for step, over the maps of one
 * policy. Callers look the addresses up (rtable.h, or the benchmark's
 * alternatives) and hand the values to m2m_judge().
 */
#ifndef _M2MGUARD_BPF_VERDICT_H
#define _M2MGUARD_BPF_VERDICT_H

#include "events.h"
#include "flow.h"
#include "maps.h"

/* A scan of one group for the first endpoint that takes the flow. */
struct m2m_ep_scan {
	__u32 first;		/* the group's first endpoint */
	__u32 found;		/* endpoint index + 1, 0: none yet */
	__u16 dport;
	__u8 proto;
};

static long m2m_ep_try(__u32 i, void *ctx)
{
	struct m2m_ep_scan *s = ctx;
	const struct m2m_endpoint *ep;
	__u32 k = s->first + i;

	ep = bpf_map_lookup_elem(&m2m_endpoints, &k);
	if (!ep)
		return 1;
	if (ep->proto && ep->proto != s->proto)
		return 0;
	if (s->dport < ep->port_lo || s->dport > ep->port_hi)
		return 0;
	s->found = k + 1;
	return 1;
}

/* First endpoint of GROUP that takes the flow's protocol and port. */
static __always_inline const struct m2m_endpoint *
m2m_match_endpoint(__u32 group, const struct m2m_flow *f, __u32 *id)
{
	struct m2m_ep_scan s = { .dport = f->dport, .proto = f->proto };
	const struct m2m_group *g;
	__u32 k;

	/* Group 0 is empty: an address without endpoints ends here. */
	g = bpf_map_lookup_elem(&m2m_groups, &group);
	if (!g || !g->count)
		return NULL;
	s.first = g->first;
	bpf_loop(g->count, m2m_ep_try, &s, 0);
	if (!s.found)
		return NULL;

	*id = s.found;
	k = s.found - 1;
	return bpf_map_lookup_elem(&m2m_endpoints, &k);
}

static __always_inline bool m2m_in_zone(const struct m2m_class *c, __u16 j)
{
	if (j == M2M_JUR_UNKNOWN)
		return m2m_cfg.unknown_allowed;
	if (j > M2M_JUR_MAX)
		return false;
	return (c->zone[j / 64] >> (j % 64)) & 1;
}

/* Whether a would-be drop only audits; EP is NULL without an endpoint. */
static __always_inline bool m2m_audits(const struct m2m_endpoint *ep,
				       const struct m2m_class *c, __u8 mode)
{
	if (ep && ep->mode != M2M_RULE_INHERIT)
		return ep->mode == M2M_RULE_AUDIT;
	if (c->mode != M2M_RULE_INHERIT)
		return c->mode == M2M_RULE_AUDIT;
	return mode == M2M_MODE_AUDIT;
}

static __always_inline void m2m_deny(struct m2m_verdict *v, __u8 reason,
				     bool audit)
{
	v->reason = reason;
	v->audited = audit;
	v->drop = !audit;
}

/* m2m_classify() with the source and destination values looked up. */
static __always_inline void m2m_decide(const struct m2m_flow *f, __u32 src,
				       __u32 dst, __u8 mode,
				       struct m2m_verdict *v)
{
	const struct m2m_endpoint *ep;
	const struct m2m_class *c;
	bool basis = false;
	__u32 k;

	v->reason = M2M_R_UNSCOPED;
	v->jur_source = M2M_JUR_FROM_GEO;
	v->class_id = src;
	v->jurisdiction = M2M_DST_JUR(dst);
	if (!src)
		return;
	k = src - 1;
	c = bpf_map_lookup_elem(&m2m_classes, &k);
	if (!c)
		return;

	ep = m2m_match_endpoint(M2M_DST_GROUP(dst), f, &v->endpoint_id);
	if (!ep) {
		m2m_deny(v, M2M_R_NOT_ALLOWLISTED, m2m_audits(NULL, c, mode));
		return;
	}

	if (ep->jurisdiction != M2M_JUR_UNKNOWN) {
		v->jurisdiction = ep->jurisdiction;
		v->jur_source = M2M_JUR_PINNED;
	}

	if (!m2m_in_zone(c, v->jurisdiction)) {
		if (!(ep->flags & M2M_EP_BASIS)) {
			m2m_deny(v, M2M_R_RESIDENCY, m2m_audits(ep, c, mode));
			return;
		}
		basis = true;
	}

	if (!(ep->purposes & c->consent)) {
		m2m_deny(v, M2M_R_NO_CONSENT, m2m_audits(ep, c, mode));
		return;
	}

	/* TODO: step 5, M2M_EP_TLS, needs the flow's first payload. */
	v->reason = basis ? M2M_R_ALLOW_BASIS : M2M_R_ALLOW;
}

/* ---- counters: the flat per-CPU layout of kmod/counters.c ---- */

#define M2M_REASON_KEYS		(2 * __M2M_R_MAX)

/*
 * Add one packet of LEN bytes to record I. The cgroup program runs in
 * process context and a softirq may run the tc one over it on the same
 * CPU, so it adds atomically; tc runs with bottom halves off.
 */
static __always_inline void m2m_ctr_add(__u32 i, __u32 len, bool atomic)
{
	struct m2m_bpf_ctr *c = bpf_map_lookup_elem(&m2m_counters, &i);

	if (!c)
		return;
	if (atomic) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
	} else {
		c->packets++;
		c->bytes += len;
	}
}

static __always_inline void m2m_account(const struct m2m_verdict *v,
					__u32 len, bool atomic)
{
	__u32 key = v->reason + (v->audited ? __M2M_R_MAX : 0);
	__u32 base_class = M2M_REASON_KEYS + m2m_cfg.nendpoints;
	__u32 base_jur = base_class + m2m_cfg.nclasses * M2M_REASON_KEYS;

	m2m_ctr_add(key, len, atomic);
	if (!v->class_id)
		return;

	m2m_ctr_add(base_class + (v->class_id - 1) * M2M_REASON_KEYS + key,
		    len, atomic);
	if (v->endpoint_id)
		m2m_ctr_add(M2M_REASON_KEYS + v->endpoint_id - 1, len, atomic);
	m2m_ctr_add(base_jur + v->jurisdiction, len, atomic);
}

/* Keep V as this CPU's last verdict, for the tests. */
static __always_inline void m2m_remember(const struct m2m_verdict *v,
					 __u32 len)
{
	__u32 zero = 0;
	struct m2m_bpf_last *l = bpf_map_lookup_elem(&m2m_last, &zero);

	if (!l)
		return;
	l->seq++;
	l->v = *v;
	l->len = len;
}

/*
 * Decide, count and report flow F of LEN bytes whose source and
 * destination looked up to SRC and DST. Returns whether to drop it.
 */
static __always_inline bool m2m_judge(const struct m2m_flow *f, __u32 src,
				      __u32 dst, __u32 len, bool atomic)
{
	struct m2m_verdict v = {};
	struct m2m_bpf_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&m2m_state, &zero);
	m2m_decide(f, src, dst, st ? st->mode : M2M_MODE_ENFORCE, &v);
	m2m_account(&v, len, atomic);
	m2m_remember(&v, len);
	if ((v.drop || v.audited) && st)
		m2m_event(f, &v, st);
	return v.drop;
}

#endif /* _M2MGUARD_BPF_VERDICT_H */
