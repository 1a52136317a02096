// SPDX-License-Identifier: GPL-2.0
/*
 * Countries and the built-in zones.
 *
 * The data comes from data/iso3166.txt and data/jurisdictions.tsv, turned
 * into C by scripts/gen-zones at build time (build/zones_data.c). Three
 * zones are built in:
 *
 *	eea		  the EEA: EU member states, Iceland, Liechtenstein,
 *			  Norway
 *	adequacy	  countries with a full EU adequacy decision
 *	adequacy-partial  countries whose decision covers only some
 *			  recipients (Canada, the United States)
 *
 * adequacy does not contain the EEA, and no zone contains a partial
 * decision unless it names adequacy-partial or the country itself: a
 * partial decision needs a look at the recipient, which a policy must
 * make on purpose. "EU", the registry code some geo databases give
 * addresses assigned to European organisations, is in no zone either: it
 * says nothing about where a host is.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zones.h"

#include "zones_data.c"

const char *const m2m_zone_builtins[] = {
	"eea", "adequacy", "adequacy-partial", NULL,
};

static int country_cmp(const void *key, const void *elem)
{
	const struct m2m_country *c = elem;

	return strcmp(key, c->code);
}

const struct m2m_country *m2m_country_find(const char *code)
{
	return bsearch(code, m2m_countries, m2m_ncountries,
		       sizeof(m2m_countries[0]), country_cmp);
}

__u16 m2m_country_code(const char *text)
{
	if (strlen(text) != 2)
		return M2M_JUR_UNKNOWN;
	if (strcmp(text, "EU") && !m2m_country_find(text))
		return M2M_JUR_UNKNOWN;
	return m2m_jur_code(text[0], text[1]);
}

/* Codes people write that ISO 3166-1 spells differently. */
static const struct {
	const char *written;
	const char *iso;
} aliases[] = {
	{ "UK", "GB" },		/* United Kingdom */
	{ "EL", "GR" },		/* Greece, as the EU institutions write it */
};

const char *m2m_country_hint(const char *text)
{
	static char up[3];
	unsigned int i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(text, aliases[i].written))
			return aliases[i].iso;
	for (i = 0; i < m2m_ncountries; i++)
		if (!strcasecmp(text, m2m_countries[i].name))
			return m2m_countries[i].code;
	for (i = 0; i < m2m_njurisdictions; i++)
		if (!strcasecmp(text, m2m_jurisdictions[i].name))
			return m2m_jurisdictions[i].code;
	if (strlen(text) != 2)
		return NULL;
	up[0] = text[0] & ~0x20;
	up[1] = text[1] & ~0x20;
	if (!strcmp(up, text) || !m2m_country_code(up))
		return NULL;
	return up;
}

const struct m2m_jurisdiction *m2m_jurisdiction_find(const char *code)
{
	unsigned int i;

	for (i = 0; i < m2m_njurisdictions; i++)
		if (!strcmp(m2m_jurisdictions[i].code, code))
			return &m2m_jurisdictions[i];
	return NULL;
}

static bool in_builtin(const struct m2m_jurisdiction *j, unsigned int zone)
{
	switch (zone) {
	case 0:
		return j->list == M2M_LIST_EEA;
	case 1:
		return j->list == M2M_LIST_ADEQUACY &&
		       j->scope == M2M_SCOPE_FULL;
	default:
		return j->list == M2M_LIST_ADEQUACY &&
		       j->scope == M2M_SCOPE_PARTIAL;
	}
}

bool m2m_zone_builtin(const char *name, struct m2m_zoneset *z)
{
	const struct m2m_jurisdiction *j;
	unsigned int zone, i;

	for (zone = 0; m2m_zone_builtins[zone]; zone++)
		if (!strcmp(m2m_zone_builtins[zone], name))
			break;
	if (!m2m_zone_builtins[zone])
		return false;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < m2m_njurisdictions; i++) {
		j = &m2m_jurisdictions[i];
		if (in_builtin(j, zone))
			m2m_zoneset_add(z, m2m_jur_code(j->code[0],
							j->code[1]));
	}
	return true;
}
