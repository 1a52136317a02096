/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A packet as the verdict sees it (struct m2m_flow), read the way the
 * module's hooks read it (kmod/hooks.c): the same fields, the same
 * fragments rules, the same IPv6 extension header walk, and the same
 * IPv6 link control messages passed unclassified.
 *
 * Headers are read relative to the network header, so the programs work
 * on Ethernet and on L3 devices alike, and from cgroup_skb.
 */
#ifndef _M2MGUARD_BPF_FLOW_H
#define _M2MGUARD_BPF_FLOW_H

#include <bpf/bpf_endian.h>

#include "maps.h"

#define M2M_AF_INET		2
#define M2M_AF_INET6		10
#define M2M_ETH_P_IP		0x0800
#define M2M_ETH_P_IPV6		0x86dd
#define M2M_IP_OFFSET		0x1fff
#define M2M_IP6_OFFSET		0xfff8

#define M2M_NEXTHDR_HOP		0
#define M2M_NEXTHDR_ROUTING	43
#define M2M_NEXTHDR_FRAGMENT	44
#define M2M_NEXTHDR_AUTH	51
#define M2M_NEXTHDR_ICMP	58
#define M2M_NEXTHDR_NONE	59
#define M2M_NEXTHDR_DEST	60

/*
 * Extension headers followed at most. The module follows any number; a
 * packet with more than this is classified with protocol "none" here.
 */
#define M2M_EXTHDR_MAX		8

static __always_inline int m2m_load(struct __sk_buff *skb, __u32 off,
				    void *to, __u32 len)
{
	return bpf_skb_load_bytes_relative(skb, off, to, len,
					   BPF_HDR_START_NET);
}

/* Destination port of a TCP, UDP, UDP-Lite, SCTP or DCCP header at OFF. */
static __always_inline __u16 m2m_dport(struct __sk_buff *skb, __u32 off,
				       __u8 proto)
{
	__be16 ports[2];

	if (!m2m_proto_has_ports(proto))
		return 0;
	if (m2m_load(skb, off, ports, sizeof(ports)))
		return 0;
	return bpf_ntohs(ports[1]);
}

static __always_inline bool m2m_flow4(struct __sk_buff *skb,
				      struct m2m_flow *f, __u32 *len)
{
	struct iphdr iph;

	if (m2m_load(skb, 0, &iph, sizeof(iph)) || iph.ihl < 5)
		return false;

	f->family = M2M_AF_INET;
	f->proto = iph.protocol;
	f->src4 = bpf_ntohl(iph.saddr);
	f->dst4 = bpf_ntohl(iph.daddr);
	/* Later fragments carry no ports. */
	if (!(iph.frag_off & bpf_htons(M2M_IP_OFFSET)))
		f->dport = m2m_dport(skb, iph.ihl * 4, f->proto);
	*len = bpf_ntohs(iph.tot_len);
	return true;
}

static __always_inline bool m2m_exthdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case M2M_NEXTHDR_HOP:
	case M2M_NEXTHDR_ROUTING:
	case M2M_NEXTHDR_FRAGMENT:
	case M2M_NEXTHDR_AUTH:
	case M2M_NEXTHDR_NONE:
	case M2M_NEXTHDR_DEST:
		return true;
	}
	return false;
}

/*
 * ipv6_skip_exthdr(): offset of the upper-layer header from START, its
 * protocol in *NEXTHDR; -1 if there is none or it cannot be read. A later
 * fragment stops the walk at its fragment header.
 *
 * The loop tests at its bottom, so that its back-edge is a jump: the 6.1
 * verifier refuses a loop entered again by falling through.
 */
static __always_inline int m2m_skip_exthdr(struct __sk_buff *skb, int start,
					   __u8 *nexthdr, __be16 *frag_off)
{
	__u8 hdr[2];
	int i = 0, len;

	*frag_off = 0;
	if (!m2m_exthdr(*nexthdr))
		return start;
	do {
		if (*nexthdr == M2M_NEXTHDR_NONE ||
		    m2m_load(skb, start, hdr, sizeof(hdr)))
			return -1;

		if (*nexthdr == M2M_NEXTHDR_FRAGMENT) {
			if (m2m_load(skb, start + 2, frag_off,
				     sizeof(*frag_off)))
				return -1;
			if (*frag_off & bpf_htons(M2M_IP6_OFFSET))
				return start;
			len = 8;
		} else if (*nexthdr == M2M_NEXTHDR_AUTH) {
			len = (hdr[1] + 2) << 2;
		} else {
			len = (hdr[1] + 1) << 3;
		}
		*nexthdr = hdr[0];
		start += len;
	} while (m2m_exthdr(*nexthdr) && ++i < M2M_EXTHDR_MAX);

	return m2m_exthdr(*nexthdr) ? -1 : start;
}

static __always_inline __u64 m2m_be64(const __u32 *a)
{
	return (__u64)bpf_ntohl(a[0]) << 32 | bpf_ntohl(a[1]);
}

static __always_inline bool m2m_flow6(struct __sk_buff *skb,
				      struct m2m_flow *f, __u32 *len)
{
	struct ipv6hdr ip6h;
	__u8 nexthdr, type;
	__be16 frag_off;
	bool later;
	int off;

	if (m2m_load(skb, 0, &ip6h, sizeof(ip6h)))
		return false;

	f->family = M2M_AF_INET6;
	f->src6_hi = m2m_be64(&ip6h.saddr.in6_u.u6_addr32[0]);
	f->src6_lo = m2m_be64(&ip6h.saddr.in6_u.u6_addr32[2]);
	f->dst6_hi = m2m_be64(&ip6h.daddr.in6_u.u6_addr32[0]);
	f->dst6_lo = m2m_be64(&ip6h.daddr.in6_u.u6_addr32[2]);
	*len = bpf_ntohs(ip6h.payload_len) + sizeof(ip6h);

	nexthdr = ip6h.nexthdr;
	off = m2m_skip_exthdr(skb, sizeof(ip6h), &nexthdr, &frag_off);
	f->proto = off < 0 ? M2M_NEXTHDR_NONE : nexthdr;
	later = frag_off & bpf_htons(M2M_IP6_OFFSET);
	if (f->proto == M2M_NEXTHDR_ICMP && !later) {
		if (m2m_load(skb, off, &type, sizeof(type)))
			type = 0;
		return !m2m_icmp6_link_control(type);
	}

	if (off >= 0 && !later)
		f->dport = m2m_dport(skb, off, f->proto);
	return true;
}

/*
 * The flow of SKB into F (zeroed by the caller) and the bytes it counts
 * for, the length its IP header gives; false if it passes unclassified.
 * TODO: a GSO packet past 64 KiB (BIG TCP) gives 0 there; only the
 * cgroup program, which has the true length, counts it right.
 */
static __always_inline bool m2m_flow(struct __sk_buff *skb,
				     struct m2m_flow *f, __u32 *len)
{
	switch (bpf_ntohs(skb->protocol)) {
	case M2M_ETH_P_IP:
		return m2m_flow4(skb, f, len);
	case M2M_ETH_P_IPV6:
		return m2m_flow6(skb, f, len);
	}
	return false;
}

#endif /* _M2MGUARD_BPF_FLOW_H */
