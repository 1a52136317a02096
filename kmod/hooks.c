// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hooks: every IPv4 and IPv6 packet leaving the namespace,
 * locally generated or forwarded, passes POST_ROUTING. The hooks run just
 * before source NAT, so the source is still the device's own address.
 * Packets whose headers cannot be read, and IPv6 link control messages
 * (m2m_icmp6_link_control), pass unclassified.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ipv6.h>

#include "m2mguard.h"

/* Destination port of a TCP, UDP, UDP-Lite, SCTP or DCCP header at OFF. */
static u16 m2m_dport(const struct sk_buff *skb, unsigned int off, u8 proto)
{
	__be16 _ports[2];
	const __be16 *ports;

	if (!m2m_proto_has_ports(proto))
		return 0;
	ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
	return ports ? ntohs(ports[1]) : 0;
}

static u8 m2m_icmp6_type(const struct sk_buff *skb, unsigned int off)
{
	const u8 *type;
	u8 _type;

	type = skb_header_pointer(skb, off, sizeof(_type), &_type);
	return type ? *type : 0;
}

static bool m2m_flow4(const struct sk_buff *skb, struct m2m_flow *f)
{
	const struct iphdr *iph;
	struct iphdr _iph;

	iph = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_iph),
				 &_iph);
	if (!iph || iph->ihl < 5)
		return false;

	f->family = AF_INET;
	f->proto = iph->protocol;
	f->src4 = ntohl(iph->saddr);
	f->dst4 = ntohl(iph->daddr);
	/* Later fragments carry no ports. */
	f->dport = ip_is_fragment(iph) && (iph->frag_off & htons(IP_OFFSET)) ?
		   0 : m2m_dport(skb, skb_network_offset(skb) + iph->ihl * 4,
				 f->proto);
	return true;
}

static u64 m2m_be64(const struct in6_addr *a, int half)
{
	return ((u64)ntohl(a->s6_addr32[half * 2]) << 32) |
	       ntohl(a->s6_addr32[half * 2 + 1]);
}

static bool m2m_flow6(const struct sk_buff *skb, struct m2m_flow *f)
{
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	ip6h = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_ip6h),
				  &_ip6h);
	if (!ip6h)
		return false;

	f->family = AF_INET6;
	f->src6_hi = m2m_be64(&ip6h->saddr, 0);
	f->src6_lo = m2m_be64(&ip6h->saddr, 1);
	f->dst6_hi = m2m_be64(&ip6h->daddr, 0);
	f->dst6_lo = m2m_be64(&ip6h->daddr, 1);

	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(_ip6h),
			       &nexthdr, &frag_off);
	f->proto = off < 0 ? NEXTHDR_NONE : nexthdr;
	if (f->proto == IPPROTO_ICMPV6 && !(frag_off & htons(~0x7)))
		return !m2m_icmp6_link_control(m2m_icmp6_type(skb, off));

	f->dport = off < 0 || (frag_off & htons(~0x7)) ?
		   0 : m2m_dport(skb, off, f->proto);
	return true;
}

static unsigned int m2m_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct m2m_net *mn = m2m_net(state->net);
	struct m2m_policy *p;
	struct m2m_flow f;
	struct m2m_verdict v;
	bool ok;

	p = rcu_dereference(mn->policy);
	if (!p)
		return NF_ACCEPT;

	memset(&f, 0, sizeof(f));
	ok = state->pf == NFPROTO_IPV4 ? m2m_flow4(skb, &f) :
					 m2m_flow6(skb, &f);
	if (!ok)
		return NF_ACCEPT;

	m2m_classify(&p->t, &f, READ_ONCE(mn->mode), &v);
	m2m_ctr_account(p, &v, skb->len);
	if (v.drop || v.audited)
		m2m_events_drop(state->net, p, &f, &v);
	return v.drop ? NF_DROP : NF_ACCEPT;
}

static const struct nf_hook_ops m2m_hook_ops[] = {
	{
		.hook = m2m_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC - 1,
	},
	{
		.hook = m2m_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC - 1,
	},
};

int m2m_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, m2m_hook_ops,
				     ARRAY_SIZE(m2m_hook_ops));
}

void m2m_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, m2m_hook_ops, ARRAY_SIZE(m2m_hook_ops));
}
