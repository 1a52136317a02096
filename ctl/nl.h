/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl's side of the m2mguard generic netlink family, over libmnl.
 */
#ifndef M2MCTL_NL_H
#define M2MCTL_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* Room for a full policy chunk, and for the largest dump message. */
#define M2M_NL_BUF	(128 * 1024)

struct m2m_nl {
	struct mnl_socket *sock;
	uint16_t family;
	unsigned int portid;
	unsigned int seq;
	char *buf;		/* M2M_NL_BUF bytes */
};

/*
 * Open a socket and resolve the family. Returns 0, or a negative errno
 * after printing why on stderr (-ENOENT: the module is not loaded).
 */
int m2m_nl_open(struct m2m_nl *nl);
void m2m_nl_close(struct m2m_nl *nl);

/* Start a request message for CMD in nl->buf. */
struct nlmsghdr *m2m_nl_msg(struct m2m_nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Send MSG and run CB on every reply message until the kernel
 * acknowledges. A refusal is printed as "Error: <extack message>" and
 * returned as a negative errno.
 */
int m2m_nl_talk(struct m2m_nl *nl, struct nlmsghdr *msg, mnl_cb_t cb,
		void *data);

/*
 * Join the family's "events" multicast group. Returns 0, or a negative
 * errno after printing why (-EPERM: it needs CAP_NET_ADMIN). Keep such a
 * socket for the events: requests on it would see them as replies.
 */
int m2m_nl_join_events(struct m2m_nl *nl);

#endif /* M2MCTL_NL_H */
