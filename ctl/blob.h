/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing compiled policy blobs (include/m2mguard/policy.h) from tables
 * already in memory. The policy compiler and the tests fill the arrays;
 * this lays them out, always the same way for the same input, and seals
 * the result with its SHA-256.
 */
#ifndef M2MCTL_BLOB_H
#define M2MCTL_BLOB_H

#include <m2mguard/policy.h>
#include <m2mguard/rtable.h>

/*
 * A string table being built. Offsets it hands out stay valid as it
 * grows; equal strings share one offset and "" is always offset 0.
 * Zero-initialise it (or call m2m_strtab_init) before use.
 */
struct m2m_strtab {
	char *buf;		/* the STRINGS section, NULL while only "" */
	__u32 len;		/* bytes used, 0 while only "" */
	__u32 cap;
	__u32 *index;		/* open addressing over offsets, 0: free */
	__u32 nindex;		/* slots, a power of two */
	__u32 nstr;		/* strings in the index */
};

void m2m_strtab_init(struct m2m_strtab *s);

/*
 * Store STR (which must not point into S) and set *OFF to its offset.
 * Returns 0, -ENOMEM, or -E2BIG past 4 GiB of strings.
 */
int m2m_strtab_add(struct m2m_strtab *s, const char *str, __u32 *off);

void m2m_strtab_free(struct m2m_strtab *s);

/* The tables of one policy; the blob builder only reads them. */
struct m2m_blob_parts {
	struct m2m_settings settings;
	const struct m2m_range4 *dst4;
	__u32 ndst4;
	const struct m2m_range6 *dst6;
	__u32 ndst6;
	const struct m2m_range4 *src4;
	__u32 nsrc4;
	const struct m2m_range6 *src6;
	__u32 nsrc6;
	const struct m2m_class *classes;
	__u32 nclasses;
	const struct m2m_group *groups;		/* [0] is { 0, 0 } */
	__u32 ngroups;
	const struct m2m_endpoint *endpoints;
	__u32 nendpoints;
	const struct m2m_strtab *strings;	/* NULL: only "" */
	const struct m2m_geo *geo;		/* NULL: no GEO section */
};

/*
 * Lay out P as a blob: the header, the section table, then the sections
 * in type order, each 8-byte aligned, padding zeroed. Nothing in P is
 * checked (m2m_tables_open does that). On success *BLOB is malloc'd and
 * *LEN set; returns 0, -ENOMEM, or -E2BIG if the blob would pass 4 GiB.
 */
int m2m_blob_build(const struct m2m_blob_parts *p, void **blob, __u32 *len);

/* Recompute the header's sha256 over BLOB's LEN bytes; 0 or -errno. */
int m2m_blob_seal(void *blob, __u32 len);

#endif /* M2MCTL_BLOB_H */
