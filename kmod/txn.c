// SPDX-License-Identifier: GPL-2.0
/*
 * Policy transactions. A namespace has at most one open transaction, owned
 * by the netlink socket that began it. The blob arrives in order into a
 * buffer of the announced size; commit validates it whole and only then
 * swaps it in. Abort, a failed commit, and the death of the owning socket
 * all drop the transaction and leave the policy in force untouched.
 */
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "m2mguard.h"

void m2m_txn_free(struct m2m_txn *txn)
{
	if (!txn)
		return;
	kvfree(txn->buf);
	kfree(txn);
}

/* Drop the transaction of a generic netlink socket that went away. */
static int m2m_txn_release(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct netlink_notify *n = ptr;
	struct m2m_net *mn;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;

	mn = m2m_net(n->net);
	mutex_lock(&mn->lock);
	if (mn->txn && mn->txn->portid == n->portid) {
		m2m_txn_free(mn->txn);
		mn->txn = NULL;
	}
	mutex_unlock(&mn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block m2m_txn_notifier = {
	.notifier_call = m2m_txn_release,
};

int __init m2m_txn_init(void)
{
	return netlink_register_notifier(&m2m_txn_notifier);
}

void m2m_txn_exit(void)
{
	netlink_unregister_notifier(&m2m_txn_notifier);
}
