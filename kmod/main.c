// SPDX-License-Identifier: GPL-2.0
/*
 * m2mguard: keeps the personal data that machines send inside the
 * jurisdictions their policy allows. Module set-up and per-namespace state.
 */
#include <linux/module.h>
#include <net/netns/generic.h>

#include "m2mguard.h"

static unsigned int m2m_net_id __read_mostly;

struct m2m_net *m2m_net(const struct net *net)
{
	return net_generic(net, m2m_net_id);
}

static int __net_init m2m_net_init(struct net *net)
{
	struct m2m_net *mn = m2m_net(net);

	mutex_init(&mn->lock);
	mn->generation = 0;
	return 0;
}

static void __net_exit m2m_net_exit(struct net *net)
{
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

	err = register_pernet_subsys(&m2m_net_ops);
	if (err)
		return err;

	err = m2m_netlink_init();
	if (err)
		goto err_pernet;

	return 0;

err_pernet:
	unregister_pernet_subsys(&m2m_net_ops);
	return err;
}

static void __exit m2m_exit(void)
{
	m2m_netlink_exit();
	unregister_pernet_subsys(&m2m_net_ops);
}

module_init(m2m_init);
module_exit(m2m_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GDPR data-residency egress filter for machine traffic");
MODULE_VERSION(M2M_VERSION);
