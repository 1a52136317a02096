// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl stats: the counters of the policy in force, by reason, endpoint,
 * class or country, as text, JSON or Prometheus metrics. Names come from
 * the policy itself, fetched alongside, so a figure is never shown against
 * another policy's names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>
#include <openssl/evp.h>

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

#define SYNOPSIS \
	"stats [--by reason|endpoint|class|country]... [--prometheus]"

struct snapshot {
	struct m2m_counter_rec *recs;
	size_t n;
	void *blob;
	uint32_t len;
	struct m2m_tables t;
};

/* The key of a class record: class index, and a reason key below it. */
static uint32_t class_of(uint32_t key)
{
	return key / (2 * __M2M_R_MAX);
}

static uint32_t class_reason(uint32_t key)
{
	return key % (2 * __M2M_R_MAX);
}

/* The ISO 3166-1 code of jurisdiction JUR into CC, or "unknown". */
static const char *country_of(uint32_t jur, char cc[3])
{
	if (!jur)
		return "unknown";
	cc[0] = 'A' + (jur - 1) / 26;
	cc[1] = 'A' + (jur - 1) % 26;
	cc[2] = 0;
	return cc;
}

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
		out_str("class", "class", m2m_tables_str(t,
			t->classes[class_of(r->key)].name));
		put_reason_key(class_reason(r->key));
		break;
	case M2M_CT_JURISDICTION:
		out_str("country", "country", country_of(r->key, cc));
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
 * The same snapshot as Prometheus metrics, in the text exposition format
 * (version 0.0.4) that node_exporter's textfile collector reads.
 *
 * Each counter table of the datapath is its own pair of families:
 *
 *	m2mguard_packets_total{reason, audited}		every packet seen
 *	m2mguard_class_packets_total{class, reason, audited}
 *	m2mguard_endpoint_packets_total{endpoint}
 *	m2mguard_country_packets_total{country}
 *
 * and the same with bytes_total. The tables are four cuts of the same
 * packets, not their cross product: one family with every label would
 * hold series with half their labels empty, and its sum would count a
 * packet up to four times. Apart, each family sums to what it says.
 *
 * The reason family always holds every reason, and every drop reason
 * audited too, zeros included, so that a rate sees the first packet of
 * each. The others grow with the policy (up to a million endpoints,
 * 4096 classes times every reason) and, as in the text tables, get a
 * series once it has counted a packet.
 *
 * Counters start from zero with each policy and at "stats reset", which
 * Prometheus takes as a counter reset; m2mguard_policy_generation says
 * which policy the figures belong to, m2mguard_policy_info its hash and
 * the geo database its jurisdictions came from.
 */
struct prom_family {
	unsigned int table;
	enum by by;
	const char *prefix;	/* before packets_total, bytes_total */
	const char *help;	/* after "Packets " or "Bytes " */
};

static const struct prom_family prom_families[] = {
	{ M2M_CT_REASON, BY_REASON, "m2mguard_",
	  "seen by the policy in force, by verdict reason; audited: a "
	  "would-be drop passed in audit mode" },
	{ M2M_CT_ENDPOINT, BY_ENDPOINT, "m2mguard_endpoint_",
	  "from devices of a class to an allowlisted endpoint, by endpoint" },
	{ M2M_CT_CLASS, BY_CLASS, "m2mguard_class_",
	  "from devices of a class, by class and verdict reason" },
	{ M2M_CT_JURISDICTION, BY_COUNTRY, "m2mguard_country_",
	  "from devices of a class, by destination country" },
};

/* A label value, with backslash, double quote and newline escaped. */
static void prom_escape(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void prom_label(const char *sep, const char *name, const char *val)
{
	printf("%s%s=\"", sep, name);
	prom_escape(val);
	putchar('"');
}

static void prom_reason_labels(const char *sep, uint32_t key)
{
	prom_label(sep, "reason", m2m_reason_name(key % __M2M_R_MAX));
	prom_label(",", "audited", key >= __M2M_R_MAX ? "true" : "false");
}

static void prom_labels(const struct m2m_tables *t,
			const struct m2m_counter_rec *r)
{
	char cc[3];

	switch (r->table) {
	case M2M_CT_REASON:
		prom_reason_labels("", r->key);
		break;
	case M2M_CT_ENDPOINT:
		prom_label("", "endpoint",
			   m2m_tables_str(t, t->endpoints[r->key].name));
		break;
	case M2M_CT_CLASS:
		prom_label("", "class", m2m_tables_str(t,
			   t->classes[class_of(r->key)].name));
		prom_reason_labels(",", class_reason(r->key));
		break;
	case M2M_CT_JURISDICTION:
		prom_label("", "country", country_of(r->key, cc));
		break;
	}
}

/* Whether R is a series of its family (see above). */
static bool prom_series(const struct m2m_counter_rec *r)
{
	uint32_t reason = r->key % __M2M_R_MAX;

	if (r->table != M2M_CT_REASON)
		return r->packets;
	/* Only a would-be drop can be audited. */
	return r->key < __M2M_R_MAX || reason >= M2M_R_NOT_ALLOWLISTED;
}

static void prom_counter(const struct snapshot *s,
			 const struct prom_family *f, bool bytes)
{
	const char *unit = bytes ? "bytes" : "packets";
	const struct m2m_counter_rec *r;

	printf("# HELP %s%s_total %s %s.\n", f->prefix, unit,
	       bytes ? "Bytes" : "Packets", f->help);
	printf("# TYPE %s%s_total counter\n", f->prefix, unit);
	for (r = s->recs; r < s->recs + s->n; r++) {
		if (r->table != f->table || !prom_series(r))
			continue;
		printf("%s%s_total{", f->prefix, unit);
		prom_labels(&s->t, r);
		printf("} %llu\n", (unsigned long long)(bytes ? r->bytes :
							 r->packets));
	}
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * The policy's hash as status shows it (SHA-256 of the whole blob, as
 * both datapaths compute it), and where its jurisdictions came from.
 */
static int prom_policy(const struct snapshot *s, uint64_t generation)
{
	const struct m2m_geo *geo = s->t.geo;
	char sum[65], geo_sum[65] = "";
	uint8_t md[32];

	if (!EVP_Digest(s->blob, s->len, md, NULL, EVP_sha256(), NULL)) {
		fprintf(stderr, "m2mctl: cannot hash the policy in force\n");
		return -1;
	}
	hex(sum, md, sizeof(md));
	if (geo)
		hex(geo_sum, geo->sha256, sizeof(geo->sha256));

	printf("# HELP m2mguard_policy_generation Generation of the policy "
	       "in force; the counters belong to it.\n"
	       "# TYPE m2mguard_policy_generation gauge\n"
	       "m2mguard_policy_generation %" PRIu64 "\n", generation);
	printf("# HELP m2mguard_policy_info The policy in force: its "
	       "SHA-256, and the geo database of its jurisdictions (empty: "
	       "none).\n"
	       "# TYPE m2mguard_policy_info gauge\n"
	       "m2mguard_policy_info{");
	prom_label("", "policy_hash", sum);
	prom_label(",", "geo_source",
		   geo ? m2m_tables_str(&s->t, geo->name) : "");
	prom_label(",", "geo_date",
		   geo ? m2m_tables_str(&s->t, geo->date) : "");
	prom_label(",", "geo_sha256", geo_sum);
	printf("} 1\n");
	return 0;
}

static int print_prometheus(const struct snapshot *s, uint64_t generation,
			    unsigned int by)
{
	const struct prom_family *f;

	if (prom_policy(s, generation))
		return -1;
	for (f = prom_families; f < prom_families + sizeof(prom_families) /
	     sizeof(prom_families[0]); f++) {
		if (!(by & f->by))
			continue;
		prom_counter(s, f, false);
		prom_counter(s, f, true);
	}
	return 0;
}

/*
 * The module's counters and the policy they belong to. The policy can
 * change between the two reads; then read both again.
 */
static int kmod_snapshot(struct snapshot *s, uint64_t *gen_policy)
{
	uint64_t gen_counters;
	struct m2m_nl nl;
	int err, tries;

	if (m2m_nl_open(&nl))
		return -1;
	for (tries = 0; tries < 5; tries++) {
		err = kmod_fetch(&nl, &s->blob, &s->len, gen_policy);
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
	int err;

	if (use_bpf())
		err = m2m_bpf_counters(&s->blob, &s->len, &s->recs, &s->n,
				       &gen_policy);
	else
		err = kmod_snapshot(s, &gen_policy);
	if (err == -ENOENT)
		fprintf(stderr, "m2mctl: no policy is loaded\n");
	if (err)
		return -1;

	if (m2m_tables_open(&s->t, s->blob, s->len, &why)) {
		fprintf(stderr, "m2mctl: the kernel's policy: %s\n", why);
		free(s->blob);
		free(s->recs);
		return -1;
	}
	*generation = gen_policy;
	return 0;
}

static int by_name(const char *name, unsigned int *by)
{
	unsigned int i;

	for (i = 0; i < sizeof(bys) / sizeof(bys[0]); i++) {
		if (!strcmp(name, bys[i].name)) {
			*by |= bys[i].by;
			return 0;
		}
	}
	fprintf(stderr, "m2mctl: cannot count by `%s'; expected reason, "
		"endpoint, class or country\n", name);
	return -1;
}

/*
 * --by picks the tables; without it, text and JSON show the reasons and
 * --prometheus every family.
 */
static int parse_args(int argc, char **argv, unsigned int *by, bool *prom)
{
	int i;

	*by = 0;
	*prom = false;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--prometheus")) {
			*prom = true;
		} else if (!strcmp(argv[i], "--by")) {
			if (by_name(i + 1 < argc ? argv[++i] : "", by))
				return -1;
		} else {
			fprintf(stderr, "m2mctl: unexpected `%s'; usage: "
				"m2mctl " SYNOPSIS "\n", argv[i]);
			return -1;
		}
	}
	if (*prom && opts.json) {
		fprintf(stderr, "m2mctl: `--prometheus' cannot be combined "
			"with `-j': the exposition format is text\n");
		return -1;
	}
	if (!*by)
		*by = *prom ? BY_REASON | BY_ENDPOINT | BY_CLASS | BY_COUNTRY
			    : BY_REASON;
	return 0;
}

/* Text and JSON, through the output layer. */
static void print_stats(const struct snapshot *s, uint64_t generation,
			unsigned int by)
{
	out_begin();
	out_u64("generation", "generation", generation);
	print_geo_provenance(&s->t);
	if (by & BY_REASON)
		print_table(s, M2M_CT_REASON, "reasons", "by reason");
	if (by & BY_ENDPOINT)
		print_table(s, M2M_CT_ENDPOINT, "endpoints", "by endpoint");
	if (by & BY_CLASS)
		print_table(s, M2M_CT_CLASS, "classes", "by class");
	if (by & BY_COUNTRY)
		print_table(s, M2M_CT_JURISDICTION, "countries", "by country");
	out_end();
}

int cmd_stats(int argc, char **argv)
{
	struct snapshot s = { 0 };
	uint64_t generation;
	unsigned int by;
	int ret = EXIT_OK;
	bool prom;

	if (parse_args(argc, argv, &by, &prom))
		return EXIT_INPUT;
	if (take_snapshot(&s, &generation))
		return EXIT_REFUSED;

	merge_endpoints(&s);
	if (!prom)
		print_stats(&s, generation, by);
	else if (print_prometheus(&s, generation, by))
		ret = EXIT_REFUSED;

	m2m_tables_close(&s.t);
	free(s.blob);
	free(s.recs);
	return ret;
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
