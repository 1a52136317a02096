// SPDX-License-Identifier: GPL-2.0
/*
 * m2mguard's eBPF datapath: the verdict program of one policy, for tc
 * egress (clsact) and for cgroup_skb egress. The programs that stay
 * attached (dispatch.bpf.c) tail-call into the instance of the policy in
 * force; bpf/m2mguard.h tells the whole story.
 */
#include "maps.h"
#include "flow.h"
#include "rtable.h"
#include "verdict.h"

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

/* What m2mctl reads back: the blob in force and a summary of it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[M2M_BPF_BLOB_CHUNK]);
} m2m_blob SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct m2m_bpf_meta);
} m2m_meta SEC(".maps");

static __always_inline __u32 m2m_src_value(const struct m2m_flow *f)
{
	if (f->family == M2M_AF_INET6)
		return m2m_bpf_rt6_lookup(M2M_BPF_SRC6, f->src6_hi, f->src6_lo);
	return m2m_bpf_rt4_lookup(M2M_BPF_SRC4, f->src4);
}

static __always_inline __u32 m2m_dst_value(const struct m2m_flow *f)
{
	if (f->family == M2M_AF_INET6)
		return m2m_bpf_rt6_lookup(M2M_BPF_DST6, f->dst6_hi, f->dst6_lo);
	return m2m_bpf_rt4_lookup(M2M_BPF_DST4, f->dst4);
}

/*
 * Whether to drop SKB. CGROUP: for the cgroup program, whose skb starts
 * at the network header, so that its length is the module's; tc sees the
 * link layer header too, and counts the length the IP header gives.
 */
static __always_inline bool m2m_egress(struct __sk_buff *skb, bool cgroup)
{
	struct m2m_flow f = {};
	__u32 src, dst, len;

	if (!m2m_cfg.loaded || !m2m_flow(skb, &f, &len))
		return false;
	if (cgroup)
		len = skb->len;

	/* Looked up even when unscoped: jurisdictions are counted for all. */
	src = m2m_src_value(&f);
	dst = m2m_dst_value(&f);
	return m2m_judge(&f, src, dst, len, cgroup);
}

SEC("tc")
int m2m_tc_policy(struct __sk_buff *skb)
{
	return m2m_egress(skb, false) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("cgroup_skb/egress")
int m2m_cgroup_policy(struct __sk_buff *skb)
{
	return m2m_egress(skb, true) ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
