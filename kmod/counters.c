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
 * audited. The packet path adds to its own CPU's copy without locks,
 * with local64 operations, which a softirq on the same CPU cannot tear;
 * readers sum the copies.
 *
 * The copies are blocks of one vmalloc'ed array, a block per possible
 * CPU, each a whole number of cache lines so that no two CPUs write to
 * one line. The per-CPU allocator would refuse them: it serves at most
 * 32 KiB, about 2,000 records, and a policy may hold far more endpoints.
 */
#include <linux/cache.h>
#include <linux/mm.h>
#include <linux/overflow.h>

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

int m2m_ctr_alloc(struct m2m_policy *p)
{
	u32 per_line = max_t(u32, SMP_CACHE_BYTES / sizeof(*p->ctr), 1);

	p->nctr = m2m_ctr_count(&p->t);
	p->ctr_stride = roundup(p->nctr, per_line);
	p->ctr = kvcalloc(array_size(nr_cpu_ids, p->ctr_stride),
			  sizeof(*p->ctr), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	return p->ctr ? 0 : -ENOMEM;
}

void m2m_ctr_free(struct m2m_policy *p)
{
	kvfree(p->ctr);
}

size_t m2m_ctr_size(const struct m2m_policy *p)
{
	return (size_t)nr_cpu_ids * p->ctr_stride * sizeof(*p->ctr);
}

static struct m2m_ctr *block(const struct m2m_policy *p, int cpu)
{
	return p->ctr + (size_t)cpu * p->ctr_stride;
}

static void add(struct m2m_ctr *c, unsigned int len)
{
	local64_inc(&c->packets);
	local64_add(len, &c->bytes);
}

void m2m_ctr_account(struct m2m_policy *p, const struct m2m_verdict *v,
		     unsigned int len)
{
	u32 key = v->reason + (v->audited ? __M2M_R_MAX : 0);
	struct m2m_ctr *c = block(p, get_cpu());

	add(&c[key], len);
	if (!v->class_id)
		goto out;

	add(&c[base_class(&p->t) + (v->class_id - 1) * REASON_KEYS + key], len);
	if (v->endpoint_id)
		add(&c[base_endpoint() + v->endpoint_id - 1], len);
	add(&c[base_jur(&p->t) + v->jurisdiction], len);
out:
	put_cpu();
}

void m2m_ctr_reset(struct m2m_policy *p)
{
	struct m2m_ctr *c;
	int cpu;
	u32 i;

	for_each_possible_cpu(cpu) {
		c = block(p, cpu);
		for (i = 0; i < p->nctr; i++) {
			local64_set(&c[i].packets, 0);
			local64_set(&c[i].bytes, 0);
		}
	}
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
		c = block(p, cpu) + rec;
		out->packets += local64_read(&c->packets);
		out->bytes += local64_read(&c->bytes);
	}
}
