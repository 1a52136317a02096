// SPDX-License-Identifier: GPL-2.0
/*
 * difftraffic: the random policy and packets of the differential test
 * (selftests/vm/differential.sh), and the counters that the verdict code
 * of the module gives them.
 *
 *	difftraffic [-e ENDPOINTS] policy FILE
 *	difftraffic [-e ENDPOINTS] expect BLOB COUNT AUDIT_FROM
 *	difftraffic [-e ENDPOINTS] send IFACE MAC FROM TO
 *
 * policy writes the policy as YAML: the full Tor geo database, ENDPOINTS
 * random endpoints (default 1,000) and three classes
 * (selftests/bpf/testpolicy.h). The packets depend on the policy: give
 * every command the same ENDPOINTS.
 *
 * Packet I, counting from 0, is the same in every run: the I-th of a
 * seeded stream of random flows of that policy, each built into bytes in
 * one of the shapes of testpolicy.h. Only flows that a Linux router
 * forwards are kept: global unicast (2000::/3) and unique local
 * (fc00::/7) IPv6 addresses, IPv4 addresses from 1.0.0.0 to
 * 223.255.255.255 outside 127.0.0.0/8.
 *
 * send writes packets FROM to TO - 1 as Ethernet frames to MAC on IFACE
 * through a packet socket, so that any source address can be sent.
 *
 * expect opens BLOB, the policy as "m2mctl policy compile" writes it,
 * classifies packets 0 to COUNT - 1 with m2m_classify(), in enforce mode
 * below AUDIT_FROM and in audit mode from there, and prints every counter
 * that a datapath must then hold (kmod/counters.c), one per line, in the
 * terms of "m2mctl -j stats", endpoints summed by name:
 *
 *	reason REASON AUDITED PACKETS BYTES
 *	endpoint NAME PACKETS BYTES
 *	class NAME REASON AUDITED PACKETS BYTES
 *	country CC PACKETS BYTES
 *
 * and a summary of the packets on stderr.
 *
 * Exit status: 0, 1 on a usage or local error.
 */
#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <unistd.h>

#include "../bpf/testpolicy.h"

/* A policy whose three classes all have forwardable IPv4 and IPv6 sources. */
#define SEED		0x6469666674726182ULL
#define PACKET_SEED	0x7061636b65747321ULL
#define NCLASSES	3
#define NENDPOINTS	1000
#define TTL		64
#define REASON_KEYS	(2 * __M2M_R_MAX)

/* ---- the packets ---- */

struct stream {
	struct tp_policy p;
	__u64 seed;
};

static unsigned long nendpoints = NENDPOINTS;

static void stream_init(struct stream *st)
{
	__u64 s = SEED;

	tp_random_policy(&st->p, &s, NCLASSES, nendpoints);
	st->seed = PACKET_SEED;
}

static bool routable4(__u32 a)
{
	__u32 top = a >> 24;

	return top && top != 127 && top < 224;
}

static bool routable6(__u64 hi)
{
	return hi >> 61 == 1 || hi >> 57 == 0x7e;
}

/* Whether a router forwards F: see the head of the file. */
static bool routable(const struct m2m_flow *f)
{
	if (f->family == AF_INET)
		return routable4(f->src4) && routable4(f->dst4);
	return routable6(f->src6_hi) && routable6(f->dst6_hi);
}

static __u16 ip_checksum(const __u8 *p, unsigned int len)
{
	__u32 sum = 0;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Give the packet a hop limit, and IPv4 its header checksum. */
static void make_forwardable(struct tp_pkt *k)
{
	__u8 *ip = k->data + ETH_HLEN;
	__u16 sum;

	if (k->flow.family == AF_INET6) {
		ip[7] = TTL;
		return;
	}
	ip[8] = TTL;
	ip[10] = ip[11] = 0;
	sum = ip_checksum(ip, (ip[0] & 0xf) * 4);
	ip[10] = sum >> 8;
	ip[11] = sum;
}

static void stream_next(struct stream *st, struct tp_pkt *k)
{
	struct m2m_flow f;

	do {
		f = tp_random_flow(&st->seed, &st->p);
	} while (!routable(&f));
	tp_build(&st->seed, &f, k);
	make_forwardable(k);
}

/* ---- policy ---- */

static int do_policy(const char *path)
{
	struct tp_policy p;
	__u64 s = SEED;
	int err;

	tp_random_policy(&p, &s, NCLASSES, nendpoints);
	err = tp_write_policy(&p, &s, path, true);
	tp_free_policy(&p);
	if (err)
		perror(path);
	return err ? 1 : 0;
}

/* ---- send ---- */

static int parse_mac(const char *text, __u8 mac[ETH_ALEN])
{
	char end;

	if (sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5], &end) != 6) {
		fprintf(stderr, "difftraffic: bad MAC address `%s'\n", text);
		return -1;
	}
	return 0;
}

static int send_frame(int fd, const struct sockaddr_ll *to,
		      const struct tp_pkt *k)
{
	unsigned int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (sendto(fd, k->data, k->len, 0, (const void *)to,
			   sizeof(*to)) == (ssize_t)k->len)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			break;
		usleep(1000);
	}
	perror("difftraffic: sendto");
	return -1;
}

static int do_send(const char *ifname, const char *mac, unsigned long from,
		   unsigned long to)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_halen = ETH_ALEN,
	};
	struct stream st;
	struct tp_pkt k;
	unsigned long i;
	int fd, err = 0;

	if (parse_mac(mac, ll.sll_addr))
		return 1;
	ll.sll_ifindex = if_nametoindex(ifname);
	if (!ll.sll_ifindex) {
		fprintf(stderr, "difftraffic: no interface `%s'\n", ifname);
		return 1;
	}
	/* Protocol 0: this socket only sends. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("difftraffic: socket");
		return 1;
	}

	stream_init(&st);
	for (i = 0; i < to && !err; i++) {
		stream_next(&st, &k);
		if (i < from)
			continue;
		memcpy(k.data, ll.sll_addr, ETH_ALEN);
		err = send_frame(fd, &ll, &k);
	}
	close(fd);
	tp_free_policy(&st.p);
	return err ? 1 : 0;
}

/* ---- expect ---- */

struct ctr {
	__u64 packets, bytes;
};

struct expect {
	struct m2m_tables t;
	struct ctr *c;		/* laid out as in kmod/counters.c */
	__u32 base_class, base_jur, n;
	unsigned long v6, classified;
};

static void add(struct expect *x, __u32 i, __u32 len)
{
	x->c[i].packets++;
	x->c[i].bytes += len;
}

static void account(struct expect *x, const struct m2m_verdict *v,
		    __u32 len)
{
	__u32 key = v->reason + (v->audited ? __M2M_R_MAX : 0);

	add(x, key, len);
	if (!v->class_id)
		return;
	add(x, x->base_class + (v->class_id - 1) * REASON_KEYS + key, len);
	if (v->endpoint_id)
		add(x, REASON_KEYS + v->endpoint_id - 1, len);
	add(x, x->base_jur + v->jurisdiction, len);
}

static int read_blob(const char *path, void **blob, __u32 *len)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	*blob = NULL;
	if (f && !fseek(f, 0, SEEK_END))
		n = ftell(f);
	if (n > 0 && !fseek(f, 0, SEEK_SET))
		*blob = malloc(n);
	if (!*blob || fread(*blob, 1, n, f) != (size_t)n) {
		perror(path);
		free(*blob);
		if (f)
			fclose(f);
		return -1;
	}
	*len = n;
	fclose(f);
	return 0;
}

static const char *audited(__u32 key)
{
	return key >= __M2M_R_MAX ? "true" : "false";
}

/* An endpoint of several port ranges is several records: one name. */
static void merge_endpoints(struct expect *x)
{
	const struct m2m_endpoint *ep = x->t.endpoints;
	struct ctr *c = x->c + REASON_KEYS;
	__u32 i, j;

	for (i = 0; i < x->t.nendpoints; i++) {
		if (!c[i].packets)
			continue;
		for (j = 0; j < i && ep[j].name != ep[i].name; j++)
			;
		if (j == i)
			continue;
		c[j].packets += c[i].packets;
		c[j].bytes += c[i].bytes;
		c[i].packets = c[i].bytes = 0;
	}
}

static void print_line(const char *head, const struct ctr *c)
{
	if (c->packets)
		printf("%s %llu %llu\n", head, c->packets, c->bytes);
}

static void print_counters(struct expect *x)
{
	const struct m2m_tables *t = &x->t;
	char head[256];
	__u32 i, k;

	for (k = 0; k < REASON_KEYS; k++) {
		snprintf(head, sizeof(head), "reason %s %s",
			 m2m_reason_name(k % __M2M_R_MAX), audited(k));
		print_line(head, &x->c[k]);
	}
	merge_endpoints(x);
	for (i = 0; i < t->nendpoints; i++) {
		snprintf(head, sizeof(head), "endpoint %s",
			 m2m_tables_str(t, t->endpoints[i].name));
		print_line(head, &x->c[REASON_KEYS + i]);
	}
	for (i = 0; i < t->nclasses * REASON_KEYS; i++) {
		k = i % REASON_KEYS;
		snprintf(head, sizeof(head), "class %s %s %s",
			 m2m_tables_str(t, t->classes[i / REASON_KEYS].name),
			 m2m_reason_name(k % __M2M_R_MAX), audited(k));
		print_line(head, &x->c[x->base_class + i]);
	}
	for (i = 0; i <= M2M_JUR_MAX; i++) {
		if (i)
			snprintf(head, sizeof(head), "country %c%c",
				 'A' + (i - 1) / 26, 'A' + (i - 1) % 26);
		else
			snprintf(head, sizeof(head), "country unknown");
		print_line(head, &x->c[x->base_jur + i]);
	}
}

static void print_summary(const struct expect *x, unsigned long count)
{
	__u32 k;

	fprintf(stderr, "%lu packets: %lu IPv6, %lu classified; reasons:",
		count, x->v6, x->classified);
	for (k = 0; k < REASON_KEYS; k++)
		if (x->c[k].packets)
			fprintf(stderr, " %s%s %llu",
				m2m_reason_name(k % __M2M_R_MAX),
				k >= __M2M_R_MAX ? "(audited)" : "",
				x->c[k].packets);
	fputc('\n', stderr);
}

static int do_expect(const char *path, unsigned long count,
		     unsigned long audit_from)
{
	struct expect x = { 0 };
	struct m2m_verdict v;
	struct stream st;
	const char *why;
	struct tp_pkt k;
	unsigned long i;
	__u32 len;
	void *blob;

	if (read_blob(path, &blob, &len))
		return 1;
	if (m2m_tables_open(&x.t, blob, len, &why)) {
		fprintf(stderr, "difftraffic: %s: %s\n", path, why);
		free(blob);
		return 1;
	}
	x.base_class = REASON_KEYS + x.t.nendpoints;
	x.base_jur = x.base_class + x.t.nclasses * REASON_KEYS;
	x.n = x.base_jur + M2M_JUR_MAX + 1;
	x.c = calloc(x.n, sizeof(*x.c));
	if (!x.c) {
		m2m_tables_close(&x.t);
		free(blob);
		return 1;
	}

	stream_init(&st);
	for (i = 0; i < count; i++) {
		stream_next(&st, &k);
		x.v6 += k.flow.family == AF_INET6;
		if (!k.classified)
			continue;
		x.classified++;
		m2m_classify(&x.t, &k.flow, i < audit_from ?
			     M2M_MODE_ENFORCE : M2M_MODE_AUDIT, &v);
		account(&x, &v, k.l3len);
	}
	print_summary(&x, count);
	print_counters(&x);

	tp_free_policy(&st.p);
	free(x.c);
	m2m_tables_close(&x.t);
	free(blob);
	return 0;
}

/* ---- main ---- */

static int usage(void)
{
	static const char *const forms[] = {
		"policy FILE",
		"expect BLOB COUNT AUDIT_FROM",
		"send IFACE MAC FROM TO",
	};
	unsigned int i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		fprintf(stderr, "%s difftraffic [-e ENDPOINTS] %s\n",
			i ? "      " : "usage:", forms[i]);
	return 1;
}

static int number(const char *text, unsigned long *n)
{
	char *end;

	errno = 0;
	*n = strtoul(text, &end, 0);
	if (errno || *end || end == text) {
		fprintf(stderr, "difftraffic: bad number `%s'\n", text);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long a, b;

	/* An endpoint is up to 6 records: 2 destinations, 3 port ranges. */
	if (argc > 2 && !strcmp(argv[1], "-e")) {
		if (number(argv[2], &nendpoints) || !nendpoints ||
		    nendpoints > M2M_ENDPOINTS_MAX / 6)
			return usage();
		argc -= 2;
		argv += 2;
	}
	if (argc == 3 && !strcmp(argv[1], "policy"))
		return do_policy(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "expect")) {
		if (number(argv[3], &a) || number(argv[4], &b))
			return 1;
		return do_expect(argv[2], a, b);
	}
	if (argc == 6 && !strcmp(argv[1], "send")) {
		if (number(argv[4], &a) || number(argv[5], &b))
			return 1;
		return do_send(argv[2], argv[3], a, b);
	}
	return usage();
}
