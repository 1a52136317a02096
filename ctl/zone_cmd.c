// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl zone list|show: the built-in zones of data/jurisdictions.tsv,
 * with the legal instrument behind each country, and a policy's own
 * zones as resolved by the parser (includes, additions and removals
 * applied).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2mctl.h"
#include "model.h"
#include "out.h"
#include "zones.h"

static const struct {
	const char *name;
	const char *description;
} builtin_text[] = {
	{ "eea", "EU member states, Iceland, Liechtenstein, Norway" },
	{ "adequacy", "full EU adequacy decisions (not the EEA itself)" },
	{ "adequacy-partial",
	  "adequacy decisions that cover only some recipients" },
};

/* A zone to print: built in, or one of the policy's. */
struct zone {
	const char *name;
	struct m2m_zoneset set;
	const struct m2m_model_zone *own;	/* NULL: built in */
};

struct zones {
	struct m2m_model model;
	bool has_model;
	struct zone *z;
	size_t n;
};

static int usage_error(const char *synopsis)
{
	fprintf(stderr, "m2mctl: usage: m2mctl %s\n", synopsis);
	return EXIT_INPUT;
}

/* [NAME] [--policy FILE], in any order; NAME only if WANT_NAME. */
static int parse_args(int argc, char **argv, bool want_name,
		      const char **name, const char **policy)
{
	int i;

	*name = NULL;
	*policy = NULL;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < argc && !*policy)
			*policy = argv[++i];
		else if (!strncmp(argv[i], "--policy=", 9) && !*policy)
			*policy = argv[i] + 9;
		else if (argv[i][0] == '-' || !want_name || *name)
			return -1;
		else
			*name = argv[i];
	}
	return want_name && !*name ? -1 : 0;
}

static const char *code_text(__u16 j, char buf[3])
{
	buf[0] = 'A' + (j - 1) / 26;
	buf[1] = 'A' + (j - 1) % 26;
	buf[2] = '\0';
	return buf;
}

static unsigned int zone_size(const struct m2m_zoneset *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < M2M_JUR_WORDS; i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

static void zones_free(struct zones *zs)
{
	free(zs->z);
	if (zs->has_model)
		m2m_model_free(&zs->model);
}

/* The built-in zones, then those of POLICY (NULL: none). */
static int zones_open(struct zones *zs, const char *policy)
{
	size_t nb, i;

	memset(zs, 0, sizeof(*zs));
	if (policy) {
		if (m2m_model_load(&zs->model, policy, stderr))
			return -1;
		zs->has_model = true;
	}
	for (nb = 0; m2m_zone_builtins[nb]; nb++)
		;
	zs->z = calloc(nb + zs->model.nzones + 1, sizeof(*zs->z));
	if (!zs->z) {
		fprintf(stderr, "m2mctl: out of memory\n");
		zones_free(zs);
		return -1;
	}
	for (i = 0; i < nb; i++) {
		zs->z[i].name = m2m_zone_builtins[i];
		m2m_zone_builtin(m2m_zone_builtins[i], &zs->z[i].set);
	}
	for (i = 0; i < zs->model.nzones; i++) {
		zs->z[nb + i].name = zs->model.zones[i].name;
		zs->z[nb + i].set = zs->model.zones[i].set;
		zs->z[nb + i].own = &zs->model.zones[i];
	}
	zs->n = nb + zs->model.nzones;
	return 0;
}

static const struct zone *zone_find(const struct zones *zs, const char *name)
{
	size_t i;

	for (i = 0; i < zs->n; i++)
		if (!strcmp(zs->z[i].name, name))
			return &zs->z[i];
	return NULL;
}

static bool subset(const struct m2m_zoneset *a, const struct m2m_zoneset *b)
{
	unsigned int i;

	for (i = 0; i < M2M_JUR_WORDS; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

/* Most codes a policy zone's description spells out. */
#define CODES_SHOWN	8

/*
 * A policy zone in words: the built-in zones it holds whole, then its
 * other codes ("eea + CH").
 */
static void describe_own(const struct zone *z, char *buf, size_t len)
{
	struct m2m_zoneset rest = z->set, b;
	unsigned int i, shown = 0, left;
	char cc[3];
	__u16 j;

	buf[0] = '\0';
	for (i = 0; m2m_zone_builtins[i]; i++) {
		m2m_zone_builtin(m2m_zone_builtins[i], &b);
		if (!subset(&b, &z->set))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 *buf ? " + " : "", m2m_zone_builtins[i]);
		for (j = 1; j <= M2M_JUR_MAX; j++)
			if (m2m_zoneset_has(&b, j))
				m2m_zoneset_del(&rest, j);
	}
	left = zone_size(&rest);
	for (j = 1; j <= M2M_JUR_MAX && shown < CODES_SHOWN; j++) {
		if (!m2m_zoneset_has(&rest, j))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 !*buf ? "" : shown ? ", " : " + ", code_text(j, cc));
		shown++;
	}
	if (left > shown)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 " and %u more", left - shown);
	if (!*buf)
		snprintf(buf, len, "empty");
}

static const char *describe(const struct zone *z, char *buf, size_t len)
{
	size_t i;

	if (z->own) {
		describe_own(z, buf, len);
		return buf;
	}
	for (i = 0; i < sizeof(builtin_text) / sizeof(builtin_text[0]); i++)
		if (!strcmp(builtin_text[i].name, z->name))
			return builtin_text[i].description;
	return NULL;
}

static const char *source(const struct zones *zs, const struct zone *z,
			  char *buf, size_t len)
{
	if (!z->own)
		return "built-in";
	snprintf(buf, len, "%s:%u", zs->model.file, z->own->mark.line);
	return buf;
}

static void unknown_zone(const struct zones *zs, const char *name)
{
	size_t i;

	fprintf(stderr, "m2mctl: unknown zone '%s'; known zones: ", name);
	for (i = 0; i < zs->n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", zs->z[i].name);
	fprintf(stderr, "\n");
}

int cmd_zone_list(int argc, char **argv)
{
	static const char synopsis[] = "zone list [--policy FILE]";
	char desc[256], src[4096];
	const char *name, *policy;
	struct zones zs;
	size_t i;

	if (parse_args(argc, argv, false, &name, &policy))
		return usage_error(synopsis);
	if (zones_open(&zs, policy))
		return EXIT_INPUT;

	out_begin();
	out_array("zones", NULL);
	for (i = 0; i < zs.n; i++) {
		out_object(NULL, NULL);
		out_str("name", "zone", zs.z[i].name);
		out_u64("countries", "countries", zone_size(&zs.z[i].set));
		out_str("source", "source",
			source(&zs, &zs.z[i], src, sizeof(src)));
		out_str("description", "description",
			describe(&zs.z[i], desc, sizeof(desc)));
		out_object_end();
	}
	out_array_end();
	out_end();

	zones_free(&zs);
	return EXIT_OK;
}

/* One member of a zone: the country, and its row of jurisdictions.tsv. */
static void show_member(__u16 j)
{
	const struct m2m_jurisdiction *row;
	const struct m2m_country *c;
	char cc[3];

	code_text(j, cc);
	c = m2m_country_find(cc);
	row = m2m_jurisdiction_find(cc);

	out_object(NULL, NULL);
	out_str("code", "code", cc);
	out_str("name", "name", row ? row->name : c ? c->name :
		!strcmp(cc, "EU") ? "European Union (registry code)" : NULL);
	out_str("instrument", "instrument", row ? row->instrument : NULL);
	out_str("date", "date", row ? row->date : NULL);
	out_str("scope", "scope", !row ? NULL :
		row->scope == M2M_SCOPE_PARTIAL ? "partial" : "full");
	out_str("note", "note", row && *row->note ? row->note : NULL);
	out_object_end();
}

int cmd_zone_show(int argc, char **argv)
{
	static const char synopsis[] = "zone show NAME [--policy FILE]";
	char desc[256], src[4096];
	const char *name, *policy;
	const struct zone *z;
	struct zones zs;
	__u16 j;

	if (parse_args(argc, argv, true, &name, &policy))
		return usage_error(synopsis);
	if (zones_open(&zs, policy))
		return EXIT_INPUT;
	z = zone_find(&zs, name);
	if (!z) {
		unknown_zone(&zs, name);
		zones_free(&zs);
		return EXIT_INPUT;
	}

	out_begin();
	out_str("zone", "zone", z->name);
	out_str("source", "source", source(&zs, z, src, sizeof(src)));
	out_str("description", "description", describe(z, desc, sizeof(desc)));
	out_u64("countries", "countries", zone_size(&z->set));
	out_array("members", "members");
	for (j = 1; j <= M2M_JUR_MAX; j++)
		if (m2m_zoneset_has(&z->set, j))
			show_member(j);
	out_array_end();
	out_end();

	zones_free(&zs);
	return EXIT_OK;
}
