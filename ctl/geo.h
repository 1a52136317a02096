/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Geo databases: where destination jurisdictions come from when an
 * endpoint does not pin one. Each loader turns a database into two
 * boundary lists (values: m2m_jur_code, 0 where unknown) and records the
 * database's provenance.
 */
#ifndef M2MCTL_GEO_H
#define M2MCTL_GEO_H

#include <stddef.h>
#include <m2mguard/rtable.h>

enum m2m_geo_format {
	M2M_GEO_AUTO,		/* by content */
	M2M_GEO_TOR,		/* Tor geoip / geoip6 */
	M2M_GEO_CSV,		/* start,end,CC or prefix,CC */
	M2M_GEO_MMDB,		/* MaxMind DB, country */
};

struct m2m_geodb {
	struct m2m_range4 *r4;	/* boundaries from address 0, malloc'ed */
	__u32 n4;
	struct m2m_range6 *r6;
	__u32 n6;
	__u32 entries4;		/* entries read, per family */
	__u32 entries6;
	__u32 renamed;		/* entries whose code was read as another */
	enum m2m_geo_format format;	/* the one read, never AUTO */
	char name[256];		/* the file(s) read */
	char date[32];		/* the database's own date, "" if unknown */
	__u8 sha256[32];	/* over the file(s) read, in order */
};

/*
 * Load PATH (and PATH6, the IPv6 file of a Tor pair, or NULL) into DB.
 * On error returns -1 with a message "FILE:LINE: what is wrong" in ERR.
 * Codes that are not two capital letters, "??" and "--" map to unknown
 * (0); "UK" is read as "GB"; "EU" is kept as its own code (geo.c says
 * why).
 */
int m2m_geo_load(struct m2m_geodb *db, enum m2m_geo_format fmt,
		 const char *path, const char *path6, char *err,
		 size_t errlen);

/*
 * An address to look for while a database loads: the entry that holds
 * it, as written, before neighbours of the same code are merged.
 */
struct m2m_geo_probe {
	int family;		/* AF_INET or AF_INET6 */
	__u64 hi, lo;		/* the address; IPv4 in the low 32 bits */
	int found;		/* set by the load, with what follows */
	__u64 start_hi, start_lo;	/* the entry's first address */
	__u64 end_hi, end_lo;		/* and its last */
	__u32 value;		/* its code, as in the boundary lists */
	const char *file;	/* where it is written */
	unsigned int line;	/* 0 in a MaxMind DB */
};

/* m2m_geo_load, noting in PROBE (if not NULL) the entry it asks about. */
int m2m_geo_load_probe(struct m2m_geodb *db, enum m2m_geo_format fmt,
		       const char *path, const char *path6,
		       struct m2m_geo_probe *probe, char *err, size_t errlen);
void m2m_geo_free(struct m2m_geodb *db);

/* The default database: Debian's tor-geoipdb. */
#define M2M_GEO_TOR4	"/usr/share/tor/geoip"
#define M2M_GEO_TOR6	"/usr/share/tor/geoip6"

#endif /* M2MCTL_GEO_H */
