/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datapath as m2mctl sets it up (ctl/bpf.c), in the test's hands and
 * without pinning anything: the programs that stay attached, one policy's
 * verdict program behind their program arrays, and the state they share.
 */
#ifndef M2M_TESTDP_H
#define M2M_TESTDP_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../ctl/bpf.h"
#include "../../ctl/compile.h"
#include "bpf/dispatch.skel.h"
#include "bpf/m2mguard.skel.h"

/* One datapath; WANT holds the counters a test expects of it. */
struct dp {
	struct dispatch_bpf *disp;
	struct m2mguard_bpf *pol;
	struct m2m_bpf_cfg cfg;
	void *blob;
	__u32 len;
	struct m2m_tables t;
	struct m2m_counter_rec *want;	/* expected counters */
	__u32 nctr;
};

/* Load the datapath with policy BLOB (malloc'ed, now the datapath's). */
static inline int dp_load_blob(struct dp *d, void *blob, __u32 len)
{
	const char *why;
	__u32 zero = 0;
	int fd, err;

	memset(d, 0, sizeof(*d));
	if (m2m_tables_open(&d->t, blob, len, &why)) {
		fprintf(stderr, "# %s\n", why);
		free(blob);
		return -1;
	}
	d->blob = blob;
	d->len = len;
	d->disp = dispatch_bpf__open_and_load();
	d->pol = m2mguard_bpf__open();
	if (!d->disp || !d->pol)
		return -1;

	err = bpf_map__reuse_fd(d->pol->maps.m2m_state,
				bpf_map__fd(d->disp->maps.m2m_state));
	err = err ?: bpf_map__reuse_fd(d->pol->maps.m2m_events,
				       bpf_map__fd(d->disp->maps.m2m_events));
	err = err ?: m2m_bpf_shape(&d->t, 1, &d->cfg);
	err = err ?: m2m_bpf_size(d->pol->obj, &d->cfg, d->len);
	if (err)
		return err;
	d->pol->rodata->m2m_cfg = d->cfg;
	err = m2mguard_bpf__load(d->pol);
	err = err ?: m2m_bpf_fill(d->pol->obj, &d->cfg, &d->t, d->blob,
				  d->len);
	if (err)
		return err;

	fd = bpf_program__fd(d->pol->progs.m2m_tc_policy);
	err = bpf_map_update_elem(bpf_map__fd(d->disp->maps.m2m_tc_jump),
				  &zero, &fd, 0);
	fd = bpf_program__fd(d->pol->progs.m2m_cgroup_policy);
	err = err ?: bpf_map_update_elem(
		bpf_map__fd(d->disp->maps.m2m_cgroup_jump), &zero, &fd, 0);

	d->nctr = d->cfg.nctr;
	d->want = calloc(d->nctr, sizeof(*d->want));
	return err ?: (d->want ? 0 : -ENOMEM);
}

/* Load the datapath with the policy in file POLICY. */
static inline int dp_load(struct dp *d, const char *policy)
{
	struct m2m_tables t;
	void *blob;
	__u32 len;

	memset(d, 0, sizeof(*d));
	if (m2m_compile_open(policy, stderr, &blob, &len, &t))
		return -1;
	m2m_tables_close(&t);
	return dp_load_blob(d, blob, len);
}

static inline void dp_free(struct dp *d)
{
	dispatch_bpf__destroy(d->disp);
	m2mguard_bpf__destroy(d->pol);
	if (d->blob)
		m2m_tables_close(&d->t);
	free(d->blob);
	free(d->want);
}

/* Replace the state that every policy shares. */
static inline int dp_set_state(struct dp *d, const struct m2m_bpf_state *st)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(d->disp->maps.m2m_state),
				   &zero, st, 0);
}

/* Set the mode, with events off. */
static inline int dp_set_mode(struct dp *d, __u8 mode)
{
	struct m2m_bpf_state st = { .mode = mode };

	return dp_set_state(d, &st);
}

#endif /* M2M_TESTDP_H */
