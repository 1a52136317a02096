// SPDX-License-Identifier: GPL-2.0
/*
 * bench_tables: one table and its destination sets, written in the form
 * each contender of scripts/bench loads.
 *
 *	bench_tables -z CC,CC,... -o DIR [-n RANGES] [-e] [-d DSTS] [-s SEED]
 *		     [GEOIP [GEOIP6]]
 *
 * The table is RANGES entries of Tor's geoip and geoip6 files (both
 * families; the entries with the smallest seeded hashes, so a smaller
 * table is part of every larger one), all of them with -n 0, or with -e
 * only those of the allowed countries (-z). The rule every contender
 * enforces: a destination passes if an entry of the table covers it and
 * names an allowed country, and is dropped otherwise. DIR receives
 *
 *	geoip, geoip6		the entries, in Tor's format (m2mguard)
 *	allow.nft		nftables interval sets, one a family
 *	allow.ipset		ipset hash:net sets, for "ipset restore"
 *	xt_geoip/CC.iv4, .iv6	xt_geoip's files of each allowed country
 *	dst-uniform		DSTS random addresses, half of each family
 *	dst-hot			DSTS from 1,024 addresses in entries
 *	dst-inside		DSTS addresses in allowed entries
 *	info			shell variables: counts, expected drops
 *
 * Uniform IPv4 addresses avoid 0/8, 10/8, 127/8, 169.254/16 and 224/3,
 * which a router would not forward; IPv6 ones lie in 2000::/3.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tor_addr.h"

#define HOT		1024
#define MAXCC		64

struct entry {
	u128 start, end;
	uint64_t key;		/* seeded hash: the order of selection */
	uint32_t line;		/* its line in the source file */
	int v6;
	bool allowed;
	char cc[3];
	char *text;
};

struct range {
	u128 start, end;
	char cc[3];
};

struct table {
	struct entry *e;
	uint32_t n, cap;
	struct range *allow[2];	/* allowed, adjacent ones merged */
	uint32_t nallow[2];
};

static char allowed_cc[MAXCC][3];
static int nallowed;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "bench_tables: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	exit(1);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		die("out of memory", NULL);
	return p;
}

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool is_allowed(const char *cc)
{
	int i;

	for (i = 0; i < nallowed; i++)
		if (!strcmp(allowed_cc[i], cc))
			return true;
	return false;
}

static void load(struct table *t, const char *path, int v6, uint64_t seed)
{
	char line[256], copy[256], *a, *b, *cc;
	FILE *fp = fopen(path, "r");
	struct entry *e;
	uint32_t n = 0;
	uint64_t s;

	if (!fp)
		die("cannot open", path);
	while (fgets(line, sizeof(line), fp)) {
		n++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		strcpy(copy, line);
		a = strtok(line, ",");
		b = strtok(NULL, ",");
		cc = strtok(NULL, ",\r\n");
		if (!a || !b || !cc || strlen(cc) != 2)
			die("bad line in", path);
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 1 << 16;
			t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
		}
		e = &t->e[t->n++];
		memset(e, 0, sizeof(*e));
		if (tor_addr_parse(a, v6, &e->start) ||
		    tor_addr_parse(b, v6, &e->end))
			die("bad address in", path);
		e->v6 = v6;
		e->line = n;
		memcpy(e->cc, cc, 3);
		e->allowed = is_allowed(cc);
		e->text = strdup(copy);
		s = seed ^ ((uint64_t)v6 << 32 | n);
		e->key = mix(&s);
	}
	fclose(fp);
}

static int by_key(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_addr(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->v6 != y->v6)
		return x->v6 - y->v6;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Keep N entries (all if 0), or only the allowed ones. */
static void select_entries(struct table *t, uint32_t n, bool only_allowed)
{
	uint32_t i, m = 0;

	if (only_allowed) {
		for (i = 0; i < t->n; i++)
			if (t->e[i].allowed)
				t->e[m++] = t->e[i];
		t->n = m;
	} else if (n && n < t->n) {
		qsort(t->e, t->n, sizeof(*t->e), by_key);
		t->n = n;
	}
	qsort(t->e, t->n, sizeof(*t->e), by_addr);
}

static void merge_allowed(struct table *t)
{
	struct range *r;
	uint32_t i, *n;
	int f;

	for (f = 0; f < 2; f++)
		t->allow[f] = xrealloc(NULL, t->n * sizeof(struct range));
	for (i = 0; i < t->n; i++) {
		if (!t->e[i].allowed)
			continue;
		f = t->e[i].v6;
		n = &t->nallow[f];
		r = t->allow[f];
		if (*n && r[*n - 1].end + 1 == t->e[i].start &&
		    r[*n - 1].end != ~(u128)0) {
			r[*n - 1].end = t->e[i].end;
			continue;
		}
		r[*n].start = t->e[i].start;
		r[*n].end = t->e[i].end;
		memcpy(r[*n].cc, t->e[i].cc, 3);
		(*n)++;
	}
}

static FILE *create(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		die("path too long", name);
	fp = fopen(path, "w");
	if (!fp)
		die("cannot create", path);
	return fp;
}

static void done(FILE *fp)
{
	if (fclose(fp))
		die("cannot write", NULL);
}

static void format(u128 a, int v6, char *buf, size_t size)
{
	unsigned char b[16];
	int i;

	if (!v6) {
		b[0] = a >> 24;
		b[1] = a >> 16;
		b[2] = a >> 8;
		b[3] = a;
		inet_ntop(AF_INET, b, buf, size);
		return;
	}
	for (i = 0; i < 16; i++)
		b[i] = a >> (120 - 8 * i);
	inet_ntop(AF_INET6, b, buf, size);
}

static void write_geo(const struct table *t, const char *dir)
{
	FILE *fp[2] = { create(dir, "geoip"), create(dir, "geoip6") };
	uint32_t i;

	for (i = 0; i < t->n; i++)
		fputs(t->e[i].text, fp[t->e[i].v6]);
	done(fp[0]);
	done(fp[1]);
}

static void write_nft_set(FILE *fp, const struct table *t, int f)
{
	char a[64], b[64];
	uint32_t i;

	fprintf(fp, "\tset allow%d {\n\t\ttype %s; flags interval;\n",
		f ? 6 : 4, f ? "ipv6_addr" : "ipv4_addr");
	if (t->nallow[f])
		fputs("\t\telements = {\n", fp);
	for (i = 0; i < t->nallow[f]; i++) {
		format(t->allow[f][i].start, f, a, sizeof(a));
		format(t->allow[f][i].end, f, b, sizeof(b));
		fprintf(fp, "\t\t\t%s-%s,\n", a, b);
	}
	if (t->nallow[f])
		fputs("\t\t}\n", fp);
	fputs("\t}\n", fp);
}

static void write_nft(const struct table *t, const char *dir)
{
	FILE *fp = create(dir, "allow.nft");

	fputs("table inet m2mbench {\n", fp);
	write_nft_set(fp, t, 0);
	write_nft_set(fp, t, 1);
	fputs("}\n", fp);
	done(fp);
}

/* The largest aligned block at LO within LO..HI, as a prefix length. */
static int block(u128 lo, u128 hi, int width, u128 *size)
{
	u128 top = width == 32 ? 0xffffffffU : ~(u128)0;
	int len = width;

	*size = 1;
	while (len > 1 && !(lo & ((*size << 1) - 1)) &&
	       lo + (*size << 1) - 1 <= hi) {
		*size <<= 1;
		len--;
	}
	if (len == 1 && lo == 0 && hi == top)
		len = 0;
	return len;
}

/* The prefixes of LO..HI; counted, and printed to FP unless NULL. */
static uint32_t cidrs(FILE *fp, const char *set, u128 lo, u128 hi, int f)
{
	int width = f ? 128 : 32, len;
	uint32_t n = 0;
	char a[64];
	u128 size;

	for (;;) {
		len = block(lo, hi, width, &size);
		if (fp) {
			format(lo, f, a, sizeof(a));
			fprintf(fp, "add %s %s/%d\n", set, a, len);
		}
		n++;
		if (!len || lo + (size - 1) >= hi)
			return n;
		lo += size;
	}
}

static void write_ipset(const struct table *t, const char *dir,
			uint32_t *nprefix)
{
	FILE *fp = create(dir, "allow.ipset");
	uint32_t i, n;
	int f;

	for (f = 0; f < 2; f++) {
		for (i = 0, n = 0; i < t->nallow[f]; i++)
			n += cidrs(NULL, NULL, t->allow[f][i].start,
				   t->allow[f][i].end, f);
		nprefix[f] = n;
		fprintf(fp, "create allow%d hash:net family %s hashsize %u "
			"maxelem %u\n", f ? 6 : 4, f ? "inet6" : "inet",
			n < 1024 ? 1024 : n, n < 65536 ? 65536 : n);
		for (i = 0; i < t->nallow[f]; i++)
			cidrs(fp, f ? "allow6" : "allow4",
			      t->allow[f][i].start, t->allow[f][i].end, f);
	}
	done(fp);
}

static void put_be(FILE *fp, u128 a, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--)
		fputc((int)(a >> (8 * i)) & 0xff, fp);
}

/* Per country, its entries with adjacent ones merged, as xt_geoip_build. */
static void write_xt_geoip(const struct table *t, const char *dir)
{
	char sub[4096], name[16];
	u128 start = 0, end = 0;
	bool open = false;
	uint32_t i;
	FILE *fp;
	int c, f;

	if (snprintf(sub, sizeof(sub), "%s/xt_geoip", dir) >=
	    (int)sizeof(sub))
		die("path too long", dir);
	if (mkdir(sub, 0755) && errno != EEXIST)
		die("cannot create", sub);
	for (c = 0; c < nallowed; c++) {
		for (f = 0; f < 2; f++) {
			snprintf(name, sizeof(name), "%.2s.iv%d",
				 allowed_cc[c], f ? 6 : 4);
			fp = create(sub, name);
			for (i = 0; i < t->n; i++) {
				if (t->e[i].v6 != f ||
				    strcmp(t->e[i].cc, allowed_cc[c]))
					continue;
				if (open && end + 1 == t->e[i].start) {
					end = t->e[i].end;
					continue;
				}
				if (open) {
					put_be(fp, start, f ? 16 : 4);
					put_be(fp, end, f ? 16 : 4);
				}
				start = t->e[i].start;
				end = t->e[i].end;
				open = true;
			}
			if (open) {
				put_be(fp, start, f ? 16 : 4);
				put_be(fp, end, f ? 16 : 4);
			}
			open = false;
			done(fp);
		}
	}
}

/* ---- destinations ---- */

static bool forwardable4(uint32_t a)
{
	uint32_t top = a >> 24;

	return top != 0 && top != 10 && top != 127 && top < 224 &&
	       (a >> 16) != 0xa9fe;
}

static u128 uniform(uint64_t *s, int f)
{
	u128 a;

	if (!f) {
		do {
			a = (uint32_t)mix(s);
		} while (!forwardable4(a));
		return a;
	}
	a = (u128)mix(s) << 64 | mix(s);
	return (a >> 3) | (u128)1 << 125;
}

static u128 inside(uint64_t *s, u128 start, u128 end)
{
	u128 span = end - start, r = (u128)mix(s) << 64 | mix(s);

	return span == ~(u128)0 ? r : start + r % (span + 1);
}

/* An address of an entry of family F (ALLOWED: of an allowed one). */
static u128 in_table(uint64_t *s, const struct table *t, int f,
		     bool allowed)
{
	const struct entry *e;
	u128 a;
	int tries;

	for (tries = 0; tries < 1 << 20; tries++) {
		e = &t->e[mix(s) % t->n];
		if (e->v6 != f || (allowed && !e->allowed))
			continue;
		a = inside(s, e->start, e->end);
		if (f || forwardable4(a))
			return a;
	}
	die("no entry to draw destinations from", NULL);
	return 0;
}

static bool passes(const struct table *t, u128 a, int f)
{
	const struct range *r = t->allow[f];
	uint32_t lo = 0, hi = t->nallow[f];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].end < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nallow[f] && r[lo].start <= a;
}

/* Write N addresses, families alternating; count those dropped. */
static uint32_t write_dsts(const struct table *t, const char *dir,
			   const char *name, u128 *addr, uint32_t n)
{
	FILE *fp = create(dir, name);
	uint32_t i, drops = 0;
	char a[64];

	for (i = 0; i < n; i++) {
		format(addr[i], i & 1, a, sizeof(a));
		fprintf(fp, "%s\n", a);
		drops += !passes(t, addr[i], i & 1);
	}
	done(fp);
	return drops;
}

static void write_all_dsts(const struct table *t, const char *dir,
			   uint32_t n, uint64_t seed, uint32_t *drops)
{
	u128 *addr = xrealloc(NULL, n * sizeof(*addr)), hot[HOT];
	uint64_t s = seed ^ 0x75;
	uint32_t i;

	for (i = 0; i < n; i++)
		addr[i] = uniform(&s, i & 1);
	drops[0] = write_dsts(t, dir, "dst-uniform", addr, n);

	s = seed ^ 0x68;
	for (i = 0; i < HOT; i++)
		hot[i] = in_table(&s, t, i & 1, false);
	for (i = 0; i < n; i++)
		addr[i] = hot[(mix(&s) % (HOT / 2)) * 2 + (i & 1)];
	drops[1] = write_dsts(t, dir, "dst-hot", addr, n);

	s = seed ^ 0x69;
	for (i = 0; i < n; i++)
		addr[i] = in_table(&s, t, i & 1, true);
	drops[2] = write_dsts(t, dir, "dst-inside", addr, n);
	free(addr);
}

static void parse_countries(char *list)
{
	char *cc;

	for (cc = strtok(list, ","); cc; cc = strtok(NULL, ",")) {
		if (strlen(cc) != 2 || nallowed == MAXCC)
			die("bad country list at", cc);
		memcpy(allowed_cc[nallowed++], cc, 3);
	}
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *p4 = "/usr/share/tor/geoip";
	const char *p6 = "/usr/share/tor/geoip6";
	uint32_t n = 0, ndst = 4096, drops[3], nprefix[2], i, cnt[2] = { 0 };
	uint64_t seed = 1;
	bool only_allowed = false;
	struct table t = { 0 };
	FILE *fp;
	int opt;

	while ((opt = getopt(argc, argv, "z:o:n:ed:s:")) != -1) {
		switch (opt) {
		case 'z':
			parse_countries(optarg);
			break;
		case 'o':
			dir = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'e':
			only_allowed = true;
			break;
		case 'd':
			ndst = strtoul(optarg, NULL, 0) & ~1U;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			dir = NULL;
			optind = argc + 1;
			break;
		}
	}
	if (!dir || !nallowed || optind > argc || !ndst) {
		fprintf(stderr, "usage: bench_tables -z CC,CC,... -o DIR "
			"[-n RANGES] [-e] [-d DSTS] [-s SEED] "
			"[GEOIP [GEOIP6]]\n");
		return 1;
	}
	if (optind < argc)
		p4 = argv[optind++];
	if (optind < argc)
		p6 = argv[optind++];
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("cannot create", dir);

	load(&t, p4, 0, seed);
	load(&t, p6, 1, seed);
	select_entries(&t, n, only_allowed);
	merge_allowed(&t);
	for (i = 0; i < t.n; i++)
		cnt[t.e[i].v6]++;

	write_geo(&t, dir);
	write_nft(&t, dir);
	write_ipset(&t, dir, nprefix);
	write_xt_geoip(&t, dir);
	write_all_dsts(&t, dir, ndst, seed, drops);

	fp = create(dir, "info");
	fprintf(fp, "ranges=%u\nranges4=%u\nranges6=%u\n", t.n, cnt[0],
		cnt[1]);
	fprintf(fp, "allow4=%u\nallow6=%u\nprefix4=%u\nprefix6=%u\n",
		t.nallow[0], t.nallow[1], nprefix[0], nprefix[1]);
	fprintf(fp, "dsts=%u\ndrops_uniform=%u\ndrops_hot=%u\n"
		"drops_inside=%u\n", ndst, drops[0], drops[1], drops[2]);
	done(fp);
	return 0;
}
