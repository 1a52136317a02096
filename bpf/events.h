/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drop events into the m2m_events ring buffer, as the module sends them
 * (kmod/events.c): at most event_rate a second per class and reason, one
 * per flow a second, the others counted as suppressed and reported with
 * the next event of their class and reason. A full ring buffer is counted
 * in m2m_state.events_lost.
 *
 * The window of a class and reason changes under its spin lock. The flow
 * table is plain 64-bit loads and stores: two CPUs seeing the same new
 * flow at once may both report it, and colliding flows overwrite each
 * other, as in the module.
 *
 * Pseudonyms and flow hashes are SipHash-2-4 under the random key in
 * m2m_state, the function the module uses under its own key.
 */
#ifndef _M2MGUARD_BPF_EVENTS_H
#define _M2MGUARD_BPF_EVENTS_H

#include <bpf/bpf_endian.h>

#include "flow.h"
#include "maps.h"

#define M2M_EV_WINDOW_NS	1000000000ULL
#define M2M_EV_WINDOW_MS	1000

static __always_inline __u64 m2m_rol64(__u64 w, unsigned int s)
{
	return (w << s) | (w >> (64 - s));
}

#define M2M_SIPROUND							\
	do {								\
		v0 += v1; v1 = m2m_rol64(v1, 13); v1 ^= v0;		\
		v0 = m2m_rol64(v0, 32);					\
		v2 += v3; v3 = m2m_rol64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = m2m_rol64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = m2m_rol64(v1, 17); v1 ^= v2;		\
		v2 = m2m_rol64(v2, 32);					\
	} while (0)

/* SipHash-2-4 of N little-endian words (8 * N bytes) under KEY. */
static __always_inline __u64 m2m_siphash(const __u64 *w, int n,
					 const __u64 *key)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ key[0];
	__u64 v1 = 0x646f72616e646f6dULL ^ key[1];
	__u64 v2 = 0x6c7967656e657261ULL ^ key[0];
	__u64 v3 = 0x7465646279746573ULL ^ key[1];
	__u64 b = (__u64)(8 * n) << 56;
	int i;

	for (i = 0; i < n; i++) {
		v3 ^= w[i];
		M2M_SIPROUND;
		M2M_SIPROUND;
		v0 ^= w[i];
	}
	v3 ^= b;
	M2M_SIPROUND;
	M2M_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	M2M_SIPROUND;
	M2M_SIPROUND;
	M2M_SIPROUND;
	M2M_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The source or destination address of F as the 16 bytes of the event,
 * network order, IPv4 in the first 4, held in two words.
 */
static __always_inline void m2m_ev_addr(__u64 *w, const struct m2m_flow *f,
					bool src)
{
	if (f->family == M2M_AF_INET) {
		w[0] = bpf_htonl(src ? f->src4 : f->dst4);
		w[1] = 0;
		return;
	}
	w[0] = bpf_cpu_to_be64(src ? f->src6_hi : f->dst6_hi);
	w[1] = bpf_cpu_to_be64(src ? f->src6_lo : f->dst6_lo);
}

/*
 * Whether F was reported in the last window; if not, it is now. NOW is in
 * ms. Read before written: a flood must not keep writing the entry.
 */
static __always_inline bool m2m_ev_seen(const struct m2m_flow *f,
					const struct m2m_bpf_state *st,
					__u32 now)
{
	__u64 k[5], h, tag, *entry;
	__u32 i;

	/* The module's key: source, destination, then the rest. */
	m2m_ev_addr(&k[0], f, true);
	m2m_ev_addr(&k[2], f, false);
	k[4] = f->family << 24 | f->proto << 16 | f->dport;
	h = m2m_siphash(k, 5, st->key);
	tag = h & 0xffffffff00000000ULL;

	i = h & (M2M_BPF_EV_FLOWS - 1);
	entry = bpf_map_lookup_elem(&m2m_evflows, &i);
	if (!entry)
		return false;
	if ((*entry & 0xffffffff00000000ULL) == tag &&
	    now - (__u32)*entry < M2M_EV_WINDOW_MS)
		return true;
	*entry = tag | now;
	return false;
}

/* Whether the window of S has room for one more event; S locked. */
static __always_inline bool m2m_ev_admit(struct m2m_bpf_evslot *s,
					 __u32 rate, __u64 now)
{
	if (now - s->start >= M2M_EV_WINDOW_NS) {
		s->start = now;
		s->sent = 0;
	}
	if (s->sent >= rate)
		return false;
	s->sent++;
	return true;
}

/* The source address of F as the privacy setting shows it. */
static __always_inline void m2m_ev_src(struct m2m_event *ev,
				       const struct m2m_flow *f,
				       const struct m2m_bpf_state *st)
{
	__u64 addr[2];

	m2m_ev_addr(addr, f, true);
	switch (st->privacy) {
	case M2M_PRIVACY_RAW:
		ev->src_kind = M2M_SRC_RAW;
		__builtin_memcpy(ev->src, addr, sizeof(addr));
		break;
	case M2M_PRIVACY_TRUNCATE:
		ev->src_kind = M2M_SRC_TRUNCATED;
		if (f->family == M2M_AF_INET)
			__builtin_memcpy(ev->src, addr, 3);
		else
			__builtin_memcpy(ev->src, addr, 6);
		break;
	default:
		ev->src_kind = M2M_SRC_PSEUDONYM;
		*(__u64 *)ev->src = bpf_cpu_to_be64(m2m_siphash(addr, 2,
								st->key));
		break;
	}
}

static __always_inline void m2m_ev_send(const struct m2m_flow *f,
					const struct m2m_verdict *v,
					struct m2m_bpf_state *st,
					__u32 suppressed)
{
	struct m2m_bpf_event *r;
	struct m2m_event *ev;
	__u64 addr[2];

	r = bpf_ringbuf_reserve(&m2m_events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&st->events_lost, 1);
		return;
	}

	__builtin_memset(r, 0, sizeof(*r));
	ev = &r->ev;
	m2m_event_fill(ev, m2m_cfg.generation, f, v);
	m2m_ev_addr(addr, f, false);
	__builtin_memcpy(ev->dst, addr, sizeof(addr));
	m2m_ev_src(ev, f, st);
	r->suppressed = suppressed;
	bpf_ringbuf_submit(r, 0);
}

/* A drop or audited would-be drop V of flow F. */
static __always_inline void m2m_event(const struct m2m_flow *f,
				      const struct m2m_verdict *v,
				      struct m2m_bpf_state *st)
{
	__u32 rate = st->event_rate, i, suppressed;
	__u64 now = bpf_ktime_get_ns();
	struct m2m_bpf_evslot *s;
	bool seen;

	if (!rate)
		return;
	i = v->class_id * __M2M_R_MAX + v->reason;
	s = bpf_map_lookup_elem(&m2m_evslots, &i);
	if (!s)
		return;

	seen = m2m_ev_seen(f, st, now / 1000000);
	bpf_spin_lock(&s->lock);
	if (seen || !m2m_ev_admit(s, rate, now)) {
		s->suppressed++;
		bpf_spin_unlock(&s->lock);
		return;
	}
	suppressed = s->suppressed;
	s->suppressed = 0;
	bpf_spin_unlock(&s->lock);

	m2m_ev_send(f, v, st, suppressed);
}

#endif /* _M2MGUARD_BPF_EVENTS_H */
