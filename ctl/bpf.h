/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl's side of the eBPF datapath (see bpf/m2mguard.h): loading a
 * compiled policy into the maps of a verdict program, and the datapath
 * pinned under M2M_BPF_DIR that outlives m2mctl.
 *
 * Functions returning int give 0 or a negative errno, after saying why on
 * stderr ("Error: ..." when the kernel refused).
 */
#ifndef M2MCTL_BPF_H
#define M2MCTL_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>

#include "../bpf/m2mguard.h"

#define M2M_BPF_DIR		"/sys/fs/bpf/m2mguard"

/* The tc filter of the attached program. */
#define M2M_BPF_TC_HANDLE	0x4d32
#define M2M_BPF_TC_PRIO		0x4d32

/* Show libbpf's messages, the verifier's log among them. */
void m2m_bpf_verbose(bool on);

/* ---- one policy in the maps of a verdict object ---- */

/*
 * The shape of the policy opened in T, as CFG for a program that will
 * carry GENERATION. Refuses (-E2BIG) tables the program cannot walk.
 */
int m2m_bpf_shape(const struct m2m_tables *t, __u64 generation,
		  struct m2m_bpf_cfg *cfg);

/* Size the per-policy maps of OBJ (opened, not loaded) for CFG. */
int m2m_bpf_size(struct bpf_object *obj, const struct m2m_bpf_cfg *cfg,
		 __u32 blob_len);

/* Copy T (opened from BLOB) into the maps of OBJ, now loaded. */
int m2m_bpf_fill(struct bpf_object *obj, const struct m2m_bpf_cfg *cfg,
		 const struct m2m_tables *t, const void *blob, __u32 len);

/* Bytes of kernel memory the maps of a policy of shape CFG take. */
__u64 m2m_bpf_memory(const struct m2m_bpf_cfg *cfg, __u32 blob_len);

/* Instructions the verifier went through to accept program PROG_FD. */
int m2m_bpf_verified_insns(int prog_fd, __u32 *insns);

/* ---- the datapath under M2M_BPF_DIR ---- */

/* Whether the datapath has been set up here. */
bool m2m_bpf_present(void);

/*
 * Load BLOB as the policy in force: a new verdict program instance,
 * swapped in with one update of each program array.
 */
int m2m_bpf_push(const void *blob, uint32_t len, uint64_t *generation);

/* The blob in force (malloc'ed); -ENOENT with none. */
int m2m_bpf_fetch(void **blob, uint32_t *len, uint64_t *generation);

/*
 * The blob in force and all of its counter records (both malloc'ed), as
 * the module's COUNTERS_GET gives them, read as one.
 */
int m2m_bpf_counters(void **blob, uint32_t *len,
		     struct m2m_counter_rec **recs, size_t *n,
		     uint64_t *generation);

/*
 * The counter records of the policy in force, summed over the CPUs and
 * laid out for T, which must hold that policy: -ESTALE if the policy in
 * force is no longer the one of GENERATION.
 */
int m2m_bpf_counters_of(const struct m2m_tables *t, uint64_t generation,
			struct m2m_counter_rec **recs, size_t *n);

int m2m_bpf_counters_reset(void);

struct m2m_bpf_info {
	bool has_policy;
	__u64 generation;
	__u8 hash[32];
	__u32 size;
	__u64 memory;
	__u8 mode;
	__u8 privacy;
	__u32 event_rate;
	__u32 counter_interval;
	__u64 events_lost;
};

int m2m_bpf_info(struct m2m_bpf_info *info);

/* Set the mode (enum m2m_mode) every policy runs in. */
int m2m_bpf_set_mode(__u8 mode);

/*
 * Event settings, in force until the next policy load, as the module's
 * SET: each field that is not negative replaces the one in force.
 */
struct m2m_bpf_events_set {
	long long rate;
	int privacy;
	long long interval;
};

int m2m_bpf_set_events(const struct m2m_bpf_events_set *set);

/*
 * Drop events from the ring buffer: open, then poll (up to TIMEOUT_MS)
 * as often as wanted; each event goes to CB, whose non-zero return stops
 * the poll. m2m_bpf_events_poll returns the events handled or -errno.
 */
struct m2m_bpf_events;
typedef int (*m2m_bpf_event_cb)(void *ctx, const struct m2m_bpf_event *ev);

struct m2m_bpf_events *m2m_bpf_events_open(m2m_bpf_event_cb cb, void *ctx);
int m2m_bpf_events_poll(struct m2m_bpf_events *e, int timeout_ms);
void m2m_bpf_events_close(struct m2m_bpf_events *e);

/* ---- attachments ---- */

int m2m_bpf_attach_dev(const char *ifname);
int m2m_bpf_attach_cgroup(const char *path);
int m2m_bpf_detach_dev(const char *ifname);
int m2m_bpf_detach_cgroup(const char *path);

/* Detach from every device of this network namespace and every cgroup. */
int m2m_bpf_detach_all(void);

#endif /* M2MCTL_BPF_H */
