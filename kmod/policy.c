// SPDX-License-Identifier: GPL-2.0
/*
 * Policies in force: creating one from a validated blob, swapping it in
 * for the packet path, and freeing the old one once no packet can still
 * be looking at it.
 *
 * The hooks read m2m_net.policy once per packet under RCU, so a packet is
 * classified wholly by the old or wholly by the new policy. Freeing waits
 * for a grace period in process context (rcu_work), because the blob and
 * the tables are vmalloc'ed.
 *
 * While a namespace has a policy that can drop packets, the module holds
 * a reference to itself (m2m_net.pinned): a stray rmmod fails with "in
 * use" rather than silently lifting the policy. Clearing the policy,
 * switching to audit or deleting the namespace drops the reference.
 */
#include <crypto/sha2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "m2mguard.h"

static struct workqueue_struct *m2m_free_wq;

struct m2m_policy *m2m_policy_create(void *blob, u32 len, u64 generation,
				     const char **why)
{
	struct m2m_policy *p;
	int err;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		*why = "out of memory for the policy";
		return ERR_PTR(-ENOMEM);
	}

	err = m2m_tables_open(&p->t, blob, len, why);
	if (err)
		goto err_free;

	err = m2m_ctr_alloc(p);
	if (err) {
		*why = "out of memory for the policy's counters";
		goto err_tables;
	}

	err = m2m_events_alloc(p);
	if (err) {
		*why = "out of memory for the policy's events";
		goto err_ctr;
	}

	p->blob = blob;
	p->len = len;
	p->generation = generation;
	sha256(blob, len, p->hash);
	p->memory = len + m2m_tables_size(&p->t) + m2m_ctr_size(p) +
		    m2m_events_size(&p->t);
	return p;

err_ctr:
	m2m_ctr_free(p);
err_tables:
	m2m_tables_close(&p->t);
err_free:
	kfree(p);
	return ERR_PTR(err);
}

static void m2m_policy_free(struct m2m_policy *p)
{
	m2m_tables_close(&p->t);
	m2m_events_free(p);
	m2m_ctr_free(p);
	kvfree(p->blob);
	kfree(p);
}

static void m2m_policy_free_work(struct work_struct *work)
{
	struct m2m_policy *p;

	p = container_of(to_rcu_work(work), struct m2m_policy, free_work);
	m2m_policy_free(p);
}

/* Free P after every reader that may have seen it is gone. */
void m2m_policy_put(struct m2m_policy *p)
{
	if (!p)
		return;
	INIT_RCU_WORK(&p->free_work, m2m_policy_free_work);
	queue_rcu_work(m2m_free_wq, &p->free_work);
}

/* Make P (or no policy) the one in force; the caller holds mn->lock. */
void m2m_policy_replace(struct m2m_net *mn, struct m2m_policy *p)
{
	struct m2m_policy *old;

	old = rcu_replace_pointer(mn->policy, p, lockdep_is_held(&mn->lock));
	m2m_policy_put(old);
	m2m_policy_pin(mn);
}

/*
 * Whether P can drop a packet while the namespace's mode is MODE: some
 * class, or some endpoint of a policy that has classes, enforces.
 */
static bool m2m_policy_enforces(const struct m2m_policy *p, u8 mode)
{
	const struct m2m_tables *t = &p->t;
	u32 i;

	for (i = 0; i < t->nclasses; i++) {
		if (t->classes[i].mode == M2M_RULE_ENFORCE ||
		    (t->classes[i].mode == M2M_RULE_INHERIT &&
		     mode == M2M_MODE_ENFORCE))
			return true;
	}
	for (i = 0; t->nclasses && i < t->nendpoints; i++) {
		if (t->endpoints[i].mode == M2M_RULE_ENFORCE)
			return true;
	}
	return false;
}

/*
 * Take or drop the module reference of MN to match its policy and mode;
 * the caller holds mn->lock and calls this after changing either.
 */
void m2m_policy_pin(struct m2m_net *mn)
{
	struct m2m_policy *p = rcu_dereference_protected(mn->policy,
						lockdep_is_held(&mn->lock));
	bool want = p && m2m_policy_enforces(p, mn->mode);

	if (want == mn->pinned)
		return;
	/* Fails only while the module goes away: its exit drops P. */
	if (want && !try_module_get(THIS_MODULE))
		return;
	if (!want)
		module_put(THIS_MODULE);
	mn->pinned = want;
}

int __init m2m_policy_init(void)
{
	m2m_free_wq = alloc_workqueue("m2mguard_free", 0, 0);
	return m2m_free_wq ? 0 : -ENOMEM;
}

/* Called after every namespace dropped its policy. */
void m2m_policy_exit(void)
{
	rcu_barrier();
	destroy_workqueue(m2m_free_wq);
}
