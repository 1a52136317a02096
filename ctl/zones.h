/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Countries and zones: which two-letter codes a policy may name, and the
 * built-in zones of data/jurisdictions.tsv with the legal instrument and
 * date behind each country. The tables are generated at build time by
 * scripts/gen-zones.
 */
#ifndef M2MCTL_ZONES_H
#define M2MCTL_ZONES_H

#include <stdbool.h>
#include <m2mguard/policy.h>

/* A set of jurisdictions: bit j is m2m_jur_code j, as in struct m2m_class. */
struct m2m_zoneset {
	__u64 w[M2M_JUR_WORDS];
};

static inline void m2m_zoneset_add(struct m2m_zoneset *z, __u16 j)
{
	z->w[j / 64] |= 1ULL << (j % 64);
}

static inline void m2m_zoneset_del(struct m2m_zoneset *z, __u16 j)
{
	z->w[j / 64] &= ~(1ULL << (j % 64));
}

static inline bool m2m_zoneset_has(const struct m2m_zoneset *z, __u16 j)
{
	return z->w[j / 64] >> (j % 64) & 1;
}

static inline void m2m_zoneset_or(struct m2m_zoneset *z,
				  const struct m2m_zoneset *add)
{
	unsigned int i;

	for (i = 0; i < M2M_JUR_WORDS; i++)
		z->w[i] |= add->w[i];
}

/* One officially assigned ISO 3166-1 alpha-2 code. */
struct m2m_country {
	char code[3];
	const char *name;
};

/* Which list of jurisdictions.tsv a row is on, and how far it reaches. */
enum m2m_jur_list {
	M2M_LIST_EEA,
	M2M_LIST_ADEQUACY,
};

enum m2m_jur_scope {
	M2M_SCOPE_FULL,
	M2M_SCOPE_PARTIAL,	/* only some recipients: see the note */
};

/* One row of jurisdictions.tsv. */
struct m2m_jurisdiction {
	char code[3];
	const char *name;
	unsigned char list;	/* enum m2m_jur_list */
	unsigned char scope;	/* enum m2m_jur_scope */
	const char *instrument;
	char date[11];		/* YYYY-MM-DD */
	const char *note;
};

extern const struct m2m_country m2m_countries[];
extern const unsigned int m2m_ncountries;
extern const struct m2m_jurisdiction m2m_jurisdictions[];
extern const unsigned int m2m_njurisdictions;

/* The ISO country with CODE, or NULL. */
const struct m2m_country *m2m_country_find(const char *code);

/*
 * The jurisdiction code of TEXT if a policy may name it: an ISO 3166-1
 * alpha-2 code, or the registry code "EU". M2M_JUR_UNKNOWN otherwise.
 */
__u16 m2m_country_code(const char *text);

/* A code TEXT was probably meant to be ("de" -> "DE", "UK" -> "GB"). */
const char *m2m_country_hint(const char *text);

/* The jurisdictions.tsv row of CODE, or NULL. */
const struct m2m_jurisdiction *m2m_jurisdiction_find(const char *code);

/* Built-in zone names, NULL-terminated. */
extern const char *const m2m_zone_builtins[];

/* Fill Z with built-in zone NAME; false if there is none. */
bool m2m_zone_builtin(const char *name, struct m2m_zoneset *z);

#endif /* M2MCTL_ZONES_H */
