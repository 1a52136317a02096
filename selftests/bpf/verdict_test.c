// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF datapath gives the verdicts of the module, packet for packet.
 *
 * One policy: the full Tor geo database, 1,000 random endpoints and a few
 * classes (testpolicy.h). Random packets, IPv4 and IPv6 in many shapes,
 * go through the attached tc program by BPF_PROG_TEST_RUN: its tail call
 * lands in the policy's verdict program, which leaves its verdict in the
 * per-CPU m2m_last map. Userspace runs m2m_classify() (kmod/verdict.c)
 * on the flow the module's hooks would read from the same bytes. Verdict,
 * reason, class, endpoint and jurisdiction must agree for every packet,
 * and so must every counter at the end.
 *
 * M2M_VERDICT_PACKETS=N runs N packets instead of 100,000 (the VM lane,
 * where the guest is emulated, runs fewer).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "../../ctl/bpf.h"
#include "../../ctl/compile.h"
#include "../../ctl/blob.h"
#include "testdp.h"
#include "testpolicy.h"

#define SEED		0x76657264696374ULL
#define NPACKETS	100000
#define NCLASSES	6
#define NENDPOINTS	1000
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

/* ---- what the module would count: kmod/counters.c ---- */

static void add(struct dp *d, __u32 i, __u32 len)
{
	d->want[i].packets++;
	d->want[i].bytes += len;
}

static void account(struct dp *d, const struct m2m_verdict *v, __u32 len)
{
	__u32 rk = 2 * __M2M_R_MAX;
	__u32 key = v->reason + (v->audited ? __M2M_R_MAX : 0);
	__u32 base_class = rk + d->t.nendpoints;
	__u32 base_jur = base_class + d->t.nclasses * rk;

	add(d, key, len);
	if (!v->class_id)
		return;
	add(d, base_class + (v->class_id - 1) * rk + key, len);
	if (v->endpoint_id)
		add(d, rk + v->endpoint_id - 1, len);
	add(d, base_jur + v->jurisdiction, len);
}

/* Record I of the per-CPU counters, summed. */
static int counter(struct dp *d, __u32 i, struct m2m_counter_rec *r)
{
	int cpus = libbpf_num_possible_cpus(), c;
	struct { __u64 packets, bytes; } v[cpus];

	memset(r, 0, sizeof(*r));
	if (bpf_map_lookup_elem(bpf_map__fd(d->pol->maps.m2m_counters), &i,
				v))
		return -errno;
	for (c = 0; c < cpus; c++) {
		r->packets += v[c].packets;
		r->bytes += v[c].bytes;
	}
	return 0;
}

/* ---- running packets ---- */

static struct m2m_bpf_last last(struct dp *d)
{
	int cpus = libbpf_num_possible_cpus();
	struct m2m_bpf_last v[cpus];
	__u32 zero = 0;

	memset(v, 0, sizeof(v));
	bpf_map_lookup_elem(bpf_map__fd(d->pol->maps.m2m_last), &zero, v);
	return v[sched_getcpu()];
}

static int run(int prog_fd, const struct tp_pkt *k, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = k->data,
		.data_size_in = k->len,
	);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	*retval = opts.retval;
	return err;
}

static void print_flow(const struct m2m_flow *f)
{
	if (f->family == AF_INET)
		fprintf(stderr, "# flow v4 %08x -> %08x proto %u dport %u\n",
			f->src4, f->dst4, f->proto, f->dport);
	else
		fprintf(stderr, "# flow v6 %016llx%016llx -> %016llx%016llx "
			"proto %u dport %u\n", f->src6_hi, f->src6_lo,
			f->dst6_hi, f->dst6_lo, f->proto, f->dport);
}

static void print_verdict(const char *who, const struct m2m_verdict *v)
{
	fprintf(stderr, "# %s: %s drop %u audited %u class %u endpoint %u "
		"jurisdiction %u (%s)\n", who, m2m_reason_name(v->reason),
		v->drop, v->audited, v->class_id, v->endpoint_id,
		v->jurisdiction, v->jur_source ? "pinned" : "geo");
}

/*
 * Run packet K through PROG_FD in MODE and compare with the module's
 * verdict; CGROUP for the cgroup program's return values. Returns 0 if
 * they agree.
 */
static int check_packet(struct dp *d, int prog_fd, const struct tp_pkt *k,
			__u8 mode, bool cgroup)
{
	struct m2m_bpf_last before = last(d), after;
	struct m2m_verdict want = {};
	__u32 ret, pass;

	if (run(prog_fd, k, &ret))
		return -1;
	after = last(d);
	pass = cgroup ? 1 : TC_ACT_OK;

	if (!k->classified) {
		if (after.seq == before.seq && ret == pass)
			return 0;
		fprintf(stderr, "# link control message classified\n");
		print_flow(&k->flow);
		return -1;
	}

	m2m_classify(&d->t, &k->flow, mode, &want);
	account(d, &want, k->l3len);
	if (after.seq == before.seq + 1 &&
	    !memcmp(&after.v, &want, sizeof(want)) &&
	    after.len == k->l3len &&
	    ret == (want.drop ? (cgroup ? 0 : TC_ACT_SHOT) : pass))
		return 0;

	print_flow(&k->flow);
	print_verdict("module", &want);
	print_verdict("bpf   ", &after.v);
	fprintf(stderr, "# seq %llu -> %llu, len %u (want %u), ret %u\n",
		before.seq, after.seq, after.len, k->l3len, ret);
	return -1;
}

static int check_counters(struct dp *d)
{
	struct m2m_counter_rec r;
	int bad = 0;
	__u32 i;

	for (i = 0; i < d->nctr; i++) {
		if (counter(d, i, &r))
			return -1;
		if (r.packets == d->want[i].packets &&
		    r.bytes == d->want[i].bytes)
			continue;
		if (bad++ < 10)
			fprintf(stderr, "# counter %u: %llu/%llu, module "
				"%llu/%llu\n", i, r.packets, r.bytes,
				d->want[i].packets, d->want[i].bytes);
	}
	return bad ? -1 : 0;
}

/* How many packets got each reason, on one line. */
static void print_reasons(const struct dp *d)
{
	char line[512];
	int i, n = 0;

	for (i = 0; i < 2 * __M2M_R_MAX; i++)
		if (d->want[i].packets)
			n += snprintf(line + n, sizeof(line) - n, " %s%s %llu",
				      m2m_reason_name(i % __M2M_R_MAX),
				      i >= __M2M_R_MAX ? "(audited)" : "",
				      d->want[i].packets);
	printf("# reasons:%s\n", line);
}

static unsigned int npackets(void)
{
	const char *n = getenv("M2M_VERDICT_PACKETS");

	return n ? strtoul(n, NULL, 0) : NPACKETS;
}

/* Pin the test to one CPU, so that m2m_last is read where it was set. */
static void stay_on_this_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(geo) {
	struct dp d;
	struct tp_policy p;
	__u64 seed;
};

FIXTURE_SETUP(geo)
{
	char path[] = "/tmp/m2m-verdict-XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	self->seed = SEED;
	tp_random_policy(&self->p, &self->seed, NCLASSES, NENDPOINTS);
	ASSERT_EQ(0, tp_write_policy(&self->p, &self->seed, path, true));
	ASSERT_EQ(0, dp_load(&self->d, path));
	unlink(path);
	stay_on_this_cpu();
}

FIXTURE_TEARDOWN(geo)
{
	dp_free(&self->d);
	tp_free_policy(&self->p);
}

/* Through the attached tc program; half enforcing, half auditing. */
TEST_F(geo, differential_tc)
{
	int prog = bpf_program__fd(self->d.disp->progs.m2m_tc);
	unsigned int i, bad = 0, v6 = 0, classified = 0, n = npackets();
	struct m2m_flow f;
	struct tp_pkt k;
	__u8 mode;

	for (i = 0; i < n; i++) {
		mode = i < n / 2 ? M2M_MODE_ENFORCE : M2M_MODE_AUDIT;
		if (i == 0 || i == n / 2)
			ASSERT_EQ(0, dp_set_mode(&self->d, mode));
		f = tp_random_flow(&self->seed, &self->p);
		tp_build(&self->seed, &f, &k);
		v6 += f.family == AF_INET6;
		classified += k.classified;
		if (check_packet(&self->d, prog, &k, mode, false) &&
		    ++bad >= 10)
			break;
	}
	TH_LOG("%u packets, %u IPv6, %u classified, %u differ", i, v6,
	       classified, bad);
	print_reasons(&self->d);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, check_counters(&self->d));
}

/* Through the attached cgroup program: the same, counting atomically. */
TEST_F(geo, differential_cgroup)
{
	int prog = bpf_program__fd(self->d.disp->progs.m2m_cgroup);
	unsigned int i, bad = 0;
	struct m2m_flow f;
	struct tp_pkt k;

	ASSERT_EQ(0, dp_set_mode(&self->d, M2M_MODE_ENFORCE));
	for (i = 0; i < npackets() / 10; i++) {
		f = tp_random_flow(&self->seed, &self->p);
		tp_build(&self->seed, &f, &k);
		if (check_packet(&self->d, prog, &k, M2M_MODE_ENFORCE, true) &&
		    ++bad >= 10)
			break;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, check_counters(&self->d));
}

/* The verifier's work stays far below its limit of 1M instructions. */
TEST_F(geo, verified_insns)
{
	struct m2mguard_bpf *pol = self->d.pol;
	__u32 tc, cg;

	ASSERT_EQ(0, m2m_bpf_verified_insns(
		bpf_program__fd(pol->progs.m2m_tc_policy), &tc));
	ASSERT_EQ(0, m2m_bpf_verified_insns(
		bpf_program__fd(pol->progs.m2m_cgroup_policy), &cg));
	TH_LOG("verified instructions: tc %u, cgroup %u (limit 1000000)", tc,
	       cg);
	printf("# verified_insns tc %u cgroup %u\n", tc, cg);
	EXPECT_GT(tc, 0);
	EXPECT_LT(tc, 250000);
	EXPECT_LT(cg, 250000);
}

/* ---- tables too large for one map value ---- */

#define BIG4	1200000
#define BIG6	600000

static int u128_cmp(const void *a, const void *b)
{
	const u128 *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* A destination value: no endpoint, or group 1 or 2; any jurisdiction. */
static __u32 big_value(__u64 *s)
{
	return M2M_DST_VALUE(tp_below(s, 3), tp_below(s, M2M_JUR_MAX + 1));
}

/* N random boundaries from address 0, IPv4 or IPv6 (WIDTH bits). */
static u128 *big_starts(__u64 *s, unsigned int n, int width)
{
	u128 *a = calloc(n, sizeof(*a));
	unsigned int i;

	for (i = 1; i < n; i++)
		a[i] = width == 32 ? (u128)(__u32)tp_rnd(s) :
				     (u128)tp_rnd(s) << 64 | tp_rnd(s);
	qsort(a, n, sizeof(*a), u128_cmp);
	for (i = 1; i < n; i++)
		if (a[i] <= a[i - 1])
			a[i] = a[i - 1] + 1;
	return a;
}

/*
 * A policy whose destination tables are far larger than the Tor
 * database's: 1.2M IPv4 and 600k IPv6 boundaries, so that some of their
 * arrays pass 4 MiB and are read chunk by chunk.
 */
static int big_blob(__u64 *s, void **blob, __u32 *len)
{
	struct m2m_range4 src4[2] = { { 0, 1 }, { 0x80000000U, 2 } };
	struct m2m_range6 src6[2] = { { 0, 0, 1, 0 }, { 1ULL << 63, 0, 2, 0 } };
	struct m2m_group groups[3] = { { 0, 0 }, { 0, 1 }, { 1, 2 } };
	struct m2m_endpoint eps[3] = {
		{ .purposes = 1, .port_hi = 65535 },
		{ .purposes = 2, .port_lo = 443, .port_hi = 443,
		  .proto = IPPROTO_TCP, .jurisdiction = m2m_jur_code('U', 'S'),
		  .flags = M2M_EP_BASIS },
		{ .purposes = 4, .port_lo = 1, .port_hi = 1024,
		  .proto = IPPROTO_UDP, .mode = M2M_RULE_AUDIT },
	};
	struct m2m_class classes[2] = {
		{ .consent = 3 }, { .consent = 6, .mode = M2M_RULE_ENFORCE },
	};
	struct m2m_blob_parts p = {
		.settings = { .counter_interval = 1000, .event_rate = 10 },
		.src4 = src4, .nsrc4 = 2, .src6 = src6, .nsrc6 = 2,
		.classes = classes, .nclasses = 2,
		.groups = groups, .ngroups = 3,
		.endpoints = eps, .nendpoints = 3,
	};
	struct m2m_range4 *d4 = calloc(BIG4, sizeof(*d4));
	struct m2m_range6 *d6 = calloc(BIG6, sizeof(*d6));
	u128 *a;
	int i, err;

	for (i = 0; i < M2M_JUR_WORDS; i++) {
		classes[0].zone[i] = tp_rnd(s);
		classes[1].zone[i] = tp_rnd(s);
	}
	classes[0].zone[M2M_JUR_WORDS - 1] &= 0xfULL;
	classes[1].zone[M2M_JUR_WORDS - 1] &= 0xfULL;

	a = big_starts(s, BIG4, 32);
	for (i = 0; i < BIG4; i++)
		d4[i] = (struct m2m_range4){ a[i], big_value(s) };
	free(a);
	a = big_starts(s, BIG6, 128);
	for (i = 0; i < BIG6; i++)
		d6[i] = (struct m2m_range6){ a[i] >> 64, a[i], big_value(s),
					     0 };
	free(a);

	p.dst4 = d4;
	p.ndst4 = BIG4;
	p.dst6 = d6;
	p.ndst6 = BIG6;
	err = m2m_blob_build(&p, blob, len);
	free(d4);
	free(d6);
	return err;
}

/* Random addresses, to any protocol and port. */
static struct m2m_flow big_flow(__u64 *s)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, 1 };
	struct m2m_flow f = { .family = tp_below(s, 2) ? AF_INET : AF_INET6 };

	tp_set_addr(&f, tp_addr(s, f.family), true);
	tp_set_addr(&f, tp_addr(s, f.family), false);
	if (!tp_below(s, 3))
		tp_set_addr(&f, (u128)tp_rnd(s) << 64 | tp_rnd(s), false);
	f.proto = protos[tp_below(s, 3)];
	if (f.proto == 1 && f.family == AF_INET6)
		f.proto = IPPROTO_ICMPV6;
	f.dport = tp_below(s, 2) ? 443 : tp_below(s, 2000);
	return f;
}

TEST(chunked_tables)
{
	int chunked = 0, i, bad = 0;
	__u64 seed = SEED ^ 0xb16;
	struct m2m_flow f;
	struct tp_pkt k;
	struct dp d;
	void *blob;
	__u32 len;

	ASSERT_EQ(0, big_blob(&seed, &blob, &len));
	ASSERT_EQ(0, dp_load_blob(&d, blob, len));
	for (i = 0; i < M2M_BPF_TABLES; i++)
		chunked += d.cfg.rt[i].index.chunked +
			   d.cfg.rt[i].leaves.chunked;
	TH_LOG("%d arrays in chunks", chunked);
	EXPECT_LT(0, chunked);

	stay_on_this_cpu();
	ASSERT_EQ(0, dp_set_mode(&d, M2M_MODE_ENFORCE));
	for (i = 0; i < (int)npackets() / 4; i++) {
		f = big_flow(&seed);
		tp_build(&seed, &f, &k);
		if (check_packet(&d, bpf_program__fd(d.disp->progs.m2m_tc),
				 &k, M2M_MODE_ENFORCE, false) && ++bad >= 10)
			break;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, check_counters(&d));
	dp_free(&d);
}

TEST_HARNESS_MAIN
