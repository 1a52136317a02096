// SPDX-License-Identifier: GPL-2.0
/*
 * The "m2mguard" generic netlink family: see include/uapi/linux/m2mguard.h
 * for the commands and their attributes. Each operation has its own strict
 * policy; the handlers check only meaning, and say what is wrong in the
 * extended ack.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/m2mguard.h>

#include "m2mguard.h"

static struct genl_family m2m_genl_family;

/* Ranges beyond what fits the policy's inline s16 bounds. */
static struct netlink_range_validation m2m_chunk_range = {
	.min = 1,
	.max = M2M_CHUNK_MAX,
};

static struct netlink_range_validation m2m_event_rate_range = {
	.min = 0,
	.max = M2M_EVENT_RATE_MAX,
};

static struct netlink_range_validation m2m_interval_range = {
	.min = M2M_COUNTER_INTERVAL_MIN,
	.max = M2M_COUNTER_INTERVAL_MAX,
};

static const struct nla_policy m2m_begin_policy[M2M_A_MAX + 1] = {
	[M2M_A_POLICY_SIZE] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy m2m_chunk_policy[M2M_A_MAX + 1] = {
	[M2M_A_TXN_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[M2M_A_OFFSET] = { .type = NLA_U32 },
	[M2M_A_DATA] = NLA_POLICY_FULL_RANGE(NLA_BINARY, &m2m_chunk_range),
};

static const struct nla_policy m2m_txn_policy[M2M_A_MAX + 1] = {
	[M2M_A_TXN_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* For the operations that take no attributes: any is refused. */
static const struct nla_policy m2m_none_policy[M2M_A_MAX + 1] = {};

static const struct nla_policy m2m_set_policy[M2M_A_MAX + 1] = {
	[M2M_A_MODE] = NLA_POLICY_MAX(NLA_U8, M2M_MODE_MAX),
	[M2M_A_EVENT_RATE] = NLA_POLICY_FULL_RANGE(NLA_U32,
						   &m2m_event_rate_range),
	[M2M_A_COUNTER_INTERVAL] = NLA_POLICY_FULL_RANGE(NLA_U32,
							 &m2m_interval_range),
	[M2M_A_PRIVACY] = NLA_POLICY_MAX(NLA_U8, M2M_PRIVACY_MAX),
};

/* A reply to INFO's request, or NULL. */
static struct sk_buff *m2m_reply_new(struct genl_info *info, u8 cmd,
				     void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &m2m_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int m2m_put_info(struct sk_buff *msg, struct m2m_net *mn)
{
	struct m2m_policy *p = rcu_dereference_protected(mn->policy,
						lockdep_is_held(&mn->lock));

	if (nla_put_string(msg, M2M_A_VERSION, M2M_VERSION) ||
	    nla_put_u64_64bit(msg, M2M_A_GENERATION, mn->generation,
			      M2M_A_PAD) ||
	    nla_put_u8(msg, M2M_A_MODE, mn->mode) ||
	    nla_put_u8(msg, M2M_A_PRIVACY, mn->privacy) ||
	    nla_put_u32(msg, M2M_A_EVENT_RATE, mn->event_rate) ||
	    nla_put_u32(msg, M2M_A_COUNTER_INTERVAL, mn->counter_interval) ||
	    nla_put_u64_64bit(msg, M2M_A_EVENTS_LOST,
			      atomic64_read(&mn->events_lost), M2M_A_PAD))
		return -EMSGSIZE;
	if (p && (nla_put(msg, M2M_A_POLICY_HASH, sizeof(p->hash), p->hash) ||
		  nla_put_u32(msg, M2M_A_POLICY_SIZE, p->len) ||
		  nla_put_u64_64bit(msg, M2M_A_MEMORY, p->memory, M2M_A_PAD)))
		return -EMSGSIZE;
	if (mn->txn && nla_put_u32(msg, M2M_A_TXN_ID, mn->txn->id))
		return -EMSGSIZE;
	return 0;
}

static int m2m_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = m2m_reply_new(info, M2M_CMD_GET_INFO, &hdr);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&mn->lock);
	err = m2m_put_info(msg, mn);
	mutex_unlock(&mn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}

	/* A new listener's first request: see M2M_CMD_EVENT_COUNTERS. */
	m2m_events_kick(genl_info_net(info));

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Reply with one u32 or u64 attribute. */
static int m2m_reply_u64(struct genl_info *info, u8 cmd, int attr, u64 val,
			 bool wide)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = m2m_reply_new(info, cmd, &hdr);
	if (!msg)
		return -ENOMEM;
	err = wide ? nla_put_u64_64bit(msg, attr, val, M2M_A_PAD) :
		     nla_put_u32(msg, attr, val);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Whether INFO lacks attribute TYPE, which its operation needs; if so, the
 * extended ack names it.
 */
static bool m2m_nl_missing(struct genl_info *info, int type)
{
	static const char *const msgs[M2M_A_MAX + 1] = {
		[M2M_A_POLICY_SIZE] = "missing M2M_A_POLICY_SIZE",
		[M2M_A_TXN_ID] = "missing M2M_A_TXN_ID",
		[M2M_A_OFFSET] = "missing M2M_A_OFFSET",
		[M2M_A_DATA] = "missing M2M_A_DATA",
	};

	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	if (info->extack)
		info->extack->_msg = msgs[type];
	return true;
}

static int m2m_nl_begin_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct m2m_txn *txn;
	u32 size, id;

	if (m2m_nl_missing(info, M2M_A_POLICY_SIZE))
		return -EINVAL;
	size = nla_get_u32(info->attrs[M2M_A_POLICY_SIZE]);
	if (size > m2m_max_policy_bytes) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[M2M_A_POLICY_SIZE],
				    "policy larger than the module parameter max_policy_bytes");
		return -E2BIG;
	}

	txn = kzalloc(sizeof(*txn), GFP_KERNEL_ACCOUNT);
	if (!txn)
		return -ENOMEM;
	/*
	 * SIZE is the user's to choose, up to what the administrator allows:
	 * a size that cannot be had fails the request, quietly, and never
	 * calls the OOM killer.
	 */
	txn->buf = kvmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN |
			    __GFP_RETRY_MAYFAIL);
	if (!txn->buf) {
		kfree(txn);
		NL_SET_ERR_MSG(extack, "out of memory for the policy");
		return -ENOMEM;
	}
	txn->size = size;
	txn->portid = info->snd_portid;

	mutex_lock(&mn->lock);
	if (mn->txn) {
		mutex_unlock(&mn->lock);
		m2m_txn_free(txn);
		NL_SET_ERR_MSG(extack,
			       "another policy transaction is in progress");
		return -EBUSY;
	}
	id = ++mn->next_txn_id ? : ++mn->next_txn_id;
	txn->id = id;
	mn->txn = txn;
	mutex_unlock(&mn->lock);

	return m2m_reply_u64(info, M2M_CMD_POLICY_BEGIN, M2M_A_TXN_ID, id,
			     false);
}

/* The open transaction that INFO names and owns; mn->lock held. */
static struct m2m_txn *m2m_txn_get(struct m2m_net *mn, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[M2M_A_TXN_ID];
	struct m2m_txn *txn = mn->txn;

	if (!txn || txn->id != nla_get_u32(attr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no such policy transaction");
		return NULL;
	}
	if (txn->portid != info->snd_portid) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "policy transaction belongs to another socket");
		return NULL;
	}
	return txn;
}

static void m2m_txn_drop(struct m2m_net *mn)
{
	m2m_txn_free(mn->txn);
	mn->txn = NULL;
}

static int m2m_nl_chunk_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct m2m_txn *txn;
	struct nlattr *data;
	u32 off, len;
	int err = 0;

	if (m2m_nl_missing(info, M2M_A_TXN_ID) ||
	    m2m_nl_missing(info, M2M_A_OFFSET) ||
	    m2m_nl_missing(info, M2M_A_DATA))
		return -EINVAL;
	data = info->attrs[M2M_A_DATA];
	off = nla_get_u32(info->attrs[M2M_A_OFFSET]);
	len = nla_len(data);

	mutex_lock(&mn->lock);
	txn = m2m_txn_get(mn, info);
	if (!txn) {
		err = -ENOENT;
	} else if (off != txn->received) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[M2M_A_OFFSET],
				    "chunk does not start where the last one ended");
		err = -EINVAL;
	} else if (len > txn->size - txn->received) {
		NL_SET_ERR_MSG_ATTR(extack, data,
				    "chunk runs past the announced policy size");
		err = -EMSGSIZE;
	} else {
		memcpy(txn->buf + off, nla_data(data), len);
		txn->received += len;
	}
	if (err && txn)
		m2m_txn_drop(mn);
	mutex_unlock(&mn->lock);
	return err;
}

/* The settings of a new policy, in force until SET changes them. */
static void m2m_apply_settings(struct m2m_net *mn,
			       const struct m2m_settings *s)
{
	WRITE_ONCE(mn->mode, s->mode);
	WRITE_ONCE(mn->privacy, s->privacy);
	WRITE_ONCE(mn->event_rate, s->event_rate);
	WRITE_ONCE(mn->counter_interval, s->counter_interval);
}

/* Validate the complete blob of TXN and make it the policy in force. */
static int m2m_txn_commit(struct m2m_net *mn, struct m2m_txn *txn,
			  struct netlink_ext_ack *extack)
{
	struct m2m_policy *p;
	const char *why = NULL;

	if (txn->received != txn->size) {
		NL_SET_ERR_MSG(extack,
			       "policy incomplete: fewer bytes sent than announced");
		return -EINVAL;
	}

	p = m2m_policy_create(txn->buf, txn->size, mn->generation + 1, &why);
	if (IS_ERR(p)) {
		/* WHY is one of the validator's constant messages. */
		if (extack)
			extack->_msg = why;
		return PTR_ERR(p);
	}
	txn->buf = NULL;	/* now the policy's */

	mn->generation++;
	m2m_apply_settings(mn, p->t.settings);
	m2m_policy_replace(mn, p);
	m2m_events_policy(mn->net, p);
	return 0;
}

static int m2m_nl_commit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct m2m_txn *txn;
	u64 generation;
	int err;

	if (m2m_nl_missing(info, M2M_A_TXN_ID))
		return -EINVAL;

	mutex_lock(&mn->lock);
	txn = m2m_txn_get(mn, info);
	if (!txn) {
		mutex_unlock(&mn->lock);
		return -ENOENT;
	}
	err = m2m_txn_commit(mn, txn, info->extack);
	m2m_txn_drop(mn);
	generation = mn->generation;
	mutex_unlock(&mn->lock);
	if (err)
		return err;

	return m2m_reply_u64(info, M2M_CMD_POLICY_COMMIT, M2M_A_GENERATION,
			     generation, true);
}

static int m2m_nl_abort_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	int err = 0;

	if (m2m_nl_missing(info, M2M_A_TXN_ID))
		return -EINVAL;

	mutex_lock(&mn->lock);
	if (m2m_txn_get(mn, info))
		m2m_txn_drop(mn);
	else
		err = -ENOENT;
	mutex_unlock(&mn->lock);
	return err;
}

static int m2m_nl_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct nlattr **a = info->attrs;

	if (!a[M2M_A_MODE] && !a[M2M_A_EVENT_RATE] &&
	    !a[M2M_A_COUNTER_INTERVAL] && !a[M2M_A_PRIVACY]) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}

	mutex_lock(&mn->lock);
	if (a[M2M_A_MODE]) {
		WRITE_ONCE(mn->mode, nla_get_u8(a[M2M_A_MODE]));
		m2m_policy_pin(mn);
	}
	if (a[M2M_A_PRIVACY])
		WRITE_ONCE(mn->privacy, nla_get_u8(a[M2M_A_PRIVACY]));
	if (a[M2M_A_EVENT_RATE])
		WRITE_ONCE(mn->event_rate, nla_get_u32(a[M2M_A_EVENT_RATE]));
	if (a[M2M_A_COUNTER_INTERVAL])
		WRITE_ONCE(mn->counter_interval,
			   nla_get_u32(a[M2M_A_COUNTER_INTERVAL]));
	mutex_unlock(&mn->lock);
	return 0;
}

static int m2m_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	struct m2m_policy *p;

	mutex_lock(&mn->lock);
	p = rcu_dereference_protected(mn->policy, lockdep_is_held(&mn->lock));
	if (p)
		m2m_ctr_reset(p);
	mutex_unlock(&mn->lock);
	return 0;
}

static int m2m_nl_clear_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct m2m_net *mn = m2m_net(genl_info_net(info));
	int err = 0;

	mutex_lock(&mn->lock);
	if (rcu_access_pointer(mn->policy))
		m2m_policy_replace(mn, NULL);
	else
		err = -ENOENT;
	mutex_unlock(&mn->lock);
	if (err)
		NL_SET_ERR_MSG(info->extack, "no policy is loaded");
	return err;
}

/*
 * Dumps hold a reference to nothing between calls: each call looks up the
 * policy again and stops if its generation changed (cb->args[1]).
 */
static struct m2m_policy *m2m_dump_policy(struct netlink_callback *cb)
{
	struct m2m_net *mn = m2m_net(sock_net(cb->skb->sk));
	struct m2m_policy *p = rcu_dereference(mn->policy);

	if (!p)
		return NULL;
	if (!cb->args[1])
		cb->args[1] = p->generation;
	return p->generation == cb->args[1] ? p : NULL;
}

static int m2m_nl_policy_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	u32 off = cb->args[0], len;
	struct m2m_policy *p;
	void *hdr;
	int err = 0;

	rcu_read_lock();
	p = m2m_dump_policy(cb);
	if (!p || off >= p->len)
		goto out;

	/* As much as this message can take beside its other attributes. */
	len = min_t(u32, p->len - off, M2M_CHUNK_MAX);
	len = min_t(u32, len, max_t(int, skb_tailroom(skb) - 128, 0) & ~7);
	if (!len) {
		err = -EMSGSIZE;
		goto out;
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &m2m_genl_family, NLM_F_MULTI, M2M_CMD_POLICY_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out;
	}
	if (nla_put_u64_64bit(skb, M2M_A_GENERATION, p->generation,
			      M2M_A_PAD) ||
	    nla_put_u32(skb, M2M_A_POLICY_SIZE, p->len) ||
	    nla_put_u32(skb, M2M_A_OFFSET, off) ||
	    nla_put(skb, M2M_A_DATA, len, p->blob + off)) {
		genlmsg_cancel(skb, hdr);
		err = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(skb, hdr);
	cb->args[0] = off + len;
	err = skb->len;
out:
	rcu_read_unlock();
	return err;
}

/* Counter records per dump message. */
#define M2M_CTR_BATCH	1024

static int m2m_nl_counters_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	u32 rec = cb->args[0], n, i;
	struct m2m_counter_rec *recs;
	struct m2m_policy *p;
	struct nlattr *attr;
	void *hdr;
	int err = 0;

	rcu_read_lock();
	p = m2m_dump_policy(cb);
	if (!p || rec >= p->nctr)
		goto out;

	n = min_t(u32, p->nctr - rec,
		  min_t(u32, M2M_CTR_BATCH,
			(skb_tailroom(skb) - 128) / sizeof(*recs)));
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &m2m_genl_family, NLM_F_MULTI, M2M_CMD_COUNTERS_GET);
	if (!hdr || !n) {
		err = -EMSGSIZE;
		goto out;
	}
	if (nla_put_u64_64bit(skb, M2M_A_GENERATION, p->generation,
			      M2M_A_PAD))
		goto cancel;
	attr = nla_reserve(skb, M2M_A_COUNTERS, n * sizeof(*recs));
	if (!attr)
		goto cancel;
	recs = nla_data(attr);
	for (i = 0; i < n; i++)
		m2m_ctr_read(p, rec + i, &recs[i]);
	genlmsg_end(skb, hdr);
	cb->args[0] = rec + n;
	err = skb->len;
	goto out;

cancel:
	genlmsg_cancel(skb, hdr);
	err = -EMSGSIZE;
out:
	rcu_read_unlock();
	return err;
}

static const struct genl_ops m2m_genl_ops[] = {
	{
		.cmd = M2M_CMD_GET_INFO,
		.doit = m2m_nl_get_info_doit,
		.policy = m2m_none_policy,
		.maxattr = M2M_A_MAX,
	},
	{
		.cmd = M2M_CMD_POLICY_BEGIN,
		.doit = m2m_nl_begin_doit,
		.policy = m2m_begin_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_POLICY_CHUNK,
		.doit = m2m_nl_chunk_doit,
		.policy = m2m_chunk_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_POLICY_COMMIT,
		.doit = m2m_nl_commit_doit,
		.policy = m2m_txn_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_POLICY_ABORT,
		.doit = m2m_nl_abort_doit,
		.policy = m2m_txn_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_POLICY_GET,
		.dumpit = m2m_nl_policy_dumpit,
		.policy = m2m_none_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_COUNTERS_GET,
		.dumpit = m2m_nl_counters_dumpit,
		.policy = m2m_none_policy,
		.maxattr = M2M_A_MAX,
	},
	{
		.cmd = M2M_CMD_COUNTERS_RESET,
		.doit = m2m_nl_reset_doit,
		.policy = m2m_none_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_SET,
		.doit = m2m_nl_set_doit,
		.policy = m2m_set_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = M2M_CMD_POLICY_CLEAR,
		.doit = m2m_nl_clear_doit,
		.policy = m2m_none_policy,
		.maxattr = M2M_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group m2m_genl_mcgrps[] = {
	{ .name = M2M_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family m2m_genl_family __ro_after_init = {
	.name = M2M_GENL_NAME,
	.version = M2M_GENL_VERSION,
	.maxattr = M2M_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = m2m_genl_ops,
	.n_ops = ARRAY_SIZE(m2m_genl_ops),
	.resv_start_op = M2M_CMD_MAX + 1,
	.mcgrps = m2m_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(m2m_genl_mcgrps),
};

/* Whether anyone may listen to "events" in NET (or elsewhere). */
bool m2m_nl_listening(struct net *net)
{
	return genl_has_listeners(&m2m_genl_family, net, 0);
}

/* Start a notification for the "events" group. */
void *m2m_nl_notify_put(struct sk_buff *skb, u8 cmd)
{
	return genlmsg_put(skb, 0, 0, &m2m_genl_family, 0, cmd);
}

/* Send it; -ESRCH when nobody in NET listens. Consumes SKB. */
int m2m_nl_notify(struct net *net, struct sk_buff *skb, gfp_t gfp)
{
	return genlmsg_multicast_netns(&m2m_genl_family, net, skb, 0, 0, gfp);
}

int __init m2m_netlink_init(void)
{
	return genl_register_family(&m2m_genl_family);
}

void m2m_netlink_exit(void)
{
	genl_unregister_family(&m2m_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(M2M_GENL_NAME);
