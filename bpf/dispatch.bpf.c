// SPDX-License-Identifier: GPL-2.0
/*
 * The programs that stay attached: each jumps into the verdict program of
 * the policy in force (m2mguard.bpf.c), through a program array of one
 * slot that m2mctl updates to swap policies. With no policy in the slot
 * the tail call falls through and the packet passes, as with the module
 * loaded and no policy.
 *
 * This object also creates the maps every policy shares, so that they
 * exist, pinned, before the first policy.
 */
#include "shared.h"

#define TC_ACT_OK	0

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} m2m_tc_jump SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} m2m_cgroup_jump SEC(".maps");

SEC("tc")
int m2m_tc(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &m2m_tc_jump, 0);
	return TC_ACT_OK;
}

SEC("cgroup_skb/egress")
int m2m_cgroup(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &m2m_cgroup_jump, 0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
