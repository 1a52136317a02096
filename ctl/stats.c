// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl stats: the counters of the policy in force, by reason, endpoint,
 * class or country. Names come from the policy itself, fetched alongside,
 * so a figure is never shown against another policy's names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>

#include "bpf.h"
#include "kmod.h"
#include "m2mctl.h"
#include "out.h"

enum by {
	BY_REASON = 1 << 0,
	BY_ENDPOINT = 1 << 1,
	BY_CLASS = 1 << 2,
	BY_COUNTRY = 1 << 3,
};

static const struct {
	const char *name;
	enum by by;
} bys[] = {
	{ "reason", BY_REASON },
	{ "endpoint", BY_ENDPOINT },
	{ "class", BY_CLASS },
	{ "country", BY_COUNTRY },
};

struct snapshot {
	struct m2m_counter_rec *recs;
	size_t n;
	void *blob;
	struct m2m_tables t;
};

static void put_reason_key(uint32_t key)
{
	out_str("reason", "reason", m2m_reason_name(key % __M2M_R_MAX));
	out_bool("audited", "audited", key >= __M2M_R_MAX);
}

static void put_figures(const struct m2m_counter_rec *r)
{
	out_u64("packets", "packets", r->packets);
	out_u64("bytes", "bytes", r->bytes);
}

static void print_rec(const struct m2m_tables *t,
		      const struct m2m_counter_rec *r)
{
	uint32_t cls, jur;
	char cc[3];

	out_object(NULL, NULL);
	switch (r->table) {
	case M2M_CT_REASON:
		put_reason_key(r->key);
		break;
	case M2M_CT_ENDPOINT:
		out_str("endpoint", "endpoint",
			m2m_tables_str(t, t->endpoints[r->key].name));
		out_u64("line", "line", t->endpoints[r->key].line);
		break;
	case M2M_CT_CLASS:
		cls = r->key / (2 * __M2M_R_MAX);
		out_str("class", "class",
			m2m_tables_str(t, t->classes[cls].name));
		put_reason_key(r->key % (2 * __M2M_R_MAX));
		break;
	case M2M_CT_JURISDICTION:
		jur = r->key;
		if (jur) {
			cc[0] = 'A' + (jur - 1) / 26;
			cc[1] = 'A' + (jur - 1) % 26;
			cc[2] = 0;
		}
		out_str("country", "country", jur ? cc : "unknown");
		break;
	}
	put_figures(r);
	out_object_end();
}

/*
 * An endpoint with several port ranges is several records in the policy,
 * each counted apart: add them up under the first record of the name.
 */
static void merge_endpoints(struct snapshot *s)
{
	const struct m2m_endpoint *ep = s->t.endpoints;
	struct m2m_counter_rec *r, *q;

	for (r = s->recs; r < s->recs + s->n; r++) {
		if (r->table != M2M_CT_ENDPOINT || !r->packets)
			continue;
		for (q = s->recs; q < r; q++) {
			if (q->table != M2M_CT_ENDPOINT ||
			    ep[q->key].name != ep[r->key].name)
				continue;
			q->packets += r->packets;
			q->bytes += r->bytes;
			r->packets = r->bytes = 0;
			break;
		}
	}
}

static void print_table(const struct snapshot *s, unsigned int table,
			const char *key, const char *title)
{
	const struct m2m_counter_rec *r;

	out_array(key, title);
	for (r = s->recs; r < s->recs + s->n; r++)
		if (r->table == table && r->packets)
			print_rec(&s->t, r);
	out_array_end();
}

/*
 * The module's counters and the policy they belong to. The policy can
 * change between the two reads; then read both again.
 */
static int kmod_snapshot(struct snapshot *s, uint32_t *len,
			 uint64_t *gen_policy)
{
	uint64_t gen_counters;
	struct m2m_nl nl;
	int err, tries;

	if (m2m_nl_open(&nl))
		return -1;
	for (tries = 0; tries < 5; tries++) {
		err = kmod_fetch(&nl, &s->blob, len, gen_policy);
		if (err)
			break;
		err = kmod_counters(&nl, &s->recs, &s->n, &gen_counters);
		if (err || *gen_policy == gen_counters)
			break;
		free(s->blob);
		free(s->recs);
		err = -EAGAIN;
	}
	m2m_nl_close(&nl);
	return err;
}

/* Counters and the policy they belong to, from the datapath in use. */
static int take_snapshot(struct snapshot *s, uint64_t *generation)
{
	uint64_t gen_policy;
	const char *why;
	uint32_t len;
	int err;

	if (use_bpf())
		err = m2m_bpf_counters(&s->blob, &len, &s->recs, &s->n,
				       &gen_policy);
	else
		err = kmod_snapshot(s, &len, &gen_policy);
	if (err == -ENOENT)
		fprintf(stderr, "m2mctl: no policy is loaded\n");
	if (err)
		return -1;

	if (m2m_tables_open(&s->t, s->blob, len, &why)) {
		fprintf(stderr, "m2mctl: the kernel's policy: %s\n", why);
		free(s->blob);
		free(s->recs);
		return -1;
	}
	*generation = gen_policy;
	return 0;
}

static int parse_by(int argc, char **argv, unsigned int *by)
{
	unsigned int i, found;

	*by = 0;
	for (; argc > 0; argc -= 2, argv += 2) {
		if (strcmp(argv[0], "--by") || argc < 2) {
			fprintf(stderr, "m2mctl: usage: m2mctl stats [--by "
				"reason|endpoint|class|country]...\n");
			return -1;
		}
		found = 0;
		for (i = 0; i < sizeof(bys) / sizeof(bys[0]); i++)
			if (!strcmp(argv[1], bys[i].name))
				found = bys[i].by;
		*by |= found;
		if (!found) {
			fprintf(stderr, "m2mctl: cannot count by `%s'; expected "
				"reason, endpoint, class or country\n",
				argv[1]);
			return -1;
		}
	}
	if (!*by)
		*by = BY_REASON;
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct snapshot s = { 0 };
	uint64_t generation;
	unsigned int by;

	if (parse_by(argc, argv, &by))
		return EXIT_INPUT;
	if (take_snapshot(&s, &generation))
		return EXIT_REFUSED;

	merge_endpoints(&s);
	out_begin();
	out_u64("generation", "generation", generation);
	print_geo_provenance(&s.t);
	if (by & BY_REASON)
		print_table(&s, M2M_CT_REASON, "reasons", "by reason");
	if (by & BY_ENDPOINT)
		print_table(&s, M2M_CT_ENDPOINT, "endpoints", "by endpoint");
	if (by & BY_CLASS)
		print_table(&s, M2M_CT_CLASS, "classes", "by class");
	if (by & BY_COUNTRY)
		print_table(&s, M2M_CT_JURISDICTION, "countries", "by country");
	out_end();

	m2m_tables_close(&s.t);
	free(s.blob);
	free(s.recs);
	return EXIT_OK;
}

int cmd_stats_reset(int argc, char **argv)
{
	struct m2m_nl nl;
	int err;

	(void)argc;
	(void)argv;
	if (use_bpf())
		return m2m_bpf_counters_reset() ? EXIT_REFUSED : EXIT_OK;
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	err = m2m_nl_talk(&nl, m2m_nl_msg(&nl, M2M_CMD_COUNTERS_RESET, 0),
			  NULL, NULL);
	m2m_nl_close(&nl);
	return err ? EXIT_REFUSED : EXIT_OK;
}
