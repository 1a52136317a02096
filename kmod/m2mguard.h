/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of the m2mguard module.
 */
#ifndef _M2MGUARD_H
#define _M2MGUARD_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/siphash.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>

#define M2M_VERSION "0.1.0"

/* Module parameters (main.c). */
extern unsigned int m2m_max_policy_bytes;

/* One CPU's packet and byte count of one record; summed when read. */
struct m2m_ctr {
	local64_t packets;
	local64_t bytes;
};

/*
 * A policy in force: the blob as received, its tables, and the counters
 * of the packets it classified. Read under RCU by the hooks, replaced
 * whole under m2m_net.lock, freed after a grace period.
 */
struct m2m_policy {
	void *blob;
	u32 len;
	u8 hash[32];
	u64 generation;
	struct m2m_tables t;
	struct m2m_ctr *ctr;		/* a block per CPU, counters.c */
	u32 nctr;			/* records */
	u32 ctr_stride;			/* records per CPU block */
	size_t memory;
	struct m2m_events *events;	/* rate and flow state, events.c */
	struct rcu_work free_work;
};

/* A policy transaction: the blob arriving in chunks from one socket. */
struct m2m_txn {
	u32 id;
	u32 portid;
	u32 size;
	u32 received;
	void *buf;
};

/* Per network namespace state. */
struct m2m_net {
	struct mutex lock;	/* serialises every change below */
	struct m2m_policy __rcu *policy;
	struct m2m_txn *txn;
	u64 generation;		/* of the last committed policy */
	u32 next_txn_id;
	u8 mode;		/* enum m2m_mode; read locklessly */
	u8 privacy;		/* enum m2m_privacy */
	u32 event_rate;
	u32 counter_interval;	/* ms */
	bool hooks_registered;
	bool pinned;		/* holds a module reference, policy.c */

	/* events.c */
	struct net *net;
	siphash_key_t event_key;	/* pseudonyms and flow hashes */
	atomic64_t events_lost;
	struct delayed_work snapshot_work;
};

struct m2m_net *m2m_net(const struct net *net);

/* policy.c */
struct m2m_policy *m2m_policy_create(void *blob, u32 len, u64 generation,
				     const char **why);
void m2m_policy_put(struct m2m_policy *p);
void m2m_policy_replace(struct m2m_net *mn, struct m2m_policy *p);
void m2m_policy_pin(struct m2m_net *mn);
int m2m_policy_init(void);
void m2m_policy_exit(void);

/* counters.c */
u32 m2m_ctr_count(const struct m2m_tables *t);
int m2m_ctr_alloc(struct m2m_policy *p);
void m2m_ctr_free(struct m2m_policy *p);
size_t m2m_ctr_size(const struct m2m_policy *p);
void m2m_ctr_account(struct m2m_policy *p, const struct m2m_verdict *v,
		     unsigned int len);
void m2m_ctr_reset(struct m2m_policy *p);
/* Sum record REC (0 .. m2m_ctr_count - 1) over CPUs into OUT. */
void m2m_ctr_read(const struct m2m_policy *p, u32 rec,
		  struct m2m_counter_rec *out);

/* hooks.c */
int m2m_hooks_register(struct net *net);
void m2m_hooks_unregister(struct net *net);

/* txn.c */
void m2m_txn_free(struct m2m_txn *txn);
int m2m_txn_init(void);
void m2m_txn_exit(void);

/* netlink.c */
int m2m_netlink_init(void);
void m2m_netlink_exit(void);
bool m2m_nl_listening(struct net *net);
void *m2m_nl_notify_put(struct sk_buff *skb, u8 cmd);
int m2m_nl_notify(struct net *net, struct sk_buff *skb, gfp_t gfp);

/* events.c */
size_t m2m_events_size(const struct m2m_tables *t);
int m2m_events_alloc(struct m2m_policy *p);
void m2m_events_free(struct m2m_policy *p);
void m2m_events_net_init(struct net *net);
void m2m_events_net_exit(struct net *net);
void m2m_events_drop(struct net *net, struct m2m_policy *p,
		     const struct m2m_flow *f, const struct m2m_verdict *v);
void m2m_events_policy(struct net *net, const struct m2m_policy *p);
void m2m_events_kick(struct net *net);

#endif /* _M2MGUARD_H */
