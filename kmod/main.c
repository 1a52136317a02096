// SPDX-License-Identifier: GPL-2.0
/*
 * m2mguard: keeps the personal data that machines send inside the
 * jurisdictions their policy allows. Module set-up and per-namespace state.
 */
#include <linux/module.h>
#include <net/netns/generic.h>

#include "m2mguard.h"

unsigned int m2m_max_policy_bytes __read_mostly = 256 << 20;
module_param_named(max_policy_bytes, m2m_max_policy_bytes, uint, 0644);
MODULE_PARM_DESC(max_policy_bytes,
		 "largest compiled policy accepted, in bytes (256 MiB)");

static unsigned int m2m_net_id __read_mostly;

struct m2m_net *m2m_net(const struct net *net)
{
	return net_generic(net, m2m_net_id);
}

static int __net_init m2m_net_init(struct net *net)
{
	struct m2m_net *mn = m2m_net(net);

	mutex_init(&mn->lock);
	mn->mode = M2M_MODE_ENFORCE;
	mn->privacy = M2M_PRIVACY_PSEUDONYM;
	mn->event_rate = 10;
	mn->counter_interval = 1000;
	m2m_events_net_init(net);
	return m2m_hooks_register(net);
}

static void __net_exit m2m_net_exit(struct net *net)
{
	struct m2m_net *mn = m2m_net(net);

	m2m_hooks_unregister(net);
	m2m_events_net_exit(net);

	mutex_lock(&mn->lock);
	m2m_txn_free(mn->txn);
	mn->txn = NULL;
	m2m_policy_replace(mn, NULL);
	mutex_unlock(&mn->lock);
}

static struct pernet_operations m2m_net_ops = {
	.init = m2m_net_init,
	.exit = m2m_net_exit,
	.id = &m2m_net_id,
	.size = sizeof(struct m2m_net),
};

static int __init m2m_init(void)
{
	int err;

	err = m2m_policy_init();
	if (err)
		return err;

	err = register_pernet_subsys(&m2m_net_ops);
	if (err)
		goto err_policy;

	err = m2m_txn_init();
	if (err)
		goto err_pernet;

	err = m2m_netlink_init();
	if (err)
		goto err_txn;

	return 0;

err_txn:
	m2m_txn_exit();
err_pernet:
	unregister_pernet_subsys(&m2m_net_ops);
err_policy:
	m2m_policy_exit();
	return err;
}

static void __exit m2m_exit(void)
{
	m2m_netlink_exit();
	m2m_txn_exit();
	unregister_pernet_subsys(&m2m_net_ops);
	m2m_policy_exit();
}

module_init(m2m_init);
module_exit(m2m_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GDPR data-residency egress filter for machine traffic");
MODULE_VERSION(M2M_VERSION);
