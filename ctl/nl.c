// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing for m2mctl: family resolution, requests, and
 * the kernel's extended acknowledgements printed as "Error: ...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>

#include "nl.h"

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;
	uint16_t *family = data;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			*family = mnl_attr_get_u16(attr);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *put_header(struct m2m_nl *nl, uint16_t type,
				   uint8_t cmd, uint8_t version,
				   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *m2m_nl_msg(struct m2m_nl *nl, uint8_t cmd, uint16_t flags)
{
	return put_header(nl, nl->family, cmd, M2M_GENL_VERSION, flags);
}

/* Print the extended ack of an error message, if the kernel sent one. */
static void print_extack(const struct nlmsghdr *nlh, int err)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const char *msg = NULL;
	struct nlattr *attr;
	size_t off;

	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				msg = mnl_attr_get_str(attr);
		}
	}
	if (msg)
		fprintf(stderr, "Error: %s\n", msg);
	else
		fprintf(stderr, "Error: %s\n", strerror(-err));
}

/*
 * mnl_cb_run2() hands the same data pointer to the reply callback and to
 * the error callback, so both find what they need here.
 */
struct talk {
	int quiet;
	mnl_cb_t cb;
	void *data;
};

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (!t->quiet)
		print_extack(nlh, e->error);
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int talk(struct m2m_nl *nl, struct nlmsghdr *msg, mnl_cb_t cb,
		void *data, int quiet)
{
	/* A control type without a callback here would be ignored. */
	mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct talk t = { .quiet = quiet, .cb = cb, .data = data };
	unsigned int seq = msg->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(nl->sock, msg, msg->nlmsg_len) < 0)
		return -errno;

	do {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf,
					  M2M_NL_BUF);
		if (ret < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run2(nl->buf, ret, seq, nl->portid, reply_cb, &t,
				  ctl_cb, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);

	if (ret == MNL_CB_ERROR)
		return errno ? -errno : -EPROTO;
	return 0;
}

int m2m_nl_talk(struct m2m_nl *nl, struct nlmsghdr *msg, mnl_cb_t cb,
		void *data)
{
	return talk(nl, msg, cb, data, 0);
}

int m2m_nl_open(struct m2m_nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(M2M_NL_BUF);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sock) {
		err = -errno;
		fprintf(stderr, "m2mctl: cannot open a netlink socket: %s\n",
			strerror(errno));
		goto err_free;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		fprintf(stderr, "m2mctl: cannot bind a netlink socket: %s\n",
			strerror(errno));
		goto err_free;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);

	nlh = put_header(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, M2M_GENL_NAME);
	err = talk(nl, nlh, family_cb, &nl->family, 1);
	if (err == -ENOENT) {
		fprintf(stderr, "Error: the m2mguard module is not loaded "
			"(no generic netlink family '%s')\n", M2M_GENL_NAME);
		goto err_free;
	}
	if (err || !nl->family) {
		fprintf(stderr, "Error: cannot resolve the '%s' netlink "
			"family: %s\n", M2M_GENL_NAME, strerror(-err));
		err = err ? err : -EPROTO;
		goto err_free;
	}
	return 0;

err_free:
	m2m_nl_close(nl);
	return err;
}

/* The id of the group named NAME in a CTRL_ATTR_MCAST_GROUPS reply. */
struct group {
	const char *name;
	uint32_t id;
};

static int group_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr, *grp, *a;
	struct group *g = data;
	const char *name;
	uint32_t id;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(grp, attr) {
			name = NULL;
			id = 0;
			mnl_attr_for_each_nested(a, grp) {
				if (mnl_attr_get_type(a) ==
				    CTRL_ATTR_MCAST_GRP_NAME &&
				    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
					name = mnl_attr_get_str(a);
				if (mnl_attr_get_type(a) ==
				    CTRL_ATTR_MCAST_GRP_ID &&
				    !mnl_attr_validate(a, MNL_TYPE_U32))
					id = mnl_attr_get_u32(a);
			}
			if (name && !strcmp(name, g->name))
				g->id = id;
		}
	}
	return MNL_CB_OK;
}

int m2m_nl_join_events(struct m2m_nl *nl)
{
	struct group g = { .name = M2M_GENL_MCGRP_EVENTS };
	struct nlmsghdr *nlh;
	int err;

	nlh = put_header(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, M2M_GENL_NAME);
	err = talk(nl, nlh, group_cb, &g, 0);
	if (err)
		return err;
	if (!g.id) {
		fprintf(stderr, "Error: the module has no `%s' group\n",
			M2M_GENL_MCGRP_EVENTS);
		return -ENOENT;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &g.id,
				  sizeof(g.id)) < 0) {
		err = -errno;
		fprintf(stderr, "Error: cannot join the `%s' group: %s%s\n",
			M2M_GENL_MCGRP_EVENTS, strerror(errno),
			errno == EPERM ? " (it needs CAP_NET_ADMIN)" : "");
		return err;
	}
	return 0;
}

void m2m_nl_close(struct m2m_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}
