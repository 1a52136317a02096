/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy compiler: a model (model.h) and a geo database in, a blob
 * (include/m2mguard/policy.h) out, checked by the same validator the
 * module runs. The same model and database always give the same bytes.
 */
#ifndef M2MCTL_COMPILE_H
#define M2MCTL_COMPILE_H

#include <stdio.h>
#include <m2mguard/policy.h>
#include <m2mguard/tables.h>

#include "geo.h"
#include "model.h"

/* What went into a blob, for `policy check'. */
struct m2m_compile_info {
	__u32 nclasses;
	__u32 nendpoints;	/* as written */
	__u32 nrecords;		/* struct m2m_endpoint in the blob */
	__u32 ngroups;		/* with group 0 */
	__u32 nsrc4, nsrc6;	/* range boundaries */
	__u32 ndst4, ndst6;
	int has_geo;
	struct m2m_geodb geo;	/* provenance only: no ranges */
};

/*
 * Compile M into *BLOB (malloc'ed, *LEN bytes). GEO is the database to
 * use, or NULL to load the one the model names. Problems are written to
 * ERRF as "FILE:LINE:COL: ..."; returns 0 or -1.
 */
int m2m_compile(const struct m2m_model *m, const struct m2m_geodb *geo,
		FILE *errf, void **blob, __u32 *len,
		struct m2m_compile_info *info);

/* Parse and compile policy FILE; INFO may be NULL. */
int m2m_compile_file(const char *file, FILE *errf, void **blob, __u32 *len,
		     struct m2m_compile_info *info);

/*
 * Parse and compile FILE, then open the blob for lookups in T, as explain
 * does. *BLOB must outlive T. Returns 0 or -1.
 */
int m2m_compile_open(const char *file, FILE *errf, void **blob, __u32 *len,
		     struct m2m_tables *t);

#endif /* M2MCTL_COMPILE_H */
