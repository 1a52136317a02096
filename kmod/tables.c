// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a compiled policy (include/m2mguard/policy.h): check every field
 * of a blob that, in the module, comes straight from userspace, then build
 * its range tables.
 *
 * The checks run from the outside in: the header, the checksum, the
 * section table, then each section's elements, so that by the time an
 * element is read its section is known to lie inside the blob, and by the
 * time an index is stored anywhere the table it points into is known to be
 * long enough. Building the range tables comes last because it is the only
 * step that allocates. The first failure wins and names itself in *why, a
 * constant string that the module hands to netlink as the extack message.
 *
 * The same file builds in the kernel and in userspace (m2mctl, tests);
 * the differences are in the block below.
 */

#include <m2mguard/tables.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <crypto/sha2.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <openssl/evp.h>
#endif

#define HASH_OFF	offsetof(struct m2m_policy_hdr, sha256)
#define HASH_LEN	sizeof(((struct m2m_policy_hdr *)0)->sha256)
#define HASH_END	(HASH_OFF + HASH_LEN)

/*
 * SHA-256 of the blob as if its sha256 field were zero. It is hashed in
 * three pieces so that a blob of many megabytes is never copied.
 */
#ifdef __KERNEL__
static int blob_digest(const __u8 *blob, __u32 len, __u8 *out)
{
	static const __u8 zero[HASH_LEN];
	struct sha256_state s;

	sha256_init(&s);
	sha256_update(&s, blob, HASH_OFF);
	sha256_update(&s, zero, HASH_LEN);
	sha256_update(&s, blob + HASH_END, len - HASH_END);
	sha256_final(&s, out);
	return 0;
}
#else
static int blob_digest(const __u8 *blob, __u32 len, __u8 *out)
{
	static const __u8 zero[HASH_LEN];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, blob, HASH_OFF) &&
	     EVP_DigestUpdate(ctx, zero, HASH_LEN) &&
	     EVP_DigestUpdate(ctx, blob + HASH_END, len - HASH_END) &&
	     EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}
#endif

/* Zone bits a class may set in its last word: up to M2M_JUR_MAX. */
#define ZONE_LAST_MASK	(~0ULL >> (63 - M2M_JUR_MAX % 64))
_Static_assert(M2M_JUR_MAX / 64 == M2M_JUR_WORDS - 1,
	       "the zone's last word holds M2M_JUR_MAX");

#define EP_FLAGS	(M2M_EP_BASIS | M2M_EP_TLS)

/*
 * What each section holds, and the messages for its section table entry.
 * Built from string literals so that every message stays a constant.
 */
struct sec_desc {
	__u32 elem_size;
	const char *dup;
	const char *size;
	const char *align;
	const char *table;
	const char *end;
	const char *overlap;
	const char *missing;
};

#define SEC_DESC(name, type) {						\
	.elem_size = sizeof(type),					\
	.dup = "policy: duplicate " name " section",			\
	.size = "policy: " name " section has a wrong element size",	\
	.align = "policy: " name " section is not 8-byte aligned",	\
	.table = "policy: " name " section overlaps the section table",	\
	.end = "policy: " name " section runs past the end",		\
	.overlap = "policy: " name " section overlaps another section",	\
	.missing = "policy: no " name " section",			\
}

static const struct sec_desc sec_descs[__M2M_SEC_MAX] = {
	[M2M_SEC_SETTINGS]	= SEC_DESC("settings", struct m2m_settings),
	[M2M_SEC_DST4]		= SEC_DESC("dst4", struct m2m_range4),
	[M2M_SEC_DST6]		= SEC_DESC("dst6", struct m2m_range6),
	[M2M_SEC_SRC4]		= SEC_DESC("src4", struct m2m_range4),
	[M2M_SEC_SRC6]		= SEC_DESC("src6", struct m2m_range6),
	[M2M_SEC_CLASSES]	= SEC_DESC("classes", struct m2m_class),
	[M2M_SEC_GROUPS]	= SEC_DESC("groups", struct m2m_group),
	[M2M_SEC_ENDPOINTS]	= SEC_DESC("endpoints", struct m2m_endpoint),
	[M2M_SEC_STRINGS]	= SEC_DESC("strings", char),
	[M2M_SEC_GEO]		= SEC_DESC("geo", struct m2m_geo),
};

/* The messages for one range table's contents. */
struct range_desc {
	const char *empty;
	const char *big;
	const char *value;	/* group (dst) or class (src) out of range */
	const char *jur;	/* dst only */
	const char *pad;	/* IPv6 only */
	const char *start;
	const char *order;
};

#define RANGE_DESC(name, what) {					\
	.empty = "policy: empty " name " table",			\
	.big = "policy: " name " table too large",			\
	.value = "policy: " name " range references an unknown " what,	\
	.jur = "policy: " name " range references an unknown jurisdiction", \
	.pad = "policy: " name " range padding not zero",		\
	.start = "policy: " name " table does not start at address 0",	\
	.order = "policy: " name " ranges not in ascending order",	\
}

static const struct range_desc dst4_desc = RANGE_DESC("dst4", "group");
static const struct range_desc dst6_desc = RANGE_DESC("dst6", "group");
static const struct range_desc src4_desc = RANGE_DESC("src4", "class");
static const struct range_desc src6_desc = RANGE_DESC("src6", "class");

/* State of one open: the blob and where its sections are. */
struct open_ctx {
	const __u8 *blob;
	__u32 len;
	const char **why;
	const struct m2m_section *sec[__M2M_SEC_MAX];
	const struct m2m_range4 *dst4, *src4;
	const struct m2m_range6 *dst6, *src6;
};

static int fail(struct open_ctx *c, int err, const char *msg)
{
	if (c->why)
		*c->why = msg;
	return err;
}

static int reject(struct open_ctx *c, const char *msg)
{
	return fail(c, -EINVAL, msg);
}

static bool all_zero(const __u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static const void *sec_data(const struct open_ctx *c, unsigned int type)
{
	return c->blob + c->sec[type]->offset;
}

static __u32 sec_count(const struct open_ctx *c, unsigned int type)
{
	return c->sec[type] ? c->sec[type]->count : 0;
}

/* ---- header and checksum ---- */

static int check_header(struct open_ctx *c)
{
	const struct m2m_policy_hdr *h = (const void *)c->blob;

	/* Sections hold __u64s: the caller must hand us aligned memory. */
	if ((unsigned long)c->blob % 8)
		return reject(c, "policy: blob not 8-byte aligned");
	if (c->len < sizeof(*h))
		return reject(c, "policy: shorter than its header");
	if (h->magic != M2M_POLICY_MAGIC)
		return reject(c, "policy: bad magic");
	if (h->version != M2M_POLICY_VERSION)
		return reject(c, "policy: unsupported version");
	if (h->hdr_len != sizeof(*h))
		return reject(c, "policy: bad header length");
	if (h->total_len != c->len)
		return reject(c, "policy: total length mismatch");
	if (h->flags)
		return reject(c, "policy: unknown header flags");
	if (h->reserved)
		return reject(c, "policy: reserved header field not zero");
	return 0;
}

/*
 * Checked before anything inside the blob is trusted, so that a blob
 * damaged in transit says so instead of failing some later check.
 */
static int check_digest(struct open_ctx *c)
{
	const struct m2m_policy_hdr *h = (const void *)c->blob;
	__u8 sum[HASH_LEN];
	int err;

	err = blob_digest(c->blob, c->len, sum);
	if (err)
		return fail(c, err, "policy: out of memory");
	if (memcmp(sum, h->sha256, HASH_LEN))
		return reject(c, "policy: checksum mismatch");
	return 0;
}

/* ---- the section table ---- */

static int check_section(struct open_ctx *c, const struct m2m_section *s,
			 __u64 table_end)
{
	const struct sec_desc *d;
	__u64 end;

	if (s->type == 0 || s->type >= __M2M_SEC_MAX)
		return reject(c, "policy: unknown section type");
	d = &sec_descs[s->type];

	if (c->sec[s->type])
		return reject(c, d->dup);
	if (s->elem_size != d->elem_size)
		return reject(c, d->size);
	if (s->offset % 8)
		return reject(c, d->align);
	if (s->offset < table_end)
		return reject(c, d->table);

	/* Two 32-bit factors: the product cannot overflow 64 bits. */
	end = s->offset + (__u64)s->count * s->elem_size;
	if (end > c->len)
		return reject(c, d->end);

	c->sec[s->type] = s;
	return 0;
}

static __u64 sec_end(const struct m2m_section *s)
{
	return s->offset + (__u64)s->count * s->elem_size;
}

/* Empty sections hold no bytes and so cannot overlap anything. */
static bool sec_overlap(const struct m2m_section *a,
			const struct m2m_section *b)
{
	if (!a->count || !b->count)
		return false;
	return a->offset < sec_end(b) && b->offset < sec_end(a);
}

static int check_overlaps(struct open_ctx *c, const struct m2m_section *tab,
			  __u32 n)
{
	const struct sec_desc *d;
	__u32 i, j;

	for (i = 1; i < n; i++) {
		d = &sec_descs[tab[i].type];
		for (j = 0; j < i; j++)
			if (sec_overlap(&tab[i], &tab[j]))
				return reject(c, d->overlap);
	}
	return 0;
}

static int check_required(struct open_ctx *c)
{
	unsigned int type;

	for (type = M2M_SEC_SETTINGS; type < __M2M_SEC_MAX; type++) {
		if (type == M2M_SEC_GEO)
			continue;
		if (!c->sec[type])
			return reject(c, sec_descs[type].missing);
	}
	return 0;
}

static int check_sections(struct open_ctx *c)
{
	const struct m2m_policy_hdr *h = (const void *)c->blob;
	const struct m2m_section *tab;
	__u64 table_end;
	__u32 i;
	int err;

	/* Each type at most once bounds the table before it is read. */
	if (h->nsections > __M2M_SEC_MAX - 1)
		return reject(c, "policy: too many sections");
	table_end = h->hdr_len + (__u64)h->nsections * sizeof(*tab);
	if (table_end > c->len)
		return reject(c, "policy: section table runs past the end");

	tab = (const void *)(c->blob + h->hdr_len);
	for (i = 0; i < h->nsections; i++) {
		err = check_section(c, &tab[i], table_end);
		if (err)
			return err;
	}

	err = check_overlaps(c, tab, h->nsections);
	if (err)
		return err;

	return check_required(c);
}

/* ---- element counts ---- */

static int check_range_count(struct open_ctx *c, __u32 n,
			     const struct range_desc *d)
{
	if (!n)
		return reject(c, d->empty);
	if (n > M2M_RTABLE_MAX)
		return fail(c, -E2BIG, d->big);
	return 0;
}

static int check_counts(struct open_ctx *c, struct m2m_tables *t)
{
	int err;

	if (sec_count(c, M2M_SEC_SETTINGS) != 1)
		return reject(c, "policy: settings must be exactly 1 element");
	if (sec_count(c, M2M_SEC_GEO) > 1)
		return reject(c, "policy: more than 1 geo element");
	if (t->nclasses > M2M_CLASSES_MAX)
		return fail(c, -E2BIG, "policy: too many classes");
	if (t->ngroups == 0)
		return reject(c, "policy: no group 0");
	if (t->ngroups - 1 > M2M_GROUPS_MAX)
		return fail(c, -E2BIG, "policy: too many groups");
	if (t->nendpoints > M2M_ENDPOINTS_MAX)
		return fail(c, -E2BIG, "policy: too many endpoints");
	if (t->strings_len == 0)
		return reject(c, "policy: empty string table");

	err = check_range_count(c, t->ndst4, &dst4_desc);
	if (!err)
		err = check_range_count(c, t->ndst6, &dst6_desc);
	if (!err)
		err = check_range_count(c, t->nsrc4, &src4_desc);
	if (!err)
		err = check_range_count(c, t->nsrc6, &src6_desc);
	return err;
}

/* Point T at the sections; their bounds have been checked. */
static void map_sections(struct open_ctx *c, struct m2m_tables *t)
{
	t->hdr = (const void *)c->blob;
	t->settings = sec_data(c, M2M_SEC_SETTINGS);
	t->classes = sec_data(c, M2M_SEC_CLASSES);
	t->groups = sec_data(c, M2M_SEC_GROUPS);
	t->endpoints = sec_data(c, M2M_SEC_ENDPOINTS);
	t->strings = sec_data(c, M2M_SEC_STRINGS);
	t->geo = sec_count(c, M2M_SEC_GEO) ? sec_data(c, M2M_SEC_GEO) : NULL;

	t->nclasses = sec_count(c, M2M_SEC_CLASSES);
	t->ngroups = sec_count(c, M2M_SEC_GROUPS);
	t->nendpoints = sec_count(c, M2M_SEC_ENDPOINTS);
	t->strings_len = sec_count(c, M2M_SEC_STRINGS);
	t->ndst4 = sec_count(c, M2M_SEC_DST4);
	t->ndst6 = sec_count(c, M2M_SEC_DST6);
	t->nsrc4 = sec_count(c, M2M_SEC_SRC4);
	t->nsrc6 = sec_count(c, M2M_SEC_SRC6);

	c->dst4 = sec_data(c, M2M_SEC_DST4);
	c->dst6 = sec_data(c, M2M_SEC_DST6);
	c->src4 = sec_data(c, M2M_SEC_SRC4);
	c->src6 = sec_data(c, M2M_SEC_SRC6);
}

/* ---- section contents ---- */

static bool str_ok(const struct m2m_tables *t, __u32 off)
{
	return off < t->strings_len;
}

/* Ending in NUL makes every offset below strings_len a valid C string. */
static int check_strings(struct open_ctx *c, const struct m2m_tables *t)
{
	if (t->strings[0] != '\0')
		return reject(c, "policy: string table must start with \"\"");
	if (t->strings[t->strings_len - 1] != '\0')
		return reject(c, "policy: string table not NUL-terminated");
	return 0;
}

static int check_settings(struct open_ctx *c, const struct m2m_tables *t)
{
	const struct m2m_settings *s = t->settings;

	if (s->mode > M2M_MODE_MAX)
		return reject(c, "policy: bad mode");
	if (s->unknown_allowed > 1)
		return reject(c, "policy: unknown_allowed must be 0 or 1");
	if (s->privacy > M2M_PRIVACY_MAX)
		return reject(c, "policy: bad privacy setting");
	if (s->event_rate > M2M_EVENT_RATE_MAX)
		return reject(c, "policy: event rate out of range");
	if (s->counter_interval < M2M_COUNTER_INTERVAL_MIN ||
	    s->counter_interval > M2M_COUNTER_INTERVAL_MAX)
		return reject(c, "policy: counter interval out of range");
	if (s->reserved || s->reserved2)
		return reject(c, "policy: reserved settings field not zero");
	return 0;
}

static int check_class(struct open_ctx *c, const struct m2m_tables *t,
		       const struct m2m_class *k)
{
	if (!str_ok(t, k->name))
		return reject(c, "policy: class name past the string table");
	if (k->zone[M2M_JUR_WORDS - 1] & ~ZONE_LAST_MASK)
		return reject(c,
			      "policy: class zone past the last jurisdiction");
	if (k->mode > M2M_RULE_AUDIT)
		return reject(c, "policy: bad class mode");
	if (!all_zero(k->reserved, sizeof(k->reserved)))
		return reject(c, "policy: reserved class field not zero");
	return 0;
}

static int check_classes(struct open_ctx *c, const struct m2m_tables *t)
{
	__u32 i;
	int err;

	for (i = 0; i < t->nclasses; i++) {
		err = check_class(c, t, &t->classes[i]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Group 0 is what an address without endpoints maps to; it must stay
 * empty so that no lookup can reach an endpoint through it.
 */
static int check_group(struct open_ctx *c, const struct m2m_tables *t,
		       const struct m2m_group *g)
{
	if (!g->count)
		return reject(c, "policy: empty group");
	if ((__u64)g->first + g->count > t->nendpoints)
		return reject(c, "policy: group runs past the endpoint table");
	return 0;
}

static int check_groups(struct open_ctx *c, const struct m2m_tables *t)
{
	__u32 i;
	int err;

	if (t->groups[0].first || t->groups[0].count)
		return reject(c, "policy: group 0 not empty");

	for (i = 1; i < t->ngroups; i++) {
		err = check_group(c, t, &t->groups[i]);
		if (err)
			return err;
	}
	return 0;
}

static int check_endpoint(struct open_ctx *c, const struct m2m_tables *t,
			  const struct m2m_endpoint *ep)
{
	if (!str_ok(t, ep->name))
		return reject(c,
			      "policy: endpoint name past the string table");
	if (!str_ok(t, ep->basis))
		return reject(c,
			      "policy: endpoint basis past the string table");
	if (ep->port_lo > ep->port_hi)
		return reject(c, "policy: endpoint port range reversed");
	if (ep->jurisdiction > M2M_JUR_MAX)
		return reject(c,
			      "policy: endpoint has an unknown jurisdiction");
	if (ep->mode > M2M_RULE_AUDIT)
		return reject(c, "policy: bad endpoint mode");
	if (ep->flags & ~EP_FLAGS)
		return reject(c, "policy: unknown endpoint flags");
	if (!all_zero(ep->reserved, sizeof(ep->reserved)))
		return reject(c, "policy: reserved endpoint field not zero");
	return 0;
}

static int check_endpoints(struct open_ctx *c, const struct m2m_tables *t)
{
	__u32 i;
	int err;

	for (i = 0; i < t->nendpoints; i++) {
		err = check_endpoint(c, t, &t->endpoints[i]);
		if (err)
			return err;
	}
	return 0;
}

static int check_geo(struct open_ctx *c, const struct m2m_tables *t)
{
	if (!t->geo)
		return 0;
	if (!str_ok(t, t->geo->name))
		return reject(c, "policy: geo name past the string table");
	if (!str_ok(t, t->geo->date))
		return reject(c, "policy: geo date past the string table");
	return 0;
}

/* ---- range tables ---- */

/* Value check shared by both families; MAX is the group or class bound. */
static int check_value(struct open_ctx *c, __u32 v, bool dst, __u32 max,
		       const struct range_desc *d)
{
	if (!dst)
		return v > max ? reject(c, d->value) : 0;
	if (M2M_DST_GROUP(v) > max)
		return reject(c, d->value);
	if (M2M_DST_JUR(v) > M2M_JUR_MAX)
		return reject(c, d->jur);
	return 0;
}

/*
 * Values and padding are checked here for a precise message; start and
 * order are left to the range table's own validation, named by the index
 * it reports.
 */
static int check_ranges4(struct open_ctx *c, const struct m2m_range4 *r,
			 __u32 n, bool dst, __u32 max,
			 const struct range_desc *d)
{
	__u32 i, bad = 0;
	int err;

	for (i = 0; i < n; i++) {
		err = check_value(c, r[i].value, dst, max, d);
		if (err)
			return err;
	}

	if (m2m_rtable4_validate(r, n, ~0U, &bad))
		return reject(c, bad ? d->order : d->start);
	return 0;
}

static int check_ranges6(struct open_ctx *c, const struct m2m_range6 *r,
			 __u32 n, bool dst, __u32 max,
			 const struct range_desc *d)
{
	__u32 i, bad = 0;
	int err;

	for (i = 0; i < n; i++) {
		if (r[i].pad)
			return reject(c, d->pad);
		err = check_value(c, r[i].value, dst, max, d);
		if (err)
			return err;
	}

	if (m2m_rtable6_validate(r, n, ~0U, &bad))
		return reject(c, bad ? d->order : d->start);
	return 0;
}

static int check_ranges(struct open_ctx *c, const struct m2m_tables *t)
{
	__u32 groups = t->ngroups - 1;
	int err;

	err = check_ranges4(c, c->dst4, t->ndst4, true, groups, &dst4_desc);
	if (!err)
		err = check_ranges6(c, c->dst6, t->ndst6, true, groups,
				    &dst6_desc);
	if (!err)
		err = check_ranges4(c, c->src4, t->nsrc4, false, t->nclasses,
				    &src4_desc);
	if (!err)
		err = check_ranges6(c, c->src6, t->nsrc6, false, t->nclasses,
				    &src6_desc);
	return err;
}

/* Contents are valid by now: only the size limits or memory can fail. */
static int built(struct open_ctx *c, int err, const struct range_desc *d)
{
	if (err == -ENOMEM)
		return fail(c, err, "policy: out of memory");
	if (err == -E2BIG)
		return fail(c, err, d->big);
	if (err)
		return fail(c, err, "policy: range table rejected");
	return 0;
}

static int build_ranges(struct open_ctx *c, struct m2m_tables *t)
{
	__u32 dmax = M2M_DST_VALUE(t->ngroups - 1, M2M_JUR_MAX);
	int err;

	err = m2m_rtable4_build(&t->dst4, c->dst4, t->ndst4, dmax);
	err = built(c, err, &dst4_desc);
	if (err)
		return err;

	err = m2m_rtable6_build(&t->dst6, c->dst6, t->ndst6, dmax);
	err = built(c, err, &dst6_desc);
	if (err)
		return err;

	err = m2m_rtable4_build(&t->src4, c->src4, t->nsrc4, t->nclasses);
	err = built(c, err, &src4_desc);
	if (err)
		return err;

	err = m2m_rtable6_build(&t->src6, c->src6, t->nsrc6, t->nclasses);
	return built(c, err, &src6_desc);
}

/* ---- the API ---- */

static int open_blob(struct open_ctx *c, struct m2m_tables *t)
{
	int err;

	err = check_header(c);
	if (!err)
		err = check_digest(c);
	if (!err)
		err = check_sections(c);
	if (err)
		return err;

	map_sections(c, t);

	err = check_counts(c, t);
	if (!err)
		err = check_strings(c, t);
	if (!err)
		err = check_settings(c, t);
	if (!err)
		err = check_classes(c, t);
	if (!err)
		err = check_groups(c, t);
	if (!err)
		err = check_endpoints(c, t);
	if (!err)
		err = check_geo(c, t);
	if (!err)
		err = check_ranges(c, t);
	if (err)
		return err;

	return build_ranges(c, t);
}

int m2m_tables_open(struct m2m_tables *t, const void *blob, __u32 len,
		    const char **why)
{
	struct open_ctx c = { .blob = blob, .len = len, .why = why };
	int err;

	memset(t, 0, sizeof(*t));
	err = open_blob(&c, t);
	if (err)
		m2m_tables_close(t);
	return err;
}

void m2m_tables_close(struct m2m_tables *t)
{
	m2m_rtable4_free(t->dst4);
	m2m_rtable6_free(t->dst6);
	m2m_rtable4_free(t->src4);
	m2m_rtable6_free(t->src6);
	memset(t, 0, sizeof(*t));
}

size_t m2m_tables_size(const struct m2m_tables *t)
{
	return m2m_rtable4_size(t->dst4) + m2m_rtable6_size(t->dst6) +
	       m2m_rtable4_size(t->src4) + m2m_rtable6_size(t->src6);
}

const char *m2m_tables_str(const struct m2m_tables *t, __u32 off)
{
	if (!t->strings || off >= t->strings_len)
		return "";
	return t->strings + off;
}

const void *m2m_tables_section(const struct m2m_tables *t, __u32 type,
			       __u32 *count)
{
	const struct m2m_section *s = (const void *)(t->hdr + 1);
	__u32 i;

	for (i = 0; i < t->hdr->nsections; i++) {
		if (s[i].type == type) {
			*count = s[i].count;
			return (const char *)t->hdr + s[i].offset;
		}
	}
	*count = 0;
	return NULL;
}
