// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl geo info|lookup|diff: what a geo database says, where one
 * address is, and what replacing the database would change for a policy.
 *
 * THEORY OF OPERATION (geo diff)
 *
 * The report answers, for the endpoints whose jurisdiction comes from
 * geo (those that pin none), "which verdicts change if NEW replaces
 * OLD". Three boundary lists are walked side by side:
 *
 *   groups  the policy's destination prefixes, most specific winning, as
 *           the compiler lays them out: every address maps to the run of
 *           endpoints that list exactly the prefix that wins there (0 for
 *           none);
 *   old     the old database's codes;
 *   new     the new database's codes.
 *
 * Only the ranges of the groups list that belong to a run are walked; in
 * each, the old and new lists cut it into segments of one (old, new)
 * pair. A segment whose pair differs is a change for every unpinned
 * endpoint of the run. A class "can reach" an endpoint when its consent
 * shares a purpose with it (otherwise the packet is dropped for consent
 * whatever the country); for each such class the change is placed
 * against the class's zone: it enters, leaves, stays in or stays out,
 * and the verdict before and after is allow, allow-basis or residency.
 *
 * Example: endpoint "api" lists 192.0.2.0/24 and "api-west" the more
 * specific 192.0.2.128/25. OLD says the /24 is DE, NEW says
 * 192.0.2.192/26 is US. The groups list maps 192.0.2.0-127 to api and
 * 192.0.2.128-255 to api-west, so only api-west changes, for
 * 192.0.2.192/26, DE -> US; a class with zone eea that consents to its
 * purposes goes from allow to residency there, and those 64 addresses
 * count as leaving the class's zone.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <m2mguard/tables.h>

#include "geo.h"
#include "m2mctl.h"
#include "model.h"
#include "out.h"
#include "ranges.h"
#include "zones.h"

typedef unsigned __int128 u128;

#define U128_TOP	(~(u128)0)
#define IPV4_TOP	((u128)0xffffffffU)

/* A database as given on the command line. */
struct db_arg {
	const char *path;
	const char *path6;	/* NULL: none */
	enum m2m_geo_format fmt;
	char pair[4096];	/* "FILE,FILE6" split in place */
};

static int usage_error(const char *synopsis)
{
	fprintf(stderr, "m2mctl: usage: m2mctl %s\n", synopsis);
	return EXIT_INPUT;
}

static const struct {
	const char *name;
	enum m2m_geo_format fmt;
} formats[] = {
	{ "auto", M2M_GEO_AUTO },
	{ "tor", M2M_GEO_TOR },
	{ "csv", M2M_GEO_CSV },
	{ "mmdb", M2M_GEO_MMDB },
};

static int parse_format(const char *text, enum m2m_geo_format *fmt)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(formats[i].name, text)) {
			*fmt = formats[i].fmt;
			return 0;
		}
	}
	fprintf(stderr, "m2mctl: unknown geo format '%s'; expected tor, csv, "
		"mmdb or auto\n", text);
	return -1;
}

static const char *format_name(enum m2m_geo_format fmt)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == fmt)
			return formats[i].name;
	return "unknown";
}

/* "FILE" or "FILE,FILE6" (a Tor pair). */
static void db_arg_split(struct db_arg *a, const char *text)
{
	char *comma;

	snprintf(a->pair, sizeof(a->pair), "%s", text);
	a->path = a->pair;
	a->path6 = NULL;
	comma = strchr(a->pair, ',');
	if (comma) {
		*comma = '\0';
		a->path6 = comma + 1;
	}
}

static int load_db(struct m2m_geodb *db, const struct db_arg *a,
		   struct m2m_geo_probe *probe)
{
	char err[1024];

	if (m2m_geo_load_probe(db, a->fmt, a->path, a->path6, probe, err,
			       sizeof(err))) {
		fprintf(stderr, "m2mctl: bad geo database: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- addresses, codes and numbers as text ---- */

static const char *code_text(__u32 j, char buf[3])
{
	if (!j || j > M2M_JUR_MAX)
		return "unknown";
	buf[0] = 'A' + (j - 1) / 26;
	buf[1] = 'A' + (j - 1) % 26;
	buf[2] = '\0';
	return buf;
}

static const char *u128_text(u128 v, char buf[48])
{
	char *p = buf + 47;

	*p = '\0';
	do {
		*--p = '0' + (int)(v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void addr_text(int family, u128 a, char *buf)
{
	unsigned char b[16];
	__u32 v4 = htonl((__u32)a);
	int i;

	if (family == AF_INET) {
		inet_ntop(AF_INET, &v4, buf, INET6_ADDRSTRLEN);
		return;
	}
	for (i = 15; i >= 0; i--, a >>= 8)
		b[i] = (unsigned char)a;
	inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

/* LO-HI as a prefix where it is one, else as "FIRST-LAST". */
static void range_text(int family, u128 lo, u128 hi, char *buf, size_t len)
{
	unsigned int bits = family == AF_INET ? 32 : 128, host = 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	u128 mask;

	addr_text(family, lo, a);
	while (host < bits) {
		mask = ((u128)1 << host << 1) - 1;
		if ((lo & mask) || (lo | mask) > hi)
			break;
		host++;
	}
	mask = host ? ((u128)1 << (host - 1) << 1) - 1 : 0;
	if ((lo | mask) == hi) {
		snprintf(buf, len, "%s/%u", a, bits - host);
		return;
	}
	addr_text(family, hi, b);
	snprintf(buf, len, "%s-%s", a, b);
}

/* Addresses from LO to HI; the whole IPv6 space saturates. */
static u128 span_size(u128 lo, u128 hi)
{
	return hi - lo == U128_TOP ? U128_TOP : hi - lo + 1;
}

static void out_u128(const char *key, const char *label, u128 v)
{
	char buf[48];

	out_number(key, label, u128_text(v, buf));
}

static void hex(char *out, const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- boundary lists of either family ---- */

struct bounds {
	int family;
	const struct m2m_range4 *r4;
	const struct m2m_range6 *r6;
	__u32 n;
};

static struct bounds bounds4(const struct m2m_range4 *r, __u32 n)
{
	return (struct bounds){ .family = AF_INET, .r4 = r, .n = n };
}

static struct bounds bounds6(const struct m2m_range6 *r, __u32 n)
{
	return (struct bounds){ .family = AF_INET6, .r6 = r, .n = n };
}

static u128 b_start(const struct bounds *b, __u32 i)
{
	if (b->family == AF_INET)
		return b->r4[i].start;
	return (u128)b->r6[i].start_hi << 64 | b->r6[i].start_lo;
}

static __u32 b_value(const struct bounds *b, __u32 i)
{
	return b->family == AF_INET ? b->r4[i].value : b->r6[i].value;
}

static u128 b_end(const struct bounds *b, __u32 i)
{
	if (i + 1 < b->n)
		return b_start(b, i + 1) - 1;
	return b->family == AF_INET ? IPV4_TOP : U128_TOP;
}

/* The boundary covering A: the last that starts at or below it. */
static __u32 b_find(const struct bounds *b, u128 a)
{
	__u32 lo = 0, hi = b->n, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b_start(b, mid) <= a)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- geo info ---- */

#define V6_GLOBAL_LO	((u128)0x2000 << 112)
#define V6_GLOBAL_HI	(((u128)0x4000 << 112) - 1)

struct coverage {
	u128 country4;		/* IPv4 addresses with a country */
	u128 other4;		/* with another code (EU, ZZ...) */
	u128 country6;		/* addresses of 2000::/3 with a country */
	struct m2m_zoneset codes;	/* every code seen */
	bool is_country[M2M_JUR_MAX + 1];
};

static void count_range(struct coverage *c, int family, u128 lo, u128 hi,
			__u32 value)
{
	if (!value)
		return;
	m2m_zoneset_add(&c->codes, value);
	if (family == AF_INET && c->is_country[value])
		c->country4 += span_size(lo, hi);
	else if (family == AF_INET)
		c->other4 += span_size(lo, hi);
	else if (c->is_country[value] && hi >= V6_GLOBAL_LO &&
		 lo <= V6_GLOBAL_HI)
		c->country6 += span_size(lo < V6_GLOBAL_LO ? V6_GLOBAL_LO : lo,
					 hi > V6_GLOBAL_HI ? V6_GLOBAL_HI : hi);
}

static void coverage(const struct m2m_geodb *db, struct coverage *c)
{
	struct bounds b[2] = { bounds4(db->r4, db->n4),
			       bounds6(db->r6, db->n6) };
	char cc[3];
	__u32 i, j;
	int f;

	memset(c, 0, sizeof(*c));
	for (j = 1; j <= M2M_JUR_MAX; j++)
		c->is_country[j] = m2m_country_find(code_text(j, cc)) != NULL;
	for (f = 0; f < 2; f++)
		for (i = 0; i < b[f].n; i++)
			count_range(c, b[f].family, b_start(&b[f], i),
				    b_end(&b[f], i), b_value(&b[f], i));
}

/* SHARE of 2^BITS addresses, in percent with 4 decimals. */
static void out_percent(const char *key, const char *label, u128 share,
			unsigned int bits)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.4Lf",
		 (long double)share * 100 / ((long double)((u128)1 << bits)));
	out_number(key, label, buf);
}

static void show_info(const struct m2m_geodb *db, const struct coverage *c)
{
	unsigned int countries = 0;
	char sum[65], cc[3];
	__u32 j;

	hex(sum, db->sha256, 32);
	out_begin();
	out_str("database", "database", db->name);
	out_str("format", "format", format_name(db->format));
	out_str("date", "date", db->date[0] ? db->date : NULL);
	out_str("sha256", "sha256", sum);
	out_object("entries", "entries");
	out_u64("ipv4", "IPv4", db->entries4);
	out_u64("ipv6", "IPv6", db->entries6);
	out_object_end();
	out_u64("uk_as_gb", "UK read as GB", db->renamed);
	out_object("coverage", "with a country");
	out_u128("ipv4_addresses", "IPv4 addresses", c->country4);
	out_percent("ipv4_percent", "% of IPv4", c->country4, 32);
	out_percent("ipv6_percent", "% of 2000::/3", c->country6, 125);
	out_u128("other_ipv4_addresses", "IPv4, other codes", c->other4);
	out_object_end();
	for (j = 1; j <= M2M_JUR_MAX; j++)
		countries += m2m_zoneset_has(&c->codes, j) && c->is_country[j];
	out_u64("countries", "countries", countries);
	out_array("other_codes", "codes that are not countries");
	for (j = 1; j <= M2M_JUR_MAX; j++)
		if (m2m_zoneset_has(&c->codes, j) && !c->is_country[j])
			out_str(NULL, "code", code_text(j, cc));
	out_array_end();
	out_end();
}

int cmd_geo_info(int argc, char **argv)
{
	static const char synopsis[] =
		"geo info FILE [FILE6] [--format tor|csv|mmdb]";
	struct db_arg a = { .fmt = M2M_GEO_AUTO };
	struct m2m_geodb db;
	struct coverage *c;
	int i, npos = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (parse_format(argv[++i], &a.fmt))
				return EXIT_INPUT;
		} else if (argv[i][0] == '-' || npos == 2) {
			return usage_error(synopsis);
		} else if (npos++) {
			a.path6 = argv[i];
		} else {
			a.path = argv[i];
		}
	}
	if (!a.path)
		return usage_error(synopsis);
	if (load_db(&db, &a, NULL))
		return EXIT_INPUT;

	c = malloc(sizeof(*c));
	if (!c) {
		fprintf(stderr, "m2mctl: out of memory\n");
		m2m_geo_free(&db);
		return EXIT_INPUT;
	}
	coverage(&db, c);
	show_info(&db, c);
	free(c);
	m2m_geo_free(&db);
	return EXIT_OK;
}

/* ---- geo lookup ---- */

static int parse_probe(const char *text, struct m2m_geo_probe *p)
{
	unsigned char b[16];
	__u64 h, l;
	__u32 v4;

	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, text, b) == 1) {
		memcpy(&v4, b, sizeof(v4));
		p->family = AF_INET;
		p->lo = ntohl(v4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, b) == 1) {
		memcpy(&h, b, sizeof(h));
		memcpy(&l, b + 8, sizeof(l));
		p->family = AF_INET6;
		p->hi = be64toh(h);
		p->lo = be64toh(l);
		return 0;
	}
	fprintf(stderr, "m2mctl: bad address '%s'; expected an IPv4 or IPv6 "
		"address\n", text);
	return -1;
}

static bool is_addr(const char *text)
{
	unsigned char b[16];

	return inet_pton(AF_INET, text, b) == 1 ||
	       inet_pton(AF_INET6, text, b) == 1;
}

/* The built-in zones that hold J, "a, b", or NULL. */
static const char *zones_of(__u32 j, char *buf, size_t len)
{
	struct m2m_zoneset z;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; j && m2m_zone_builtins[i]; i++) {
		m2m_zone_builtin(m2m_zone_builtins[i], &z);
		if (m2m_zoneset_has(&z, j))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 *buf ? ", " : "", m2m_zone_builtins[i]);
	}
	return *buf ? buf : NULL;
}

/* The name jurisdictions.tsv gives, else the ISO list's. */
static const char *country_name(__u32 j)
{
	const struct m2m_jurisdiction *row;
	const struct m2m_country *c;
	char cc[3];

	row = m2m_jurisdiction_find(code_text(j, cc));
	if (row)
		return row->name;
	c = m2m_country_find(cc);
	if (c)
		return c->name;
	return !strcmp(cc, "EU") ? "European Union (registry code)" : NULL;
}

static void show_lookup(const char *addr, const struct m2m_geodb *db,
			const struct m2m_geo_probe *p)
{
	struct bounds b = p->family == AF_INET ? bounds4(db->r4, db->n4) :
						 bounds6(db->r6, db->n6);
	u128 a = (u128)p->hi << 64 | p->lo, lo, hi;
	char cc[3], range[128], entry[4200], zones[64];
	__u32 i = b_find(&b, a), j = b_value(&b, i);

	lo = p->found ? (u128)p->start_hi << 64 | p->start_lo : b_start(&b, i);
	hi = p->found ? (u128)p->end_hi << 64 | p->end_lo : b_end(&b, i);
	range_text(p->family, lo, hi, range, sizeof(range));
	if (p->found && p->line)
		snprintf(entry, sizeof(entry), "%s:%u", p->file, p->line);
	else
		snprintf(entry, sizeof(entry), "%s", p->found ? p->file : "");

	out_begin();
	out_str("address", "address", addr);
	out_str("country", "country", code_text(j, cc));
	out_str("name", "name", country_name(j));
	out_str("zones", "built-in zones", zones_of(j, zones,
						     sizeof(zones)));
	out_str("range", p->found ? "range" : "in no entry", range);
	out_str("entry", "entry", *entry ? entry : NULL);
	out_str("database", "database", db->name);
	out_str("format", "format", format_name(db->format));
	out_str("date", "date", db->date[0] ? db->date : NULL);
	out_end();
}

int cmd_geo_lookup(int argc, char **argv)
{
	static const char synopsis[] =
		"geo lookup ADDR [--geo FILE [FILE6]] [--format F]";
	struct db_arg a = { .path = M2M_GEO_TOR4, .path6 = M2M_GEO_TOR6,
			    .fmt = M2M_GEO_AUTO };
	struct m2m_geo_probe probe;
	const char *addr = NULL;
	struct m2m_geodb db;
	bool geo = false;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (parse_format(argv[++i], &a.fmt))
				return EXIT_INPUT;
		} else if (!strcmp(argv[i], "--geo") && i + 1 < argc && !geo) {
			geo = true;
			a.path = argv[++i];
			a.path6 = NULL;
			if (i + 1 < argc && argv[i + 1][0] != '-' &&
			    (addr || !is_addr(argv[i + 1])))
				a.path6 = argv[++i];
		} else if (argv[i][0] == '-' || addr) {
			return usage_error(synopsis);
		} else {
			addr = argv[i];
		}
	}
	if (!addr)
		return usage_error(synopsis);
	if (parse_probe(addr, &probe) || load_db(&db, &a, &probe))
		return EXIT_INPUT;

	show_lookup(addr, &db, &probe);
	m2m_geo_free(&db);
	return EXIT_OK;
}

/* ---- geo diff ---- */

/* Endpoints that list exactly one destination prefix. */
struct run {
	size_t first;		/* into diff.run_eps */
	size_t count;
};

/* One range of one endpoint whose code changes. */
struct change {
	size_t ep;
	int family;
	u128 lo, hi;
	__u32 old, new;
};

/* Per class and family: its reachable geo-decided space, and moves. */
struct class_sum {
	u128 space;
	u128 changed;
	u128 enters;
	u128 leaves;
};

struct diff {
	const struct m2m_model *m;
	struct run *runs;	/* run id - 1 */
	size_t nruns;
	size_t *run_eps;	/* endpoint indices, by run */
	struct m2m_range4 *g4;	/* the groups lists: run ids */
	__u32 ng4;
	struct m2m_range6 *g6;
	__u32 ng6;
	struct change *ch;
	size_t nch, capch;
	struct class_sum *sum;	/* [class * 2 + family index] */
};

struct dst_ref {
	const struct m2m_prefix *pfx;
	size_t ep;
};

static int dst_ref_cmp(const void *a, const void *b)
{
	const struct dst_ref *x = a, *y = b;
	int r = m2m_prefix_cmp(x->pfx, y->pfx);

	return r ? r : (x->ep > y->ep) - (x->ep < y->ep);
}

static bool pinned(const struct diff *d, size_t ep)
{
	return d->m->endpoints[ep].jurisdiction != M2M_JUR_UNKNOWN;
}

static bool reaches(const struct diff *d, size_t cls, size_t ep)
{
	return d->m->classes[cls].consent & d->m->endpoints[ep].purposes;
}

static bool in_zone(const struct diff *d, size_t cls, __u32 j)
{
	if (!j)
		return d->m->settings.unknown_allowed;
	return m2m_zoneset_has(&d->m->classes[cls].zone, j);
}

/* Every destination prefix, sorted, so that equal ones are neighbours. */
static struct dst_ref *dst_refs(const struct m2m_model *m, size_t *n)
{
	struct dst_ref *r;
	size_t i, k;

	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		*n += m->endpoints[i].ndsts;
	r = calloc(*n + 1, sizeof(*r));
	if (!r)
		return NULL;
	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		for (k = 0; k < m->endpoints[i].ndsts; k++)
			r[(*n)++] = (struct dst_ref){ &m->endpoints[i].dsts[k],
						      i };
	qsort(r, *n, sizeof(*r), dst_ref_cmp);
	return r;
}

/* Runs of equal prefixes; each prefix maps to its run id. */
static int build_runs(struct diff *d, const struct dst_ref *r, size_t n,
		      struct m2m_pfx4 *p4, size_t *n4, struct m2m_pfx6 *p6,
		      size_t *n6)
{
	size_t i, j;

	d->runs = calloc(n + 1, sizeof(*d->runs));
	d->run_eps = calloc(n + 1, sizeof(*d->run_eps));
	if (!d->runs || !d->run_eps)
		return -1;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && !m2m_prefix_cmp(r[i].pfx, r[j].pfx); j++)
			d->run_eps[j] = r[j].ep;
		d->runs[d->nruns++] = (struct run){ i, j - i };
		if (r[i].pfx->family == AF_INET) {
			p4[*n4] = r[i].pfx->v4;
			p4[(*n4)++].value = d->nruns;
		} else {
			p6[*n6] = r[i].pfx->v6;
			p6[(*n6)++].value = d->nruns;
		}
	}
	return 0;
}

static int build_groups(struct diff *d)
{
	struct m2m_pfx4 *p4;
	struct m2m_pfx6 *p6;
	size_t n, n4 = 0, n6 = 0;
	struct dst_ref *r;
	int err = -1;

	r = dst_refs(d->m, &n);
	p4 = calloc(n + 1, sizeof(*p4));
	p6 = calloc(n + 1, sizeof(*p6));
	if (r && p4 && p6 && !build_runs(d, r, n, p4, &n4, p6, &n6) &&
	    !m2m_ranges4_from_pfx(p4, n4, 0, &d->g4, &d->ng4) &&
	    !m2m_ranges6_from_pfx(p6, n6, 0, &d->g6, &d->ng6))
		err = 0;
	free(r);
	free(p4);
	free(p6);
	return err;
}

static int add_change(struct diff *d, size_t ep, int family, u128 lo,
		      u128 hi, __u32 old, __u32 new)
{
	struct change *c;
	size_t cap;

	if (d->nch == d->capch) {
		cap = d->capch ? 2 * d->capch : 64;
		c = realloc(d->ch, cap * sizeof(*c));
		if (!c)
			return -1;
		d->ch = c;
		d->capch = cap;
	}
	d->ch[d->nch++] = (struct change){ ep, family, lo, hi, old, new };
	return 0;
}

/* LO..HI map to RUN, OLD in the old database and NEW in the new. */
static int segment(struct diff *d, __u32 run, int family, u128 lo, u128 hi,
		   __u32 old, __u32 new)
{
	const struct run *r = &d->runs[run - 1];
	u128 size = span_size(lo, hi);
	struct class_sum *s;
	size_t c, k, ep;
	bool reach;

	for (c = 0; c < d->m->nclasses; c++) {
		reach = false;
		for (k = r->first; k < r->first + r->count && !reach; k++) {
			ep = d->run_eps[k];
			reach = !pinned(d, ep) && reaches(d, c, ep);
		}
		if (!reach)
			continue;
		s = &d->sum[c * 2 + (family == AF_INET6)];
		s->space += size;
		if (old == new)
			continue;
		s->changed += size;
		s->enters += !in_zone(d, c, old) && in_zone(d, c, new) ?
			     size : 0;
		s->leaves += in_zone(d, c, old) && !in_zone(d, c, new) ?
			     size : 0;
	}

	for (k = r->first; old != new && k < r->first + r->count; k++)
		if (!pinned(d, d->run_eps[k]) &&
		    add_change(d, d->run_eps[k], family, lo, hi, old, new))
			return -1;
	return 0;
}

/* Cut every range of the groups list G at the boundaries of O and N. */
static int sweep(struct diff *d, const struct bounds *g,
		 const struct bounds *o, const struct bounds *n)
{
	__u32 i, io, in, run;
	u128 lo, hi, cur, end;

	for (i = 0; i < g->n; i++) {
		run = b_value(g, i);
		if (!run)
			continue;
		lo = b_start(g, i);
		hi = b_end(g, i);
		io = b_find(o, lo);
		in = b_find(n, lo);
		for (cur = lo;; cur = end + 1) {
			end = hi;
			if (b_end(o, io) < end)
				end = b_end(o, io);
			if (b_end(n, in) < end)
				end = b_end(n, in);
			if (segment(d, run, g->family, cur, end,
				    b_value(o, io), b_value(n, in)))
				return -1;
			if (end == hi)
				break;
			io += b_end(o, io) == end;
			in += b_end(n, in) == end;
		}
	}
	return 0;
}

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	if (x->ep != y->ep)
		return x->ep < y->ep ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* In endpoint order; neighbouring ranges of one change made one. */
static void sort_changes(struct diff *d)
{
	struct change *c, *last = NULL;
	size_t i, n = 0;

	if (d->nch)
		qsort(d->ch, d->nch, sizeof(*d->ch), change_cmp);
	for (i = 0; i < d->nch; i++) {
		c = &d->ch[i];
		if (last && last->ep == c->ep && last->family == c->family &&
		    last->old == c->old && last->new == c->new &&
		    last->hi + 1 == c->lo) {
			last->hi = c->hi;
			continue;
		}
		d->ch[n] = *c;
		last = &d->ch[n++];
	}
	d->nch = n;
}

static const char *verdict(const struct diff *d, size_t cls, size_t ep,
			   __u32 j)
{
	if (in_zone(d, cls, j))
		return "allow";
	return d->m->endpoints[ep].basis ? "allow-basis" : "residency";
}

static const char *zone_move(const struct diff *d, size_t cls,
			     const struct change *c)
{
	bool was = in_zone(d, cls, c->old), is = in_zone(d, cls, c->new);

	if (was == is)
		return was ? "stays in" : "stays out";
	return is ? "enters" : "leaves";
}

static void defined_at(const struct diff *d, size_t ep, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%s:%u", d->m->file, d->m->endpoints[ep].mark.line);
}

/* One row: the change, and what it means for class CLS (-1: none). */
static void change_row(const struct diff *d, const struct change *c,
		       long cls)
{
	char at[4200], range[128], old[3], new[3];

	defined_at(d, c->ep, at, sizeof(at));
	range_text(c->family, c->lo, c->hi, range, sizeof(range));
	out_object(NULL, NULL);
	out_str("endpoint", "endpoint", d->m->endpoints[c->ep].name);
	out_str("defined", "defined", at);
	out_str("range", "range", range);
	out_str("old", "old", code_text(c->old, old));
	out_str("new", "new", code_text(c->new, new));
	out_str("class", "class", cls < 0 ? NULL : d->m->classes[cls].name);
	out_str("zone", "zone", cls < 0 ? NULL : zone_move(d, cls, c));
	out_str("before", "before", cls < 0 ? NULL :
		verdict(d, cls, c->ep, c->old));
	out_str("after", "after", cls < 0 ? NULL :
		verdict(d, cls, c->ep, c->new));
	out_object_end();
}

static void show_changes(const struct diff *d)
{
	const struct change *c;
	size_t cls, rows;

	out_array("changes", "changes, per class that can reach them");
	for (c = d->ch; c < d->ch + d->nch; c++) {
		rows = 0;
		for (cls = 0; cls < d->m->nclasses; cls++) {
			if (!reaches(d, cls, c->ep))
				continue;
			change_row(d, c, cls);
			rows++;
		}
		if (!rows)
			change_row(d, c, -1);
	}
	out_array_end();
}

static void show_endpoints(const struct diff *d)
{
	size_t i, n;
	char at[4200];

	out_array("endpoints", "endpoints whose destinations change country");
	for (i = 0; i < d->nch; i += n) {
		for (n = 1; i + n < d->nch && d->ch[i + n].ep == d->ch[i].ep;
		     n++)
			;
		defined_at(d, d->ch[i].ep, at, sizeof(at));
		out_object(NULL, NULL);
		out_str("endpoint", "endpoint",
			d->m->endpoints[d->ch[i].ep].name);
		out_str("defined", "defined", at);
		out_u64("ranges", "ranges", n);
		out_object_end();
	}
	out_array_end();
}

static void show_classes(const struct diff *d)
{
	static const char *const family[] = { "ipv4", "ipv6" };
	const struct class_sum *s;
	size_t c;
	int f;

	out_array("classes", "per class: reachable destinations from geo");
	for (c = 0; c < d->m->nclasses; c++) {
		for (f = 0; f < 2; f++) {
			s = &d->sum[c * 2 + f];
			out_object(NULL, NULL);
			out_str("class", "class", d->m->classes[c].name);
			out_str("family", "family", family[f]);
			out_u128("addresses", "addresses", s->space);
			out_u128("changed", "change country", s->changed);
			out_u128("enters", "enter zone", s->enters);
			out_u128("leaves", "leave zone", s->leaves);
			out_object_end();
		}
	}
	out_array_end();
}

static void show_db(const char *key, const char *title,
		    const struct m2m_geodb *db)
{
	out_object(key, title);
	out_str("database", "database", db->name);
	out_str("format", "format", format_name(db->format));
	out_str("date", "date", db->date[0] ? db->date : NULL);
	out_object_end();
}

static void show_diff(const struct diff *d, const struct m2m_geodb *old,
		      const struct m2m_geodb *new)
{
	size_t i, npinned = 0;

	for (i = 0; i < d->m->nendpoints; i++)
		npinned += pinned(d, i);
	out_begin();
	out_str("policy", "policy", d->m->file);
	show_db("old", "old", old);
	show_db("new", "new", new);
	out_u64("pinned", "pinned endpoints (geo unused)", npinned);
	show_endpoints(d);
	show_changes(d);
	show_classes(d);
	out_end();
}

static void diff_free(struct diff *d)
{
	free(d->runs);
	free(d->run_eps);
	free(d->g4);
	free(d->g6);
	free(d->ch);
	free(d->sum);
}

static int run_diff(const struct m2m_model *m, const struct m2m_geodb *old,
		    const struct m2m_geodb *new)
{
	struct diff d = { .m = m };
	struct bounds g4, g6, o4, o6, n4, n6;
	int err = -1;

	d.sum = calloc(2 * m->nclasses + 1, sizeof(*d.sum));
	if (!d.sum || build_groups(&d))
		goto out;
	g4 = bounds4(d.g4, d.ng4);
	g6 = bounds6(d.g6, d.ng6);
	o4 = bounds4(old->r4, old->n4);
	o6 = bounds6(old->r6, old->n6);
	n4 = bounds4(new->r4, new->n4);
	n6 = bounds6(new->r6, new->n6);
	if (sweep(&d, &g4, &o4, &n4) || sweep(&d, &g6, &o6, &n6))
		goto out;
	sort_changes(&d);
	show_diff(&d, old, new);
	err = 0;
out:
	if (err)
		fprintf(stderr, "m2mctl: out of memory\n");
	diff_free(&d);
	return err;
}

int cmd_geo_diff(int argc, char **argv)
{
	static const char synopsis[] = "geo diff OLD[,OLD6] NEW[,NEW6] "
		"--policy FILE [--old-format F] [--new-format F]";
	struct db_arg a[2] = { { .fmt = M2M_GEO_AUTO },
			       { .fmt = M2M_GEO_AUTO } };
	struct m2m_geodb db[2] = { { 0 } };
	const char *policy = NULL;
	struct m2m_model m;
	int i, npos = 0, ret = EXIT_INPUT;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < argc && !policy) {
			policy = argv[++i];
		} else if (!strcmp(argv[i], "--old-format") && i + 1 < argc) {
			if (parse_format(argv[++i], &a[0].fmt))
				return EXIT_INPUT;
		} else if (!strcmp(argv[i], "--new-format") && i + 1 < argc) {
			if (parse_format(argv[++i], &a[1].fmt))
				return EXIT_INPUT;
		} else if (argv[i][0] == '-' || npos == 2) {
			return usage_error(synopsis);
		} else {
			db_arg_split(&a[npos++], argv[i]);
		}
	}
	if (npos != 2 || !policy)
		return usage_error(synopsis);

	if (m2m_model_load(&m, policy, stderr))
		return EXIT_INPUT;
	if (!load_db(&db[0], &a[0], NULL) && !load_db(&db[1], &a[1], NULL) &&
	    !run_diff(&m, &db[0], &db[1]))
		ret = EXIT_OK;
	m2m_geo_free(&db[0]);
	m2m_geo_free(&db[1]);
	m2m_model_free(&m);
	return ret;
}

/* ---- provenance of a compiled policy ---- */

void print_geo_provenance(const struct m2m_tables *t)
{
	char sum[65];

	if (!t) {
		out_str("geo", "geo", NULL);
		return;
	}
	if (!t->geo) {
		out_str("geo", "geo", "none (pinned jurisdictions only)");
		return;
	}
	hex(sum, t->geo->sha256, 32);
	out_object("geo", "geo");
	out_str("source", "source", m2m_tables_str(t, t->geo->name));
	out_str("date", "date", m2m_tables_str(t, t->geo->date));
	out_u64("entries4", "IPv4 entries", t->geo->entries4);
	out_u64("entries6", "IPv6 entries", t->geo->entries6);
	out_str("sha256", "sha256", sum);
	out_object_end();
}
