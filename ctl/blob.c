// SPDX-License-Identifier: GPL-2.0
/*
 * Writing compiled policy blobs: the string table and the layout.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "blob.h"

/* ---- the string table ---- */

void m2m_strtab_init(struct m2m_strtab *s)
{
	memset(s, 0, sizeof(*s));
}

void m2m_strtab_free(struct m2m_strtab *s)
{
	free(s->buf);
	free(s->index);
	m2m_strtab_init(s);
}

/* FNV-1a: short strings, no adversary, only needs to spread well. */
static __u32 str_hash(const char *str)
{
	__u32 h = 2166136261U;

	while (*str) {
		h ^= (unsigned char)*str++;
		h *= 16777619U;
	}
	return h;
}

/* The slot holding STR, or the free slot where it belongs. */
static __u32 *index_slot(const struct m2m_strtab *s, const char *str)
{
	__u32 mask = s->nindex - 1;
	__u32 i = str_hash(str) & mask;

	while (s->index[i] && strcmp(s->buf + s->index[i], str))
		i = (i + 1) & mask;
	return &s->index[i];
}

/* Keep the index at most half full, so that probes stay short. */
static int index_grow(struct m2m_strtab *s)
{
	__u32 *old = s->index, nold = s->nindex, i;
	__u32 n = nold ? nold * 2 : 64;

	if ((__u64)(s->nstr + 1) * 2 <= nold)
		return 0;
	if (n < nold)
		return -E2BIG;
	s->index = calloc(n, sizeof(*s->index));
	if (!s->index) {
		s->index = old;
		return -ENOMEM;
	}
	s->nindex = n;

	for (i = 0; i < nold; i++)
		if (old[i])
			*index_slot(s, s->buf + old[i]) = old[i];
	free(old);
	return 0;
}

/* Room for N more bytes; the first byte ever stored is the "" at 0. */
static int buf_grow(struct m2m_strtab *s, size_t n)
{
	size_t need = (size_t)s->len + n + 1, cap = s->cap ? s->cap : 256;
	char *buf;

	if (need > UINT32_MAX)
		return -E2BIG;
	while (cap < need)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	if (cap == s->cap)
		return 0;

	buf = realloc(s->buf, cap);
	if (!buf)
		return -ENOMEM;
	if (!s->len)
		buf[s->len++] = '\0';
	s->buf = buf;
	s->cap = cap;
	return 0;
}

int m2m_strtab_add(struct m2m_strtab *s, const char *str, __u32 *off)
{
	size_t n = strlen(str) + 1;
	__u32 *slot;
	int err;

	*off = 0;
	if (n == 1)
		return 0;

	if (s->nindex) {
		slot = index_slot(s, str);
		if (*slot) {
			*off = *slot;
			return 0;
		}
	}

	err = buf_grow(s, n);
	if (!err)
		err = index_grow(s);
	if (err)
		return err;

	memcpy(s->buf + s->len, str, n);
	*index_slot(s, str) = s->len;
	*off = s->len;
	s->len += n;
	s->nstr++;
	return 0;
}

/* ---- the blob ---- */

/* One section as it will be written. */
struct part {
	__u32 type;
	const void *data;
	__u32 count;
	__u32 elem_size;
};

#define PART(t, d, n)	((struct part){ (t), (d), (n), sizeof(*(d)) })

static const char empty_strings[1];

/* The sections of P in type order; returns how many. */
static unsigned int parts_of(const struct m2m_blob_parts *p,
			     struct part *out)
{
	const struct m2m_strtab *s = p->strings;
	unsigned int n = 0;

	out[n++] = PART(M2M_SEC_SETTINGS, &p->settings, 1);
	out[n++] = PART(M2M_SEC_DST4, p->dst4, p->ndst4);
	out[n++] = PART(M2M_SEC_DST6, p->dst6, p->ndst6);
	out[n++] = PART(M2M_SEC_SRC4, p->src4, p->nsrc4);
	out[n++] = PART(M2M_SEC_SRC6, p->src6, p->nsrc6);
	out[n++] = PART(M2M_SEC_CLASSES, p->classes, p->nclasses);
	out[n++] = PART(M2M_SEC_GROUPS, p->groups, p->ngroups);
	out[n++] = PART(M2M_SEC_ENDPOINTS, p->endpoints, p->nendpoints);
	if (s && s->len)
		out[n++] = PART(M2M_SEC_STRINGS, s->buf, s->len);
	else
		out[n++] = PART(M2M_SEC_STRINGS, empty_strings, 1);
	if (p->geo)
		out[n++] = PART(M2M_SEC_GEO, p->geo, 1);
	return n;
}

static __u64 align8(__u64 x)
{
	return (x + 7) & ~7ULL;
}

int m2m_blob_seal(void *blob, __u32 len)
{
	struct m2m_policy_hdr *h = blob;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (len < sizeof(*h))
		return -EINVAL;

	memset(h->sha256, 0, sizeof(h->sha256));
	if (!EVP_Digest(blob, len, sum, &n, EVP_sha256(), NULL) ||
	    n != sizeof(h->sha256))
		return -ENOMEM;
	memcpy(h->sha256, sum, sizeof(h->sha256));
	return 0;
}

int m2m_blob_build(const struct m2m_blob_parts *p, void **blob, __u32 *len)
{
	struct part parts[__M2M_SEC_MAX];
	struct m2m_section *tab;
	struct m2m_policy_hdr *h;
	unsigned int n, i;
	__u64 off, size;
	__u8 *b;
	int err;

	n = parts_of(p, parts);
	off = align8(sizeof(*h) + n * sizeof(*tab));
	for (i = 0; i < n; i++)
		off = align8(off + (__u64)parts[i].count * parts[i].elem_size);
	if (off > UINT32_MAX)
		return -E2BIG;

	b = calloc(1, off);
	if (!b)
		return -ENOMEM;

	h = (void *)b;
	h->magic = M2M_POLICY_MAGIC;
	h->version = M2M_POLICY_VERSION;
	h->hdr_len = sizeof(*h);
	h->total_len = off;
	h->nsections = n;

	tab = (void *)(b + sizeof(*h));
	off = align8(sizeof(*h) + n * sizeof(*tab));
	for (i = 0; i < n; i++) {
		size = (__u64)parts[i].count * parts[i].elem_size;
		tab[i].type = parts[i].type;
		tab[i].offset = off;
		tab[i].count = parts[i].count;
		tab[i].elem_size = parts[i].elem_size;
		if (size)
			memcpy(b + off, parts[i].data, size);
		off = align8(off + size);
	}

	err = m2m_blob_seal(b, h->total_len);
	if (err) {
		free(b);
		return err;
	}
	*blob = b;
	*len = h->total_len;
	return 0;
}
