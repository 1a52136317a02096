// SPDX-License-Identifier: GPL-2.0
/*
 * The tc egress program loads on this kernel and counts the packets it is
 * given, by BPF_PROG_TEST_RUN and attached to a real interface.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "m2mguard.skel.h"

enum { FAM_IPV4, FAM_IPV6, FAM_OTHER };

static __u64 seen(struct m2mguard_bpf *skel, __u32 family)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals = calloc(ncpus, sizeof(*vals)), sum = 0;
	int i;

	if (bpf_map__lookup_elem(skel->maps.m2m_seen, &family, sizeof(family),
				 vals, ncpus * sizeof(*vals), 0) == 0)
		for (i = 0; i < ncpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

static int run(struct m2mguard_bpf *skel, __u16 proto)
{
	unsigned char pkt[ETH_HLEN + sizeof(struct ipv6hdr)] = { 0 };
	struct ethhdr *eth = (struct ethhdr *)pkt;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = sizeof(pkt),
	);
	int err;

	eth->h_proto = htons(proto);
	if (proto == ETH_P_IP)
		((struct iphdr *)(eth + 1))->version = 4;
	else if (proto == ETH_P_IPV6)
		((struct ipv6hdr *)(eth + 1))->version = 6;
	err = bpf_prog_test_run_opts(
		bpf_program__fd(skel->progs.m2m_tc_egress), &opts);
	return err ? err : (int)opts.retval;
}

FIXTURE(tc) {
	struct m2mguard_bpf *skel;
};

FIXTURE_SETUP(tc)
{
	self->skel = m2mguard_bpf__open_and_load();
	ASSERT_NE(NULL, self->skel);
}

FIXTURE_TEARDOWN(tc)
{
	m2mguard_bpf__destroy(self->skel);
}

TEST_F(tc, counts_by_family)
{
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(TC_ACT_OK, run(self->skel, ETH_P_IP));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(TC_ACT_OK, run(self->skel, ETH_P_IPV6));
	ASSERT_EQ(TC_ACT_OK, run(self->skel, ETH_P_ARP));

	EXPECT_EQ(3ULL, seen(self->skel, FAM_IPV4));
	EXPECT_EQ(2ULL, seen(self->skel, FAM_IPV6));
	EXPECT_EQ(1ULL, seen(self->skel, FAM_OTHER));
}

/* Runs in the private network namespace that selftests/run gives it. */
TEST_F(tc, attached_to_loopback)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc);

	hook.ifindex = if_nametoindex("lo");
	ASSERT_NE(0, hook.ifindex);
	ASSERT_EQ(0, system("ip link set lo up"));
	ASSERT_EQ(0, bpf_tc_hook_create(&hook));
	tc.prog_fd = bpf_program__fd(self->skel->progs.m2m_tc_egress);
	ASSERT_EQ(0, bpf_tc_attach(&hook, &tc));

	/* Three echo requests and their three replies leave through lo. */
	ASSERT_EQ(0, system("ping -q -c 3 -i 0.01 -W 1 127.0.0.1 >/dev/null"));
	EXPECT_EQ(6ULL, seen(self->skel, FAM_IPV4));
	EXPECT_EQ(0ULL, seen(self->skel, FAM_IPV6));

	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
}

TEST_HARNESS_MAIN
