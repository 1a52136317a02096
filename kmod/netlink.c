// SPDX-License-Identifier: GPL-2.0
/*
 * The "m2mguard" generic netlink family: see include/uapi/linux/m2mguard.h
 * for the commands and their attributes.
 */
#include <net/genetlink.h>
#include <linux/m2mguard.h>

#include "m2mguard.h"

static struct genl_family m2m_genl_family;

static const struct nla_policy m2m_get_info_policy[M2M_A_MAX + 1] = {
};

static int m2m_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &m2m_genl_family, 0,
				M2M_CMD_GET_INFO);
	if (!hdr)
		goto err_msg;

	mutex_lock(&mn->lock);
	if (nla_put_string(msg, M2M_A_VERSION, M2M_VERSION) ||
	    nla_put_u64_64bit(msg, M2M_A_GENERATION, mn->generation,
			      M2M_A_PAD)) {
		mutex_unlock(&mn->lock);
		goto err_msg;
	}
	mutex_unlock(&mn->lock);

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_small_ops m2m_genl_ops[] = {
	{
		.cmd = M2M_CMD_GET_INFO,
		.validate = GENL_DONT_VALIDATE_DUMP,
		.doit = m2m_nl_get_info_doit,
	},
};

static const struct genl_multicast_group m2m_genl_mcgrps[] = {
	{ .name = M2M_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family m2m_genl_family __ro_after_init = {
	.name = M2M_GENL_NAME,
	.version = M2M_GENL_VERSION,
	.maxattr = M2M_A_MAX,
	.policy = m2m_get_info_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = m2m_genl_ops,
	.n_small_ops = ARRAY_SIZE(m2m_genl_ops),
	.resv_start_op = M2M_CMD_MAX + 1,
	.mcgrps = m2m_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(m2m_genl_mcgrps),
};

int __init m2m_netlink_init(void)
{
	return genl_register_family(&m2m_genl_family);
}

void m2m_netlink_exit(void)
{
	genl_unregister_family(&m2m_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(M2M_GENL_NAME);
