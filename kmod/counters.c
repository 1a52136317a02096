// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU packet and byte counters of a policy. One flat array per CPU:
 *
 *	[ reason keys      2 * __M2M_R_MAX          ]  M2M_CT_REASON
 *	[ endpoints        nendpoints               ]  M2M_CT_ENDPOINT
 *	[ class x reason   nclasses * 2 * __M2M_R_MAX ] M2M_CT_CLASS
 *	[ jurisdictions    M2M_JUR_MAX + 1          ]  M2M_CT_JURISDICTION
 *
 * A reason key is the reason, plus __M2M_R_MAX when the drop was only
 * audited. The packet path adds to its own CPU's copy without locks;
 * readers sum the copies.
 */
#include "m2mguard.h"

#define REASON_KEYS	(2 * __M2M_R_MAX)
#define NJUR		(M2M_JUR_MAX + 1)

static u32 base_endpoint(void)
{
	return REASON_KEYS;
}

static u32 base_class(const struct m2m_tables *t)
{
	return base_endpoint() + t->nendpoints;
}

static u32 base_jur(const struct m2m_tables *t)
{
	return base_class(t) + t->nclasses * REASON_KEYS;
}

u32 m2m_ctr_count(const struct m2m_tables *t)
{
	return base_jur(t) + NJUR;
}

static void add(struct m2m_policy *p, u32 i, unsigned int len)
{
	this_cpu_add(p->ctr[i].packets, 1);
	this_cpu_add(p->ctr[i].bytes, len);
}

void m2m_ctr_account(struct m2m_policy *p, const struct m2m_verdict *v,
		     unsigned int len)
{
	u32 key = v->reason + (v->audited ? __M2M_R_MAX : 0);

	add(p, key, len);
	if (!v->class_id)
		return;

	add(p, base_class(&p->t) + (v->class_id - 1) * REASON_KEYS + key, len);
	if (v->endpoint_id)
		add(p, base_endpoint() + v->endpoint_id - 1, len);
	add(p, base_jur(&p->t) + v->jurisdiction, len);
}

void m2m_ctr_reset(struct m2m_policy *p)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(p->ctr, cpu), 0,
		       p->nctr * sizeof(struct m2m_ctr));
}

/* Which table and key record REC of the flat array is. */
static void locate(const struct m2m_tables *t, u32 rec,
		   struct m2m_counter_rec *out)
{
	if (rec < base_endpoint()) {
		out->table = M2M_CT_REASON;
		out->key = rec;
	} else if (rec < base_class(t)) {
		out->table = M2M_CT_ENDPOINT;
		out->key = rec - base_endpoint();
	} else if (rec < base_jur(t)) {
		out->table = M2M_CT_CLASS;
		out->key = rec - base_class(t);
	} else {
		out->table = M2M_CT_JURISDICTION;
		out->key = rec - base_jur(t);
	}
}

void m2m_ctr_read(const struct m2m_policy *p, u32 rec,
		  struct m2m_counter_rec *out)
{
	const struct m2m_ctr *c;
	int cpu;

	memset(out, 0, sizeof(*out));
	locate(&p->t, rec, out);
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(p->ctr, cpu) + rec;
		out->packets += READ_ONCE(c->packets);
		out->bytes += READ_ONCE(c->bytes);
	}
}
