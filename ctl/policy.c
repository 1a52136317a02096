// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl policy check|load|compile|diff|show, mode.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <m2mguard/policy.h>
#include <m2mguard/tables.h>

#include "bpf.h"
#include "compile.h"
#include "kmod.h"
#include "lastgood.h"
#include "m2mctl.h"
#include "out.h"

/* Largest policy file read. */
#define POLICY_FILE_MAX (512u << 20)

static int read_file(const char *path, void **data, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f) {
		fprintf(stderr, "m2mctl: cannot open `%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "m2mctl: cannot read `%s': %s\n", path,
			strerror(errno));
		fclose(f);
		return -1;
	}
	if ((unsigned long)size > POLICY_FILE_MAX) {
		fprintf(stderr, "m2mctl: `%s' is %ld bytes, more than the "
			"%u a policy may have\n", path, size, POLICY_FILE_MAX);
		fclose(f);
		return -1;
	}
	*data = malloc(size ? size : 1);
	if (!*data || fread(*data, 1, size, f) != (size_t)size) {
		fprintf(stderr, "m2mctl: cannot read `%s'\n", path);
		free(*data);
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = size;
	return 0;
}

/*
 * Read FILE as a compiled policy and check it with the same validator
 * the module runs, so that a bad file is refused before it is sent.
 */
static int load_compiled(const char *path, void **blob, uint32_t *len)
{
	const struct m2m_policy_hdr *hdr;
	struct m2m_tables t;
	const char *why;

	if (read_file(path, blob, len))
		return -1;
	hdr = *blob;
	if (*len < sizeof(*hdr) || hdr->magic != M2M_POLICY_MAGIC) {
		fprintf(stderr, "m2mctl: `%s' is not a compiled m2mguard "
			"policy\n", path);
		goto err;
	}
	if (m2m_tables_open(&t, *blob, *len, &why)) {
		fprintf(stderr, "m2mctl: `%s': %s\n", path, why);
		goto err;
	}
	m2m_tables_close(&t);
	return 0;

err:
	free(*blob);
	return -1;
}

static int usage_error(const char *synopsis)
{
	fprintf(stderr, "m2mctl: usage: m2mctl %s\n", synopsis);
	return EXIT_INPUT;
}

/* Whether FILE starts like a compiled policy (else it is YAML). */
static bool is_compiled(const char *path)
{
	uint32_t magic = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	if (fread(&magic, sizeof(magic), 1, f) != 1)
		magic = 0;
	fclose(f);
	return magic == M2M_POLICY_MAGIC;
}

int policy_blob(const char *path, void **blob, uint32_t *len)
{
	if (is_compiled(path))
		return load_compiled(path, blob, len);
	return m2m_compile_file(path, stderr, blob, len, NULL);
}

int policy_tables(const char *path, void **blob, uint32_t *len,
		  struct m2m_tables *t)
{
	const char *why;

	if (policy_blob(path, blob, len))
		return -1;
	if (m2m_tables_open(t, *blob, *len, &why)) {
		fprintf(stderr, "m2mctl: `%s': %s\n", path, why);
		free(*blob);
		return -1;
	}
	return 0;
}

/* The blob in force: 0, 1 if there is none, -1 after a message. */
static int fetch_live(void **blob, uint32_t *len, uint64_t *generation)
{
	struct m2m_nl nl;
	int err;

	if (use_bpf()) {
		err = m2m_bpf_fetch(blob, len, generation);
	} else {
		if (m2m_nl_open(&nl))
			return -1;
		err = kmod_fetch(&nl, blob, len, generation);
		m2m_nl_close(&nl);
	}
	if (err == -ENOENT)
		return 1;
	return err ? -1 : 0;
}

static void hex(char *out, const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- policy check: what a blob holds ---- */

/* Endpoints as written: distinct names among the records. */
static uint32_t endpoint_names(const struct m2m_tables *t)
{
	uint32_t i, j, n = 0;

	for (i = 0; i < t->nendpoints; i++) {
		for (j = 0; j < i; j++)
			if (t->endpoints[j].name == t->endpoints[i].name)
				break;
		n += j == i;
	}
	return n;
}

static void summary(const struct m2m_tables *t, const char *path)
{
	char sum[65];

	hex(sum, t->hdr->sha256, 32);
	out_str("policy", "policy", path);
	out_str("sha256", "sha256", sum);
	out_u64("size", "size", t->hdr->total_len);
	out_u64("classes", "classes", t->nclasses);
	out_u64("endpoints", "endpoints", endpoint_names(t));
	out_u64("records", "endpoint records", t->nendpoints);
	out_u64("groups", "destination groups", t->ngroups - 1);
	out_object("ranges", "range boundaries");
	out_u64("src4", "IPv4 sources", t->nsrc4);
	out_u64("src6", "IPv6 sources", t->nsrc6);
	out_u64("dst4", "IPv4 destinations", t->ndst4);
	out_u64("dst6", "IPv6 destinations", t->ndst6);
	out_object_end();
	print_geo_provenance(t);
}

int cmd_policy_check(int argc, char **argv)
{
	struct m2m_tables t;
	uint32_t len;
	void *blob;

	(void)argc;
	if (policy_tables(argv[0], &blob, &len, &t))
		return EXIT_INPUT;
	out_begin();
	summary(&t, argv[0]);
	out_end();
	m2m_tables_close(&t);
	free(blob);
	return EXIT_OK;
}

/* ---- policy diff: what changes between two blobs, by name ---- */

typedef unsigned __int128 u128;

struct span {
	u128 lo, hi;
};

/* An endpoint as the blob holds it: its records gathered by name. */
struct ep_view {
	const char *name;
	__u32 name_off;
	const struct m2m_endpoint *first;	/* purposes, pin, basis, mode */
	__u64 *ports;		/* proto << 32 | lo << 16 | hi, sorted */
	size_t nports;
	struct span *dst[2];	/* IPv4, IPv6 addresses covered */
	size_t ndst[2], capdst[2];
};

struct view {
	const struct m2m_tables *t;
	struct ep_view *eps;
	size_t neps;
	__u32 *rec_ep;		/* record index -> eps index */
};

static int u64_cmp(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int ep_view_cmp(const void *a, const void *b)
{
	const struct ep_view *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct ep_view *ep_find(struct view *v, const char *name)
{
	struct ep_view key = { .name = name };

	if (!v->neps)
		return NULL;
	return bsearch(&key, v->eps, v->neps, sizeof(key), ep_view_cmp);
}

/* Record indices sorted by name, for view_endpoints. */
static const struct m2m_tables *sort_tables;

static int rec_cmp(const void *a, const void *b)
{
	const struct m2m_tables *t = sort_tables;
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;
	int c = strcmp(m2m_tables_str(t, t->endpoints[x].name),
		       m2m_tables_str(t, t->endpoints[y].name));

	return c ? c : (x > y) - (x < y);
}

/* One entry for each run of records with NAME, with their ports. */
static int view_run(struct view *v, const __u32 *idx, __u32 n)
{
	const struct m2m_endpoint *r;
	struct ep_view *e = &v->eps[v->neps];
	__u32 i;

	e->ports = calloc(n, sizeof(*e->ports));
	if (!e->ports)
		return -ENOMEM;
	e->first = &v->t->endpoints[idx[0]];
	e->name = m2m_tables_str(v->t, e->first->name);
	for (i = 0; i < n; i++) {
		r = &v->t->endpoints[idx[i]];
		e->ports[e->nports++] = (__u64)r->proto << 32 |
					r->port_lo << 16 | r->port_hi;
		v->rec_ep[idx[i]] = v->neps;
	}
	qsort(e->ports, e->nports, sizeof(*e->ports), u64_cmp);
	v->neps++;
	return 0;
}

/* One entry per endpoint name, sorted by name. */
static int view_endpoints(struct view *v)
{
	const struct m2m_tables *t = v->t;
	__u32 *idx, i, j;
	int err = 0;

	idx = calloc(t->nendpoints + 1, sizeof(*idx));
	v->eps = calloc(t->nendpoints + 1, sizeof(*v->eps));
	v->rec_ep = calloc(t->nendpoints + 1, sizeof(*v->rec_ep));
	if (!idx || !v->eps || !v->rec_ep) {
		free(idx);
		return -ENOMEM;
	}
	for (i = 0; i < t->nendpoints; i++)
		idx[i] = i;
	sort_tables = t;
	qsort(idx, t->nendpoints, sizeof(*idx), rec_cmp);

	for (i = 0; i < t->nendpoints && !err; i = j) {
		for (j = i + 1; j < t->nendpoints &&
		     t->endpoints[idx[j]].name == t->endpoints[idx[i]].name;
		     j++)
			;
		err = view_run(v, idx + i, j - i);
	}
	free(idx);
	return err;
}

/* Note that endpoint E covers LO..HI of family F (0: IPv4, 1: IPv6). */
static int cover(struct ep_view *e, int f, u128 lo, u128 hi)
{
	struct span *s;
	size_t n = e->ndst[f];

	if (n && e->dst[f][n - 1].hi + 1 >= lo) {
		if (e->dst[f][n - 1].hi < hi)
			e->dst[f][n - 1].hi = hi;
		return 0;
	}
	if (n == e->capdst[f]) {
		e->capdst[f] = n ? 2 * n : 16;
		s = realloc(e->dst[f], e->capdst[f] * sizeof(*s));
		if (!s)
			return -ENOMEM;
		e->dst[f] = s;
	}
	e->dst[f][e->ndst[f]++] = (struct span){ lo, hi };
	return 0;
}

/* Addresses from LO to HI map to GROUP: every endpoint in it covers them. */
static int cover_group(struct view *v, __u32 group, int f, u128 lo, u128 hi)
{
	const struct m2m_group *g = &v->t->groups[group];
	__u32 i;

	for (i = g->first; i < g->first + g->count; i++)
		if (cover(&v->eps[v->rec_ep[i]], f, lo, hi))
			return -ENOMEM;
	return 0;
}

static int view_dst4(struct view *v)
{
	const struct m2m_range4 *r;
	__u32 n, i;
	u128 hi;

	r = m2m_tables_section(v->t, M2M_SEC_DST4, &n);
	for (i = 0; i < n; i++) {
		if (!M2M_DST_GROUP(r[i].value))
			continue;
		hi = i + 1 < n ? (u128)r[i + 1].start - 1 : 0xffffffffU;
		if (cover_group(v, M2M_DST_GROUP(r[i].value), 0, r[i].start,
				hi))
			return -ENOMEM;
	}
	return 0;
}

static int view_dst6(struct view *v)
{
	const struct m2m_range6 *r;
	u128 lo, hi;
	__u32 n, i;

	r = m2m_tables_section(v->t, M2M_SEC_DST6, &n);
	for (i = 0; i < n; i++) {
		if (!M2M_DST_GROUP(r[i].value))
			continue;
		lo = (u128)r[i].start_hi << 64 | r[i].start_lo;
		hi = ~(u128)0;
		if (i + 1 < n)
			hi = ((u128)r[i + 1].start_hi << 64 |
			      r[i + 1].start_lo) - 1;
		if (cover_group(v, M2M_DST_GROUP(r[i].value), 1, lo, hi))
			return -ENOMEM;
	}
	return 0;
}

static void view_free(struct view *v)
{
	size_t i;

	for (i = 0; v->eps && i < v->neps; i++) {
		free(v->eps[i].ports);
		free(v->eps[i].dst[0]);
		free(v->eps[i].dst[1]);
	}
	free(v->eps);
	free(v->rec_ep);
	memset(v, 0, sizeof(*v));
}

static int view_open(struct view *v, const struct m2m_tables *t)
{
	memset(v, 0, sizeof(*v));
	v->t = t;
	if (!t)
		return 0;
	if (view_endpoints(v) || view_dst4(v) || view_dst6(v)) {
		fprintf(stderr, "m2mctl: out of memory\n");
		view_free(v);
		return -1;
	}
	return 0;
}

/* Append ", WHAT" to the list of changes in BUF if CHANGED. */
static void change(char *buf, size_t len, bool changed, const char *what)
{
	if (changed)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 *buf ? ", " : "", what);
}

static bool spans_differ(const struct ep_view *a, const struct ep_view *b,
			 int f)
{
	return a->ndst[f] != b->ndst[f] ||
	       memcmp(a->dst[f], b->dst[f], a->ndst[f] * sizeof(*a->dst[f]));
}

static void ep_changes(const struct view *va, const struct ep_view *a,
		       const struct view *vb, const struct ep_view *b,
		       char *buf, size_t len)
{
	const struct m2m_endpoint *x = a->first, *y = b->first;

	buf[0] = '\0';
	change(buf, len, spans_differ(a, b, 0) || spans_differ(a, b, 1),
	       "destinations");
	change(buf, len, a->nports != b->nports ||
	       memcmp(a->ports, b->ports, a->nports * sizeof(*a->ports)),
	       "protocol or ports");
	change(buf, len, x->purposes != y->purposes, "purposes");
	change(buf, len, x->jurisdiction != y->jurisdiction, "jurisdiction");
	change(buf, len, strcmp(m2m_tables_str(va->t, x->basis),
				m2m_tables_str(vb->t, y->basis)),
	       "transfer basis");
	change(buf, len, x->mode != y->mode, "mode");
	change(buf, len, x->flags != y->flags, "flags");
}

static const struct m2m_class *class_find(const struct m2m_tables *t,
					  const char *name)
{
	__u32 i;

	for (i = 0; t && i < t->nclasses; i++)
		if (!strcmp(m2m_tables_str(t, t->classes[i].name), name))
			return &t->classes[i];
	return NULL;
}

static void class_changes(const struct m2m_class *a,
			  const struct m2m_class *b, char *buf, size_t len)
{
	buf[0] = '\0';
	change(buf, len, memcmp(a->zone, b->zone, sizeof(a->zone)), "zone");
	change(buf, len, a->consent != b->consent, "consent");
	change(buf, len, a->mode != b->mode, "mode");
}

/* Print the names of T's classes that OTHER lacks, under KEY. */
static void classes_only(const char *key, const char *label,
			 const struct m2m_tables *t,
			 const struct m2m_tables *other)
{
	const char *name;
	__u32 i;

	out_array(key, label);
	for (i = 0; t && i < t->nclasses; i++) {
		name = m2m_tables_str(t, t->classes[i].name);
		if (!class_find(other, name))
			out_str(NULL, "class", name);
	}
	out_array_end();
}

static void diff_classes(const struct m2m_tables *old,
			 const struct m2m_tables *new)
{
	const struct m2m_class *a;
	char what[128];
	__u32 i;

	out_object("classes", "classes");
	classes_only("added", "added", new, old);
	classes_only("removed", "removed", old, new);
	out_array("altered", "altered");
	for (i = 0; old && i < new->nclasses; i++) {
		a = class_find(old, m2m_tables_str(new, new->classes[i].name));
		if (!a)
			continue;
		class_changes(a, &new->classes[i], what, sizeof(what));
		if (!*what)
			continue;
		out_object(NULL, NULL);
		out_str("name", "class", m2m_tables_str(new,
							new->classes[i].name));
		out_str("changed", "changed", what);
		out_object_end();
	}
	out_array_end();
	out_object_end();
}

static void endpoints_only(const char *key, const char *label,
			   struct view *v, struct view *other)
{
	size_t i;

	out_array(key, label);
	for (i = 0; i < v->neps; i++)
		if (!ep_find(other, v->eps[i].name))
			out_str(NULL, "endpoint", v->eps[i].name);
	out_array_end();
}

static void diff_endpoints(struct view *old, struct view *new)
{
	struct ep_view *a;
	char what[128];
	size_t i;

	out_object("endpoints", "endpoints");
	endpoints_only("added", "added", new, old);
	endpoints_only("removed", "removed", old, new);
	out_array("altered", "altered");
	for (i = 0; i < new->neps; i++) {
		a = ep_find(old, new->eps[i].name);
		if (!a)
			continue;
		ep_changes(old, a, new, &new->eps[i], what, sizeof(what));
		if (!*what)
			continue;
		out_object(NULL, NULL);
		out_str("name", "endpoint", new->eps[i].name);
		out_str("changed", "changed", what);
		out_object_end();
	}
	out_array_end();
	out_object_end();
}

static bool geo_differs(const struct m2m_tables *a, const struct m2m_tables *b)
{
	if (!a->geo || !b->geo)
		return a->geo != b->geo;
	return memcmp(a->geo->sha256, b->geo->sha256, 32);
}

/* The change report of policy diff and load --dry-run. */
static int report(const struct m2m_tables *old, const struct m2m_tables *new,
		  const char *path)
{
	struct view vold, vnew;
	bool same = old && !memcmp(old->hdr->sha256, new->hdr->sha256, 32);

	if (view_open(&vold, old))
		return -1;
	if (view_open(&vnew, new)) {
		view_free(&vold);
		return -1;
	}
	out_begin();
	out_str("policy", "policy", path);
	out_bool("loaded", "a policy is loaded", old != NULL);
	out_bool("identical", "identical", same);
	diff_classes(old, new);
	diff_endpoints(&vold, &vnew);
	out_bool("settings", "settings change", old &&
		 memcmp(old->settings, new->settings, sizeof(*old->settings)));
	out_bool("geo", "geo database changes", old && geo_differs(old, new));
	out_end();
	view_free(&vold);
	view_free(&vnew);
	return 0;
}

/* Compare policy FILE with the one in force. */
static int diff_live(const char *path)
{
	struct m2m_tables told, tnew;
	void *old = NULL, *new;
	uint32_t olen, nlen;
	uint64_t gen;
	const char *why;
	int err;

	if (policy_blob(path, &new, &nlen))
		return EXIT_INPUT;
	err = fetch_live(&old, &olen, &gen);
	if (err < 0) {
		free(new);
		return EXIT_REFUSED;
	}
	if (err)
		old = NULL;
	if (old && m2m_tables_open(&told, old, olen, &why)) {
		fprintf(stderr, "m2mctl: the kernel's policy: %s\n", why);
		free(old);
		old = NULL;
	}
	if (m2m_tables_open(&tnew, new, nlen, &why)) {
		fprintf(stderr, "m2mctl: `%s': %s\n", path, why);
		err = -1;
	} else {
		err = report(old ? &told : NULL, &tnew, path);
		m2m_tables_close(&tnew);
	}
	if (old)
		m2m_tables_close(&told);
	free(old);
	free(new);
	return err ? EXIT_INPUT : EXIT_OK;
}

int cmd_policy_diff(int argc, char **argv)
{
	(void)argc;
	return diff_live(argv[0]);
}

/* ---- policy load, compile ---- */

/* Swap BLOB in on the datapath in use: 0, or -1 after a message. */
static int push(const void *blob, uint32_t len, uint64_t *generation)
{
	struct m2m_nl nl;
	int err;

	if (use_bpf())
		return m2m_bpf_push(blob, len, generation) ? -1 : 0;
	if (m2m_nl_open(&nl))
		return -1;
	err = kmod_push(&nl, blob, len, generation);
	m2m_nl_close(&nl);
	return err ? -1 : 0;
}

int cmd_policy_load(int argc, char **argv)
{
	const char *path = NULL;
	char last_good[4096];
	uint64_t generation = 0;
	bool saved;
	bool dry_run = false;
	uint32_t len;
	void *blob;
	int i, err;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (argv[i][0] == '-' || path)
			return usage_error("policy load FILE [--dry-run]");
		else
			path = argv[i];
	}
	if (!path)
		return usage_error("policy load FILE [--dry-run]");
	if (dry_run)
		return diff_live(path);

	if (policy_blob(path, &blob, &len))
		return EXIT_INPUT;
	err = push(blob, len, &generation);
	if (err) {
		free(blob);
		return EXIT_REFUSED;
	}
	/* Only now, with the kernel's yes: the last good policy. */
	saved = !lastgood_save(blob, len) &&
		!lastgood_path(last_good, sizeof(last_good));
	free(blob);

	out_begin();
	out_str("policy", "loaded", path);
	out_u64("generation", "generation", generation);
	out_str("last_good", "kept as", saved ? last_good : NULL);
	out_end();
	return EXIT_OK;
}

int cmd_policy_unload(int argc, char **argv)
{
	struct m2m_nl nl;
	int err;

	(void)argc;
	(void)argv;
	if (use_bpf()) {
		fprintf(stderr, "m2mctl: the eBPF datapath cannot unload a "
			"policy; `m2mctl detach' stops it\n");
		return EXIT_INPUT;
	}
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	err = kmod_clear(&nl);
	m2m_nl_close(&nl);
	if (err)
		return EXIT_REFUSED;

	out_begin();
	out_bool("unloaded", "policy unloaded", true);
	out_end();
	return EXIT_OK;
}

static int write_blob(const char *out, const void *blob, uint32_t len)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "wb");
	if (!f || fwrite(blob, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "m2mctl: cannot write `%s': %s\n", tmp,
			strerror(errno));
		if (f)
			unlink(tmp);
		return -1;
	}
	if (rename(tmp, out)) {
		fprintf(stderr, "m2mctl: cannot rename `%s' to `%s': %s\n",
			tmp, out, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_policy_compile(int argc, char **argv)
{
	static const char synopsis[] = "policy compile FILE -o OUT";
	const char *path = NULL, *out = NULL;
	uint32_t len;
	void *blob;
	int i, err;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc && !out)
			out = argv[++i];
		else if (argv[i][0] == '-' || path)
			return usage_error(synopsis);
		else
			path = argv[i];
	}
	if (!path || !out)
		return usage_error(synopsis);

	if (m2m_compile_file(path, stderr, &blob, &len, NULL))
		return EXIT_INPUT;
	err = write_blob(out, blob, len);
	free(blob);
	if (err)
		return EXIT_INPUT;
	out_begin();
	out_str("policy", "compiled", path);
	out_str("output", "output", out);
	out_u64("size", "size", len);
	out_end();
	return EXIT_OK;
}

static void show_classes(const struct m2m_tables *t)
{
	uint32_t i;

	out_array("classes", "classes");
	for (i = 0; i < t->nclasses; i++) {
		out_object(NULL, NULL);
		out_str("name", "name", m2m_tables_str(t, t->classes[i].name));
		out_u64("line", "line", t->classes[i].line);
		out_object_end();
	}
	out_array_end();
}

static void show_endpoints(const struct m2m_tables *t)
{
	const struct m2m_endpoint *e;
	uint32_t i;

	out_array("endpoints", "endpoints");
	for (i = 0; i < t->nendpoints; i++) {
		e = &t->endpoints[i];
		out_object(NULL, NULL);
		out_str("name", "name", m2m_tables_str(t, e->name));
		out_u64("line", "line", e->line);
		out_u64("proto", "protocol", e->proto);
		out_u64("port_lo", "first port", e->port_lo);
		out_u64("port_hi", "last port", e->port_hi);
		out_object_end();
	}
	out_array_end();
}

int cmd_policy_show(int argc, char **argv)
{
	uint64_t generation;
	struct m2m_tables t;
	const char *why;
	uint32_t len;
	void *blob;
	int err;

	(void)argc;
	(void)argv;
	err = fetch_live(&blob, &len, &generation);
	if (err > 0)
		fprintf(stderr, "m2mctl: no policy is loaded\n");
	if (err)
		return EXIT_REFUSED;
	if (m2m_tables_open(&t, blob, len, &why)) {
		fprintf(stderr, "m2mctl: the kernel's policy: %s\n", why);
		free(blob);
		return EXIT_REFUSED;
	}

	out_begin();
	out_u64("generation", "generation", generation);
	out_u64("size", "size", len);
	show_classes(&t);
	show_endpoints(&t);
	out_end();

	m2m_tables_close(&t);
	free(blob);
	return EXIT_OK;
}

int cmd_mode(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct m2m_nl nl;
	uint8_t mode;
	int err;

	(void)argc;
	if (!strcmp(argv[0], "enforce")) {
		mode = M2M_MODE_ENFORCE;
	} else if (!strcmp(argv[0], "audit")) {
		mode = M2M_MODE_AUDIT;
	} else {
		fprintf(stderr, "m2mctl: unknown mode `%s'; expected "
			"`enforce' or `audit'\n", argv[0]);
		return EXIT_INPUT;
	}
	if (use_bpf())
		return m2m_bpf_set_mode(mode) ? EXIT_REFUSED : EXIT_OK;
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	nlh = m2m_nl_msg(&nl, M2M_CMD_SET, 0);
	mnl_attr_put_u8(nlh, M2M_A_MODE, mode);
	err = m2m_nl_talk(&nl, nlh, NULL, NULL);
	m2m_nl_close(&nl);
	return err ? EXIT_REFUSED : EXIT_OK;
}
