// SPDX-License-Identifier: GPL-2.0
/*
 * m2mguard's eBPF datapath: tc egress classification of outbound packets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define TC_ACT_OK	0

enum m2m_bpf_family {
	M2M_BPF_IPV4,
	M2M_BPF_IPV6,
	M2M_BPF_OTHER,
	M2M_BPF_NFAMILIES,
};

/* Packets seen per address family, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, M2M_BPF_NFAMILIES);
	__type(key, __u32);
	__type(value, __u64);
} m2m_seen SEC(".maps");

static __always_inline void count(__u32 family)
{
	__u64 *n = bpf_map_lookup_elem(&m2m_seen, &family);

	if (n)
		(*n)++;
}

SEC("tc")
int m2m_tc_egress(struct __sk_buff *skb)
{
	switch (bpf_ntohs(skb->protocol)) {
	case ETH_P_IP:
		count(M2M_BPF_IPV4);
		break;
	case ETH_P_IPV6:
		count(M2M_BPF_IPV6);
		break;
	default:
		count(M2M_BPF_OTHER);
		break;
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
