/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl's requests to the kernel module (see kmod.c).
 */
#ifndef M2MCTL_KMOD_H
#define M2MCTL_KMOD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/m2mguard.h>

#include "nl.h"

/* Push BLOB in one transaction; on success *GENERATION is the new one. */
int kmod_push(struct m2m_nl *nl, const void *blob, uint32_t len,
	      uint64_t *generation);

/* Remove the policy in force; -ENOENT (after "Error: ...") with none. */
int kmod_clear(struct m2m_nl *nl);

/* The blob in force (malloc'ed), or -ENOENT with none. */
int kmod_fetch(struct m2m_nl *nl, void **blob, uint32_t *len,
	       uint64_t *generation);

/* All counter records of the policy in force (malloc'ed). */
int kmod_counters(struct m2m_nl *nl, struct m2m_counter_rec **recs,
		  size_t *n, uint64_t *generation);

/* Reply callbacks that store one attribute of type TYPE into VAL. */
struct kmod_attr {
	int type;
	void *val;
};

int kmod_u32_cb(const struct nlmsghdr *nlh, void *data);
int kmod_u64_cb(const struct nlmsghdr *nlh, void *data);

#endif /* M2MCTL_KMOD_H */
