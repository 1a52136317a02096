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
	char name[256];		/* the file(s) read */
	char date[32];		/* the database's own date, "" if unknown */
	__u8 sha256[32];	/* over the file(s) read, in order */
};

/*
 * Load PATH (and PATH6, the IPv6 file of a Tor pair, or NULL) into DB.
 * On error returns -1 with a message "FILE:LINE: what is wrong" in ERR.
 * Codes that are not two capital letters, "??" and "--" map to unknown
 * (0); "EU" is kept as its own code.
 */
int m2m_geo_load(struct m2m_geodb *db, enum m2m_geo_format fmt,
		 const char *path, const char *path6, char *err,
		 size_t errlen);
void m2m_geo_free(struct m2m_geodb *db);

/* The default database: Debian's tor-geoipdb. */
#define M2M_GEO_TOR4	"/usr/share/tor/geoip"
#define M2M_GEO_TOR6	"/usr/share/tor/geoip6"

#endif /* M2MCTL_GEO_H */
