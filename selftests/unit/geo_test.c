// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the geo loaders (ctl/geo.c).
 *
 * Small Tor and CSV files are written into a temporary directory, loaded,
 * and their boundary lists compared with what they must be; every input
 * that must be refused is refused with its exact message. Then the real
 * tor-geoipdb files are checked against a naive reader at 200,000 random
 * addresses, and a small MaxMind DB written by the Perl writer is checked
 * against libmaxminddb at every boundary and against mmdblookup at a
 * sample of them. Tests whose tools or files are missing are skipped.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <maxminddb.h>
#include <openssl/evp.h>

/* The harness itself trips -Wextra; keep -Werror for our own code. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "rtable_ref.h"
#include "geo.h"
#include <m2mguard/policy.h>

#define SEED	0x67656f7465737473ULL	/* fixed: failures must reproduce */

#define J(cc)	m2m_jur_code((cc)[0], (cc)[1])

/* A code as the loaders read it: UK is GB (ctl/geo.c says why). */
static uint32_t as_loaded(char a, char b)
{
	return a == 'U' && b == 'K' ? J("GB") : m2m_jur_code(a, b);
}

/* ---- files in a temporary directory ---- */

FIXTURE(geo) {
	char dir[64];
};

FIXTURE_SETUP(geo)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/m2m-geo-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

FIXTURE_TEARDOWN(geo)
{
	nftw(self->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Write NAME in DIR; LEN 0 means strlen. Returns the path (8 at most). */
static const char *put(const char *dir, const char *name, const char *text,
		       size_t len)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fwrite(text, 1, len ? len : strlen(text), f);
	fclose(f);
	return path;
}

/* Load and forget: the error message, "" on success. */
static const char *load_err(enum m2m_geo_format fmt, const char *p,
			    const char *p6)
{
	static char err[512];
	struct m2m_geodb db;

	if (!m2m_geo_load(&db, fmt, p, p6, err, sizeof(err))) {
		m2m_geo_free(&db);
		return "";
	}
	return err;
}

static int sha_files(const char *p, const char *p6, unsigned char *md)
{
	const char *paths[] = { p, p6 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char buf[65536];
	size_t n;
	FILE *f;
	int i;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; i < 2 && paths[i]; i++) {
		f = fopen(paths[i], "r");
		if (!f)
			return -1;
		while ((n = fread(buf, 1, sizeof(buf), f)))
			EVP_DigestUpdate(ctx, buf, n);
		fclose(f);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	return 0;
}

static u128 ip6(const char *s)
{
	unsigned char b[16];
	u128 a = 0;
	int i;

	if (inet_pton(AF_INET6, s, b) != 1)
		return 0;
	for (i = 0; i < 16; i++)
		a = a << 8 | b[i];
	return a;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

/* ---- Tor ---- */

static const char tor4[] =
	"# Below is the header from the original export:\n"
	"#\n"
	"# Generated: Thu, 25 Jun 2026 04:33:59 GMT\n"
	"#\n"
	"16777216,16777471,AU\n"
	"16777472,16778239,AU\n"
	"16778240,16779263,EU\n"
	"16779264,16781311,??\n"
	"16781312,16785407,de\n"
	"33554432,33554687,--\n"
	"4294967040,4294967295,JP\n";

static const char tor6[] =
	"# no date here\n"
	"2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,NL\n"
	"2001:db9::,2001:db9::ffff:ffff:ffff:ffff,NL\n"
	"ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,JP\n";

TEST_F(geo, tor_pair_loads)
{
	const char *p = put(self->dir, "geoip", tor4, 0);
	const char *p6 = put(self->dir, "geoip6", tor6, 0);
	struct m2m_range4 want4[] = {
		{ 0, 0 }, { 16777216, J("AU") }, { 16778240, J("EU") },
		{ 16779264, 0 }, { 4294967040, J("JP") },
	};
	struct m2m_range6 want6[] = {
		{ 0, 0, 0, 0 },
		{ 0x20010db800000000ULL, 0, J("NL"), 0 },
		{ 0x20010db900000001ULL, 0, 0, 0 },
		{ 0xffff000000000000ULL, 0, J("JP"), 0 },
	};
	unsigned char md[32];
	struct m2m_geodb db;
	char err[256], name[300];

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, p, p6, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(5U, db.n4);
	EXPECT_EQ(0, memcmp(want4, db.r4, sizeof(want4)));
	ASSERT_EQ(4U, db.n6);
	EXPECT_EQ(0, memcmp(want6, db.r6, sizeof(want6)));
	EXPECT_EQ(7U, db.entries4);
	EXPECT_EQ(3U, db.entries6);
	EXPECT_STREQ("2026-06-25", db.date);

	snprintf(name, sizeof(name), "%s+%s", p, p6);
	EXPECT_STREQ(name, db.name);
	ASSERT_EQ(0, sha_files(p, p6, md));
	EXPECT_EQ(0, memcmp(md, db.sha256, 32));
	m2m_geo_free(&db);

	/* By content, the pair is found to be Tor's. */
	EXPECT_STREQ("", load_err(M2M_GEO_AUTO, p, p6));
}

TEST_F(geo, tor_single_file_and_auto)
{
	const char *p = put(self->dir, "geoip", tor4, 0);
	struct m2m_geodb db;
	char err[256];

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_AUTO, p, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(5U, db.n4);
	EXPECT_EQ(1U, db.n6);
	EXPECT_EQ(0U, db.r6[0].value);
	EXPECT_EQ(0U, db.entries6);
	m2m_geo_free(&db);
}

TEST_F(geo, codes_unknown_and_eu)
{
	const char *p = put(self->dir, "geoip",
		"10,10,??\n20,20,--\n30,30,A1\n40,40,eu\n50,50,EU\n"
		"60,60,DEU\n70,70,\n80,80,XK\n90,90,D\n100,100,ZZ\n", 0);
	const uint32_t want[] = {
		0, 0, 0, 0, J("EU"), 0, 0, J("XK"), 0, J("ZZ"),
	};
	struct m2m_geodb db;
	char err[256];
	int i;

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, p, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(want[i], ref4_bsearch(db.r4, db.n4, 10 * (i + 1)));
	EXPECT_EQ(7U, db.n4);	/* 0, EU, 0, XK, 0, ZZ, 0 */
	m2m_geo_free(&db);
}

/* Tor's files tag some British ranges UK; policies can only say GB. */
TEST_F(geo, uk_is_read_as_gb)
{
	const char *t = put(self->dir, "geoip",
		"10,19,UK\n20,29,GB\n30,39,uk\n40,49,UK\n", 0);
	const char *c = put(self->dir, "geo.csv",
		"10.0.0.0/8,UK\n2001:db8::/32,UK\n11.0.0.0/8,FR\n", 0);
	struct m2m_geodb db;
	char err[256];

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, t, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(J("GB"), ref4_bsearch(db.r4, db.n4, 10));
	EXPECT_EQ(J("GB"), ref4_bsearch(db.r4, db.n4, 29));
	EXPECT_EQ(0U, ref4_bsearch(db.r4, db.n4, 30));
	EXPECT_EQ(J("GB"), ref4_bsearch(db.r4, db.n4, 49));
	EXPECT_EQ(2U, db.renamed);
	EXPECT_EQ(M2M_GEO_TOR, db.format);
	m2m_geo_free(&db);

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_AUTO, c, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(J("GB"), ref4_bsearch(db.r4, db.n4, ip4("10.1.2.3")));
	EXPECT_EQ(J("GB"), ref6_bsearch(db.r6, db.n6, ip6("2001:db8::1")));
	EXPECT_EQ(J("FR"), ref4_bsearch(db.r4, db.n4, ip4("11.1.2.3")));
	EXPECT_EQ(2U, db.renamed);
	EXPECT_EQ(M2M_GEO_CSV, db.format);
	m2m_geo_free(&db);
}

TEST_F(geo, dates_from_comments_or_mtime)
{
	const char *old = put(self->dir, "old",
		"# Last updated based on February 7 2018 Maxmind GeoLite2\n"
		"1,2,DE\n", 0);
	const char *iso = put(self->dir, "iso",
		"# exported 2024-01-31T10:00:00Z\n1,2,DE\n", 0);
	const char *none = put(self->dir, "none",
		"# no date\n1,2,DE\n# 2020-01-01 after the data: ignored\n",
		0);
	struct timeval tv[2] = { { 1614859200, 0 }, { 1614859200, 0 } };
	struct m2m_geodb db;
	char err[256];

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, old, NULL, err, 256));
	EXPECT_STREQ("2018-02-07", db.date);
	m2m_geo_free(&db);

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, iso, NULL, err, 256));
	EXPECT_STREQ("2024-01-31", db.date);
	m2m_geo_free(&db);

	/* 2021-03-04 12:00 UTC */
	ASSERT_EQ(0, utimes(none, tv));
	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_TOR, none, NULL, err, 256));
	EXPECT_STREQ("2021-03-04", db.date);
	m2m_geo_free(&db);
}

struct bad {
	enum m2m_geo_format fmt;
	const char *text;
	size_t len;		/* 0: strlen */
	const char *want;	/* after "PATH" */
};

static const struct bad bad_tor[] = {
	{ M2M_GEO_TOR, "# header\n1,2\n", 0, ":2: expected START,END,CC" },
	{ M2M_GEO_TOR, "1,2,DE,x\n", 0, ":1: expected START,END,CC" },
	{ M2M_GEO_TOR, "abc,2,DE\n", 0, ":1: bad start address 'abc'" },
	{ M2M_GEO_TOR, "1,4294967296,DE\n", 0,
	  ":1: bad end address '4294967296'" },
	{ M2M_GEO_TOR, "1,-2,DE\n", 0, ":1: bad end address '-2'" },
	{ M2M_GEO_TOR, "10,5,DE\n", 0, ":1: range ends before it starts" },
	{ M2M_GEO_TOR, "1,10,DE\n5,20,FR\n", 0, ":2: range overlaps line 1" },
	{ M2M_GEO_TOR, "1,10,DE\n10,20,FR\n", 0,
	  ":2: range overlaps line 1" },
	{ M2M_GEO_TOR, "0,4294967295,DE\n# end\n5,6,FR\n", 0,
	  ":3: range overlaps line 1" },
	{ M2M_GEO_TOR, "100,200,DE\n1,10,FR\n", 0,
	  ":2: range out of order (line 1 starts later)" },
	{ M2M_GEO_TOR, "1,10,DE\n::1,::2,DE\n", 0,
	  ":2: bad start address '::1'" },
	{ M2M_GEO_TOR, "::,::ffff,DE\n::1,::2,FR\n", 0,
	  ":2: range overlaps line 1" },
	{ M2M_GEO_TOR, "2001:db8::,2001:db8::zz,DE\n", 0,
	  ":1: bad end address '2001:db8::zz'" },
	{ M2M_GEO_TOR, "::2,::1,DE\n", 0, ":1: range ends before it starts" },
	{ M2M_GEO_TOR,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,"
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,DE\n::1,::1,FR\n", 0,
	  ":2: range out of order (line 1 starts later)" },
	{ M2M_GEO_TOR, "# only a comment\n\n", 0, ": no entries" },
	{ M2M_GEO_TOR, "", 0, ": no entries" },
	{ M2M_GEO_TOR, "1,10,DE\n20,3", 0,
	  ":2: truncated last line (no newline): expected START,END,CC" },
	{ M2M_GEO_TOR, "1,10,DE\n20,30,F\0R\n", 18,
	  ":2: binary data (byte 0x00 at column 8)" },
	{ M2M_GEO_TOR, "1,10,DE\n\x1b[0m\n", 0,
	  ":2: binary data (byte 0x1b at column 1)" },
};

static const struct bad bad_csv[] = {
	{ M2M_GEO_CSV, "10.0.0.0,DE,x,y\n", 0,
	  ":1: expected START,END,CC or PREFIX,CC" },
	{ M2M_GEO_CSV, "# x\n10.0.0.0\n", 0,
	  ":2: expected START,END,CC or PREFIX,CC" },
	{ M2M_GEO_CSV, "start,end,cc\n10.0.0.0/8,DE\n10.1.0.0,10.1.0.255,FR\n",
	  0, ":3: range overlaps line 2" },
	{ M2M_GEO_CSV, "10.1.0.0/16,FR\n10.0.0.0/8,DE\n", 0,
	  ":2: range overlaps line 1" },
	{ M2M_GEO_CSV, "10.0.0.0/8,DE\n10.0.0.0/8,DE\n", 0,
	  ":2: range overlaps line 1" },
	{ M2M_GEO_CSV, "2001:db8::/32,DE\n2001:db8:1::,2001:db8:1::ff,FR\n", 0,
	  ":2: range overlaps line 1" },
	{ M2M_GEO_CSV, "10.1.0.0/8,DE\n", 0,
	  ":1: bad prefix '10.1.0.0/8': host bits set "
	  "(did you mean 10.0.0.0/8?)" },
	{ M2M_GEO_CSV, "10.0.0.0/33,DE\n", 0,
	  ":1: bad prefix '10.0.0.0/33': bad prefix length" },
	{ M2M_GEO_CSV, "10.0.0.0,::1,DE\n", 0,
	  ":1: start and end of different families" },
	{ M2M_GEO_CSV, "10.0.0.9,10.0.0.1,DE\n", 0,
	  ":1: range ends before it starts" },
	{ M2M_GEO_CSV, "10.0.0.300,10.0.1.0,DE\n", 0,
	  ":1: bad start address '10.0.0.300'" },
	{ M2M_GEO_CSV, "10.0.0.0,10.0.1.x,DE\n", 0,
	  ":1: bad end address '10.0.1.x'" },
	{ M2M_GEO_CSV, "network,country\n# nothing\n", 0, ": no entries" },
	{ M2M_GEO_CSV, "10.0.0.0/8,DE\n11.0.0.0/8", 0,
	  ":2: truncated last line (no newline): "
	  "expected START,END,CC or PREFIX,CC" },
	{ M2M_GEO_CSV, "10.0.0.0/8,DE\n\x7f" "ELF\x02\x01\n", 0,
	  ":2: binary data (byte 0x7f at column 1)" },
};

static int check_bad(const char *dir, const struct bad *b, int i)
{
	char want[512];
	const char *p, *got;

	p = put(dir, "db", b->text, b->len);
	snprintf(want, sizeof(want), "%s%s", p, b->want);
	got = load_err(b->fmt, p, NULL);
	if (!strcmp(want, got))
		return 0;
	fprintf(stderr, "# case %d: got '%s'\n#   want '%s'\n", i, got, want);
	return 1;
}

TEST_F(geo, tor_rejects_with_reason)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < sizeof(bad_tor) / sizeof(bad_tor[0]); i++)
		fails += check_bad(self->dir, &bad_tor[i], i);
	EXPECT_EQ(0, fails);
}

TEST_F(geo, csv_rejects_with_reason)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < sizeof(bad_csv) / sizeof(bad_csv[0]); i++)
		fails += check_bad(self->dir, &bad_csv[i], i);
	EXPECT_EQ(0, fails);
}

TEST_F(geo, rejects_files_and_pairs)
{
	const char *a = put(self->dir, "a", "1,2,DE\n", 0);
	const char *b = put(self->dir, "b", "3,4,FR\n", 0);
	const char *c = put(self->dir, "c.csv", "10.0.0.0/8,DE\n", 0);
	char want[512], junk[4096];
	uint64_t rng = SEED;
	const char *j;
	size_t i;

	snprintf(want, sizeof(want), "%s/missing: No such file or directory",
		 self->dir);
	snprintf(junk, sizeof(junk), "%s/missing", self->dir);
	EXPECT_STREQ(want, load_err(M2M_GEO_TOR, junk, NULL));

	snprintf(want, sizeof(want), "%s:1: a second IPv4 file of the pair",
		 b);
	EXPECT_STREQ(want, load_err(M2M_GEO_TOR, a, b));

	snprintf(want, sizeof(want), "%s: only Tor databases come as a pair",
		 b);
	EXPECT_STREQ(want, load_err(M2M_GEO_CSV, c, b));

	/* Text given as a MaxMind DB, and random bytes by content. */
	snprintf(want, sizeof(want), "%s: not a MaxMind DB (", c);
	EXPECT_EQ(0, strncmp(want, load_err(M2M_GEO_MMDB, c, NULL),
			     strlen(want)));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = ref_rand(&rng);
	j = put(self->dir, "junk", junk, sizeof(junk));
	snprintf(want, sizeof(want), "%s: not a MaxMind DB (", j);
	EXPECT_EQ(0, strncmp(want, load_err(M2M_GEO_AUTO, j, NULL),
			     strlen(want)));
}

/* ---- CSV ---- */

static const char csv[] =
	"# DB-IP style, both families, in no order\n"
	"\"start\",\"end\",\"country\"\n"
	"2001:db8::/32,NL\r\n"
	"10.0.0.0/8,DE\n"
	" 11.0.0.0 , 11.0.255.255 , FR\n"
	"\"12.0.0.0\",\"12.0.0.255\",\"EU\"\n"
	"13.0.0.0,13.0.0.255\n"
	"14.0.0.0/24,??\n"
	"1.0.0.0/24,AU\n"
	"2001:db9::,2001:db9::ff,--\n"
	"ffff::/16,JP\n"
	"255.255.255.255,DE";

TEST_F(geo, csv_loads)
{
	const char *p = put(self->dir, "db.csv", csv, 0);
	const struct { const char *a; const char *cc; } want4[] = {
		{ "0.255.255.255", NULL }, { "1.0.0.0", "AU" },
		{ "1.0.1.0", NULL }, { "10.0.0.0", "DE" },
		{ "10.255.255.255", "DE" }, { "11.0.0.0", "FR" },
		{ "11.1.0.0", NULL }, { "12.0.0.255", "EU" },
		{ "13.0.0.1", NULL }, { "14.0.0.1", NULL },
		{ "255.255.255.254", NULL }, { "255.255.255.255", "DE" },
	};
	const struct { const char *a; const char *cc; } want6[] = {
		{ "::", NULL },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
		{ "2001:db8::", "NL" },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "NL" },
		{ "2001:db9::", NULL }, { "fffe::", NULL }, { "ffff::1", "JP" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "JP" },
	};
	unsigned char md[32];
	struct m2m_geodb db;
	char err[256];
	uint32_t w;
	size_t i;

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_AUTO, p, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(7U, db.entries4);
	EXPECT_EQ(3U, db.entries6);
	for (i = 0; i < sizeof(want4) / sizeof(want4[0]); i++) {
		w = want4[i].cc ? J(want4[i].cc) : 0;
		EXPECT_EQ(w, ref4_bsearch(db.r4, db.n4, ip4(want4[i].a)))
			TH_LOG("%s", want4[i].a);
	}
	for (i = 0; i < sizeof(want6) / sizeof(want6[0]); i++) {
		w = want6[i].cc ? J(want6[i].cc) : 0;
		EXPECT_EQ(w, ref6_bsearch(db.r6, db.n6, ip6(want6[i].a)))
			TH_LOG("%s", want6[i].a);
	}
	ASSERT_EQ(0, sha_files(p, NULL, md));
	EXPECT_EQ(0, memcmp(md, db.sha256, 32));
	EXPECT_STREQ(p, db.name);
	EXPECT_EQ(10U, strlen(db.date));
	m2m_geo_free(&db);
}

/* ---- the real Tor files against a naive reader ---- */

struct span {
	u128 start, end;
	uint32_t value;
};

/* One line at a time, sscanf and inet_pton: slow and obvious. */
static struct span *naive_tor(const char *path, int v6, size_t *n)
{
	char line[512], a[128], b[128], cc[8];
	struct span *s = NULL;
	size_t cap = 0;
	unsigned int x, y;
	FILE *f = fopen(path, "r");

	*n = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			s = realloc(s, cap * sizeof(*s));
		}
		cc[0] = cc[1] = '?';
		if (v6 &&
		    sscanf(line, "%127[^,],%127[^,],%2s", a, b, cc) >= 2) {
			s[*n].start = ip6(a);
			s[*n].end = ip6(b);
		} else if (!v6 && sscanf(line, "%u,%u,%2s", &x, &y, cc) >= 2) {
			s[*n].start = x;
			s[*n].end = y;
		} else {
			continue;
		}
		s[*n].value = as_loaded(cc[0], cc[1]);
		(*n)++;
	}
	fclose(f);
	return s;
}

static uint32_t naive_lookup(const struct span *s, size_t n, u128 a)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && a <= s[lo - 1].end ? s[lo - 1].value : 0;
}

/* A third uniform, a third inside a random range, a third at its edges. */
static u128 pick(const struct span *s, size_t n, int i, uint64_t *rng,
		 int v6)
{
	const struct span *r = &s[ref_rand(rng) % n];
	u128 a = (u128)ref_rand(rng) << 64 | ref_rand(rng);

	switch (i % 6) {
	case 0:
		return v6 ? a : (uint32_t)a;
	case 1:
		return r->start + a % (r->end - r->start + 1);
	case 2:
		return r->start;
	case 3:
		return r->end;
	case 4:
		return r->start - (r->start > 0);
	default:
		return r->end + (v6 ? r->end != ~(u128)0 : r->end < 0xffffffff);
	}
}

TEST(tor_real_files_match_a_naive_reader)
{
	struct span *s4, *s6;
	struct timespec t0, t1;
	unsigned char md[32];
	struct m2m_geodb db;
	uint64_t rng = SEED + 1;
	size_t n4, n6, i;
	char err[256];
	long ms;
	u128 a;

	if (access(M2M_GEO_TOR4, R_OK) || access(M2M_GEO_TOR6, R_OK))
		SKIP(return, "no tor-geoipdb in /usr/share/tor");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_AUTO, M2M_GEO_TOR4,
				  M2M_GEO_TOR6, err, sizeof(err)))
		TH_LOG("%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	fprintf(stderr, "# %u + %u ranges -> %u + %u boundaries in %ld ms, "
		"dated %s\n", db.entries4, db.entries6, db.n4, db.n6, ms,
		db.date);
	EXPECT_GT(2000, ms);

	s4 = naive_tor(M2M_GEO_TOR4, 0, &n4);
	s6 = naive_tor(M2M_GEO_TOR6, 1, &n6);
	ASSERT_NE(NULL, s4);
	ASSERT_NE(NULL, s6);
	EXPECT_EQ(n4, db.entries4);
	EXPECT_EQ(n6, db.entries6);
	ASSERT_EQ(0, sha_files(M2M_GEO_TOR4, M2M_GEO_TOR6, md));
	EXPECT_EQ(0, memcmp(md, db.sha256, 32));
	EXPECT_EQ(10U, strlen(db.date));

	for (i = 0; i < 100000; i++) {
		a = pick(s4, n4, i, &rng, 0);
		ASSERT_EQ(naive_lookup(s4, n4, a),
			  ref4_bsearch(db.r4, db.n4, a))
			TH_LOG("%u", (uint32_t)a);
	}
	for (i = 0; i < 100000; i++) {
		a = pick(s6, n6, i, &rng, 1);
		ASSERT_EQ(naive_lookup(s6, n6, a),
			  ref6_bsearch(db.r6, db.n6, a));
	}
	free(s4);
	free(s6);
	m2m_geo_free(&db);
}

/* ---- MaxMind DB, written by the Perl writer, read by mmdblookup ---- */

static const char writer[] =
	"use strict; use warnings;\n"
	"use MaxMind::DB::Writer::Tree;\n"
	"my ($file, $ipv) = @ARGV;\n"
	"my %t = (country => 'map', registered_country => 'map',\n"
	"	 continent => 'map', iso_code => 'utf8_string',\n"
	"	 code => 'utf8_string');\n"
	"my $tree = MaxMind::DB::Writer::Tree->new(\n"
	"	ip_version => $ipv, record_size => 24,\n"
	"	database_type => 'M2M-Test-Country', languages => ['en'],\n"
	"	description => { en => 'm2mguard test' },\n"
	"	remove_reserved_networks => 0,\n"
	"	alias_ipv6_to_ipv4 => $ipv == 6,\n"
	"	map_key_type_callback => sub { $t{ $_[0] } });\n"
	"while (<STDIN>) {\n"
	"	my ($net, $key, $cc) = split;\n"
	"	my $d = $key eq 'none' ? { continent => { code => 'EU' } }\n"
	"			       : { $key => { iso_code => $cc } };\n"
	"	$tree->insert_network($net, $d);\n"
	"}\n"
	"open my $fh, '>:raw', $file or die;\n"
	"$tree->write_tree($fh);\n";

static const char networks4[] =
	"1.0.0.0/8 country FR\n"
	"1.2.3.0/24 country DE\n"
	"10.0.0.0/8 registered_country IT\n"
	"11.0.0.0/8 none\n"
	"128.0.0.0/1 country US\n"
	"200.0.0.0/8 country eu\n"
	"255.255.255.0/24 country EU\n";

static const char networks6[] =
	"2001:db8::/32 country NL\n"
	"2001:db8:1::/48 registered_country BE\n"
	"2a00::/12 country A1\n"
	"ffff::/16 country JP\n";

#define MANY	600

static int write_mmdb(const char *dir, const char *out, int ipv)
{
	char cmd[512];
	const char *pl = put(dir, "writer.pl", writer, 0);
	FILE *f;
	int i;

	snprintf(cmd, sizeof(cmd), "perl '%s' '%s' %d", pl, out, ipv);
	f = popen(cmd, "w");
	if (!f)
		return -1;
	fputs(networks4, f);

	/* Enough distinct records to collide in the loader's cache. */
	for (i = 0; i < MANY; i++)
		fprintf(f, "%d.%d.0.0/16 country %c%c\n", 20 + i / 256, i % 256,
			'A' + i / 26, 'A' + i % 26);
	if (ipv == 6)
		fputs(networks6, f);
	return pclose(f);
}

/* The same question asked of libmaxminddb in this process. */
static uint32_t libmmdb(MMDB_s *db, const char *addr)
{
	MMDB_lookup_result_s res;
	MMDB_entry_data_s d;
	int gai, err;

	res = MMDB_lookup_string(db, addr, &gai, &err);
	if (gai || err != MMDB_SUCCESS || !res.found_entry)
		return 0;
	if ((MMDB_get_value(&res.entry, &d, "country", "iso_code", NULL) ||
	     !d.has_data) &&
	    (MMDB_get_value(&res.entry, &d, "registered_country", "iso_code",
			    NULL) || !d.has_data))
		return 0;
	if (d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return 0;
	return as_loaded(d.utf8_string[0], d.utf8_string[1]);
}

/* mmdblookup's answer: country, else registered country, else 0. */
static uint32_t mmdblookup(const char *file, const char *addr)
{
	static const char *const keys[] = { "country", "registered_country" };
	char cmd[512], out[512], *q;
	size_t n;
	FILE *f;
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "mmdblookup --file '%s' --ip %s "
			 "%s iso_code 2>&1", file, addr, keys[i]);
		f = popen(cmd, "r");
		if (!f)
			return ~0U;
		n = fread(out, 1, sizeof(out) - 1, f);
		pclose(f);
		out[n] = '\0';
		q = strchr(out, '"');
		if (q && q[1] && q[2] && q[3] == '"')
			return as_loaded(q[1], q[2]);
	}
	return 0;
}

static void text4(uint32_t a, char *buf)
{
	struct in_addr in = { htonl(a) };

	inet_ntop(AF_INET, &in, buf, INET6_ADDRSTRLEN);
}

static void text6(u128 a, char *buf)
{
	unsigned char b[16];
	int i;

	for (i = 15; i >= 0; i--, a >>= 8)
		b[i] = a;
	inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

static int compare_one(const char *file, MMDB_s *mm, const char *addr,
		       uint32_t got, int cli)
{
	uint32_t want = libmmdb(mm, addr), tool;

	if (cli && (tool = mmdblookup(file, addr)) != want) {
		fprintf(stderr, "# %s: mmdblookup %u, libmaxminddb %u\n",
			addr, tool, want);
		return 1;
	}
	if (got == want)
		return 0;
	fprintf(stderr, "# %s: got %u, want %u\n", addr, got, want);
	return 1;
}

/*
 * Both ends of every range the loader produced, as libmaxminddb sees
 * them; mmdblookup is asked about every eighth (it costs a process).
 */
static int compare_mmdb(const char *file, const struct m2m_geodb *db)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t i, a4;
	int bad = 0, end;
	MMDB_s mm;
	u128 a6;

	if (MMDB_open(file, MMDB_MODE_MMAP, &mm))
		return -1;
	for (i = 0; i < db->n4; i++)
		for (end = 0; end < 2; end++) {
			a4 = !end ? db->r4[i].start : i + 1 < db->n4 ?
			     db->r4[i + 1].start - 1 : 0xffffffff;
			text4(a4, buf);
			bad += compare_one(file, &mm, buf, db->r4[i].value,
					   i % 8 == 0);
		}
	for (i = 0; i < db->n6; i++)
		for (end = 0; end < 2; end++) {
			a6 = !end ? ref6_start(&db->r6[i]) : i + 1 < db->n6 ?
			     ref6_start(&db->r6[i + 1]) - 1 : ~(u128)0;
			text6(a6, buf);
			bad += compare_one(file, &mm, buf, db->r6[i].value,
					   i % 8 == 0);
		}
	MMDB_close(&mm);
	return bad;
}

static int have_mmdb_tools(void)
{
	return !system("perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null") &&
	       !system("mmdblookup --version >/dev/null 2>&1");
}

TEST_F(geo, mmdb_matches_mmdblookup)
{
	char file[128], err[256];
	unsigned char md[32];
	struct m2m_geodb db;
	uint32_t i;

	if (!have_mmdb_tools())
		SKIP(return, "no MaxMind::DB::Writer or mmdblookup");
	snprintf(file, sizeof(file), "%s/country.mmdb", self->dir);
	ASSERT_EQ(0, write_mmdb(self->dir, file, 6));

	ASSERT_EQ(0, m2m_geo_load(&db, M2M_GEO_AUTO, file, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, compare_mmdb(file, &db));

	/* The inputs themselves, and the fallback to registered_country. */
	EXPECT_EQ(J("DE"), ref4_bsearch(db.r4, db.n4, ip4("1.2.3.4")));
	EXPECT_EQ(J("FR"), ref4_bsearch(db.r4, db.n4, ip4("1.2.4.0")));
	EXPECT_EQ(J("IT"), ref4_bsearch(db.r4, db.n4, ip4("10.9.9.9")));
	EXPECT_EQ(0U, ref4_bsearch(db.r4, db.n4, ip4("11.1.1.1")));
	EXPECT_EQ(0U, ref4_bsearch(db.r4, db.n4, ip4("12.1.1.1")));
	EXPECT_EQ(0U, ref4_bsearch(db.r4, db.n4, ip4("200.1.1.1")));
	EXPECT_EQ(J("US"), ref4_bsearch(db.r4, db.n4, ip4("128.0.0.0")));
	EXPECT_EQ(J("EU"), ref4_bsearch(db.r4, db.n4, 0xffffffff));
	EXPECT_EQ(J("NL"), ref6_bsearch(db.r6, db.n6, ip6("2001:db8::1")));
	EXPECT_EQ(J("BE"), ref6_bsearch(db.r6, db.n6, ip6("2001:db8:1::1")));
	EXPECT_EQ(0U, ref6_bsearch(db.r6, db.n6, ip6("2a00::1")));
	EXPECT_EQ(J("JP"), ref6_bsearch(db.r6, db.n6, ~(u128)0));
	EXPECT_EQ(J("DE"), ref6_bsearch(db.r6, db.n6,
					ip6("::ffff:1.2.3.4")));
	for (i = 0; i < MANY; i++)
		EXPECT_EQ(as_loaded('A' + i / 26, 'A' + i % 26),
			  ref4_bsearch(db.r4, db.n4, (20 + i / 256) << 24 |
				       (i % 256) << 16 | 1));

	ASSERT_EQ(0, sha_files(file, NULL, md));
	EXPECT_EQ(0, memcmp(md, db.sha256, 32));
	EXPECT_EQ(10U, strlen(db.date));
	EXPECT_LT(0U, db.entries4);
	EXPECT_LT(0U, db.entries6);
	m2m_geo_free(&db);
}

TEST_F(geo, mmdb_ipv4_only)
{
	char file4[128], file6[128], err[256];
	struct m2m_geodb db4, db6;

	if (!have_mmdb_tools())
		SKIP(return, "no MaxMind::DB::Writer or mmdblookup");
	snprintf(file4, sizeof(file4), "%s/v4.mmdb", self->dir);
	snprintf(file6, sizeof(file6), "%s/v6.mmdb", self->dir);
	ASSERT_EQ(0, write_mmdb(self->dir, file4, 4));
	ASSERT_EQ(0, write_mmdb(self->dir, file6, 6));

	ASSERT_EQ(0, m2m_geo_load(&db4, M2M_GEO_MMDB, file4, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, m2m_geo_load(&db6, M2M_GEO_MMDB, file6, NULL, err,
				  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, compare_mmdb(file4, &db4));
	EXPECT_EQ(1U, db4.n6);
	EXPECT_EQ(0U, db4.r6[0].value);
	EXPECT_EQ(0U, db4.entries6);

	/* The same IPv4 networks give the same list in either layout. */
	ASSERT_EQ(db6.n4, db4.n4);
	EXPECT_EQ(0, memcmp(db6.r4, db4.r4, db4.n4 * sizeof(*db4.r4)));
	m2m_geo_free(&db4);
	m2m_geo_free(&db6);
}

TEST_HARNESS_MAIN
