/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy as written: what ctl/parse.c reads from a policy file and
 * ctl/compile.c turns into a blob. Every item keeps the place it was
 * written (line and column, from 1) so that errors, the compiled blob and
 * explain can point back at it.
 *
 * A model that m2m_model_parse accepted is consistent: names are unique,
 * purposes and zones resolved to bitmaps, prefixes parsed with host bits
 * zero, no source prefix in two classes, no two endpoints that take the
 * same destination prefix, protocol and port.
 */
#ifndef M2MCTL_MODEL_H
#define M2MCTL_MODEL_H

#include <stddef.h>
#include <stdio.h>
#include <m2mguard/policy.h>

#include "geo.h"
#include "ranges.h"
#include "zones.h"

/* Most purposes a policy may declare: one bit each in a u64. */
#define M2M_PURPOSES_MAX	64
/* Longest class, endpoint, zone or purpose name. */
#define M2M_NAME_MAX		63
/* Largest policy file read. */
#define M2M_POLICY_TEXT_MAX	(16U << 20)

struct m2m_mark {
	unsigned int line;
	unsigned int col;
};

struct m2m_prefix {
	int family;		/* AF_INET or AF_INET6 */
	struct m2m_pfx4 v4;	/* value 0 */
	struct m2m_pfx6 v6;
	const char *text;	/* as written */
	struct m2m_mark mark;
};

/* An endpoint's protocol as written; icmp is ICMPv6 on IPv6. */
enum m2m_model_proto {
	M2M_PROTO_ANY,
	M2M_PROTO_TCP,
	M2M_PROTO_UDP,
	M2M_PROTO_ICMP,
};

struct m2m_ports {
	__u16 lo;		/* inclusive */
	__u16 hi;
	struct m2m_mark mark;
};

struct m2m_model_class {
	const char *name;
	struct m2m_mark mark;	/* of the class's mapping */
	struct m2m_prefix *sources;
	size_t nsources;
	__u64 consent;		/* bit p: m2m_model.purposes[p] */
	struct m2m_zoneset zone;
	__u8 mode;		/* enum m2m_rule_mode */
};

struct m2m_model_endpoint {
	const char *name;
	struct m2m_mark mark;
	struct m2m_prefix *dsts;
	size_t ndsts;
	__u8 proto;		/* enum m2m_model_proto */
	struct m2m_ports *ports;	/* none: any port */
	size_t nports;
	__u64 purposes;
	__u16 jurisdiction;	/* pinned, or M2M_JUR_UNKNOWN */
	const char *basis;	/* "TYPE: reference", or NULL */
	__u8 mode;		/* enum m2m_rule_mode */
};

struct m2m_model_zone {
	const char *name;
	struct m2m_mark mark;
	struct m2m_zoneset set;
};

struct m2m_model_geo {
	int none;		/* format: none, no database */
	enum m2m_geo_format format;
	const char *file;	/* resolved against the policy's folder */
	const char *file6;	/* NULL: none */
	struct m2m_mark mark;	/* of the file (or of geo, or 1:1) */
};

struct m2m_model {
	const char *file;	/* the policy file's name, for messages */
	struct m2m_settings settings;
	const char *purposes[M2M_PURPOSES_MAX];
	unsigned int npurposes;
	struct m2m_model_zone *zones;
	size_t nzones;
	struct m2m_model_geo geo;
	struct m2m_model_class *classes;
	size_t nclasses;
	struct m2m_model_endpoint *endpoints;
	size_t nendpoints;
	struct m2m_arena *arena;	/* owns everything above */
};

/*
 * Parse the policy text BUF (LEN bytes) read from FILE into M. Every
 * problem is written to ERRF as "FILE:LINE:COL: what is wrong; what was
 * expected". Returns 0, or -1 after at least one message.
 */
int m2m_model_parse(struct m2m_model *m, const char *file, const char *buf,
		    size_t len, FILE *errf);

/* Read FILE (at most M2M_POLICY_TEXT_MAX bytes) and parse it. */
int m2m_model_load(struct m2m_model *m, const char *file, FILE *errf);

void m2m_model_free(struct m2m_model *m);

/* Order of prefixes: family, address, length; 0 if they are the same. */
int m2m_prefix_cmp(const struct m2m_prefix *a, const struct m2m_prefix *b);

#endif /* M2MCTL_MODEL_H */
