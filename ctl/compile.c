// SPDX-License-Identifier: GPL-2.0
/*
 * The policy compiler: model in, blob out.
 *
 * THEORY OF OPERATION
 *
 * Sources are easy: every prefix of class i maps to i + 1, the most
 * specific prefix wins, and ranges.c turns that into a boundary list.
 *
 * Destinations need one more step. An endpoint becomes one record
 * (struct m2m_endpoint) per port range, and per family where the
 * protocol differs between them (icmp: ICMP or ICMPv6). Each distinct
 * destination prefix gets a group: the records of every endpoint that
 * lists exactly that prefix, in file order. Groups with the same records
 * are stored once. The prefix maps to its group id, the most specific
 * prefix winning, so that a /24 endpoint shadows a /16 one for the
 * addresses of the /24: the verdict looks at one group per address.
 * That list is then laid over the geo database's list of jurisdictions,
 * giving every address M2M_DST_VALUE(group, jurisdiction).
 *
 * Example: "api" lists 192.0.2.0/24 tcp 443 and 8883, "ntp" lists
 * 192.0.2.0/24 udp 123 and 198.51.100.0/24. The records are api/443,
 * api/8883, ntp/123 for the /24 (group 1) and ntp/123 again for
 * 198.51.100.0/24 (group 2). If geo says 192.0.2.0-192.0.2.127 is DE and
 * the rest of the /24 is FR, 192.0.2.0/24 becomes two ranges,
 * M2M_DST_VALUE(1, DE) and M2M_DST_VALUE(1, FR).
 *
 * Nothing here depends on the order of a hash table or on addresses in
 * memory: the same model and database give the same blob, byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <m2mguard/tables.h>

#include "blob.h"
#include "compile.h"
#include "ranges.h"

struct compiler {
	const struct m2m_model *m;
	FILE *errf;
	struct m2m_strtab str;
	__u32 *ep_name;			/* string offsets per endpoint */
	__u32 *ep_basis;
	struct m2m_class *classes;
	struct m2m_endpoint *recs;	/* the ENDPOINTS section */
	__u32 nrecs, caprecs;
	struct m2m_group *groups;
	__u32 ngroups;
	__u32 *slots;			/* group ids by record hash, 0 free */
	__u32 nslots;			/* a power of two */
	struct m2m_pfx4 *dpfx4;		/* one per distinct prefix */
	struct m2m_pfx6 *dpfx6;
	size_t ndpfx4, ndpfx6;
	struct m2m_blob_parts parts;
	struct m2m_geo geo;
};

static int oom(struct compiler *c)
{
	fprintf(c->errf, "%s: out of memory\n", c->m->file);
	return -1;
}

/* ---- strings, settings and classes ---- */

static int add_str(struct compiler *c, const char *s, __u32 *off)
{
	return m2m_strtab_add(&c->str, s ? s : "", off) ? oom(c) : 0;
}

static int compile_classes(struct compiler *c)
{
	const struct m2m_model_class *mc;
	struct m2m_class *k;
	size_t i;

	if (c->m->nclasses > M2M_CLASSES_MAX) {
		mc = &c->m->classes[M2M_CLASSES_MAX];
		fprintf(c->errf, "%s:%u:%u: class '%s' is one too many; "
			"expected at most %u classes\n", c->m->file,
			mc->mark.line, mc->mark.col, mc->name,
			M2M_CLASSES_MAX);
		return -1;
	}
	c->classes = calloc(c->m->nclasses + 1, sizeof(*c->classes));
	if (!c->classes)
		return oom(c);
	for (i = 0; i < c->m->nclasses; i++) {
		mc = &c->m->classes[i];
		k = &c->classes[i];
		memcpy(k->zone, mc->zone.w, sizeof(k->zone));
		k->consent = mc->consent;
		k->line = mc->mark.line;
		k->mode = mc->mode;
		if (add_str(c, mc->name, &k->name))
			return -1;
	}
	return 0;
}

static int endpoint_strings(struct compiler *c)
{
	size_t i, n = c->m->nendpoints;

	c->ep_name = calloc(n + 1, sizeof(*c->ep_name));
	c->ep_basis = calloc(n + 1, sizeof(*c->ep_basis));
	if (!c->ep_name || !c->ep_basis)
		return oom(c);
	for (i = 0; i < n; i++)
		if (add_str(c, c->m->endpoints[i].name, &c->ep_name[i]))
			return -1;
	for (i = 0; i < n; i++)
		if (add_str(c, c->m->endpoints[i].basis, &c->ep_basis[i]))
			return -1;
	return 0;
}

/* ---- sources ---- */

static int compile_sources(struct compiler *c)
{
	struct m2m_blob_parts *bp = &c->parts;
	const struct m2m_model_class *mc;
	struct m2m_pfx4 *p4;
	struct m2m_pfx6 *p6;
	size_t i, j, n = 0, n4 = 0, n6 = 0;
	int err;

	for (i = 0; i < c->m->nclasses; i++)
		n += c->m->classes[i].nsources;
	p4 = calloc(n + 1, sizeof(*p4));
	p6 = calloc(n + 1, sizeof(*p6));
	if (!p4 || !p6)
		goto nomem;

	for (i = 0; i < c->m->nclasses; i++) {
		mc = &c->m->classes[i];
		for (j = 0; j < mc->nsources; j++) {
			if (mc->sources[j].family == AF_INET) {
				p4[n4] = mc->sources[j].v4;
				p4[n4++].value = i + 1;
			} else {
				p6[n6] = mc->sources[j].v6;
				p6[n6++].value = i + 1;
			}
		}
	}
	err = m2m_ranges4_from_pfx(p4, n4, 0, (struct m2m_range4 **)&bp->src4,
				   &bp->nsrc4);
	if (!err)
		err = m2m_ranges6_from_pfx(p6, n6, 0,
					   (struct m2m_range6 **)&bp->src6,
					   &bp->nsrc6);
	free(p4);
	free(p6);
	return err ? oom(c) : 0;

nomem:
	free(p4);
	free(p6);
	return oom(c);
}

/* ---- endpoint records and groups ---- */

static __u8 ip_proto(__u8 proto, int family)
{
	switch (proto) {
	case M2M_PROTO_TCP:
		return IPPROTO_TCP;
	case M2M_PROTO_UDP:
		return IPPROTO_UDP;
	case M2M_PROTO_ICMP:
		return family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	default:
		return 0;
	}
}

static struct m2m_endpoint *new_record(struct compiler *c)
{
	struct m2m_endpoint *r;
	__u32 cap;

	if (c->nrecs == c->caprecs) {
		cap = c->caprecs ? c->caprecs * 2 : 64;
		r = realloc(c->recs, (size_t)cap * sizeof(*r));
		if (!r)
			return NULL;
		c->recs = r;
		c->caprecs = cap;
	}
	r = &c->recs[c->nrecs++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Append the records of endpoint I for destinations of FAMILY. */
static int add_records(struct compiler *c, size_t i, int family)
{
	const struct m2m_model_endpoint *e = &c->m->endpoints[i];
	struct m2m_ports any = { 0, 65535, { 0, 0 } };
	size_t n = e->nports ? e->nports : 1, k;
	const struct m2m_ports *pr;
	struct m2m_endpoint *r;

	for (k = 0; k < n; k++) {
		pr = e->nports ? &e->ports[k] : &any;
		r = new_record(c);
		if (!r)
			return oom(c);
		r->purposes = e->purposes;
		r->name = c->ep_name[i];
		r->line = e->mark.line;
		r->basis = c->ep_basis[i];
		r->port_lo = pr->lo;
		r->port_hi = pr->hi;
		r->jurisdiction = e->jurisdiction;
		r->proto = ip_proto(e->proto, family);
		r->mode = e->mode;
		r->flags = e->basis ? M2M_EP_BASIS : 0;
	}
	return 0;
}

static __u32 hash_records(const struct m2m_endpoint *r, __u32 n)
{
	const unsigned char *b = (const unsigned char *)r;
	size_t len = (size_t)n * sizeof(*r), i;
	__u32 h = 2166136261U;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619U;
	}
	return h;
}

/*
 * The records from FIRST to the end form a group: find an equal one and
 * drop them, or keep them as a new group. Returns the group id, 0 on
 * error.
 */
static __u32 seal_group(struct compiler *c, __u32 first)
{
	__u32 n = c->nrecs - first, mask = c->nslots - 1, *slot;
	const struct m2m_group *g;
	__u32 h = hash_records(&c->recs[first], n);

	for (slot = &c->slots[h & mask]; *slot;
	     slot = &c->slots[++h & mask]) {
		g = &c->groups[*slot];
		if (g->count == n && !memcmp(&c->recs[g->first],
					     &c->recs[first],
					     (size_t)n * sizeof(*c->recs))) {
			c->nrecs = first;
			return *slot;
		}
	}
	c->groups[c->ngroups] = (struct m2m_group){ first, n };
	*slot = c->ngroups;
	return c->ngroups++;
}

/* A destination prefix where it was written, by endpoint. */
struct dref {
	const struct m2m_prefix *pfx;
	size_t ep;
	size_t seq;
};

static int dref_cmp(const void *a, const void *b)
{
	const struct dref *x = a, *y = b;
	int r = m2m_prefix_cmp(x->pfx, y->pfx);

	if (r)
		return r;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* A run of equal prefixes in the sorted drefs. */
struct run {
	size_t first;
	size_t count;
};

static int run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

static struct dref *sorted_drefs(const struct m2m_model *m, size_t *n)
{
	struct dref *d;
	size_t i, j;

	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		*n += m->endpoints[i].ndsts;
	d = calloc(*n + 1, sizeof(*d));
	if (!d)
		return NULL;
	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		for (j = 0; j < m->endpoints[i].ndsts; j++, (*n)++)
			d[*n] = (struct dref){ &m->endpoints[i].dsts[j], i,
					       *n };
	qsort(d, *n, sizeof(*d), dref_cmp);
	return d;
}

/*
 * Runs of equal prefixes, in the order their first mention appears in
 * the file, so that groups are numbered in file order.
 */
static struct run *file_order_runs(const struct dref *d, size_t n,
				   size_t *nruns)
{
	struct run *r = calloc(n + 1, sizeof(*r));
	size_t i, j;

	if (!r)
		return NULL;
	*nruns = 0;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !m2m_prefix_cmp(d[i].pfx, d[j].pfx);
		     j++)
			;
		r[(*nruns)++] = (struct run){ i, j - i };
	}
	qsort(r, *nruns, sizeof(*r), run_cmp);
	return r;
}

/* Build the group of one run and note its prefix. */
static int compile_run(struct compiler *c, const struct dref *d,
		       const struct run *run)
{
	const struct m2m_prefix *pfx = d[run->first].pfx;
	__u32 first = c->nrecs, id;
	size_t i;

	for (i = run->first; i < run->first + run->count; i++)
		if (add_records(c, d[i].ep, pfx->family))
			return -1;
	id = seal_group(c, first);
	if (pfx->family == AF_INET) {
		c->dpfx4[c->ndpfx4] = pfx->v4;
		c->dpfx4[c->ndpfx4++].value = id;
	} else {
		c->dpfx6[c->ndpfx6] = pfx->v6;
		c->dpfx6[c->ndpfx6++].value = id;
	}
	return 0;
}

static int groups_alloc(struct compiler *c, size_t nruns)
{
	c->nslots = 16;
	while (c->nslots < 2 * nruns + 2)
		c->nslots *= 2;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	c->groups = calloc(nruns + 1, sizeof(*c->groups));
	c->dpfx4 = calloc(nruns + 1, sizeof(*c->dpfx4));
	c->dpfx6 = calloc(nruns + 1, sizeof(*c->dpfx6));
	c->ngroups = 1;		/* group 0: no endpoint */
	if (!c->slots || !c->groups || !c->dpfx4 || !c->dpfx6)
		return oom(c);
	return 0;
}

static int check_limits(struct compiler *c)
{
	if (c->nrecs > M2M_ENDPOINTS_MAX) {
		fprintf(c->errf, "%s: %u endpoint records (one per endpoint, "
			"port range and family) are too many; expected at "
			"most %u\n", c->m->file, c->nrecs, M2M_ENDPOINTS_MAX);
		return -1;
	}
	if (c->ngroups - 1 > M2M_GROUPS_MAX) {
		fprintf(c->errf, "%s: %u destination groups are too many; "
			"expected at most %u\n", c->m->file, c->ngroups - 1,
			M2M_GROUPS_MAX);
		return -1;
	}
	return 0;
}

static int compile_endpoints(struct compiler *c)
{
	struct run *runs = NULL;
	struct dref *d;
	size_t n, nruns, i;
	int err = -1;

	d = sorted_drefs(c->m, &n);
	if (d)
		runs = file_order_runs(d, n, &nruns);
	if (!d || !runs) {
		oom(c);
		goto out;
	}
	if (groups_alloc(c, nruns))
		goto out;
	for (i = 0; i < nruns; i++)
		if (compile_run(c, d, &runs[i]))
			goto out;
	err = check_limits(c);
out:
	free(runs);
	free(d);
	return err;
}

/* ---- destinations: groups laid over geo ---- */

static __u32 dst_value(__u32 group, __u32 jur, void *ctx)
{
	(void)ctx;
	return M2M_DST_VALUE(group, jur);
}

static int compile_dst4(struct compiler *c, const struct m2m_geodb *geo)
{
	static const struct m2m_range4 none = { 0, 0 };
	struct m2m_blob_parts *bp = &c->parts;
	struct m2m_range4 *groups;
	__u32 ngroups;
	int err;

	err = m2m_ranges4_from_pfx(c->dpfx4, c->ndpfx4, 0, &groups, &ngroups);
	if (err)
		return oom(c);
	err = m2m_ranges4_merge(groups, ngroups, geo ? geo->r4 : &none,
				geo ? geo->n4 : 1, dst_value, NULL,
				(struct m2m_range4 **)&bp->dst4, &bp->ndst4);
	free(groups);
	return err ? oom(c) : 0;
}

static int compile_dst6(struct compiler *c, const struct m2m_geodb *geo)
{
	static const struct m2m_range6 none = { 0, 0, 0, 0 };
	struct m2m_blob_parts *bp = &c->parts;
	struct m2m_range6 *groups;
	__u32 ngroups;
	int err;

	err = m2m_ranges6_from_pfx(c->dpfx6, c->ndpfx6, 0, &groups, &ngroups);
	if (err)
		return oom(c);
	err = m2m_ranges6_merge(groups, ngroups, geo ? geo->r6 : &none,
				geo ? geo->n6 : 1, dst_value, NULL,
				(struct m2m_range6 **)&bp->dst6, &bp->ndst6);
	free(groups);
	return err ? oom(c) : 0;
}

/* ---- geo ---- */

static const char *format_name(enum m2m_geo_format fmt)
{
	switch (fmt) {
	case M2M_GEO_TOR:
		return "Tor geoip";
	case M2M_GEO_CSV:
		return "CSV geo";
	case M2M_GEO_MMDB:
		return "MaxMind DB";
	default:
		return "geo";
	}
}

static int check_readable(const struct m2m_model *m, const char *path,
			  FILE *errf)
{
	const struct m2m_model_geo *g = &m->geo;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	fprintf(errf, "%s:%u:%u: cannot read geo file '%s': %s; expected a "
		"readable %s database\n", m->file, g->mark.line, g->mark.col,
		path, strerror(errno), format_name(g->format));
	return -1;
}

static int load_geo(const struct m2m_model *m, struct m2m_geodb *db,
		    FILE *errf)
{
	const struct m2m_model_geo *g = &m->geo;
	char why[512];

	if (check_readable(m, g->file, errf) ||
	    (g->file6 && check_readable(m, g->file6, errf)))
		return -1;
	if (m2m_geo_load(db, g->format, g->file, g->file6, why,
			 sizeof(why))) {
		fprintf(errf, "%s:%u:%u: bad geo database: %s; expected a "
			"%s database\n", m->file, g->mark.line, g->mark.col,
			why, format_name(g->format));
		return -1;
	}
	return 0;
}

static int compile_geo(struct compiler *c, const struct m2m_geodb *db)
{
	c->geo.entries4 = db->entries4;
	c->geo.entries6 = db->entries6;
	memcpy(c->geo.sha256, db->sha256, sizeof(c->geo.sha256));
	if (add_str(c, db->name, &c->geo.name) ||
	    add_str(c, db->date, &c->geo.date))
		return -1;
	c->parts.geo = &c->geo;
	return 0;
}

/* ---- the blob ---- */

/* Open the blob as the module would: a failure here is m2mctl's bug. */
static int verify(struct compiler *c, const void *blob, __u32 len)
{
	struct m2m_tables t;
	const char *why = "unknown";

	if (m2m_tables_open(&t, blob, len, &why)) {
		fprintf(c->errf, "%s: the compiled policy fails its check "
			"(%s); this is a bug in m2mctl\n", c->m->file, why);
		return -1;
	}
	m2m_tables_close(&t);
	return 0;
}

static int build(struct compiler *c, void **blob, __u32 *len)
{
	struct m2m_blob_parts *bp = &c->parts;
	int err;

	bp->settings = c->m->settings;
	bp->classes = c->classes;
	bp->nclasses = c->m->nclasses;
	bp->groups = c->groups;
	bp->ngroups = c->ngroups;
	bp->endpoints = c->recs;
	bp->nendpoints = c->nrecs;
	bp->strings = &c->str;

	err = m2m_blob_build(bp, blob, len);
	if (err) {
		fprintf(c->errf, "%s: cannot lay out the policy: %s\n",
			c->m->file, strerror(-err));
		return -1;
	}
	if (verify(c, *blob, *len)) {
		free(*blob);
		return -1;
	}
	return 0;
}

static void fill_info(const struct compiler *c, const struct m2m_geodb *db,
		      struct m2m_compile_info *info)
{
	const struct m2m_blob_parts *bp = &c->parts;

	memset(info, 0, sizeof(*info));
	info->nclasses = c->m->nclasses;
	info->nendpoints = c->m->nendpoints;
	info->nrecords = c->nrecs;
	info->ngroups = c->ngroups;
	info->nsrc4 = bp->nsrc4;
	info->nsrc6 = bp->nsrc6;
	info->ndst4 = bp->ndst4;
	info->ndst6 = bp->ndst6;
	info->has_geo = db != NULL;
	if (!db)
		return;
	info->geo = *db;
	info->geo.r4 = NULL;
	info->geo.r6 = NULL;
}

static void compiler_free(struct compiler *c)
{
	m2m_strtab_free(&c->str);
	free(c->ep_name);
	free(c->ep_basis);
	free(c->classes);
	free(c->recs);
	free(c->groups);
	free(c->slots);
	free(c->dpfx4);
	free(c->dpfx6);
	free((void *)c->parts.src4);
	free((void *)c->parts.src6);
	free((void *)c->parts.dst4);
	free((void *)c->parts.dst6);
}

int m2m_compile(const struct m2m_model *m, const struct m2m_geodb *geo,
		FILE *errf, void **blob, __u32 *len,
		struct m2m_compile_info *info)
{
	struct compiler c = { .m = m, .errf = errf };
	struct m2m_geodb loaded = { 0 };
	int err;

	if (!geo && !m->geo.none) {
		if (load_geo(m, &loaded, errf))
			return -1;
		geo = &loaded;
	}
	m2m_strtab_init(&c.str);

	err = compile_classes(&c) || endpoint_strings(&c) ||
	      compile_sources(&c) || compile_endpoints(&c) ||
	      compile_dst4(&c, geo) || compile_dst6(&c, geo) ||
	      (geo && compile_geo(&c, geo)) || build(&c, blob, len);
	if (!err && info)
		fill_info(&c, geo, info);

	compiler_free(&c);
	m2m_geo_free(&loaded);
	return err ? -1 : 0;
}

int m2m_compile_file(const char *file, FILE *errf, void **blob, __u32 *len,
		     struct m2m_compile_info *info)
{
	struct m2m_model m;
	int err;

	if (m2m_model_load(&m, file, errf))
		return -1;
	err = m2m_compile(&m, NULL, errf, blob, len, info);
	m2m_model_free(&m);
	return err;
}

int m2m_compile_open(const char *file, FILE *errf, void **blob, __u32 *len,
		     struct m2m_tables *t)
{
	const char *why = "unknown";

	if (m2m_compile_file(file, errf, blob, len, NULL))
		return -1;
	if (m2m_tables_open(t, *blob, *len, &why)) {
		fprintf(errf, "%s: %s\n", file, why);
		free(*blob);
		return -1;
	}
	return 0;
}
