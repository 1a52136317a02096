// SPDX-License-Identifier: GPL-2.0
/*
 * Drop events, counter snapshots and policy notices on the "events"
 * multicast group (see include/uapi/linux/m2mguard.h).
 *
 * Theory of operation. A drop event is built in the packet path, so all
 * it needs is allocated with the policy: per class and reason a window of
 * one second that admits event_rate events and counts the others as
 * suppressed, and a table of the flows reported in the last second, so
 * that a flow dropping packet after packet is reported once. Both change
 * with atomics only; CPUs racing at the edge of a window may let a few
 * more events through, never fewer. Every packet the two turn away is
 * counted in its slot and reported with the next event of that class and
 * reason: events sent plus their SUPPRESSED add up to the drops.
 *
 * Nothing is built or counted while the group has no listeners. That
 * check is one bit test, but the bit covers every namespace: a message
 * may still find nobody here, and its send then fails with -ESRCH,
 * which is not a loss. Other failures count in events_lost. TODO: count
 * the listeners per namespace from multicast bind and unbind callbacks
 * on kernels that have them.
 *
 * Counter snapshots come from a delayed work per namespace that re-arms
 * itself while somebody here listens and a policy is loaded. Generic
 * netlink does not tell a family when a socket joins a group, so a
 * request (GET_INFO), a commit or a drop event arms it (m2m_events_kick).
 */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <asm/unaligned.h>
#include <net/genetlink.h>

#include "m2mguard.h"

#define M2M_EV_WINDOW	HZ	/* of the rate limit and of the flow table */
#define M2M_EV_FLOWS	1024	/* flow table entries, a power of two */
#define M2M_EV_BATCH	128	/* counter records per snapshot message */

/* The events of one class and reason. */
struct m2m_ev_slot {
	unsigned long start;	/* jiffies: the window's start */
	atomic_t sent;		/* events admitted in this window */
	atomic_t suppressed;	/* not sent since the last one that was */
};

struct m2m_events {
	/* Upper 32 bits of a flow's hash, lower 32 of jiffies at its event. */
	atomic64_t flows[M2M_EV_FLOWS];
	struct m2m_ev_slot slots[];	/* class_id * __M2M_R_MAX + reason */
};

static u32 m2m_ev_nslots(const struct m2m_tables *t)
{
	return (t->nclasses + 1) * __M2M_R_MAX;
}

size_t m2m_events_size(const struct m2m_tables *t)
{
	struct m2m_events *e;

	return struct_size(e, slots, m2m_ev_nslots(t));
}

int m2m_events_alloc(struct m2m_policy *p)
{
	u32 i, n = m2m_ev_nslots(&p->t);

	p->events = kvzalloc(m2m_events_size(&p->t), GFP_KERNEL_ACCOUNT);
	if (!p->events)
		return -ENOMEM;

	for (i = 0; i < n; i++)
		p->events->slots[i].start = jiffies - M2M_EV_WINDOW;
	return 0;
}

void m2m_events_free(struct m2m_policy *p)
{
	kvfree(p->events);
}

/* ---- the packet path ---- */

/* The source or destination address of F, network order, into OUT[16]. */
static void m2m_ev_addr(u8 *out, const struct m2m_flow *f, bool src)
{
	if (f->family == AF_INET) {
		put_unaligned_be32(src ? f->src4 : f->dst4, out);
		return;
	}
	put_unaligned_be64(src ? f->src6_hi : f->dst6_hi, out);
	put_unaligned_be64(src ? f->src6_lo : f->dst6_lo, out + 8);
}

static u64 m2m_ev_flow_hash(const struct m2m_flow *f,
			    const siphash_key_t *key)
{
	struct {
		u8 src[16];
		u8 dst[16];
		u32 meta;
		u32 zero;
	} k = {
		.meta = f->family << 24 | f->proto << 16 | f->dport,
	};

	m2m_ev_addr(k.src, f, true);
	m2m_ev_addr(k.dst, f, false);
	return siphash(&k, sizeof(k), key);
}

/*
 * Whether F was reported in the last window; if not, it is now. Of two
 * CPUs seeing the same new flow at once, the one that loses the exchange
 * takes it as a duplicate. Colliding flows overwrite each other.
 */
static bool m2m_ev_seen(struct m2m_events *e, const siphash_key_t *key,
			const struct m2m_flow *f, unsigned long now)
{
	u64 h = m2m_ev_flow_hash(f, key), tag = h & GENMASK_ULL(63, 32);
	atomic64_t *entry = &e->flows[h & (M2M_EV_FLOWS - 1)];
	s64 old = atomic64_read(entry);

	if (((u64)old & GENMASK_ULL(63, 32)) == tag &&
	    (u32)now - (u32)old < M2M_EV_WINDOW)
		return true;
	return atomic64_cmpxchg(entry, old, tag | (u32)now) != old;
}

/* Whether the window of S has room for one more event. */
static bool m2m_ev_admit(struct m2m_ev_slot *s, u32 rate, unsigned long now)
{
	unsigned long start = READ_ONCE(s->start);

	if (time_after_eq(now, start + M2M_EV_WINDOW) &&
	    cmpxchg(&s->start, start, now) == start)
		atomic_set(&s->sent, 0);

	/* Read first: a flood must not keep writing the slot. */
	if (atomic_read(&s->sent) >= rate)
		return false;
	return atomic_inc_return(&s->sent) <= rate;
}

/* The source address of F as the namespace's privacy setting shows it. */
static void m2m_ev_src(struct m2m_event *ev, const struct m2m_flow *f,
		       const struct m2m_net *mn)
{
	u8 addr[16] = {};

	m2m_ev_addr(addr, f, true);
	switch (READ_ONCE(mn->privacy)) {
	case M2M_PRIVACY_RAW:
		ev->src_kind = M2M_SRC_RAW;
		memcpy(ev->src, addr, sizeof(addr));
		break;
	case M2M_PRIVACY_TRUNCATE:
		ev->src_kind = M2M_SRC_TRUNCATED;
		memcpy(ev->src, addr, f->family == AF_INET ? 3 : 6);
		break;
	default:
		ev->src_kind = M2M_SRC_PSEUDONYM;
		put_unaligned_be64(siphash(addr, sizeof(addr), &mn->event_key),
				   ev->src);
		break;
	}
}

static void m2m_ev_fill(struct m2m_event *ev, const struct m2m_policy *p,
			const struct m2m_flow *f, const struct m2m_verdict *v,
			const struct m2m_net *mn)
{
	memset(ev, 0, sizeof(*ev));
	m2m_event_fill(ev, p->generation, f, v);
	m2m_ev_addr(ev->dst, f, false);
	m2m_ev_src(ev, f, mn);
}

/* Multicast SKB in NET; a failure other than "nobody here" is a loss. */
static int m2m_ev_multicast(struct net *net, struct sk_buff *skb, gfp_t gfp)
{
	int err = m2m_nl_notify(net, skb, gfp);

	if (err && err != -ESRCH)
		atomic64_inc(&m2m_net(net)->events_lost);
	return err;
}

static int m2m_ev_send_drop(struct net *net, const struct m2m_event *ev,
			    u32 suppressed)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size(sizeof(*ev)) +
			  nla_total_size(sizeof(u32)), GFP_ATOMIC);
	if (!skb)
		goto lost;

	hdr = m2m_nl_notify_put(skb, M2M_CMD_EVENT_DROP);
	if (!hdr || nla_put(skb, M2M_A_EVENT, sizeof(*ev), ev) ||
	    nla_put_u32(skb, M2M_A_SUPPRESSED, suppressed)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_end(skb, hdr);
	return m2m_ev_multicast(net, skb, GFP_ATOMIC);

lost:
	atomic64_inc(&m2m_net(net)->events_lost);
	return -ENOMEM;
}

/* A drop or audited would-be drop V of flow F; under RCU, in any context. */
void m2m_events_drop(struct net *net, struct m2m_policy *p,
		     const struct m2m_flow *f, const struct m2m_verdict *v)
{
	struct m2m_net *mn = m2m_net(net);
	u32 rate = READ_ONCE(mn->event_rate);
	unsigned long now = jiffies;
	struct m2m_ev_slot *s;
	struct m2m_event ev;

	if (!rate || !m2m_nl_listening(net))
		return;

	s = &p->events->slots[v->class_id * __M2M_R_MAX + v->reason];
	if (m2m_ev_seen(p->events, &mn->event_key, f, now) ||
	    !m2m_ev_admit(s, rate, now)) {
		atomic_inc(&s->suppressed);
		return;
	}

	m2m_ev_fill(&ev, p, f, v, mn);
	if (!m2m_ev_send_drop(net, &ev, atomic_xchg(&s->suppressed, 0)))
		m2m_events_kick(net);
}

/* ---- counter snapshots ---- */

static void m2m_ev_arm(struct m2m_net *mn)
{
	queue_delayed_work(system_wq, &mn->snapshot_work,
			   msecs_to_jiffies(READ_ONCE(mn->counter_interval)));
}

/*
 * Start the snapshots of NET if they are not running and anyone listens.
 * TODO: arm them from the family's multicast bind callback on kernels
 * that have one (6.1 does not), so that joining alone is enough.
 */
void m2m_events_kick(struct net *net)
{
	struct m2m_net *mn = m2m_net(net);

	if (!delayed_work_pending(&mn->snapshot_work) && m2m_nl_listening(net))
		m2m_ev_arm(mn);
}

/*
 * One snapshot message: the nonzero records from *REC on, as many as
 * BUF holds. Only the first message of a snapshot may be empty.
 */
static int m2m_ev_counters_msg(struct net *net, const struct m2m_policy *p,
			       u32 *rec, struct m2m_counter_rec *buf,
			       bool first)
{
	struct sk_buff *skb;
	u32 n = 0;
	void *hdr;

	for (; *rec < p->nctr && n < M2M_EV_BATCH; (*rec)++) {
		m2m_ctr_read(p, *rec, &buf[n]);
		if (buf[n].packets)
			n++;
		if (!(*rec % 4096))
			cond_resched();
	}
	if (!n && !first)
		return 0;

	skb = genlmsg_new(nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(n * sizeof(*buf)), GFP_KERNEL);
	if (!skb)
		goto lost;

	hdr = m2m_nl_notify_put(skb, M2M_CMD_EVENT_COUNTERS);
	if (!hdr || nla_put_u64_64bit(skb, M2M_A_GENERATION, p->generation,
				      M2M_A_PAD) ||
	    nla_put(skb, M2M_A_COUNTERS, n * sizeof(*buf), buf)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_end(skb, hdr);
	return m2m_ev_multicast(net, skb, GFP_KERNEL);

lost:
	atomic64_inc(&m2m_net(net)->events_lost);
	return -ENOMEM;
}

/* All nonzero counters of P; mn->lock held, so P stays in force. */
static int m2m_ev_snapshot(struct net *net, const struct m2m_policy *p)
{
	struct m2m_counter_rec *buf;
	u32 rec = 0;
	int err;

	buf = kmalloc_array(M2M_EV_BATCH, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	do {
		err = m2m_ev_counters_msg(net, p, &rec, buf, !rec);
	} while (!err && rec < p->nctr);

	kfree(buf);
	return err;
}

static void m2m_ev_snapshot_work(struct work_struct *work)
{
	struct m2m_net *mn = container_of(to_delayed_work(work),
					  struct m2m_net, snapshot_work);
	struct m2m_policy *p;
	int err = -ENOENT;

	if (!m2m_nl_listening(mn->net))
		return;

	mutex_lock(&mn->lock);
	p = rcu_dereference_protected(mn->policy, lockdep_is_held(&mn->lock));
	if (p)
		err = m2m_ev_snapshot(mn->net, p);
	mutex_unlock(&mn->lock);

	/* Nobody here listens, or nothing to count: wait for a kick. */
	if (err == -ESRCH || err == -ENOENT)
		return;
	m2m_ev_arm(mn);
}

/* ---- policy notices, namespaces ---- */

/* P was committed; mn->lock held. */
void m2m_events_policy(struct net *net, const struct m2m_policy *p)
{
	struct sk_buff *skb;
	void *hdr;

	if (!m2m_nl_listening(net))
		return;

	skb = genlmsg_new(nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(p->hash)), GFP_KERNEL);
	if (!skb)
		goto lost;

	hdr = m2m_nl_notify_put(skb, M2M_CMD_EVENT_POLICY);
	if (!hdr || nla_put_u64_64bit(skb, M2M_A_GENERATION, p->generation,
				      M2M_A_PAD) ||
	    nla_put(skb, M2M_A_POLICY_HASH, sizeof(p->hash), p->hash)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_end(skb, hdr);
	m2m_ev_multicast(net, skb, GFP_KERNEL);
	m2m_events_kick(net);
	return;

lost:
	atomic64_inc(&m2m_net(net)->events_lost);
}

void m2m_events_net_init(struct net *net)
{
	struct m2m_net *mn = m2m_net(net);

	mn->net = net;
	get_random_bytes(&mn->event_key, sizeof(mn->event_key));
	atomic64_set(&mn->events_lost, 0);
	INIT_DELAYED_WORK(&mn->snapshot_work, m2m_ev_snapshot_work);
}

/* After the hooks are gone and before the policy is: nothing re-arms. */
void m2m_events_net_exit(struct net *net)
{
	cancel_delayed_work_sync(&m2m_net(net)->snapshot_work);
}
