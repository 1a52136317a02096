/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bench.bpf.c and its loader, selftests/bench/bench_bpf.c, share
 * beyond the datapath's own contract (m2mguard.h).
 */
#ifndef _M2MGUARD_BPF_BENCH_H
#define _M2MGUARD_BPF_BENCH_H

#include "m2mguard.h"

/*
 * One table as three arrays read like the range table's: IDX holds 65,537
 * u32, the position of the first boundary of each top-16-bit region (and
 * the count at the end); KEY the boundaries (u32 for IPv4, u64 hi and lo
 * for IPv6); VALUE their u32 values. STEPS: the halvings that the busiest
 * region needs.
 */
struct sorted_table {
	struct m2m_bpf_mem idx;
	struct m2m_bpf_mem key;
	struct m2m_bpf_mem value;
	__u32 steps;
	__u32 reserved;
};

#endif /* _M2MGUARD_BPF_BENCH_H */
