// SPDX-License-Identifier: GPL-2.0
/*
 * Geo database loaders: Tor's geoip/geoip6, CSV ranges and prefixes, and
 * MaxMind DB country databases, each turned into one boundary list per
 * family whose values are jurisdiction codes (0: unknown).
 *
 * Every loader feeds ranges in address order to a builder per family,
 * which fills gaps with 0, merges neighbours of equal value and refuses a
 * range that starts before the previous one ended. Text files are read a
 * line at a time into one reused buffer and hashed as they are read, so a
 * load costs little more than its output lists.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <endian.h>
#include <sys/stat.h>

#include <maxminddb.h>
#include <openssl/evp.h>

#include <m2mguard/policy.h>
#include "geo.h"
#include "ranges.h"

struct build4 {
	struct m2m_range4 *r;
	__u32 n, cap;
	__u64 next;		/* first address not covered yet, up to 2^32 */
	__u32 prev_start;
	unsigned int prev_line;
	struct m2m_geo_probe *probe;	/* NULL, or one for this family */
	const char *file;	/* the ranges' file, for the probe */
};

struct build6 {
	struct m2m_range6 *r;
	__u32 n, cap;
	__u64 next_hi, next_lo;
	bool full;		/* the last range ended at the top */
	__u64 prev_hi, prev_lo;
	unsigned int prev_line;
	struct m2m_geo_probe *probe;
	const char *file;
};

enum add_result {
	ADD_OK,
	ADD_NOMEM,
	ADD_OVERLAP,		/* starts inside the previous range */
	ADD_ORDER,		/* starts before the previous range */
};

struct load {
	struct m2m_geodb *db;
	struct m2m_geo_probe *probe;	/* NULL: none */
	EVP_MD_CTX *md;
	char *err;
	size_t errlen;
	struct build4 b4;
	struct build6 b6;
};

static int fail(struct load *l, const char *file, unsigned int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct load *l, const char *file, unsigned int line,
		const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	int w;

	if (!l->errlen)
		return -1;
	w = line ? snprintf(l->err, l->errlen, "%s:%u: ", file, line) :
		   snprintf(l->err, l->errlen, "%s: ", file);
	if (w > 0)
		n = (size_t)w < l->errlen ? (size_t)w : l->errlen - 1;

	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- builders: ranges in address order into boundary lists ---- */

/* Double an array's room, up to the most a range table takes. */
static void *grow(void *r, __u32 *cap, size_t size)
{
	__u32 ncap = *cap ? *cap * 2 : 4096;
	void *p;

	if (ncap > M2M_RTABLE_MAX)
		return NULL;
	p = realloc(r, (size_t)ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static int push4(struct build4 *b, __u32 start, __u32 value)
{
	struct m2m_range4 *p;

	if (b->n && b->r[b->n - 1].start == start)
		b->n--;
	if (b->n && b->r[b->n - 1].value == value)
		return 0;
	if (b->n == b->cap) {
		p = grow(b->r, &b->cap, sizeof(*p));
		if (!p)
			return -1;
		b->r = p;
	}
	b->r[b->n++] = (struct m2m_range4){ .start = start, .value = value };
	return 0;
}

static enum add_result add4(struct build4 *b, __u32 start, __u32 end,
			    __u32 value, unsigned int line)
{
	if (start < b->next || b->next > UINT32_MAX)
		return start < b->prev_start ? ADD_ORDER : ADD_OVERLAP;

	if (start > b->next && push4(b, b->next, 0))
		return ADD_NOMEM;
	if (push4(b, start, value))
		return ADD_NOMEM;

	b->next = (__u64)end + 1;
	b->prev_start = start;
	b->prev_line = line;

	if (b->probe && b->probe->lo >= start && b->probe->lo <= end) {
		*b->probe = (struct m2m_geo_probe){
			.family = AF_INET, .lo = b->probe->lo, .found = 1,
			.start_lo = start, .end_lo = end, .value = value,
			.file = b->file, .line = line,
		};
	}
	return ADD_OK;
}

static int push6(struct build6 *b, __u64 hi, __u64 lo, __u32 value)
{
	struct m2m_range6 *last = b->n ? &b->r[b->n - 1] : NULL, *p;

	if (last && last->start_hi == hi && last->start_lo == lo) {
		b->n--;
		last = b->n ? &b->r[b->n - 1] : NULL;
	}
	if (last && last->value == value)
		return 0;
	if (b->n == b->cap) {
		p = grow(b->r, &b->cap, sizeof(*p));
		if (!p)
			return -1;
		b->r = p;
	}
	b->r[b->n++] = (struct m2m_range6){ .start_hi = hi, .start_lo = lo,
					    .value = value };
	return 0;
}

static bool below6(__u64 ahi, __u64 alo, __u64 bhi, __u64 blo)
{
	return ahi < bhi || (ahi == bhi && alo < blo);
}

/* The host bits of a prefix of LEN bits, in each half. */
static void host6(unsigned int len, __u64 *hi, __u64 *lo)
{
	*hi = len < 64 ? ~0ULL >> len : 0;
	*lo = len <= 64 ? ~0ULL : len < 128 ? ~0ULL >> (len - 64) : 0;
}

static enum add_result add6(struct build6 *b, __u64 shi, __u64 slo,
			    __u64 ehi, __u64 elo, __u32 value,
			    unsigned int line)
{
	if (b->full || below6(shi, slo, b->next_hi, b->next_lo))
		return below6(shi, slo, b->prev_hi, b->prev_lo) ?
		       ADD_ORDER : ADD_OVERLAP;

	if (below6(b->next_hi, b->next_lo, shi, slo) &&
	    push6(b, b->next_hi, b->next_lo, 0))
		return ADD_NOMEM;
	if (push6(b, shi, slo, value))
		return ADD_NOMEM;

	/* end + 1, carrying into the upper half; none past the top. */
	b->full = ehi == UINT64_MAX && elo == UINT64_MAX;
	b->next_lo = elo + 1;
	b->next_hi = ehi + (elo == UINT64_MAX);
	b->prev_hi = shi;
	b->prev_lo = slo;
	b->prev_line = line;

	if (b->probe && !below6(b->probe->hi, b->probe->lo, shi, slo) &&
	    !below6(ehi, elo, b->probe->hi, b->probe->lo)) {
		*b->probe = (struct m2m_geo_probe){
			.family = AF_INET6, .hi = b->probe->hi,
			.lo = b->probe->lo, .found = 1, .start_hi = shi,
			.start_lo = slo, .end_hi = ehi, .end_lo = elo,
			.value = value, .file = b->file, .line = line,
		};
	}
	return ADD_OK;
}

static int builders_init(struct load *l)
{
	memset(&l->b4, 0, sizeof(l->b4));
	memset(&l->b6, 0, sizeof(l->b6));
	if (l->probe && l->probe->family == AF_INET)
		l->b4.probe = l->probe;
	else if (l->probe)
		l->b6.probe = l->probe;
	if (push4(&l->b4, 0, 0) || push6(&l->b6, 0, 0, 0))
		return -1;
	return 0;
}

/* Close the lists with the gap after their last range. */
static int builders_finish(struct load *l)
{
	struct build4 *b4 = &l->b4;
	struct build6 *b6 = &l->b6;
	void *p;

	if (b4->next && b4->next <= UINT32_MAX && push4(b4, b4->next, 0))
		return -1;
	if (!b6->full && (b6->next_hi || b6->next_lo) &&
	    push6(b6, b6->next_hi, b6->next_lo, 0))
		return -1;

	p = realloc(b4->r, (size_t)b4->n * sizeof(*b4->r));
	l->db->r4 = p ? p : b4->r;
	l->db->n4 = b4->n;
	p = realloc(b6->r, (size_t)b6->n * sizeof(*b6->r));
	l->db->r6 = p ? p : b6->r;
	l->db->n6 = b6->n;
	b4->r = NULL;
	b6->r = NULL;
	return 0;
}

/* Report a refused range; the earlier line is named in the message. */
static int add_failed(struct load *l, const char *file, unsigned int line,
		      enum add_result res, unsigned int prev)
{
	unsigned int first = prev < line ? prev : line;
	unsigned int later = prev < line ? line : prev;

	switch (res) {
	case ADD_NOMEM:
		return fail(l, file, line, "out of memory or too many ranges");
	case ADD_ORDER:
		return fail(l, file, line,
			    "range out of order (line %u starts later)", prev);
	default:
		return fail(l, file, later, "range overlaps line %u", first);
	}
}

/* ---- codes: EU, UK and unknown ---- */

/*
 * A database names a code per range, and the verdict asks whether that
 * code is in the class's zone (DESIGN.md, step 3). Three kinds of code
 * need a decision:
 *
 *  - Unknown: "??", "--", an empty or missing field, anything that is not
 *    two capital letters, a MaxMind record with neither country nor
 *    registered_country, and every address in no range at all. All are
 *    0, which is in a zone only when the policy says
 *    "unknown-jurisdiction: allow" (the default is deny).
 *
 *  - "EU": the registries' code for addresses assigned to organisations
 *    active across Europe. It says nothing about where a host is, so it
 *    is kept as its own code and no built-in zone holds it: such an
 *    address is outside eea and adequacy (residency drop) unless the
 *    policy pins the endpoint's jurisdiction, gives it a transfer basis,
 *    or adds EU to a zone by name. It is not unknown:
 *    "unknown-jurisdiction: allow" does not let it through.
 *
 *  - "UK": reserved in ISO 3166-1 for the United Kingdom at its request,
 *    but not its code, which is GB. Tor's geoip files (converted from
 *    IPFire's location database) tag some ranges UK, 39 of them in
 *    Debian's tor-geoipdb. A policy can only name GB, so kept as written
 *    those ranges would be in no zone: British hosts dropped even for a
 *    class whose zone lists GB. Every loader reads UK as GB, counted in
 *    db->renamed.
 *
 * Any other two capital letters are kept as written; a code no zone can
 * name (ZZ, AP, a withdrawn code) is outside every zone, known or not.
 */
/* The code of the two letters at CC, and whether UK became GB. */
static __u32 code2(const char *cc, bool *renamed)
{
	*renamed = cc[0] == 'U' && cc[1] == 'K';
	if (*renamed)
		return m2m_jur_code('G', 'B');
	return m2m_jur_code(cc[0], cc[1]);
}

/* The code of text field CC. */
static __u32 jur(struct load *l, const char *cc)
{
	bool renamed;
	__u32 value;

	if (!cc || strlen(cc) != 2)
		return M2M_JUR_UNKNOWN;
	value = code2(cc, &renamed);
	l->db->renamed += renamed;
	return value;
}

/* ---- fields and values ---- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (e - s >= 2 && s[0] == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* Split LINE at commas in place; returns the count, MAX + 1 if more. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *c;

	for (;;) {
		c = strchr(line, ',');
		if (c)
			*c = '\0';
		if (n == max)
			return max + 1;
		f[n++] = trim(line);
		if (!c)
			return n;
		line = c + 1;
	}
}

/* Decimal IPv4 address as Tor writes it: digits only, at most 2^32 - 1. */
static bool parse_u32(const char *s, __u32 *v)
{
	__u64 x = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (*s - '0');
		if (x > UINT32_MAX)
			return false;
	}
	*v = x;
	return true;
}

struct addr {
	int af;
	__u64 hi, lo;		/* IPv4 in lo */
};

static bool parse_addr(const char *s, struct addr *a)
{
	unsigned char b[16];
	__u64 h, l;
	__u32 v4;

	a->af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->af, s, b) != 1)
		return false;
	if (a->af == AF_INET) {
		memcpy(&v4, b, sizeof(v4));
		a->hi = 0;
		a->lo = ntohl(v4);
		return true;
	}
	memcpy(&h, b, sizeof(h));
	memcpy(&l, b + 8, sizeof(l));
	a->hi = be64toh(h);
	a->lo = be64toh(l);
	return true;
}

/* ---- dates in header comments ---- */

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static int month_of(const char *w)
{
	size_t len = strlen(w);
	int i;

	if (len < 3 || len > 9)
		return 0;
	for (i = 0; i < 12; i++)
		if (!strncasecmp(w, months[i], 3))
			return i + 1;
	return 0;
}

static int number(const char *w, int min, int max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*w))
		return 0;
	v = strtol(w, &end, 10);
	return *end || v < min || v > max ? 0 : v;
}

/* "2026-06-25", alone or starting an ISO 8601 time ("2026-06-25T04"). */
static bool iso_date(const char *w, int *y, int *m, int *d)
{
	int n = 0;

	if (!isdigit((unsigned char)*w) ||
	    sscanf(w, "%4d-%2d-%2d%n", y, m, d, &n) != 3 || n != 10)
		return false;
	if (w[10] && w[10] != 'T')
		return false;
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

/*
 * Find a date in a comment: "2026-06-25", "25 Jun 2026" (as in Tor's
 * "Generated: Thu, 25 Jun 2026 04:33:59 GMT") or "June 25 2026" (as in
 * the older "Last updated based on June 25 2026 Maxmind ...").
 */
static bool find_date(const char *text, char *out, size_t outlen)
{
	char buf[256], *w[48], *save = NULL, *t;
	int n = 0, i, y, m, d;

	snprintf(buf, sizeof(buf), "%s", text);
	for (t = strtok_r(buf, " \t,.:;()", &save); t && n < 48;
	     t = strtok_r(NULL, " \t,.:;()", &save))
		w[n++] = t;

	for (i = 0; i < n; i++) {
		if (iso_date(w[i], &y, &m, &d))
			goto found;
		m = month_of(w[i]);
		if (!m)
			continue;
		if (i > 0 && i + 1 < n && (d = number(w[i - 1], 1, 31)) &&
		    (y = number(w[i + 1], 1970, 9999)))
			goto found;
		if (i + 2 < n && (d = number(w[i + 1], 1, 31)) &&
		    (y = number(w[i + 2], 1970, 9999)))
			goto found;
	}
	return false;
found:
	snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	return true;
}

static void date_of_time(char *out, size_t outlen, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(out, outlen, "%Y-%m-%d", &tm);
}

/* ---- text files, a line at a time ---- */

struct reader {
	struct load *l;
	const char *path;
	FILE *f;
	char *buf;
	size_t cap;
	char *line;		/* the current line, without its newline */
	unsigned int lineno;
	bool no_newline;	/* the last line of a file that lacks one */
	bool data;		/* a data line was seen */
};

static int reader_open(struct reader *r, struct load *l, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->l = l;
	r->path = path;
	r->f = fopen(path, "re");
	if (!r->f)
		return fail(l, path, 0, "%s", strerror(errno));
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
}

/* Control characters, NUL above all, mean this is not a text file. */
static int check_text(struct reader *r, size_t len)
{
	const unsigned char *p = (const unsigned char *)r->buf;
	size_t i;

	for (i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') ||
		    p[i] == 0x7f)
			return fail(r->l, r->path, r->lineno,
				    "binary data (byte 0x%02x at column %zu)",
				    p[i], i + 1);
	return 0;
}

/* Next line into r->line: 1, 0 at the end, -1 on error. */
static int next_line(struct reader *r)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->buf, &r->cap, r->f);
	if (n < 0) {
		if (ferror(r->f))
			return fail(r->l, r->path, r->lineno + 1, "%s",
				    strerror(errno ? errno : EIO));
		return 0;
	}
	EVP_DigestUpdate(r->l->md, r->buf, n);
	r->lineno++;

	r->no_newline = r->buf[n - 1] != '\n';
	if (!r->no_newline)
		r->buf[--n] = '\0';
	if (n && r->buf[n - 1] == '\r')
		r->buf[--n] = '\0';
	if (check_text(r, n))
		return -1;

	r->line = r->buf;
	while (*r->line == ' ' || *r->line == '\t')
		r->line++;
	return 1;
}

/* Next data line: comments and blank lines skipped, dates noted. */
static int next_data(struct reader *r)
{
	struct m2m_geodb *db = r->l->db;
	int ret;

	while ((ret = next_line(r)) > 0) {
		if (*r->line == '#') {
			if (!r->data && !db->date[0])
				find_date(r->line + 1, db->date,
					  sizeof(db->date));
			continue;
		}
		if (*r->line) {
			r->data = true;
			return 1;
		}
	}
	return ret;
}

/* A malformed line; at the end of a file without a newline, a cut one. */
static int bad_line(struct reader *r, const char *why)
{
	if (r->no_newline)
		return fail(r->l, r->path, r->lineno,
			    "truncated last line (no newline): %s", why);
	return fail(r->l, r->path, r->lineno, "%s", why);
}

static int bad_field(struct reader *r, const char *what, const char *field)
{
	char why[128];

	snprintf(why, sizeof(why), "bad %s '%.48s'", what, field);
	return bad_line(r, why);
}

/* ---- Tor geoip and geoip6 ---- */

#define TOR_SYNTAX	"expected START,END,CC"

static int tor_line4(struct reader *r, char **f)
{
	struct load *l = r->l;
	enum add_result res;
	__u32 s, e;

	if (!parse_u32(f[0], &s))
		return bad_field(r, "start address", f[0]);
	if (!parse_u32(f[1], &e))
		return bad_field(r, "end address", f[1]);
	if (e < s)
		return bad_line(r, "range ends before it starts");

	res = add4(&l->b4, s, e, jur(l, f[2]), r->lineno);
	if (res != ADD_OK)
		return add_failed(l, r->path, r->lineno, res,
				  l->b4.prev_line);
	l->db->entries4++;
	return 0;
}

static int tor_line6(struct reader *r, char **f)
{
	struct load *l = r->l;
	enum add_result res;
	struct addr s, e;

	if (!parse_addr(f[0], &s) || s.af != AF_INET6)
		return bad_field(r, "start address", f[0]);
	if (!parse_addr(f[1], &e) || e.af != AF_INET6)
		return bad_field(r, "end address", f[1]);
	if (below6(e.hi, e.lo, s.hi, s.lo))
		return bad_line(r, "range ends before it starts");

	res = add6(&l->b6, s.hi, s.lo, e.hi, e.lo, jur(l, f[2]),
		   r->lineno);
	if (res != ADD_OK)
		return add_failed(l, r->path, r->lineno, res,
				  l->b6.prev_line);
	l->db->entries6++;
	return 0;
}

/*
 * A Tor file's first data line says its family: decimal integers in
 * geoip, IPv6 addresses in geoip6. A pair holds one of each.
 */
static int tor_family(struct reader *r, const char *start, int *af)
{
	struct m2m_geodb *db = r->l->db;

	*af = strchr(start, ':') ? AF_INET6 : AF_INET;
	if (*af == AF_INET ? db->entries4 : db->entries6)
		return fail(r->l, r->path, r->lineno,
			    "a second IPv%d file of the pair",
			    *af == AF_INET ? 4 : 6);
	if (*af == AF_INET)
		r->l->b4.file = r->path;
	else
		r->l->b6.file = r->path;
	return 0;
}

/* One Tor file, whose ranges must come sorted. */
static int load_tor_file(struct load *l, const char *path)
{
	struct reader r;
	char *f[4];
	int ret, af = 0;

	if (reader_open(&r, l, path))
		return -1;

	while ((ret = next_data(&r)) > 0) {
		if (split(r.line, f, 3) != 3) {
			ret = bad_line(&r, TOR_SYNTAX);
			break;
		}
		if (!af && tor_family(&r, f[0], &af)) {
			ret = -1;
			break;
		}
		ret = af == AF_INET6 ? tor_line6(&r, f) : tor_line4(&r, f);
		if (ret)
			break;
	}

	if (!ret && !af)
		ret = fail(l, path, 0, "no entries");
	reader_close(&r);
	return ret;
}

static int load_tor(struct load *l, const char *path, const char *path6)
{
	if (load_tor_file(l, path))
		return -1;
	if (path6 && load_tor_file(l, path6))
		return -1;
	return builders_finish(l);
}

/* ---- CSV: start,end,CC or prefix,CC, in any order ---- */

#define CSV_SYNTAX	"expected START,END,CC or PREFIX,CC"

struct csv4 {
	__u32 start, end, value;
	unsigned int line;
};

struct csv6 {
	__u64 shi, slo, ehi, elo;
	__u32 value;
	unsigned int line;
};

struct csv {
	struct csv4 *r4;
	struct csv6 *r6;
	__u32 n4, cap4, n6, cap6;
};

static int csv_add(struct csv *c, const struct addr *s, const struct addr *e,
		   __u32 value, unsigned int line)
{
	struct csv4 *p4;
	struct csv6 *p6;

	if (s->af == AF_INET) {
		if (c->n4 == c->cap4) {
			p4 = grow(c->r4, &c->cap4, sizeof(*p4));
			if (!p4)
				return -1;
			c->r4 = p4;
		}
		c->r4[c->n4++] = (struct csv4){ s->lo, e->lo, value, line };
		return 0;
	}
	if (c->n6 == c->cap6) {
		p6 = grow(c->r6, &c->cap6, sizeof(*p6));
		if (!p6)
			return -1;
		c->r6 = p6;
	}
	c->r6[c->n6++] = (struct csv6){ s->hi, s->lo, e->hi, e->lo, value,
					line };
	return 0;
}

/* A prefix as the range it covers. */
static int csv_prefix(struct reader *r, const char *text, struct addr *s,
		      struct addr *e)
{
	struct m2m_pfx4 p4;
	struct m2m_pfx6 p6;
	const char *why;
	__u64 mhi, mlo;
	char msg[128];

	s->af = m2m_pfx_parse(text, &p4, &p6, &why);
	e->af = s->af;
	if (s->af == AF_INET) {
		s->hi = e->hi = 0;
		s->lo = p4.addr;
		e->lo = p4.addr | (p4.len < 32 ? ~0U >> p4.len : 0);
		return 0;
	}
	if (s->af == AF_INET6) {
		host6(p6.len, &mhi, &mlo);
		s->hi = p6.hi;
		s->lo = p6.lo;
		e->hi = p6.hi | mhi;
		e->lo = p6.lo | mlo;
		return 0;
	}
	snprintf(msg, sizeof(msg), "bad prefix '%.48s': %s", text, why);
	return bad_line(r, msg);
}

/*
 * Two fields are a prefix and its code, or a start and an end whose code
 * is missing (unknown) when the second field is an address too.
 */
static int csv_fields(struct reader *r, char **f, int n, struct addr *s,
		      struct addr *e, const char **cc)
{
	if (n == 2 && !strchr(f[0], '/') && parse_addr(f[0], s) &&
	    parse_addr(f[1], e) && s->af == e->af) {
		*cc = NULL;
		return 0;
	}
	if (n == 2) {
		*cc = f[1];
		return csv_prefix(r, f[0], s, e);
	}

	*cc = f[2];
	if (!parse_addr(f[0], s))
		return bad_field(r, "start address", f[0]);
	if (!parse_addr(f[1], e))
		return bad_field(r, "end address", f[1]);
	if (s->af != e->af)
		return bad_line(r, "start and end of different families");
	return 0;
}

static int csv_line(struct reader *r, struct csv *c)
{
	struct addr s, e;
	const char *cc;
	char *f[4];
	int n;

	n = split(r->line, f, 3);
	if (n < 2 || n > 3)
		return bad_line(r, CSV_SYNTAX);
	if (csv_fields(r, f, n, &s, &e, &cc))
		return -1;
	if (below6(e.hi, e.lo, s.hi, s.lo))
		return bad_line(r, "range ends before it starts");

	if (csv_add(c, &s, &e, jur(r->l, cc), r->lineno))
		return fail(r->l, r->path, r->lineno,
			    "out of memory or too many ranges");
	return 0;
}

/*
 * A header names columns: letters, digits, '_', '-' and spaces, no
 * address characters. Only the first data line may be one.
 */
static bool csv_header(const char *line)
{
	const char *p;

	if (!isalpha((unsigned char)line[*line == '"']))
		return false;
	for (p = line; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_- ,\"\t", *p))
			return false;
	return !strchr(line, ':');
}

static int cmp_csv4(const void *a, const void *b)
{
	const struct csv4 *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_csv6(const void *a, const void *b)
{
	const struct csv6 *x = a, *y = b;

	if (x->shi != y->shi || x->slo != y->slo)
		return below6(x->shi, x->slo, y->shi, y->slo) ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorted, the ranges go to the builders, which find any overlap. */
static int csv_build(struct load *l, const char *path, struct csv *c)
{
	enum add_result res;
	__u32 i;

	if (c->n4)
		qsort(c->r4, c->n4, sizeof(*c->r4), cmp_csv4);
	for (i = 0; i < c->n4; i++) {
		res = add4(&l->b4, c->r4[i].start, c->r4[i].end,
			   c->r4[i].value, c->r4[i].line);
		if (res != ADD_OK)
			return add_failed(l, path, c->r4[i].line, res,
					  l->b4.prev_line);
	}

	if (c->n6)
		qsort(c->r6, c->n6, sizeof(*c->r6), cmp_csv6);
	for (i = 0; i < c->n6; i++) {
		res = add6(&l->b6, c->r6[i].shi, c->r6[i].slo, c->r6[i].ehi,
			   c->r6[i].elo, c->r6[i].value, c->r6[i].line);
		if (res != ADD_OK)
			return add_failed(l, path, c->r6[i].line, res,
					  l->b6.prev_line);
	}
	return 0;
}

static int load_csv(struct load *l, const char *path)
{
	struct csv c = { 0 };
	bool first = true;
	struct reader r;
	int ret;

	if (reader_open(&r, l, path))
		return -1;
	l->b4.file = path;
	l->b6.file = path;

	while ((ret = next_data(&r)) > 0) {
		if (first && csv_header(r.line)) {
			first = false;
			continue;
		}
		first = false;
		ret = csv_line(&r, &c);
		if (ret)
			break;
	}
	reader_close(&r);

	if (!ret && !c.n4 && !c.n6)
		ret = fail(l, path, 0, "no entries");
	if (!ret)
		ret = csv_build(l, path, &c);
	if (!ret)
		ret = builders_finish(l);

	l->db->entries4 = c.n4;
	l->db->entries6 = c.n6;
	free(c.r4);
	free(c.r6);
	return ret;
}

/* ---- MaxMind DB ---- */

/* Data records are shared by many networks: remember their codes. */
#define MMDB_CACHE	1024
/* Along with a code: it was written as another (UK). */
#define MMDB_RENAMED	0x80000000U

struct mmdb_walk {
	struct load *l;
	const char *path;
	MMDB_s db;
	__u32 key[MMDB_CACHE];	/* data offset + 1, 0 if empty */
	__u32 value[MMDB_CACHE];
	__u64 visits, max_visits;
};

/* One record of the search tree, and the prefix that leads to it. */
struct mmdb_rec {
	__u8 type;
	__u8 depth;		/* bits of the prefix */
	__u64 node;
	MMDB_entry_s entry;
	__u64 hi, lo;		/* the prefix, from the top bit */
};

static int mmdb_iso(struct mmdb_walk *w, MMDB_entry_s *e, const char *top,
		    __u32 *value)
{
	const char *const path[] = { top, "iso_code", NULL };
	MMDB_entry_data_s d;
	bool renamed;
	int status;

	status = MMDB_aget_value(e, &d, path);
	if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	    (status == MMDB_SUCCESS && !d.has_data))
		return 1;
	if (status != MMDB_SUCCESS)
		return fail(w->l, w->path, 0, "%s", MMDB_strerror(status));

	*value = 0;
	if (d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size == 2) {
		*value = code2(d.utf8_string, &renamed);
		if (renamed)
			*value |= MMDB_RENAMED;
	}
	return 0;
}

/* country.iso_code, else registered_country.iso_code, else unknown. */
static int mmdb_value(struct mmdb_walk *w, MMDB_entry_s *e, __u32 *value)
{
	unsigned int slot = e->offset % MMDB_CACHE;
	int ret;

	if (w->key[slot] == e->offset + 1) {
		*value = w->value[slot];
		return 0;
	}

	ret = mmdb_iso(w, e, "country", value);
	if (ret > 0)
		ret = mmdb_iso(w, e, "registered_country", value);
	if (ret > 0) {
		*value = 0;
		ret = 0;
	}
	if (ret)
		return ret;

	w->key[slot] = e->offset + 1;
	w->value[slot] = *value;
	return 0;
}

static int mmdb_emit(struct mmdb_walk *w, struct mmdb_rec *rec, int bits)
{
	struct load *l = w->l;
	__u64 mhi, mlo;
	__u32 value;
	int res;

	if (mmdb_value(w, &rec->entry, &value))
		return -1;
	if (value & MMDB_RENAMED)
		l->db->renamed++;
	value &= ~MMDB_RENAMED;

	host6(rec->depth, &mhi, &mlo);
	if (bits == 32) {
		res = add4(&l->b4, rec->hi >> 32, (rec->hi | mhi) >> 32, value,
			   0);
		l->db->entries4++;
	} else {
		res = add6(&l->b6, rec->hi, rec->lo, rec->hi | mhi,
			   rec->lo | mlo, value, 0);
		l->db->entries6++;
	}
	return res == ADD_OK ? 0 : fail(l, w->path, 0, "%s",
					res == ADD_NOMEM ? "out of memory" :
					"corrupt search tree");
}

static void mmdb_child(struct mmdb_rec *c, const struct mmdb_rec *parent,
		       const MMDB_search_node_s *n, int right)
{
	int d = parent->depth;

	c->type = right ? n->right_record_type : n->left_record_type;
	c->node = right ? n->right_record : n->left_record;
	c->entry = right ? n->right_record_entry : n->left_record_entry;
	c->depth = d + 1;
	c->hi = parent->hi;
	c->lo = parent->lo;
	if (right && d < 64)
		c->hi |= 1ULL << (63 - d);
	else if (right)
		c->lo |= 1ULL << (127 - d);
}

/*
 * Depth first, left before right: networks come out in address order.
 * A node's children are both pushed, so the stack holds at most one
 * pending right sibling per level.
 */
static int mmdb_walk(struct mmdb_walk *w, struct mmdb_rec root, int bits)
{
	struct mmdb_rec stack[130], cur;
	MMDB_search_node_s n;
	int sp = 0, status;

	stack[sp++] = root;
	while (sp) {
		cur = stack[--sp];
		if (cur.type == MMDB_RECORD_TYPE_DATA &&
		    mmdb_emit(w, &cur, bits))
			return -1;
		if (cur.type == MMDB_RECORD_TYPE_INVALID)
			return fail(w->l, w->path, 0, "corrupt search tree");
		if (cur.type != MMDB_RECORD_TYPE_SEARCH_NODE)
			continue;

		if (cur.depth >= bits || ++w->visits > w->max_visits)
			return fail(w->l, w->path, 0, "corrupt search tree");
		status = MMDB_read_node(&w->db, cur.node, &n);
		if (status != MMDB_SUCCESS)
			return fail(w->l, w->path, 0, "%s",
				    MMDB_strerror(status));
		mmdb_child(&stack[sp++], &cur, &n, 1);
		mmdb_child(&stack[sp++], &cur, &n, 0);
	}
	return 0;
}

/*
 * In an IPv6 database IPv4 lives at ::/96, where libmaxminddb looks it
 * up: follow 96 left branches, which may end early in one record that
 * then covers all of IPv4.
 */
static int mmdb_ipv4_root(struct mmdb_walk *w, struct mmdb_rec *rec)
{
	MMDB_search_node_s n;
	int i, status;

	*rec = (struct mmdb_rec){ .type = MMDB_RECORD_TYPE_SEARCH_NODE };
	if (w->db.metadata.ip_version == 4)
		return 0;

	for (i = 0; i < 96 && rec->type == MMDB_RECORD_TYPE_SEARCH_NODE;
	     i++) {
		status = MMDB_read_node(&w->db, rec->node, &n);
		if (status != MMDB_SUCCESS)
			return fail(w->l, w->path, 0, "%s",
				    MMDB_strerror(status));
		rec->type = n.left_record_type;
		rec->node = n.left_record;
		rec->entry = n.left_record_entry;
	}
	return 0;
}

static int mmdb_open(struct mmdb_walk *w, struct load *l, const char *path)
{
	struct stat st;
	int status;

	memset(w, 0, sizeof(*w));
	w->l = l;
	w->path = path;
	/* libmaxminddb would only say EINVAL: it cannot map 0 bytes. */
	if (!stat(path, &st) && S_ISREG(st.st_mode) && !st.st_size)
		return fail(l, path, 0, "empty file, not a MaxMind DB");
	status = MMDB_open(path, MMDB_MODE_MMAP, &w->db);
	if (status == MMDB_IO_ERROR)
		return fail(l, path, 0, "%s", strerror(errno));
	if (status != MMDB_SUCCESS)
		return fail(l, path, 0, "not a MaxMind DB (%s)",
			    MMDB_strerror(status));

	/* Aliases (::ffff:0:0/96, 2002::/16) revisit the IPv4 subtree. */
	w->max_visits = 16ULL * w->db.metadata.node_count + 1024;
	return 0;
}

static int load_mmdb(struct load *l, const char *path)
{
	struct mmdb_walk *w;
	struct mmdb_rec root;
	int ret = -1;

	w = malloc(sizeof(*w));
	if (!w)
		return fail(l, path, 0, "out of memory");
	if (mmdb_open(w, l, path)) {
		free(w);
		return -1;
	}
	l->b4.file = path;
	l->b6.file = path;
	EVP_DigestUpdate(l->md, w->db.file_content, w->db.file_size);
	date_of_time(l->db->date, sizeof(l->db->date),
		     w->db.metadata.build_epoch);

	if (mmdb_ipv4_root(w, &root) || mmdb_walk(w, root, 32))
		goto out;
	root = (struct mmdb_rec){ .type = MMDB_RECORD_TYPE_SEARCH_NODE };
	if (w->db.metadata.ip_version == 6 && mmdb_walk(w, root, 128))
		goto out;

	if (!l->db->entries4 && !l->db->entries6)
		ret = fail(l, path, 0, "no entries");
	else
		ret = builders_finish(l);
out:
	MMDB_close(&w->db);
	free(w);
	return ret;
}

/* ---- the entry point ---- */

/*
 * By content: binary is a MaxMind DB; text whose first data line starts
 * with a decimal number is Tor's geoip; other text is CSV (which reads a
 * lone geoip6 just as well). A pair is always Tor's.
 */
static enum m2m_geo_format detect(const char *path, const char *path6)
{
	char buf[4096], *p;
	size_t n, i;
	FILE *f;

	if (path6)
		return M2M_GEO_TOR;
	f = fopen(path, "re");
	if (!f)
		return M2M_GEO_CSV;	/* the loader reports the error */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';

	for (i = 0; i < n; i++)
		if (!buf[i] || ((unsigned char)buf[i] < 0x20 &&
				!isspace((unsigned char)buf[i])))
			return M2M_GEO_MMDB;

	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		p += strspn(p, " \t\r");
		if (*p == '#' || *p == '\n')
			continue;
		n = strspn(p, "0123456789");
		return n && p[n] == ',' ? M2M_GEO_TOR : M2M_GEO_CSV;
	}
	return M2M_GEO_CSV;
}

static void set_name(struct m2m_geodb *db, const char *path,
		     const char *path6)
{
	if (path6)
		snprintf(db->name, sizeof(db->name), "%s+%s", path, path6);
	else
		snprintf(db->name, sizeof(db->name), "%s", path);
}

static void date_of_file(struct m2m_geodb *db, const char *path)
{
	struct stat st;

	if (!db->date[0] && !stat(path, &st))
		date_of_time(db->date, sizeof(db->date), st.st_mtime);
}

static int load(struct load *l, enum m2m_geo_format fmt, const char *path,
		const char *path6)
{
	if (fmt == M2M_GEO_AUTO)
		fmt = detect(path, path6);
	if (path6 && fmt != M2M_GEO_TOR)
		return fail(l, path6, 0, "only Tor databases come as a pair");

	l->db->format = fmt;
	switch (fmt) {
	case M2M_GEO_TOR:
		return load_tor(l, path, path6);
	case M2M_GEO_CSV:
		return load_csv(l, path);
	case M2M_GEO_MMDB:
		return load_mmdb(l, path);
	default:
		return fail(l, path, 0, "unknown database format %d", fmt);
	}
}

int m2m_geo_load_probe(struct m2m_geodb *db, enum m2m_geo_format fmt,
		       const char *path, const char *path6,
		       struct m2m_geo_probe *probe, char *err, size_t errlen)
{
	struct load l = { .db = db, .probe = probe, .err = err,
			  .errlen = errlen };
	int ret = -1;

	memset(db, 0, sizeof(*db));
	if (errlen)
		err[0] = '\0';
	if (probe)
		probe->found = 0;
	set_name(db, path, path6);

	l.md = EVP_MD_CTX_new();
	if (!l.md || !EVP_DigestInit_ex(l.md, EVP_sha256(), NULL)) {
		fail(&l, path, 0, "cannot set up SHA-256");
		goto out;
	}
	if (builders_init(&l)) {
		fail(&l, path, 0, "out of memory");
		goto out;
	}

	ret = load(&l, fmt, path, path6);
	if (!ret && !EVP_DigestFinal_ex(l.md, db->sha256, NULL))
		ret = fail(&l, path, 0, "cannot compute SHA-256");
	if (!ret)
		date_of_file(db, path);
out:
	free(l.b4.r);
	free(l.b6.r);
	EVP_MD_CTX_free(l.md);
	if (ret)
		m2m_geo_free(db);
	return ret;
}

int m2m_geo_load(struct m2m_geodb *db, enum m2m_geo_format fmt,
		 const char *path, const char *path6, char *err,
		 size_t errlen)
{
	return m2m_geo_load_probe(db, fmt, path, path6, NULL, err, errlen);
}

void m2m_geo_free(struct m2m_geodb *db)
{
	free(db->r4);
	free(db->r6);
	memset(db, 0, sizeof(*db));
}
