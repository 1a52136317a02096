// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a policy file (YAML) into the model of model.h.
 *
 * The text is checked first (size, NUL bytes, UTF-8), then libyaml loads
 * it as one document, a tree of nodes that each carry the place they were
 * written. The tree is walked top down with a table of known keys per
 * mapping; each key's handler checks its value and fills the model. The
 * checks that need the whole policy (unique names, a source prefix in one
 * class only, endpoints that contradict each other) run last.
 *
 * A mistake does not stop the walk: it is noted as "FILE:LINE:COL: what
 * is wrong; what was expected" and the walk goes on with the next item,
 * so that one run shows every mistake. The notes are printed at the end
 * in the order of the file, the first ERRORS_MAX of them. A model with
 * any error is not returned. Running out of memory while parsing a file
 * of at most 16 MiB ends m2mctl.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yaml.h>
#include <linux/m2mguard.h>

#include "model.h"

#define ERRORS_MAX	50

/* Everything a model owns is one chain of allocations. */
struct m2m_arena {
	struct m2m_arena *next;
	max_align_t data[];
};

/* A message waiting to be printed in the order of the file. */
struct msg {
	struct m2m_mark at;
	size_t seq;
	char *text;
};

struct parser {
	yaml_document_t doc;
	struct msg *msgs;
	size_t nmsgs, capmsgs;
	bool *ep_broken;	/* per endpoint: had an error */
	struct m2m_model *m;
	const char *file;
	FILE *errf;
	unsigned int errors;
	char *dir;		/* the policy's folder, for relative paths */
	yaml_node_t **zone_nodes;	/* definitions under 'zones' */
	unsigned char *zone_state;	/* 0 new, 1 resolving, 2 done */
};

/* ---- memory ---- */

static void *zalloc(struct parser *p, size_t n)
{
	struct m2m_arena *a = calloc(1, sizeof(*a) + n);

	if (!a) {
		fprintf(stderr, "m2mctl: out of memory\n");
		exit(1);
	}
	a->next = p->m->arena;
	p->m->arena = a;
	return a->data;
}

static void *zarray(struct parser *p, size_t n, size_t size)
{
	if (n && size > SIZE_MAX / n) {
		fprintf(stderr, "m2mctl: out of memory\n");
		exit(1);
	}
	return zalloc(p, n * size);
}

static char *zstrdup(struct parser *p, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(zalloc(p, n), s, n);
}

/* ---- messages ---- */

static struct m2m_mark mark_of(const yaml_node_t *n)
{
	return (struct m2m_mark){ n->start_mark.line + 1,
				  n->start_mark.column + 1 };
}

static void verr_at(struct parser *p, struct m2m_mark at, const char *fmt,
		    va_list ap)
{
	struct msg *m;

	p->errors++;
	if (p->nmsgs == p->capmsgs) {
		p->capmsgs = p->capmsgs ? 2 * p->capmsgs : 16;
		p->msgs = realloc(p->msgs, p->capmsgs * sizeof(*p->msgs));
		if (!p->msgs) {
			fprintf(stderr, "m2mctl: out of memory\n");
			exit(1);
		}
	}
	m = &p->msgs[p->nmsgs];
	m->at = at;
	m->seq = p->nmsgs++;
	if (vasprintf(&m->text, fmt, ap) < 0)
		m->text = NULL;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	if (x->at.col != y->at.col)
		return x->at.col < y->at.col ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Print the messages in the order of the file, at most ERRORS_MAX. */
static void flush_msgs(struct parser *p)
{
	size_t i;

	if (!p->nmsgs)
		return;
	qsort(p->msgs, p->nmsgs, sizeof(*p->msgs), msg_cmp);
	for (i = 0; i < p->nmsgs; i++) {
		if (i < ERRORS_MAX)
			fprintf(p->errf, "%s:%u:%u: %s\n", p->file,
				p->msgs[i].at.line, p->msgs[i].at.col,
				p->msgs[i].text ? p->msgs[i].text :
				"out of memory");
		free(p->msgs[i].text);
	}
	if (p->nmsgs > ERRORS_MAX)
		fprintf(p->errf, "%s: %zu more errors not shown\n", p->file,
			p->nmsgs - ERRORS_MAX);
	free(p->msgs);
}

static void __attribute__((format(printf, 3, 4)))
err_at(struct parser *p, struct m2m_mark at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(p, at, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
err(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(p, mark_of(n), fmt, ap);
	va_end(ap);
}

/* ---- the text before it is YAML ---- */

/* Length of the UTF-8 sequence at S (N bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	__u32 c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* Refuse what is not text before libyaml sees it. */
static int check_text(struct parser *p, const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	struct m2m_mark at = { 1, 1 };
	size_t i = 0, n;

	if (len > M2M_POLICY_TEXT_MAX) {
		fprintf(p->errf, "%s: %zu bytes is too large; expected a "
			"policy file of at most %u MiB\n", p->file, len,
			M2M_POLICY_TEXT_MAX >> 20);
		p->errors++;
		return -1;
	}
	while (i < len) {
		if (!s[i]) {
			err_at(p, at, "NUL byte in a binary file; expected "
			       "UTF-8 text");
			return -1;
		}
		n = utf8_len(s + i, len - i);
		if (!n) {
			err_at(p, at, "invalid UTF-8 (byte 0x%02x); expected "
			       "UTF-8 text", s[i]);
			return -1;
		}
		if (s[i] == '\n')
			at.line++, at.col = 0;
		at.col++;
		i += n;
	}
	return 0;
}

/* ---- YAML ---- */

static void yaml_error(struct parser *p, const yaml_parser_t *yp)
{
	struct m2m_mark at = { yp->problem_mark.line + 1,
			       yp->problem_mark.column + 1 };
	const char *problem = yp->problem ? yp->problem : "unknown error";

	if (yp->context)
		err_at(p, at, "malformed YAML: %s %s at %zu:%zu; expected "
		       "valid YAML", problem, yp->context,
		       yp->context_mark.line + 1,
		       yp->context_mark.column + 1);
	else
		err_at(p, at, "malformed YAML: %s; expected valid YAML",
		       problem);
}

/* Load the one document of BUF into p->doc. */
static int load_yaml(struct parser *p, const char *buf, size_t len)
{
	yaml_document_t extra;
	yaml_parser_t yp;
	yaml_node_t *root;
	int ret = -1;

	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &p->doc)) {
		yaml_error(p, &yp);
		yaml_parser_delete(&yp);
		return -1;
	}

	if (!yaml_parser_load(&yp, &extra)) {
		yaml_error(p, &yp);
	} else {
		root = yaml_document_get_root_node(&extra);
		if (root)
			err(p, root, "a second YAML document; expected one "
			    "policy per file");
		else
			ret = 0;
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&yp);
	if (ret)
		yaml_document_delete(&p->doc);
	return ret;
}

static yaml_node_t *node(struct parser *p, int index)
{
	return yaml_document_get_node(&p->doc, index);
}

static const char *str_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_empty(const yaml_node_t *n)
{
	const char *s = str_of(n);

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null");
}

static const char *type_name(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return is_empty(n) ? "empty" : "a scalar";
}

/* The text of scalar N, the value of KEY; NULL after an error. */
static const char *scalar(struct parser *p, const yaml_node_t *n,
			  const char *key, const char *expect)
{
	if (n->type != YAML_SCALAR_NODE || is_empty(n)) {
		err(p, n, "'%s' is %s; expected %s", key, type_name(n),
		    expect);
		return NULL;
	}
	if (strlen(str_of(n)) != n->data.scalar.length) {
		err(p, n, "'%s' contains a NUL character; expected %s", key,
		    expect);
		return NULL;
	}
	return str_of(n);
}

static bool is_list(struct parser *p, const yaml_node_t *n, const char *key,
		    const char *expect)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return true;
	err(p, n, "'%s' is %s; expected %s", key, type_name(n), expect);
	return false;
}

static size_t list_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

static yaml_node_t *list_item(struct parser *p, const yaml_node_t *n,
			      size_t i)
{
	return node(p, n->data.sequence.items.start[i]);
}

/* Item I of list KEY as a scalar; NULL after an error. */
static const char *item_scalar(struct parser *p, const yaml_node_t *list,
			       size_t i, const char *key, const char *expect)
{
	yaml_node_t *n = list_item(p, list, i);

	if (n->type != YAML_SCALAR_NODE || is_empty(n)) {
		err(p, n, "item of '%s' is %s; expected %s", key,
		    type_name(n), expect);
		return NULL;
	}
	return scalar(p, n, key, expect);
}

/* One of the words of NAMES (NULL-terminated); -1 after an error. */
static int keyword(struct parser *p, const yaml_node_t *n, const char *key,
		   const char *const *names, const char *expect)
{
	const char *s = scalar(p, n, key, expect);
	int i;

	if (!s)
		return -1;
	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	err(p, n, "unknown %s '%s'; expected %s", key, s, expect);
	return -1;
}

/* A decimal number in [MIN, MAX]; false after an error. */
static bool number(struct parser *p, const yaml_node_t *n, const char *key,
		   unsigned long min, unsigned long max, unsigned long *val)
{
	char expect[64];
	const char *s;
	char *end;

	snprintf(expect, sizeof(expect), "a number from %lu to %lu", min,
		 max);
	s = scalar(p, n, key, expect);
	if (!s)
		return false;
	if (s[0] < '0' || s[0] > '9') {
		err(p, n, "%s '%s' is not a number; expected %s", key, s,
		    expect);
		return false;
	}
	errno = 0;
	*val = strtoul(s, &end, 10);
	if (*end) {
		err(p, n, "%s '%s' is not a number; expected %s", key, s,
		    expect);
		return false;
	}
	if (errno || *val < min || *val > max) {
		err(p, n, "%s %s is out of range; expected %s", key, s,
		    expect);
		return false;
	}
	return true;
}

/* ---- mappings and their keys ---- */

struct key {
	const char *name;
	bool required;
	const char *expect;	/* the value, for messages */
	void (*fn)(struct parser *p, yaml_node_t *val, void *obj);
};

/* Edit distance, for "did you mean"; short strings only. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[M2M_NAME_MAX + 2], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la > M2M_NAME_MAX || lb > M2M_NAME_MAX)
		return UINT32_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static void unknown_key(struct parser *p, const yaml_node_t *k,
			const char *what, const struct key *keys,
			unsigned int nkeys)
{
	unsigned int i, best = 0, d, bestd = UINT32_MAX;
	char list[256] = "";

	for (i = 0; i < nkeys; i++) {
		d = distance(str_of(k), keys[i].name);
		if (d < bestd)
			best = i, bestd = d;
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", keys[i].name);
	}
	if (bestd <= 2 && bestd < strlen(keys[best].name))
		err(p, k, "unknown key '%s' in %s; did you mean '%s'?",
		    str_of(k), what, keys[best].name);
	else
		err(p, k, "unknown key '%s' in %s; expected one of: %s",
		    str_of(k), what, list);
}

/*
 * Match the keys of mapping MAP (a WHAT) against KEYS: VALS[i] becomes
 * the value of KEYS[i], or NULL. Unknown and repeated keys are errors.
 */
static bool map_keys(struct parser *p, const yaml_node_t *map,
		     const char *what, const struct key *keys,
		     unsigned int nkeys, yaml_node_t **vals)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	unsigned int i;

	memset(vals, 0, nkeys * sizeof(*vals));
	if (map->type != YAML_MAPPING_NODE) {
		err(p, map, "%s is %s; expected a mapping of keys", what,
		    type_name(map));
		return false;
	}
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = node(p, pair->key);
		if (k->type != YAML_SCALAR_NODE) {
			err(p, k, "a key of %s is %s; expected a name", what,
			    type_name(k));
			continue;
		}
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i].name, str_of(k)))
				break;
		if (i == nkeys) {
			unknown_key(p, k, what, keys, nkeys);
		} else if (vals[i]) {
			err(p, k, "'%s' appears twice in %s (first at "
			    "%u:%u); expected it once", keys[i].name, what,
			    mark_of(vals[i]).line, mark_of(vals[i]).col);
		} else {
			vals[i] = node(p, pair->value);
		}
	}
	return true;
}

/* Walk mapping MAP (a WHAT) with KEYS, in the order of KEYS. */
static void walk(struct parser *p, yaml_node_t *map, const char *what,
		 const struct key *keys, unsigned int nkeys, void *obj)
{
	yaml_node_t *vals[16];
	unsigned int i;

	if (!map_keys(p, map, what, keys, nkeys, vals))
		return;
	for (i = 0; i < nkeys; i++) {
		if (vals[i])
			keys[i].fn(p, vals[i], obj);
		else if (keys[i].required)
			err(p, map, "%s has no '%s'; expected %s", what,
			    keys[i].name, keys[i].expect);
	}
}

#define WALK(p, map, what, keys, obj) \
	walk(p, map, what, keys, sizeof(keys) / sizeof(keys[0]), obj)

/* ---- values used in several places ---- */

#define NAME_EXPECT "a name of letters, digits, '.', '_' or '-'"

/* A class, endpoint, zone or purpose name; NULL after an error. */
static const char *name_of(struct parser *p, const yaml_node_t *n,
			   const char *key)
{
	const char *s = scalar(p, n, key, NAME_EXPECT);
	size_t i;

	if (!s)
		return NULL;
	if (strlen(s) > M2M_NAME_MAX) {
		err(p, n, "%s '%.20s...' is longer than %u characters; "
		    "expected a shorter name", key, s, M2M_NAME_MAX);
		return NULL;
	}
	for (i = 0; s[i]; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (i && strchr("._-", s[i])))
			continue;
		err(p, n, "%s '%s' has a bad character at position %zu; "
		    "expected " NAME_EXPECT ", starting with a letter or "
		    "digit", key, s, i + 1);
		return NULL;
	}
	return zstrdup(p, s);
}

static const char *const mode_names[] = { "enforce", "audit", NULL };

static void rule_mode(struct parser *p, yaml_node_t *v, __u8 *mode)
{
	int i = keyword(p, v, "mode", mode_names, "enforce or audit");

	if (i >= 0)
		*mode = i ? M2M_RULE_AUDIT : M2M_RULE_ENFORCE;
}

/* A country code a policy may name; 0 after an error. */
static __u16 country(struct parser *p, const yaml_node_t *n)
{
	const char *s = str_of(n), *hint;
	__u16 code = m2m_country_code(s);

	if (code)
		return code;
	hint = m2m_country_hint(s);
	if (hint)
		err(p, n, "'%s' is not an ISO 3166-1 alpha-2 code; did you "
		    "mean '%s'?", s, hint);
	else
		err(p, n, "'%s' is not an ISO 3166-1 alpha-2 code; expected "
		    "two capital letters such as DE", s);
	return 0;
}

/* Prefixes of list V (key KEY) into *OUT. */
static void prefixes(struct parser *p, yaml_node_t *v, const char *key,
		     struct m2m_prefix **out, size_t *nout)
{
	static const char expect[] = "a prefix such as 192.0.2.0/24 or "
				     "2001:db8::/32";
	struct m2m_prefix *pf;
	const char *s, *why;
	size_t i, n;

	if (!is_list(p, v, key, "a list of prefixes"))
		return;
	n = list_len(v);
	if (!n) {
		err(p, v, "'%s' is an empty list; expected at least one "
		    "prefix", key);
		return;
	}
	*out = zarray(p, n, sizeof(**out));
	for (i = 0; i < n; i++) {
		s = item_scalar(p, v, i, key, expect);
		if (!s)
			continue;
		pf = &(*out)[(*nout)++];
		pf->family = m2m_pfx_parse(s, &pf->v4, &pf->v6, &why);
		pf->text = zstrdup(p, s);
		pf->mark = mark_of(list_item(p, v, i));
		if (pf->family)
			continue;
		if (strstr(why, "did you mean"))
			err_at(p, pf->mark, "bad prefix '%s' in '%s': %s",
			       s, key, why);
		else
			err_at(p, pf->mark, "bad prefix '%s' in '%s': %s; "
			       "expected %s", s, key, why, expect);
		(*nout)--;
	}
}

/* The bit of purpose NAME, or -1. */
static int purpose_bit(const struct m2m_model *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->npurposes; i++)
		if (!strcmp(m->purposes[i], name))
			return i;
	return -1;
}

static void unknown_purpose(struct parser *p, const yaml_node_t *n)
{
	char list[M2M_PURPOSES_MAX * (M2M_NAME_MAX + 2) + 1] = "";
	unsigned int i;

	for (i = 0; i < p->m->npurposes; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", p->m->purposes[i]);
	if (p->m->npurposes)
		err(p, n, "unknown purpose '%s'; declared purposes: %s",
		    str_of(n), list);
	else
		err(p, n, "unknown purpose '%s'; declare it under "
		    "'purposes' first", str_of(n));
}

/* A list of declared purposes (key KEY) as a bitmap. */
static void purpose_set(struct parser *p, yaml_node_t *v, const char *key,
			bool may_be_empty, __u64 *set)
{
	const char *s;
	size_t i;
	int bit;

	if (!is_list(p, v, key, "a list of declared purposes"))
		return;
	if (!list_len(v) && !may_be_empty)
		err(p, v, "'%s' is an empty list; expected at least one "
		    "purpose", key);
	for (i = 0; i < list_len(v); i++) {
		s = item_scalar(p, v, i, key, "a declared purpose");
		if (!s)
			continue;
		bit = purpose_bit(p->m, s);
		if (bit < 0)
			unknown_purpose(p, list_item(p, v, i));
		else
			*set |= 1ULL << bit;
	}
}

/* ---- zones ---- */

static void zone_spec(struct parser *p, yaml_node_t *v, const char *key,
		      struct m2m_zoneset *set);

/* The zone list for messages: built-ins, then the policy's own. */
static void zone_names(struct parser *p, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; m2m_zone_builtins[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 i ? ", " : "", m2m_zone_builtins[i]);
	for (i = 0; i < p->m->nzones && strlen(buf) < len - 8; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), ", %s",
			 p->m->zones[i].name);
}

static void resolve_zone(struct parser *p, size_t i);

/* Add zone NAME (node N) to SET. */
static void zone_by_name(struct parser *p, const yaml_node_t *n,
			 struct m2m_zoneset *set)
{
	struct m2m_zoneset builtin;
	char list[512];
	size_t i;

	for (i = 0; i < p->m->nzones; i++) {
		if (strcmp(p->m->zones[i].name, str_of(n)))
			continue;
		if (p->zone_state[i] == 1) {
			err(p, n, "zone '%s' is part of an include cycle; "
			    "expected zones that do not include each other",
			    str_of(n));
			return;
		}
		resolve_zone(p, i);
		m2m_zoneset_or(set, &p->m->zones[i].set);
		return;
	}
	if (m2m_zone_builtin(str_of(n), &builtin)) {
		m2m_zoneset_or(set, &builtin);
		return;
	}
	zone_names(p, list, sizeof(list));
	err(p, n, "unknown zone '%s'; expected one of: %s", str_of(n), list);
}

/* Country codes of list V into SET, or out of it. */
static void zone_codes(struct parser *p, yaml_node_t *v, const char *key,
		       struct m2m_zoneset *set, bool remove)
{
	__u16 code;
	size_t i;

	if (!is_list(p, v, key, "a list of country codes such as [DE, FR]"))
		return;
	for (i = 0; i < list_len(v); i++) {
		if (!item_scalar(p, v, i, key, "a country code such as DE"))
			continue;
		code = country(p, list_item(p, v, i));
		if (code && remove)
			m2m_zoneset_del(set, code);
		else if (code)
			m2m_zoneset_add(set, code);
	}
}

static void zone_include(struct parser *p, yaml_node_t *v, void *set)
{
	size_t i;

	if (!is_list(p, v, "include", "a list of zone names"))
		return;
	for (i = 0; i < list_len(v); i++)
		if (item_scalar(p, v, i, "include", "a zone name"))
			zone_by_name(p, list_item(p, v, i), set);
}

static void zone_add(struct parser *p, yaml_node_t *v, void *set)
{
	zone_codes(p, v, "add", set, false);
}

static void zone_remove(struct parser *p, yaml_node_t *v, void *set)
{
	zone_codes(p, v, "remove", set, true);
}

#define ZONE_EXPECT "a zone name, a list of country codes, or a mapping " \
		    "of include, add and remove"

/* A zone: a name, a list of codes, or { include, add, remove }. */
static void zone_spec(struct parser *p, yaml_node_t *v, const char *key,
		      struct m2m_zoneset *set)
{
	static const struct key keys[] = {
		{ "include", false, "", zone_include },
		{ "add", false, "", zone_add },
		{ "remove", false, "", zone_remove },
	};
	yaml_node_t *vals[3];
	char what[64];

	if (v->type == YAML_SEQUENCE_NODE) {
		zone_codes(p, v, key, set, false);
		return;
	}
	if (v->type == YAML_SCALAR_NODE) {
		if (scalar(p, v, key, ZONE_EXPECT))
			zone_by_name(p, v, set);
		return;
	}
	snprintf(what, sizeof(what), "'%s'", key);
	if (!map_keys(p, v, what, keys, 3, vals))
		return;
	if (!vals[0] && !vals[1]) {
		err(p, v, "'%s' has neither 'include' nor 'add'; expected "
		    "at least one of them", key);
		return;
	}
	/* Removing comes last, whatever the order written. */
	if (vals[0])
		zone_include(p, vals[0], set);
	if (vals[1])
		zone_add(p, vals[1], set);
	if (vals[2])
		zone_remove(p, vals[2], set);
}

static void resolve_zone(struct parser *p, size_t i)
{
	struct m2m_model_zone *z = &p->m->zones[i];

	if (p->zone_state[i])
		return;
	p->zone_state[i] = 1;
	zone_spec(p, p->zone_nodes[i], z->name, &z->set);
	p->zone_state[i] = 2;
}

static void top_zones(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model *m = p->m;
	struct m2m_zoneset dummy;
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	size_t n, i;

	(void)obj;
	if (v->type != YAML_MAPPING_NODE) {
		err(p, v, "'zones' is %s; expected a mapping of zone names "
		    "to zones", type_name(v));
		return;
	}
	n = v->data.mapping.pairs.top - v->data.mapping.pairs.start;
	m->zones = zarray(p, n, sizeof(*m->zones));
	p->zone_nodes = zarray(p, n, sizeof(*p->zone_nodes));
	p->zone_state = zarray(p, n, 1);

	for (pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		k = node(p, pair->key);
		m->zones[m->nzones].name = name_of(p, k, "zone name");
		m->zones[m->nzones].mark = mark_of(k);
		if (!m->zones[m->nzones].name)
			continue;
		if (m2m_zone_builtin(str_of(k), &dummy)) {
			err(p, k, "zone '%s' is built in; expected another "
			    "name", str_of(k));
			continue;
		}
		for (i = 0; i < m->nzones; i++)
			if (!strcmp(m->zones[i].name, str_of(k)))
				break;
		if (i < m->nzones) {
			err(p, k, "zone '%s' is defined twice (first at "
			    "%u:%u); expected unique zone names", str_of(k),
			    m->zones[i].mark.line, m->zones[i].mark.col);
			continue;
		}
		p->zone_nodes[m->nzones++] = node(p, pair->value);
	}
	for (i = 0; i < m->nzones; i++)
		resolve_zone(p, i);
}

/* ---- settings ---- */

static void set_mode(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_settings *s = obj;
	int i = keyword(p, v, "mode", mode_names, "enforce or audit");

	if (i >= 0)
		s->mode = i ? M2M_MODE_AUDIT : M2M_MODE_ENFORCE;
}

static void set_unknown(struct parser *p, yaml_node_t *v, void *obj)
{
	static const char *const names[] = { "deny", "allow", NULL };
	struct m2m_settings *s = obj;
	int i = keyword(p, v, "unknown-jurisdiction", names,
			"deny or allow");

	if (i >= 0)
		s->unknown_allowed = i;
}

static void set_rate(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_settings *s = obj;
	unsigned long n;

	if (number(p, v, "rate", 0, 100000, &n))
		s->event_rate = n;
}

static void set_privacy(struct parser *p, yaml_node_t *v, void *obj)
{
	static const char *const names[] = {
		[M2M_PRIVACY_PSEUDONYM] = "pseudonym",
		[M2M_PRIVACY_TRUNCATE] = "truncate",
		[M2M_PRIVACY_RAW] = "raw",
		NULL,
	};
	struct m2m_settings *s = obj;
	int i = keyword(p, v, "privacy", names, "pseudonym, truncate or raw");

	if (i >= 0)
		s->privacy = i;
}

static void set_events(struct parser *p, yaml_node_t *v, void *obj)
{
	static const struct key keys[] = {
		{ "rate", false, "", set_rate },
		{ "privacy", false, "", set_privacy },
	};

	WALK(p, v, "'events'", keys, obj);
}

static void set_interval(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_settings *s = obj;
	unsigned long n;

	if (number(p, v, "counter-interval", 100, 3600000, &n))
		s->counter_interval = n;
}

static void top_settings(struct parser *p, yaml_node_t *v, void *obj)
{
	static const struct key keys[] = {
		{ "mode", false, "", set_mode },
		{ "unknown-jurisdiction", false, "", set_unknown },
		{ "events", false, "", set_events },
		{ "counter-interval", false, "", set_interval },
	};

	(void)obj;
	WALK(p, v, "'settings'", keys, &p->m->settings);
}

/* ---- purposes ---- */

static void top_purposes(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model *m = p->m;
	const char *name;
	yaml_node_t *n;
	size_t i;

	(void)obj;
	if (!is_list(p, v, "purposes", "a list of purpose names"))
		return;
	for (i = 0; i < list_len(v); i++) {
		n = list_item(p, v, i);
		if (n->type != YAML_SCALAR_NODE) {
			item_scalar(p, v, i, "purposes", "a purpose name");
			continue;
		}
		name = name_of(p, n, "purpose");
		if (!name)
			continue;
		if (purpose_bit(m, name) >= 0) {
			err(p, n, "purpose '%s' is declared twice; expected "
			    "unique purposes", name);
		} else if (m->npurposes == M2M_PURPOSES_MAX) {
			err(p, n, "purpose '%s' is one too many; expected at "
			    "most %u purposes", name, M2M_PURPOSES_MAX);
			return;
		} else {
			m->purposes[m->npurposes++] = name;
		}
	}
}

/* ---- geo ---- */

static const char *path_of(struct parser *p, const char *s)
{
	char *path;

	if (s[0] == '/' || !p->dir)
		return zstrdup(p, s);
	path = zalloc(p, strlen(p->dir) + strlen(s) + 2);
	sprintf(path, "%s/%s", p->dir, s);
	return path;
}

static void geo_format(struct parser *p, yaml_node_t *v, void *obj)
{
	static const char *const names[] = {
		"auto", "tor", "csv", "mmdb", "none", NULL,
	};
	static const enum m2m_geo_format formats[] = {
		M2M_GEO_AUTO, M2M_GEO_TOR, M2M_GEO_CSV, M2M_GEO_MMDB,
	};
	struct m2m_model_geo *g = obj;
	int i = keyword(p, v, "format", names,
			"tor, csv, mmdb, auto or none");

	if (i == 4)
		g->none = 1;
	else if (i >= 0)
		g->format = formats[i];
}

static void geo_file(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_geo *g = obj;
	const char *s = scalar(p, v, "file", "the path of a geo database");

	if (s) {
		g->file = path_of(p, s);
		g->mark = mark_of(v);
	}
}

static void geo_file6(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_geo *g = obj;
	const char *s = scalar(p, v, "ipv6-file",
			       "the path of a Tor geoip6 database");

	if (s)
		g->file6 = path_of(p, s);
}

static void top_geo(struct parser *p, yaml_node_t *v, void *obj)
{
	static const struct key keys[] = {
		{ "format", false, "", geo_format },
		{ "file", false, "", geo_file },
		{ "ipv6-file", false, "", geo_file6 },
	};
	struct m2m_model_geo *g = &p->m->geo;
	bool tor_default;

	(void)obj;
	g->format = M2M_GEO_TOR;
	g->file = NULL;
	g->file6 = NULL;
	g->mark = mark_of(v);
	WALK(p, v, "'geo'", keys, g);

	tor_default = g->format == M2M_GEO_TOR && !g->file;
	if (g->none && (g->file || g->file6))
		err(p, v, "'geo' has format none and a file; expected one "
		    "of them");
	else if (!g->none && !g->file && !tor_default)
		err(p, v, "'geo' has no 'file'; expected the path of the "
		    "database");
	else if (g->file6 && g->format != M2M_GEO_TOR)
		err(p, v, "'ipv6-file' is only for format tor; expected "
		    "one file holding both families");
	if (tor_default && !g->none) {
		g->file = M2M_GEO_TOR4;
		g->file6 = g->file6 ? g->file6 : M2M_GEO_TOR6;
	}
}

/* ---- classes ---- */

static void class_name(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_class *c = obj;

	c->name = name_of(p, v, "name");
}

static void class_sources(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_class *c = obj;

	prefixes(p, v, "sources", &c->sources, &c->nsources);
}

static void class_consent(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_class *c = obj;

	purpose_set(p, v, "consent", true, &c->consent);
}

static void class_zone(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_class *c = obj;

	zone_spec(p, v, "zone", &c->zone);
}

static void class_mode(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_class *c = obj;

	rule_mode(p, v, &c->mode);
}

static const struct key class_keys[] = {
	{ "name", true, "a name such as smart-meters", class_name },
	{ "sources", true, "a list of source prefixes", class_sources },
	{ "consent", true, "a list of declared purposes", class_consent },
	{ "zone", true, ZONE_EXPECT, class_zone },
	{ "mode", false, "", class_mode },
};

/* A name for the item in messages: "class 'x'" or just "class". */
static const char *item_what(char *buf, size_t len, const char *kind,
			     const yaml_node_t *item, struct parser *p)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;

	snprintf(buf, len, "%s", kind);
	if (item->type != YAML_MAPPING_NODE)
		return buf;
	for (pair = item->data.mapping.pairs.start;
	     pair < item->data.mapping.pairs.top; pair++) {
		k = node(p, pair->key);
		v = node(p, pair->value);
		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp(str_of(k), "name") &&
		    v->type == YAML_SCALAR_NODE && !is_empty(v))
			snprintf(buf, len, "%s '%.*s'", kind, M2M_NAME_MAX,
				 str_of(v));
	}
	return buf;
}

static void top_classes(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model *m = p->m;
	struct m2m_model_class *c;
	char what[M2M_NAME_MAX + 16];
	yaml_node_t *item;
	size_t i;

	(void)obj;
	if (!is_list(p, v, "classes", "a list of classes"))
		return;
	m->classes = zarray(p, list_len(v), sizeof(*m->classes));
	for (i = 0; i < list_len(v); i++) {
		item = list_item(p, v, i);
		c = &m->classes[m->nclasses++];
		c->mark = mark_of(item);
		WALK(p, item, item_what(what, sizeof(what), "class", item, p),
		     class_keys, c);
	}
}

/* ---- endpoints ---- */

static void ep_name(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;

	e->name = name_of(p, v, "name");
}

static void ep_dsts(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;

	prefixes(p, v, "destinations", &e->dsts, &e->ndsts);
}

static void ep_proto(struct parser *p, yaml_node_t *v, void *obj)
{
	static const char *const names[] = {
		[M2M_PROTO_ANY] = "any",
		[M2M_PROTO_TCP] = "tcp",
		[M2M_PROTO_UDP] = "udp",
		[M2M_PROTO_ICMP] = "icmp",
		NULL,
	};
	struct m2m_model_endpoint *e = obj;
	int i = keyword(p, v, "protocol", names, "tcp, udp, icmp or any");

	if (i >= 0)
		e->proto = i;
}

#define PORT_EXPECT "a port such as 443 or a range such as 9000-9100"

/* The port at S, up to END_AT ('-' or NUL): 1..65535, -1 after an error. */
static long port_num(struct parser *p, const yaml_node_t *n, const char *s,
		     char end_at)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || (*end && *end != end_at)) {
		err(p, n, "port '%s' is not a number; expected " PORT_EXPECT,
		    str_of(n));
		return -1;
	}
	if (errno || v < 1 || v > 65535) {
		err(p, n, "port %.*s is out of range; expected 1 to 65535",
		    (int)(end - s), s);
		return -1;
	}
	return v;
}

static bool port_range(struct parser *p, const yaml_node_t *n,
		       struct m2m_ports *r)
{
	const char *s = str_of(n), *dash = strchr(s, '-');
	long lo, hi;

	lo = port_num(p, n, s, '-');
	if (lo < 0)
		return false;
	hi = dash ? port_num(p, n, dash + 1, '\0') : lo;
	if (hi < 0)
		return false;
	if (hi < lo) {
		err(p, n, "port range '%s' is reversed; expected LOW-HIGH "
		    "with LOW <= HIGH", s);
		return false;
	}
	r->lo = lo;
	r->hi = hi;
	r->mark = mark_of(n);
	return true;
}

static void ep_ports(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;
	size_t i;

	if (!is_list(p, v, "ports", "a list of ports and port ranges"))
		return;
	if (!list_len(v)) {
		err(p, v, "'ports' is an empty list; expected at least one "
		    "port, or no 'ports' for any port");
		return;
	}
	if (e->proto == M2M_PROTO_ICMP) {
		err(p, v, "'ports' with protocol icmp; expected no ports "
		    "(icmp has none)");
		return;
	}
	e->ports = zarray(p, list_len(v), sizeof(*e->ports));
	for (i = 0; i < list_len(v); i++) {
		if (!item_scalar(p, v, i, "ports", PORT_EXPECT))
			continue;
		if (port_range(p, list_item(p, v, i), &e->ports[e->nports]))
			e->nports++;
	}
}

static void ep_purposes(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;

	purpose_set(p, v, "purposes", false, &e->purposes);
}

static void ep_jur(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;

	if (scalar(p, v, "jurisdiction", "a country code such as DE"))
		e->jurisdiction = country(p, v);
}

static const char *const basis_types[] = {
	"scc", "bcr", "code-of-conduct", "certification", "ad-hoc-clauses",
	"derogation", NULL,
};

#define BASIS_EXPECT "scc, bcr, code-of-conduct, certification, " \
		     "ad-hoc-clauses or derogation"

struct basis {
	int type;
	const char *ref;
};

static void basis_type(struct parser *p, yaml_node_t *v, void *obj)
{
	struct basis *b = obj;

	b->type = keyword(p, v, "type", basis_types, BASIS_EXPECT);
}

static void basis_ref(struct parser *p, yaml_node_t *v, void *obj)
{
	struct basis *b = obj;
	const char *s;
	size_t i;

	s = scalar(p, v, "reference", "the contract or decision it rests on");
	if (!s)
		return;
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20) {
			err(p, v, "'reference' has a control character; "
			    "expected one line of text");
			return;
		}
	}
	if (i > 255) {
		err(p, v, "'reference' is %zu bytes long; expected at most "
		    "255", i);
		return;
	}
	b->ref = s;
}

static void ep_basis(struct parser *p, yaml_node_t *v, void *obj)
{
	static const struct key keys[] = {
		{ "type", true, BASIS_EXPECT, basis_type },
		{ "reference", true, "the contract or decision it rests on",
		  basis_ref },
	};
	struct m2m_model_endpoint *e = obj;
	struct basis b = { -1, NULL };
	char *s;

	WALK(p, v, "'transfer-basis'", keys, &b);
	if (b.type < 0 || !b.ref)
		return;
	s = zalloc(p, strlen(basis_types[b.type]) + strlen(b.ref) + 3);
	sprintf(s, "%s: %s", basis_types[b.type], b.ref);
	e->basis = s;
}

static void ep_mode(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model_endpoint *e = obj;

	rule_mode(p, v, &e->mode);
}

/* Protocol before ports: ports depend on it. */
static const struct key ep_keys[] = {
	{ "name", true, "a name such as billing-eu", ep_name },
	{ "destinations", true, "a list of destination prefixes", ep_dsts },
	{ "protocol", false, "", ep_proto },
	{ "ports", false, "", ep_ports },
	{ "purposes", true, "a list of declared purposes", ep_purposes },
	{ "jurisdiction", false, "", ep_jur },
	{ "transfer-basis", false, "", ep_basis },
	{ "mode", false, "", ep_mode },
};

static void top_endpoints(struct parser *p, yaml_node_t *v, void *obj)
{
	struct m2m_model *m = p->m;
	struct m2m_model_endpoint *e;
	char what[M2M_NAME_MAX + 16];
	unsigned int errors;
	yaml_node_t *item;
	size_t i;

	(void)obj;
	if (!is_list(p, v, "endpoints", "a list of endpoints"))
		return;
	m->endpoints = zarray(p, list_len(v), sizeof(*m->endpoints));
	p->ep_broken = zarray(p, list_len(v), sizeof(*p->ep_broken));
	for (i = 0; i < list_len(v); i++) {
		item = list_item(p, v, i);
		e = &m->endpoints[m->nendpoints++];
		e->mark = mark_of(item);
		errors = p->errors;
		WALK(p, item, item_what(what, sizeof(what), "endpoint", item,
					p), ep_keys, e);
		p->ep_broken[i] = p->errors != errors;
	}
}

/* ---- checks across the policy ---- */

int m2m_prefix_cmp(const struct m2m_prefix *a, const struct m2m_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == AF_INET) {
		if (a->v4.addr != b->v4.addr)
			return a->v4.addr < b->v4.addr ? -1 : 1;
		return (a->v4.len > b->v4.len) - (a->v4.len < b->v4.len);
	}
	if (a->v6.hi != b->v6.hi)
		return a->v6.hi < b->v6.hi ? -1 : 1;
	if (a->v6.lo != b->v6.lo)
		return a->v6.lo < b->v6.lo ? -1 : 1;
	return (a->v6.len > b->v6.len) - (a->v6.len < b->v6.len);
}

/* A prefix where it was written: owner OWNER (class or endpoint index). */
struct pref {
	const struct m2m_prefix *pfx;
	size_t owner;
	size_t seq;		/* order in the file */
};

static int pref_cmp(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	int c = m2m_prefix_cmp(x->pfx, y->pfx);

	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static struct pref *class_prefs(struct parser *p, size_t *n)
{
	const struct m2m_model *m = p->m;
	struct pref *r;
	size_t i, j;

	*n = 0;
	for (i = 0; i < m->nclasses; i++)
		*n += m->classes[i].nsources;
	r = zarray(p, *n, sizeof(*r));
	*n = 0;
	for (i = 0; i < m->nclasses; i++)
		for (j = 0; j < m->classes[i].nsources; j++, (*n)++)
			r[*n] = (struct pref){ &m->classes[i].sources[j], i,
					       *n };
	qsort(r, *n, sizeof(*r), pref_cmp);
	return r;
}

static void check_sources(struct parser *p)
{
	const struct m2m_model_class *c = p->m->classes;
	struct pref *r, *a, *b;
	size_t n, i;

	r = class_prefs(p, &n);
	for (i = 1; i < n; i++) {
		a = &r[i - 1];
		b = &r[i];
		if (m2m_prefix_cmp(a->pfx, b->pfx))
			continue;
		if (a->owner == b->owner)
			err_at(p, b->pfx->mark, "source '%s' is listed twice "
			       "in class '%s' (first at %u:%u); expected "
			       "each prefix once", b->pfx->text,
			       c[b->owner].name, a->pfx->mark.line,
			       a->pfx->mark.col);
		else
			err_at(p, b->pfx->mark, "source '%s' of class '%s' "
			       "is already in class '%s' (%s:%u:%u); "
			       "expected each source prefix in one class",
			       b->pfx->text, c[b->owner].name,
			       c[a->owner].name, p->file, a->pfx->mark.line,
			       a->pfx->mark.col);
	}
}

static const char *proto_name(__u8 proto)
{
	static const char *const names[] = { "any protocol", "tcp", "udp",
					     "icmp" };

	return names[proto];
}

/*
 * Port range I of endpoint E as the datapath sees it: icmp has no ports
 * (the flow's port is 0), no 'ports' means any port, 0 included.
 */
static struct m2m_ports port_of(const struct m2m_model_endpoint *e, size_t i)
{
	if (e->proto == M2M_PROTO_ICMP)
		return (struct m2m_ports){ 0, 0, { 0, 0 } };
	if (!e->nports)
		return (struct m2m_ports){ 0, 65535, { 0, 0 } };
	return e->ports[i];
}

/* Whether endpoints A and B take a common port; *LO..*HI is one. */
static bool ports_overlap(const struct m2m_model_endpoint *a,
			  const struct m2m_model_endpoint *b, __u16 *lo,
			  __u16 *hi)
{
	size_t na = a->nports ? a->nports : 1, nb = b->nports ? b->nports : 1;
	struct m2m_ports pa, pb;
	size_t i, j;

	for (i = 0; i < na; i++) {
		pa = port_of(a, i);
		for (j = 0; j < nb; j++) {
			pb = port_of(b, j);
			if (pa.hi < pb.lo || pb.hi < pa.lo)
				continue;
			*lo = pa.lo > pb.lo ? pa.lo : pb.lo;
			*hi = pa.hi < pb.hi ? pa.hi : pb.hi;
			return true;
		}
	}
	return false;
}

/* "tcp port 443": what two endpoints both take; false if nothing. */
static bool overlap(const struct m2m_model_endpoint *a,
		    const struct m2m_model_endpoint *b, char *buf, size_t len)
{
	__u8 proto = a->proto ? a->proto : b->proto;
	const char *sep = proto ? " " : " on ";
	__u16 lo, hi;

	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	if (!ports_overlap(a, b, &lo, &hi))
		return false;
	if (proto == M2M_PROTO_ICMP || (lo == 0 && hi == 65535))
		snprintf(buf, len, "%s", proto_name(proto));
	else if (lo == hi)
		snprintf(buf, len, "%s%sport %u", proto_name(proto), sep, lo);
	else
		snprintf(buf, len, "%s%sports %u-%u", proto_name(proto), sep,
			 lo, hi);
	return true;
}

static struct pref *endpoint_prefs(struct parser *p, size_t *n)
{
	const struct m2m_model *m = p->m;
	struct pref *r;
	size_t i, j;

	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		*n += m->endpoints[i].ndsts;
	r = zarray(p, *n, sizeof(*r));
	*n = 0;
	for (i = 0; i < m->nendpoints; i++)
		for (j = 0; j < m->endpoints[i].ndsts; j++, (*n)++)
			r[*n] = (struct pref){ &m->endpoints[i].dsts[j], i,
					       *n };
	qsort(r, *n, sizeof(*r), pref_cmp);
	return r;
}

/* Endpoints A and B on the same prefix; B comes later in the file. */
static void check_pair(struct parser *p, const struct pref *a,
		       const struct pref *b)
{
	const struct m2m_model_endpoint *e = p->m->endpoints;
	char what[64];

	if (p->ep_broken[a->owner] || p->ep_broken[b->owner] ||
	    !overlap(&e[a->owner], &e[b->owner], what, sizeof(what)))
		return;
	err_at(p, b->pfx->mark, "endpoint '%s' takes %s to '%s', as does "
	       "endpoint '%s' (%s:%u:%u); expected one endpoint per "
	       "destination, protocol and port", e[b->owner].name, what,
	       b->pfx->text, e[a->owner].name, p->file, a->pfx->mark.line,
	       a->pfx->mark.col);
}

static void check_twice(struct parser *p, const struct pref *a,
			const struct pref *b)
{
	err_at(p, b->pfx->mark, "destination '%s' is listed twice in "
	       "endpoint '%s' (first at %u:%u); expected each prefix once",
	       b->pfx->text, p->m->endpoints[b->owner].name,
	       a->pfx->mark.line, a->pfx->mark.col);
}

/*
 * Each run of equal prefixes: every pair of endpoints in it. The refs
 * of one endpoint are neighbours in a run (sorted by file order); a
 * repeated one is reported once and not compared again.
 */
static void check_endpoints(struct parser *p)
{
	struct pref *r;
	size_t n, i, j, k, l;

	r = endpoint_prefs(p, &n);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !m2m_prefix_cmp(r[i].pfx, r[j].pfx);
		     j++)
			;
		for (l = i + 1; l < j; l++) {
			if (r[l].owner == r[l - 1].owner) {
				check_twice(p, &r[l - 1], &r[l]);
				continue;
			}
			for (k = i; k < l; k++)
				if (k == i || r[k].owner != r[k - 1].owner)
					check_pair(p, &r[k], &r[l]);
		}
	}
}

struct named {
	const char *name;
	struct m2m_mark mark;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	return (x->mark.col > y->mark.col) - (x->mark.col < y->mark.col);
}

/* The N names of V (a KIND each) are unique; V is sorted. */
static void check_names(struct parser *p, const char *kind, struct named *v,
			size_t n)
{
	size_t i;

	qsort(v, n, sizeof(*v), named_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(v[i - 1].name, v[i].name))
			err_at(p, v[i].mark, "duplicate %s name '%s' (first "
			       "at %u:%u); expected a unique name", kind,
			       v[i].name, v[i - 1].mark.line,
			       v[i - 1].mark.col);
}

static void check_class_names(struct parser *p)
{
	const struct m2m_model *m = p->m;
	struct named *v = zarray(p, m->nclasses, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < m->nclasses; i++)
		if (m->classes[i].name)
			v[n++] = (struct named){ m->classes[i].name,
						 m->classes[i].mark };
	check_names(p, "class", v, n);
}

static void check_endpoint_names(struct parser *p)
{
	const struct m2m_model *m = p->m;
	struct named *v = zarray(p, m->nendpoints, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < m->nendpoints; i++)
		if (m->endpoints[i].name)
			v[n++] = (struct named){ m->endpoints[i].name,
						 m->endpoints[i].mark };
	check_names(p, "endpoint", v, n);
}

/* ---- the whole policy ---- */

static const struct key top_keys[] = {
	{ "settings", false, "", top_settings },
	{ "purposes", true, "a list of purpose names", top_purposes },
	{ "zones", false, "", top_zones },
	{ "geo", false, "", top_geo },
	{ "classes", true, "a list of classes", top_classes },
	{ "endpoints", true, "a list of endpoints", top_endpoints },
};

static void defaults(struct m2m_model *m, const char *file)
{
	m->file = file;
	m->settings.mode = M2M_MODE_ENFORCE;
	m->settings.privacy = M2M_PRIVACY_PSEUDONYM;
	m->settings.event_rate = 10;
	m->settings.counter_interval = 1000;
	m->geo.format = M2M_GEO_TOR;
	m->geo.file = M2M_GEO_TOR4;
	m->geo.file6 = M2M_GEO_TOR6;
	m->geo.mark = (struct m2m_mark){ 1, 1 };
}

static void walk_policy(struct parser *p)
{
	yaml_node_t *root = yaml_document_get_root_node(&p->doc);

	if (!root) {
		err_at(p, (struct m2m_mark){ 1, 1 }, "empty policy; expected "
		       "a mapping with purposes, classes and endpoints");
		return;
	}
	WALK(p, root, "the policy", top_keys, NULL);

	check_class_names(p);
	check_endpoint_names(p);
	check_sources(p);
	check_endpoints(p);
}

static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		return NULL;
	return strndup(file, slash == file ? 1 : slash - file);
}

int m2m_model_parse(struct m2m_model *m, const char *file, const char *buf,
		    size_t len, FILE *errf)
{
	struct parser p = { .m = m, .file = file, .errf = errf };

	memset(m, 0, sizeof(*m));
	defaults(m, file);
	if (!check_text(&p, buf, len) && !load_yaml(&p, buf, len)) {
		p.dir = dir_of(file);
		walk_policy(&p);
		free(p.dir);
		yaml_document_delete(&p.doc);
	}
	flush_msgs(&p);
	if (!p.errors)
		return 0;
	m2m_model_free(m);
	return -1;
}

/* Read at most M2M_POLICY_TEXT_MAX + 1 bytes of F into *BUF. */
static int read_text(FILE *f, char **buf, size_t *len)
{
	size_t cap = 64 << 10, n;

	*len = 0;
	*buf = NULL;
	for (;;) {
		char *b = realloc(*buf, cap);

		if (!b)
			return -ENOMEM;
		*buf = b;
		n = fread(*buf + *len, 1, cap - *len, f);
		*len += n;
		if (*len < cap || *len > M2M_POLICY_TEXT_MAX)
			break;
		cap *= 2;
	}
	return ferror(f) ? -EIO : 0;
}

int m2m_model_load(struct m2m_model *m, const char *file, FILE *errf)
{
	struct stat st;
	size_t len;
	char *buf;
	FILE *f;
	int ret;

	memset(m, 0, sizeof(*m));
	f = fopen(file, "rb");
	if (!f) {
		fprintf(errf, "%s: cannot open: %s\n", file, strerror(errno));
		return -1;
	}
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > M2M_POLICY_TEXT_MAX) {
		fprintf(errf, "%s: %llu bytes is too large; expected a "
			"policy file of at most %u MiB\n", file,
			(unsigned long long)st.st_size,
			M2M_POLICY_TEXT_MAX >> 20);
		fclose(f);
		return -1;
	}
	ret = read_text(f, &buf, &len);
	fclose(f);
	if (ret) {
		fprintf(errf, "%s: cannot read: %s\n", file, strerror(-ret));
		free(buf);
		return -1;
	}
	ret = m2m_model_parse(m, file, buf, len, errf);
	free(buf);
	return ret;
}

void m2m_model_free(struct m2m_model *m)
{
	struct m2m_arena *a, *next;

	for (a = m->arena; a; a = next) {
		next = a->next;
		free(a);
	}
	memset(m, 0, sizeof(*m));
}
