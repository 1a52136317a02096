// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the kernel module: pushing a compiled policy in one
 * transaction, fetching the policy in force and its counters, settings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>

#include "kmod.h"

int kmod_push(struct m2m_nl *nl, const void *blob, uint32_t len,
	      uint64_t *generation)
{
	struct nlmsghdr *nlh;
	uint32_t txn = 0, off, n;
	int err;

	nlh = m2m_nl_msg(nl, M2M_CMD_POLICY_BEGIN, 0);
	mnl_attr_put_u32(nlh, M2M_A_POLICY_SIZE, len);
	err = m2m_nl_talk(nl, nlh, kmod_u32_cb, &(struct kmod_attr){
		M2M_A_TXN_ID, &txn });
	if (err)
		return err;

	for (off = 0; off < len; off += n) {
		n = len - off < M2M_CHUNK_MAX ? len - off : M2M_CHUNK_MAX;
		nlh = m2m_nl_msg(nl, M2M_CMD_POLICY_CHUNK, 0);
		mnl_attr_put_u32(nlh, M2M_A_TXN_ID, txn);
		mnl_attr_put_u32(nlh, M2M_A_OFFSET, off);
		mnl_attr_put(nlh, M2M_A_DATA, n, (const char *)blob + off);
		err = m2m_nl_talk(nl, nlh, NULL, NULL);
		if (err)
			return err;	/* the kernel dropped the transaction */
	}

	nlh = m2m_nl_msg(nl, M2M_CMD_POLICY_COMMIT, 0);
	mnl_attr_put_u32(nlh, M2M_A_TXN_ID, txn);
	return m2m_nl_talk(nl, nlh, kmod_u64_cb, &(struct kmod_attr){
		M2M_A_GENERATION, generation });
}

int kmod_clear(struct m2m_nl *nl)
{
	return m2m_nl_talk(nl, m2m_nl_msg(nl, M2M_CMD_POLICY_CLEAR, 0), NULL,
			   NULL);
}

int kmod_u32_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kmod_attr *want = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == want->type &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			*(uint32_t *)want->val = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

int kmod_u64_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kmod_attr *want = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == want->type &&
		    mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
			*(uint64_t *)want->val = mnl_attr_get_u64(attr);
	}
	return MNL_CB_OK;
}

/* Reassemble the blob from POLICY_GET dump messages. */
struct fetch {
	uint8_t *buf;
	uint32_t size;
	uint32_t have;
	uint64_t generation;
	int bad;
};

static int fetch_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fetch *f = data;
	const struct nlattr *tb[M2M_A_MAX + 1] = { 0 };
	struct nlattr *attr;
	uint32_t off, size, n;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) <= M2M_A_MAX)
			tb[mnl_attr_get_type(attr)] = attr;
	}
	if (!tb[M2M_A_POLICY_SIZE] || !tb[M2M_A_OFFSET] || !tb[M2M_A_DATA] ||
	    !tb[M2M_A_GENERATION]) {
		f->bad = 1;
		return MNL_CB_OK;
	}
	size = mnl_attr_get_u32(tb[M2M_A_POLICY_SIZE]);
	off = mnl_attr_get_u32(tb[M2M_A_OFFSET]);
	n = mnl_attr_get_payload_len(tb[M2M_A_DATA]);
	if (!f->buf) {
		f->buf = malloc(size);
		f->size = size;
		f->generation = mnl_attr_get_u64(tb[M2M_A_GENERATION]);
		if (!f->buf)
			return MNL_CB_ERROR;
	}
	if (size != f->size || off != f->have || n > size - off ||
	    mnl_attr_get_u64(tb[M2M_A_GENERATION]) != f->generation) {
		f->bad = 1;
		return MNL_CB_OK;
	}
	memcpy(f->buf + off, mnl_attr_get_payload(tb[M2M_A_DATA]), n);
	f->have += n;
	return MNL_CB_OK;
}

int kmod_fetch(struct m2m_nl *nl, void **blob, uint32_t *len,
	       uint64_t *generation)
{
	struct fetch f = { 0 };
	int err;

	err = m2m_nl_talk(nl, m2m_nl_msg(nl, M2M_CMD_POLICY_GET, NLM_F_DUMP),
			  fetch_cb, &f);
	if (!err && (f.bad || f.have != f.size)) {
		/* The policy changed during the dump. */
		fprintf(stderr, "Error: the policy changed while it was "
			"read; try again\n");
		err = -EAGAIN;
	}
	if (!err && !f.buf)
		err = -ENOENT;
	if (err) {
		free(f.buf);
		return err;
	}
	*blob = f.buf;
	*len = f.size;
	*generation = f.generation;
	return 0;
}

struct counters {
	struct m2m_counter_rec *recs;
	size_t n;
	size_t cap;
	uint64_t generation;
};

static int counters_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *c = data;
	struct nlattr *attr;
	size_t n;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case M2M_A_GENERATION:
			c->generation = mnl_attr_get_u64(attr);
			break;
		case M2M_A_COUNTERS:
			n = mnl_attr_get_payload_len(attr) / sizeof(*c->recs);
			if (c->n + n > c->cap) {
				c->cap = (c->n + n) * 2;
				c->recs = realloc(c->recs,
						  c->cap * sizeof(*c->recs));
				if (!c->recs)
					return MNL_CB_ERROR;
			}
			memcpy(c->recs + c->n, mnl_attr_get_payload(attr),
			       n * sizeof(*c->recs));
			c->n += n;
			break;
		}
	}
	return MNL_CB_OK;
}

int kmod_counters(struct m2m_nl *nl, struct m2m_counter_rec **recs,
		  size_t *n, uint64_t *generation)
{
	struct counters c = { 0 };
	int err;

	err = m2m_nl_talk(nl, m2m_nl_msg(nl, M2M_CMD_COUNTERS_GET,
					 NLM_F_DUMP), counters_cb, &c);
	if (err) {
		free(c.recs);
		return err;
	}
	*recs = c.recs;
	*n = c.n;
	*generation = c.generation;
	return 0;
}
