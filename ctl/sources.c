// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl policy sources: the source prefixes a policy governs, as the
 * fewest prefixes that cover its source range tables, with their class.
 * The boot-time guard (scripts/m2mguard-start) drops traffic from these
 * until a policy is in force.
 *
 * A source table is a sorted list of boundaries: entry i gives the class
 * (index + 1, 0 for none) of the addresses from its start up to the next
 * entry's start. Runs of one class become one range, and each range the
 * prefixes that tile it: 10.0.0.0 .. 10.0.2.255 is 10.0.0.0/23 and
 * 10.0.2.0/24.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <m2mguard/policy.h>
#include <m2mguard/rtable.h>
#include <m2mguard/tables.h>

#include "m2mctl.h"
#include "out.h"

typedef unsigned __int128 u128;

static void print_prefix(u128 addr, int len, int width, const char *cls)
{
	char text[INET6_ADDRSTRLEN + 8];
	unsigned char b[16];
	uint32_t a4;
	int i;

	if (width == 32) {
		a4 = htonl((uint32_t)addr);
		inet_ntop(AF_INET, &a4, text, sizeof(text));
	} else {
		for (i = 15; i >= 0; i--, addr >>= 8)
			b[i] = (unsigned char)addr;
		inet_ntop(AF_INET6, b, text, sizeof(text));
	}
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%d",
		 len);

	out_object(NULL, NULL);
	out_str("prefix", "prefix", text);
	out_str("class", "class", cls);
	out_object_end();
}

/* Print the fewest prefixes of a WIDTH-bit space that tile LO..HI. */
static void print_range(u128 lo, u128 hi, int width, const char *cls)
{
	u128 mask, last;
	int k;

	for (;;) {
		/* The widest block that starts at LO and ends by HI. */
		for (k = 0; k < width; k++) {
			mask = ((u128)2 << k) - 1;
			if ((lo & mask) || hi - lo < mask)
				break;
		}
		last = k == 128 ? ~(u128)0 : lo + (((u128)1 << k) - 1);
		print_prefix(lo, width - k, width, cls);
		if (last >= hi)
			return;
		lo = last + 1;
	}
}

/* The class name of source table value V (class index + 1). */
static const char *class_name(const struct m2m_tables *t, __u32 v)
{
	return m2m_tables_str(t, t->classes[v - 1].name);
}

/* One family's table of N entries, read through START and VALUE. */
struct src_table {
	const void *r;
	__u32 n;
	int width;
	u128 (*start)(const void *r, __u32 i);
	__u32 (*value)(const void *r, __u32 i);
};

static u128 start4(const void *r, __u32 i)
{
	return ((const struct m2m_range4 *)r)[i].start;
}

static __u32 value4(const void *r, __u32 i)
{
	return ((const struct m2m_range4 *)r)[i].value;
}

static u128 start6(const void *r, __u32 i)
{
	const struct m2m_range6 *e = (const struct m2m_range6 *)r + i;

	return (u128)e->start_hi << 64 | e->start_lo;
}

static __u32 value6(const void *r, __u32 i)
{
	return ((const struct m2m_range6 *)r)[i].value;
}

static void print_table(const struct m2m_tables *t,
			const struct src_table *s)
{
	u128 top = s->width == 32 ? 0xffffffffU : ~(u128)0;
	__u32 i, j, v;

	for (i = 0; i < s->n; i = j) {
		v = s->value(s->r, i);
		for (j = i + 1; j < s->n && s->value(s->r, j) == v; j++)
			;
		if (v)
			print_range(s->start(s->r, i),
				    j < s->n ? s->start(s->r, j) - 1 : top,
				    s->width, class_name(t, v));
	}
}

int cmd_policy_sources(int argc, char **argv)
{
	struct src_table s4 = { .width = 32, .start = start4, .value = value4 };
	struct src_table s6 = { .width = 128, .start = start6, .value = value6 };
	struct m2m_tables t;
	uint32_t len;
	void *blob;

	(void)argc;
	if (policy_tables(argv[0], &blob, &len, &t))
		return EXIT_INPUT;
	s4.r = m2m_tables_section(&t, M2M_SEC_SRC4, &s4.n);
	s6.r = m2m_tables_section(&t, M2M_SEC_SRC6, &s6.n);

	out_begin();
	out_str("policy", "policy", argv[0]);
	out_array("sources", "sources");
	print_table(&t, &s4);
	print_table(&t, &s6);
	out_array_end();
	out_end();

	m2m_tables_close(&t);
	free(blob);
	return EXIT_OK;
}
