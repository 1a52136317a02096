// SPDX-License-Identifier: GPL-2.0
/*
 * Drop events of the eBPF datapath, by BPF_PROG_TEST_RUN through the
 * attached tc program: the module's event (kmod/events.c) in the ring
 * buffer, one per flow a second, at most the rate per class and reason,
 * the suppressed ones counted, the source shown as the privacy setting
 * says, and a full ring buffer counted as lost events.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <unistd.h>
#include <linux/if_ether.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "testdp.h"

#define TC_ACT_SHOT	2

static const char policy_yaml[] =
	"purposes: [billing]\n"
	"geo: { format: none }\n"
	"classes:\n"
	"  - name: meters\n"
	"    sources: [10.10.0.0/24, \"fd00:10::/64\"]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	"endpoints:\n"
	"  - name: billing\n"
	"    destinations: [192.0.2.1]\n"
	"    protocol: udp\n    ports: [5000]\n    purposes: [billing]\n"
	"    jurisdiction: DE\n";

/* A UDP packet from 10.10.0.2 to DST (host order), port DPORT. */
static unsigned int udp4(__u8 *p, __u32 dst, __u16 dport)
{
	struct ethhdr *eth = (struct ethhdr *)p;
	__u8 *ip = p + ETH_HLEN;

	memset(p, 0, ETH_HLEN + 28);
	eth->h_proto = htons(ETH_P_IP);
	ip[0] = 0x45;
	*(__u16 *)(ip + 2) = htons(28);
	ip[9] = IPPROTO_UDP;
	*(__u32 *)(ip + 12) = htonl(0x0a0a0002);
	*(__u32 *)(ip + 16) = htonl(dst);
	*(__u16 *)(ip + 22) = htons(dport);
	return ETH_HLEN + 28;
}

/* The same from fd00:10::2 to 2001:db8::DST. */
static unsigned int udp6(__u8 *p, __u32 dst, __u16 dport)
{
	struct ethhdr *eth = (struct ethhdr *)p;
	__u8 *ip = p + ETH_HLEN;

	memset(p, 0, ETH_HLEN + 48);
	eth->h_proto = htons(ETH_P_IPV6);
	ip[0] = 0x60;
	*(__u16 *)(ip + 4) = htons(8);
	ip[6] = IPPROTO_UDP;
	*(__u64 *)(ip + 8) = htobe64(0xfd00001000000000ULL);
	ip[23] = 2;
	*(__u64 *)(ip + 24) = htobe64(0x20010db800000000ULL);
	*(__u32 *)(ip + 36) = htonl(dst);
	*(__u16 *)(ip + 42) = htons(dport);
	return ETH_HLEN + 48;
}

struct got {
	struct m2m_bpf_event ev[8];
	unsigned int n;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct got *g = ctx;

	if (len != sizeof(g->ev[0]))
		return -EINVAL;
	if (g->n < 8)
		g->ev[g->n] = *(struct m2m_bpf_event *)data;
	g->n++;
	return 0;
}

FIXTURE(events) {
	struct dp d;
	struct ring_buffer *rb;
	struct got got;
	struct m2m_bpf_state st;
	int prog;
};

FIXTURE_SETUP(events)
{
	char path[] = "/tmp/m2m-events-XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(policy_yaml),
		  write(fd, policy_yaml, strlen(policy_yaml)));
	close(fd);
	m2m_bpf_verbose(false);
	ASSERT_EQ(0, dp_load(&self->d, path));
	unlink(path);

	self->rb = ring_buffer__new(bpf_map__fd(self->d.disp->maps.m2m_events),
				    on_event, &self->got, NULL);
	ASSERT_NE(NULL, self->rb);
	self->prog = bpf_program__fd(self->d.disp->progs.m2m_tc);
	self->st = (struct m2m_bpf_state){
		.event_rate = 100,
		.privacy = M2M_PRIVACY_RAW,
		.key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL },
	};
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
}

FIXTURE_TEARDOWN(events)
{
	ring_buffer__free(self->rb);
	dp_free(&self->d);
}

/* Run N packets built by BUILD(DST, DPORT); all must be dropped. */
static int run(FIXTURE_DATA(events) *self,
	       unsigned int (*build)(__u8 *, __u32, __u16), __u32 dst,
	       __u16 dport, int n)
{
	__u8 pkt[128];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = build(pkt, dst, dport),
	);

	while (n-- > 0)
		if (bpf_prog_test_run_opts(self->prog, &opts) ||
		    opts.retval != TC_ACT_SHOT)
			return -1;
	return 0;
}

static unsigned int consume(FIXTURE_DATA(events) *self)
{
	self->got.n = 0;
	ring_buffer__consume(self->rb);
	return self->got.n;
}

/* One event for a flow dropping packet after packet. */
TEST_F(events, one_per_flow)
{
	struct m2m_event *ev = &self->got.ev[0].ev;
	__u8 dst[16] = { 192, 0, 2, 9 }, src[16] = { 10, 10, 0, 2 };

	ASSERT_EQ(0, run(self, udp4, 0xc0000209, 5001, 5));
	ASSERT_EQ(1, consume(self));
	EXPECT_EQ(1, ev->generation);
	EXPECT_EQ(AF_INET, ev->family);
	EXPECT_EQ(M2M_R_NOT_ALLOWLISTED, ev->reason);
	EXPECT_EQ(0, ev->audited);
	EXPECT_EQ(IPPROTO_UDP, ev->proto);
	EXPECT_EQ(5001, ev->dport);
	EXPECT_EQ(0, ev->class_idx);
	EXPECT_EQ(0, ev->endpoint);
	EXPECT_EQ(M2M_SRC_RAW, ev->src_kind);
	EXPECT_EQ(0, memcmp(ev->dst, dst, 16));
	EXPECT_EQ(0, memcmp(ev->src, src, 16));
	EXPECT_EQ(0, self->got.ev[0].suppressed);

	/* The next event of the class and reason tells of the other 4. */
	ASSERT_EQ(0, run(self, udp6, 9, 5001, 1));
	ASSERT_EQ(1, consume(self));
	EXPECT_EQ(AF_INET6, ev->family);
	EXPECT_EQ(4, self->got.ev[0].suppressed);
}

/* At most the rate per class and reason; audited drops report too. */
TEST_F(events, rate_limit)
{
	int i;

	self->st.event_rate = 3;
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, run(self, udp4, 0xc0000210 + i, 5001, 1));
	EXPECT_EQ(3, consume(self));

	self->st.event_rate = 0;
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
	ASSERT_EQ(0, run(self, udp4, 0xc0000230, 5001, 1));
	EXPECT_EQ(0, consume(self));
}

/* SipHash-2-4 of 16 bytes, as the kernel's siphash() computes it. */
static __u64 rol(__u64 w, int s)
{
	return (w << s) | (w >> (64 - s));
}

static void sipround(__u64 *v)
{
	v[0] += v[1]; v[1] = rol(v[1], 13); v[1] ^= v[0];
	v[0] = rol(v[0], 32);
	v[2] += v[3]; v[3] = rol(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rol(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rol(v[1], 17); v[1] ^= v[2];
	v[2] = rol(v[2], 32);
}

static __u64 siphash16(const __u8 *data, const __u64 *key)
{
	__u64 v[4] = {
		0x736f6d6570736575ULL ^ key[0], 0x646f72616e646f6dULL ^ key[1],
		0x6c7967656e657261ULL ^ key[0], 0x7465646279746573ULL ^ key[1],
	};
	__u64 m, b = 16ULL << 56;
	int i;

	for (i = 0; i < 2; i++) {
		memcpy(&m, data + 8 * i, 8);
		m = le64toh(m);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* A keyed hash of the source, or its /24 or /48, as the setting says. */
TEST_F(events, privacy)
{
	__u8 src4[16] = { 10, 10, 0, 2 }, src6[16] = { 0xfd, 0, 0, 0x10 };
	struct m2m_event *ev = &self->got.ev[0].ev;
	__u8 want[16] = { 0 };
	__u64 h;

	self->st.privacy = M2M_PRIVACY_PSEUDONYM;
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
	ASSERT_EQ(0, run(self, udp4, 0xc0000240, 7, 1));
	ASSERT_EQ(1, consume(self));
	h = htobe64(siphash16(src4, self->st.key));
	memcpy(want, &h, 8);
	EXPECT_EQ(M2M_SRC_PSEUDONYM, ev->src_kind);
	EXPECT_EQ(0, memcmp(ev->src, want, 16));

	src6[15] = 2;
	ASSERT_EQ(0, run(self, udp6, 0x40, 7, 1));
	ASSERT_EQ(1, consume(self));
	h = htobe64(siphash16(src6, self->st.key));
	memcpy(want, &h, 8);
	EXPECT_EQ(0, memcmp(ev->src, want, 16));

	self->st.privacy = M2M_PRIVACY_TRUNCATE;
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
	ASSERT_EQ(0, run(self, udp6, 0x41, 7, 1));
	ASSERT_EQ(1, consume(self));
	memset(want, 0, 16);
	memcpy(want, src6, 6);
	EXPECT_EQ(M2M_SRC_TRUNCATED, ev->src_kind);
	EXPECT_EQ(0, memcmp(ev->src, want, 16));
}

/* A full ring buffer loses events, and counts every one it loses. */
TEST_F(events, full_ring_counted)
{
	struct m2m_bpf_state st;
	unsigned int i, n = 6000;
	__u32 zero = 0;

	self->st.event_rate = M2M_EVENT_RATE_MAX;
	ASSERT_EQ(0, dp_set_state(&self->d, &self->st));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, run(self, udp4, 0xc6000000 + i, 5001, 1));
	ASSERT_EQ(0, bpf_map_lookup_elem(
		bpf_map__fd(self->d.disp->maps.m2m_state), &zero, &st));
	i = consume(self);
	TH_LOG("%u events read, %llu lost", i, st.events_lost);
	EXPECT_LT(0, st.events_lost);
	EXPECT_EQ(n, i + st.events_lost);
}

TEST_HARNESS_MAIN
