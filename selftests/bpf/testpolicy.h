/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random policies and packets for the BPF datapath's tests and benchmark.
 *
 * A policy is written as YAML over the full Tor geo database, with random
 * classes and endpoints whose prefixes lie anywhere, so that the geo
 * jurisdiction matters. Flows are drawn to hit those classes and
 * endpoints often, and each is built into packet bytes the way a host
 * would send it: IPv4 with options and fragments, IPv6 with extension
 * headers and fragments, truncated transport headers, and the IPv6 link
 * control messages that every datapath passes unclassified. With the
 * bytes comes the flow the module's hooks would read from them.
 */
#ifndef M2M_TESTPOLICY_H
#define M2M_TESTPOLICY_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <m2mguard/tables.h>

typedef unsigned __int128 u128;

/* splitmix64: small, seeded, good enough for test data. */
static inline __u64 tp_rnd(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline unsigned int tp_below(__u64 *s, unsigned int n)
{
	return tp_rnd(s) % n;
}

/* A prefix; IPv4 addresses in the low 32 bits, host order. */
struct tp_pfx {
	int family;
	unsigned int len;
	u128 addr;
};

struct tp_ports {
	__u16 lo, hi;
};

struct tp_class {
	struct tp_pfx src[3];
	unsigned int nsrc;
};

enum { TP_ANY, TP_TCP, TP_UDP, TP_ICMP };

struct tp_ep {
	struct tp_pfx dst[2];
	unsigned int ndst;
	int proto;		/* TP_* */
	struct tp_ports ports[3];
	unsigned int nports;	/* 0: any port */
};

struct tp_policy {
	struct tp_class *classes;
	unsigned int nclasses;
	struct tp_ep *eps;
	unsigned int neps;
};

static const char *const tp_countries[] = {
	"DE", "FR", "NL", "IT", "ES", "SE", "PL", "AT", "IE", "NO", "IS",
	"US", "GB", "CH", "CN", "RU", "JP", "IN", "BR", "CA", "KR", "SG",
};
#define TP_NCOUNTRIES	(sizeof(tp_countries) / sizeof(tp_countries[0]))

static inline unsigned int tp_width(int family)
{
	return family == AF_INET ? 32 : 128;
}

static inline u128 tp_host_mask(int family, unsigned int len)
{
	unsigned int w = tp_width(family);

	if (len >= w)
		return 0;
	if (w - len == 128)
		return ~(u128)0;
	return ((u128)1 << (w - len)) - 1;
}

/* A random global address: anywhere for IPv4, 2000::/3 for IPv6. */
static inline u128 tp_addr(__u64 *s, int family)
{
	u128 a;

	if (family == AF_INET)
		return (__u32)tp_rnd(s);
	a = (u128)tp_rnd(s) << 64 | tp_rnd(s);
	if (tp_below(s, 10))
		a = (a & ~((u128)7 << 125)) | (u128)1 << 125;
	return a;
}

static inline struct tp_pfx tp_random_pfx(__u64 *s, int family)
{
	struct tp_pfx p = { .family = family };

	if (family == AF_INET)
		p.len = tp_below(s, 5) ? 12 + tp_below(s, 21) :
					 8 + tp_below(s, 25);
	else
		p.len = tp_below(s, 5) ? 20 + tp_below(s, 45) :
					 16 + tp_below(s, 113);
	p.addr = tp_addr(s, family) & ~tp_host_mask(family, p.len);
	return p;
}

static inline bool tp_same(const struct tp_pfx *a, const struct tp_pfx *b)
{
	return a->family == b->family && a->len == b->len &&
	       a->addr == b->addr;
}

/* Any address in prefix P. */
static inline u128 tp_in(__u64 *s, const struct tp_pfx *p)
{
	u128 r = (u128)tp_rnd(s) << 64 | tp_rnd(s);

	return p->addr | (r & tp_host_mask(p->family, p->len));
}

/* ---- a random policy ---- */

/* A prefix unlike all N in SEEN (every prefix of a policy is distinct). */
static inline struct tp_pfx tp_fresh(__u64 *s, struct tp_pfx *seen,
				     unsigned int *n)
{
	struct tp_pfx p;
	unsigned int i;

again:
	p = tp_random_pfx(s, tp_below(s, 2) ? AF_INET : AF_INET6);
	for (i = 0; i < *n; i++)
		if (tp_same(&seen[i], &p))
			goto again;
	seen[(*n)++] = p;
	return p;
}

static inline void tp_random_policy(struct tp_policy *p, __u64 *s,
				    unsigned int nclasses, unsigned int neps)
{
	struct tp_pfx *seen = calloc(3 * nclasses + 2 * neps, sizeof(*seen));
	unsigned int i, j, nseen = 0;
	struct tp_ep *e;

	p->nclasses = nclasses;
	p->neps = neps;
	p->classes = calloc(nclasses, sizeof(*p->classes));
	p->eps = calloc(neps, sizeof(*p->eps));
	for (i = 0; i < nclasses; i++) {
		p->classes[i].nsrc = 1 + tp_below(s, 3);
		for (j = 0; j < p->classes[i].nsrc; j++)
			p->classes[i].src[j] = tp_fresh(s, seen, &nseen);
	}
	for (i = 0; i < neps; i++) {
		e = &p->eps[i];
		e->ndst = 1 + tp_below(s, 2);
		for (j = 0; j < e->ndst; j++)
			e->dst[j] = tp_fresh(s, seen, &nseen);
		e->proto = tp_below(s, 4);
		e->nports = e->proto == TP_ICMP ? 0 : tp_below(s, 4);
		for (j = 0; j < e->nports; j++) {
			e->ports[j].lo = 1 + 1000 * j + tp_below(s, 900);
			e->ports[j].hi = e->ports[j].lo +
					 (tp_below(s, 2) ? 0 : tp_below(s, 90));
		}
	}
	free(seen);
}

static inline void tp_free_policy(struct tp_policy *p)
{
	free(p->classes);
	free(p->eps);
}

static inline void tp_write_pfx(FILE *f, const struct tp_pfx *p)
{
	char text[INET6_ADDRSTRLEN];
	__u8 b[16];
	int i;

	if (p->family == AF_INET) {
		for (i = 0; i < 4; i++)
			b[i] = p->addr >> (24 - 8 * i);
	} else {
		for (i = 0; i < 16; i++)
			b[i] = p->addr >> (120 - 8 * i);
	}
	inet_ntop(p->family, b, text, sizeof(text));
	fprintf(f, "\"%s/%u\"", text, p->len);
}

static inline void tp_write_pfxs(FILE *f, const struct tp_pfx *p,
				 unsigned int n)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		tp_write_pfx(f, &p[i]);
	}
	fputs("]\n", f);
}

static inline void tp_write_purposes(FILE *f, unsigned int set)
{
	const char *sep = "";
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < 6; i++) {
		if (set >> i & 1) {
			fprintf(f, "%sp%u", sep, i);
			sep = ", ";
		}
	}
	fputs("]\n", f);
}

static inline const char *tp_country(__u64 *s)
{
	return tp_countries[tp_below(s, TP_NCOUNTRIES)];
}

static inline void tp_write_zone(FILE *f, __u64 *s)
{
	switch (tp_below(s, 4)) {
	case 0:
		fputs("eea\n", f);
		break;
	case 1:
		fputs("adequacy\n", f);
		break;
	case 2:
		fprintf(f, "[%s, %s, %s]\n", tp_country(s), tp_country(s),
			tp_country(s));
		break;
	default:
		fprintf(f, "{ include: [eea], add: [US, %s] }\n",
			tp_country(s));
		break;
	}
}

static const char *const tp_modes[] = { "enforce", "audit" };

static inline void tp_write_class(FILE *f, __u64 *s, unsigned int i,
				  const struct tp_class *c)
{
	fprintf(f, "  - name: c%u\n    sources: ", i);
	tp_write_pfxs(f, c->src, c->nsrc);
	fputs("    consent: ", f);
	tp_write_purposes(f, tp_below(s, 64));
	fputs("    zone: ", f);
	tp_write_zone(f, s);
	if (!tp_below(s, 3))
		fprintf(f, "    mode: %s\n", tp_modes[tp_below(s, 2)]);
}

static inline void tp_write_endpoint(FILE *f, __u64 *s, unsigned int i,
				     const struct tp_ep *e)
{
	static const char *const protos[] = { "any", "tcp", "udp", "icmp" };
	unsigned int j;

	fprintf(f, "  - name: e%u\n    destinations: ", i);
	tp_write_pfxs(f, e->dst, e->ndst);
	fprintf(f, "    protocol: %s\n", protos[e->proto]);
	if (e->nports) {
		fputs("    ports: [", f);
		for (j = 0; j < e->nports; j++)
			fprintf(f, "%s\"%u-%u\"", j ? ", " : "",
				e->ports[j].lo, e->ports[j].hi);
		fputs("]\n", f);
	}
	fputs("    purposes: ", f);
	tp_write_purposes(f, 1 + tp_below(s, 63));
	if (!tp_below(s, 3))
		fprintf(f, "    jurisdiction: %s\n", tp_country(s));
	if (!tp_below(s, 5))
		fprintf(f, "    transfer-basis: { type: scc, reference: "
			"\"contract e%u\" }\n", i);
	if (!tp_below(s, 3))
		fprintf(f, "    mode: %s\n", tp_modes[tp_below(s, 2)]);
}

/* Write P as policy file PATH; GEO: over the full Tor database. */
static inline int tp_write_policy(const struct tp_policy *p, __u64 *s,
				  const char *path, bool geo)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return -1;
	fprintf(f, "settings:\n  unknown-jurisdiction: %s\n",
		tp_below(s, 2) ? "allow" : "deny");
	fputs("purposes: [p0, p1, p2, p3, p4, p5]\n", f);
	if (geo)
		fputs("geo:\n  format: tor\n  file: /usr/share/tor/geoip\n"
		      "  ipv6-file: /usr/share/tor/geoip6\n", f);
	else
		fputs("geo:\n  format: none\n", f);
	fputs("classes:\n", f);
	for (i = 0; i < p->nclasses; i++)
		tp_write_class(f, s, i, &p->classes[i]);
	fputs("endpoints:\n", f);
	for (i = 0; i < p->neps; i++)
		tp_write_endpoint(f, s, i, &p->eps[i]);
	return fclose(f);
}

/* ---- random flows ---- */

/* One of the prefixes of FAMILY among N classes or endpoints, if any. */
static inline const struct tp_pfx *tp_pick(__u64 *s, const struct tp_pfx *
					   (*at)(const struct tp_policy *,
						 unsigned int, unsigned int *),
					   const struct tp_policy *p,
					   unsigned int n, int family,
					   unsigned int *owner)
{
	const struct tp_pfx *x;
	unsigned int tries, k;

	for (tries = 0; tries < 64; tries++) {
		*owner = tp_below(s, n);
		x = at(p, *owner, &k);
		x += tp_below(s, k);
		if (x->family == family)
			return x;
	}
	return NULL;
}

static inline const struct tp_pfx *tp_class_src(const struct tp_policy *p,
						unsigned int i,
						unsigned int *n)
{
	*n = p->classes[i].nsrc;
	return p->classes[i].src;
}

static inline const struct tp_pfx *tp_ep_dst(const struct tp_policy *p,
					     unsigned int i, unsigned int *n)
{
	*n = p->eps[i].ndst;
	return p->eps[i].dst;
}

static const __u8 tp_other_protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_UDPLITE,
	IPPROTO_DCCP, IPPROTO_GRE, IPPROTO_ESP, 1 /* ICMP */,
};

/* Protocol and port of a flow to endpoint E (or anything, E NULL). */
static inline void tp_pick_port(__u64 *s, const struct tp_ep *e,
				int family, struct m2m_flow *f)
{
	const struct tp_ports *r;

	if (!e || !tp_below(s, 4)) {
		f->proto = tp_other_protos[tp_below(s, 8)];
		if (f->proto == 1 && family == AF_INET6)
			f->proto = IPPROTO_ICMPV6;
		f->dport = tp_rnd(s);
		return;
	}
	switch (e->proto) {
	case TP_ICMP:
		f->proto = family == AF_INET ? 1 : IPPROTO_ICMPV6;
		return;
	case TP_TCP:
		f->proto = IPPROTO_TCP;
		break;
	case TP_UDP:
		f->proto = IPPROTO_UDP;
		break;
	default:
		f->proto = tp_below(s, 2) ? IPPROTO_TCP : IPPROTO_SCTP;
		break;
	}
	if (!e->nports) {
		f->dport = tp_rnd(s);
		return;
	}
	r = &e->ports[tp_below(s, e->nports)];
	f->dport = r->lo + tp_below(s, r->hi - r->lo + 2);
}

static inline void tp_set_addr(struct m2m_flow *f, u128 a, bool src)
{
	if (f->family == AF_INET) {
		*(src ? &f->src4 : &f->dst4) = a;
		return;
	}
	*(src ? &f->src6_hi : &f->dst6_hi) = a >> 64;
	*(src ? &f->src6_lo : &f->dst6_lo) = a;
}

/* A random flow, from a class to an endpoint more often than not. */
static inline struct m2m_flow tp_random_flow(__u64 *s,
					     const struct tp_policy *p)
{
	struct m2m_flow f = { .family = tp_below(s, 2) ? AF_INET : AF_INET6 };
	const struct tp_pfx *x;
	const struct tp_ep *e = NULL;
	unsigned int owner;

	x = tp_below(s, 4) ? tp_pick(s, tp_class_src, p, p->nclasses,
				     f.family, &owner) : NULL;
	tp_set_addr(&f, x ? tp_in(s, x) : tp_addr(s, f.family), true);

	x = tp_below(s, 2) ? tp_pick(s, tp_ep_dst, p, p->neps, f.family,
				     &owner) : NULL;
	if (x)
		e = &p->eps[owner];
	tp_set_addr(&f, x ? tp_in(s, x) : tp_addr(s, f.family), false);
	tp_pick_port(s, e, f.family, &f);
	return f;
}

/* ---- packets ---- */

#define TP_PKT_MAX	256

/*
 * A packet of flow F (its dport and protocol may change to what the
 * packet's shape lets the module see): the bytes from the Ethernet
 * header, the flow the module reads, the bytes it counts, and whether it
 * is classified at all.
 */
struct tp_pkt {
	__u8 data[TP_PKT_MAX];
	unsigned int len;
	struct m2m_flow flow;
	__u32 l3len;
	bool classified;
};

static inline bool tp_has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

/* The transport header and payload at P: ports, or an ICMP type. */
static inline unsigned int tp_put_l4(__u64 *s, __u8 *p, struct m2m_flow *f,
				     bool truncate, __u8 icmp_type)
{
	unsigned int n = 8 + tp_below(s, 24), i;

	if (truncate) {
		if (tp_has_ports(f->proto) || f->proto == IPPROTO_ICMPV6)
			f->dport = 0;
		return 0;
	}
	for (i = 0; i < n; i++)
		p[i] = tp_rnd(s);
	if (tp_has_ports(f->proto)) {
		p[2] = f->dport >> 8;
		p[3] = f->dport;
	} else {
		f->dport = 0;
		p[0] = icmp_type;
	}
	return n;
}

static inline void tp_put_eth(struct tp_pkt *k, __u16 proto)
{
	struct ethhdr *eth = (struct ethhdr *)k->data;

	memset(eth, 0, sizeof(*eth));
	eth->h_dest[0] = 2;
	eth->h_source[0] = 2;
	eth->h_source[5] = 1;
	eth->h_proto = htons(proto);
	k->len = ETH_HLEN;
}

static inline void tp_build4(__u64 *s, struct tp_pkt *k)
{
	struct m2m_flow *f = &k->flow;
	__u8 *ip = k->data + ETH_HLEN;
	unsigned int ihl = tp_below(s, 10) ? 5 : 6, n;
	bool later = !tp_below(s, 20);

	tp_put_eth(k, ETH_P_IP);
	memset(ip, 0, ihl * 4);
	ip[0] = 0x40 | ihl;
	ip[9] = f->proto;
	*(__u32 *)(ip + 12) = htonl(f->src4);
	*(__u32 *)(ip + 16) = htonl(f->dst4);
	if (later)
		*(__u16 *)(ip + 6) = htons(1 + tp_below(s, 100));
	else if (!tp_below(s, 20))
		*(__u16 *)(ip + 6) = htons(0x2000);	/* MF, first */

	n = tp_put_l4(s, ip + ihl * 4, f, !tp_below(s, 30), 8);
	if (later)
		f->dport = 0;
	k->l3len = ihl * 4 + n;
	*(__u16 *)(ip + 2) = htons(k->l3len);
	k->len += k->l3len;
	k->classified = true;
}

/* An extension header of TYPE at P, followed by NEXT; its length. */
static inline unsigned int tp_put_ext(__u64 *s, __u8 *p, __u8 type,
				      __u8 next, bool later)
{
	unsigned int len = type == 51 ? 24 : 8;

	memset(p, 0, len);
	p[0] = next;
	if (type == 51)
		p[1] = len / 4 - 2;
	if (type == 44)
		*(__u16 *)(p + 2) = htons(later ? (1 + tp_below(s, 100)) << 3 :
						 1);
	return len;
}

static inline void tp_build6(__u64 *s, struct tp_pkt *k)
{
	static const __u8 exts[] = { 0, 60, 43, 44, 51 };
	static const __u8 control[] = { 130, 133, 134, 135, 136, 137, 143 };
	struct m2m_flow *f = &k->flow;
	__u8 *ip = k->data + ETH_HLEN, *p = ip + 40, chain[3], type = 128;
	unsigned int next, i, n = 0, l4;
	bool later = false;

	tp_put_eth(k, ETH_P_IPV6);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	*(__u64 *)(ip + 8) = htobe64(f->src6_hi);
	*(__u64 *)(ip + 16) = htobe64(f->src6_lo);
	*(__u64 *)(ip + 24) = htobe64(f->dst6_hi);
	*(__u64 *)(ip + 32) = htobe64(f->dst6_lo);

	/* A few extension headers, the fragment header last. */
	if (!tp_below(s, 4))
		n = 1 + tp_below(s, 3);
	for (i = 0; i < n; i++)
		chain[i] = exts[tp_below(s, 5)];
	if (n && chain[n - 1] == 44)
		later = !tp_below(s, 2);
	for (i = 0; i + 1 < n; i++)
		if (chain[i] == 44)
			chain[i] = 60;

	if (f->proto == IPPROTO_ICMPV6 && !tp_below(s, 5))
		type = control[tp_below(s, 7)];
	ip[6] = n ? chain[0] : f->proto;
	for (i = 0; i < n; i++) {
		next = i + 1 < n ? chain[i + 1] : f->proto;
		p += tp_put_ext(s, p, chain[i], next, later);
	}

	l4 = tp_put_l4(s, p, f, !tp_below(s, 30), type);
	if (later) {
		f->proto = 44;
		f->dport = 0;
	}
	k->classified = later || l4 == 0 || f->proto != IPPROTO_ICMPV6 ||
			!m2m_icmp6_link_control(type);
	k->l3len = p + l4 - ip;
	*(__u16 *)(ip + 4) = htons(k->l3len - 40);
	k->len += k->l3len;
}

/* Packet K of flow F, in some random shape. */
static inline void tp_build(__u64 *s, const struct m2m_flow *f,
			    struct tp_pkt *k)
{
	memset(k, 0, sizeof(*k));
	k->flow = *f;
	if (f->family == AF_INET)
		tp_build4(s, k);
	else
		tp_build6(s, k);
}

#endif /* M2M_TESTPOLICY_H */
