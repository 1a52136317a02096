/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of the m2mguard module.
 */
#ifndef _M2MGUARD_H
#define _M2MGUARD_H

#include <linux/types.h>
#include <net/net_namespace.h>

#define M2M_VERSION "0.1.0"

/* Per network namespace state. */
struct m2m_net {
	struct mutex lock;	/* serialises policy and settings changes */
	u64 generation;
};

struct m2m_net *m2m_net(const struct net *net);

int m2m_netlink_init(void);
void m2m_netlink_exit(void);

#endif /* _M2MGUARD_H */
