// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl explain: what the datapath would do with one flow, and why.
 *
 * The verdict comes from m2m_classify, the code the module runs, on
 * tables opened by m2m_tables_open: either a policy file compiled in
 * memory, or the blob in force fetched from the module. Everything
 * printed besides the verdict is read back from those tables, so it is
 * what the datapath sees, not what the file says.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netinet/in.h>
#include <m2mguard/tables.h>

#include "bpf.h"
#include "compile.h"
#include "kmod.h"
#include "m2mctl.h"
#include "out.h"

#define SYNOPSIS "explain SRC DST [PROTO [PORT]] [--policy FILE]"

struct explain {
	const char *src, *dst, *proto, *port;
	const char *file;	/* NULL: the policy in force */
	struct m2m_flow flow;
	struct m2m_tables t;
	void *blob;
	uint32_t len;
	__u8 mode;		/* enum m2m_mode in force */
	uint64_t generation;
};

static int usage_error(void)
{
	fprintf(stderr, "m2mctl: usage: m2mctl " SYNOPSIS "\n");
	return EXIT_INPUT;
}

static int parse_args(struct explain *x, int argc, char **argv)
{
	const char **pos[] = { &x->src, &x->dst, &x->proto, &x->port };
	unsigned int npos = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < argc && !x->file)
			x->file = argv[++i];
		else if (!strncmp(argv[i], "--policy=", 9) && !x->file)
			x->file = argv[i] + 9;
		else if (argv[i][0] == '-' || npos == 4)
			return -1;
		else
			*pos[npos++] = argv[i];
	}
	return npos >= 2 ? 0 : -1;
}

/* ---- the flow ---- */

static int parse_addr(const char *text, const char *what, int *family,
		      __u32 *v4, __u64 *hi, __u64 *lo)
{
	unsigned char b[16];
	__u64 h, l;
	__u32 a;

	if (inet_pton(AF_INET, text, b) == 1) {
		memcpy(&a, b, sizeof(a));
		*family = AF_INET;
		*v4 = ntohl(a);
		return 0;
	}
	if (inet_pton(AF_INET6, text, b) == 1) {
		memcpy(&h, b, sizeof(h));
		memcpy(&l, b + 8, sizeof(l));
		*family = AF_INET6;
		*hi = be64toh(h);
		*lo = be64toh(l);
		return 0;
	}
	fprintf(stderr, "m2mctl: bad %s address `%s'; expected an IPv4 or "
		"IPv6 address\n", what, text);
	return -1;
}

static int parse_proto(struct explain *x)
{
	struct m2m_flow *f = &x->flow;
	char *end;
	long n;

	if (!x->proto || !strcmp(x->proto, "tcp"))
		f->proto = IPPROTO_TCP;
	else if (!strcmp(x->proto, "udp"))
		f->proto = IPPROTO_UDP;
	else if (!strcmp(x->proto, "icmp") || !strcmp(x->proto, "icmpv6"))
		f->proto = f->family == AF_INET6 ? IPPROTO_ICMPV6
						 : IPPROTO_ICMP;
	else if ((n = strtol(x->proto, &end, 10)) >= 0 && n <= 255 &&
		 !*end && end != x->proto)
		f->proto = n;
	else {
		fprintf(stderr, "m2mctl: unknown protocol `%s'; expected "
			"tcp, udp, icmp or a number 0-255\n", x->proto);
		return -1;
	}
	return 0;
}

static int parse_port(struct explain *x)
{
	char *end;
	long n;

	if (!x->port)
		return 0;
	n = strtol(x->port, &end, 10);
	if (*end || end == x->port || n < 0 || n > 65535) {
		fprintf(stderr, "m2mctl: bad port `%s'; expected 0-65535\n",
			x->port);
		return -1;
	}
	x->flow.dport = n;
	return 0;
}

static int parse_flow(struct explain *x)
{
	struct m2m_flow *f = &x->flow;
	int sfam, dfam;

	if (parse_addr(x->src, "source", &sfam, &f->src4, &f->src6_hi,
		       &f->src6_lo) ||
	    parse_addr(x->dst, "destination", &dfam, &f->dst4, &f->dst6_hi,
		       &f->dst6_lo))
		return -1;
	if (sfam != dfam) {
		fprintf(stderr, "m2mctl: `%s' and `%s' are of different "
			"families; expected two IPv4 or two IPv6 addresses\n",
			x->src, x->dst);
		return -1;
	}
	f->family = sfam;
	return parse_proto(x) || parse_port(x);
}

/* ---- the policy ---- */

static int mode_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == M2M_A_MODE &&
		    mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
			*(__u8 *)data = mnl_attr_get_u8(attr);
	}
	return MNL_CB_OK;
}

/* The eBPF datapath's policy in force and mode. */
static int bpf_live(struct explain *x)
{
	struct m2m_bpf_info info;
	int err;

	err = m2m_bpf_info(&info);
	x->mode = info.mode;
	return err ?: m2m_bpf_fetch(&x->blob, &x->len, &x->generation);
}

/* The policy in force and the namespace's mode. */
static int open_live(struct explain *x)
{
	struct m2m_nl nl;
	const char *why;
	int err;

	if (use_bpf()) {
		err = bpf_live(x);
	} else {
		if (m2m_nl_open(&nl))
			return EXIT_REFUSED;
		err = m2m_nl_talk(&nl, m2m_nl_msg(&nl, M2M_CMD_GET_INFO, 0),
				  mode_cb, &x->mode);
		if (!err)
			err = kmod_fetch(&nl, &x->blob, &x->len,
					 &x->generation);
		m2m_nl_close(&nl);
	}
	if (err == -ENOENT)
		fprintf(stderr, "m2mctl: no policy is loaded; expected one, "
			"or --policy FILE\n");
	if (err)
		return EXIT_REFUSED;
	if (m2m_tables_open(&x->t, x->blob, x->len, &why)) {
		fprintf(stderr, "m2mctl: the kernel's policy: %s\n", why);
		free(x->blob);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static int open_policy(struct explain *x)
{
	if (!x->file)
		return open_live(x);
	if (m2m_compile_open(x->file, stderr, &x->blob, &x->len, &x->t))
		return EXIT_INPUT;
	x->mode = x->t.settings->mode;
	return EXIT_OK;
}

/* ---- the answer ---- */

static const char *proto_name(__u8 proto)
{
	static char buf[8];

	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	}
	snprintf(buf, sizeof(buf), "%u", proto);
	return buf;
}

static void show_flow(const struct explain *x)
{
	char buf[160], gen[32];

	snprintf(buf, sizeof(buf), "%s %s -> %s port %u",
		 proto_name(x->flow.proto), x->src, x->dst, x->flow.dport);
	out_str("flow", "flow", buf);
	snprintf(gen, sizeof(gen), "in force, generation %llu",
		 (unsigned long long)x->generation);
	out_str("policy", "policy", x->file ? x->file : gen);
}

/* Where a rule was written: FILE:LINE, or line LINE for the live one. */
static void show_line(const struct explain *x, __u32 line)
{
	char buf[4096];

	if (x->file)
		snprintf(buf, sizeof(buf), "%s:%u", x->file, line);
	else
		snprintf(buf, sizeof(buf), "line %u", line);
	out_str("defined", "defined at", buf);
}

static void show_class(const struct explain *x, const struct m2m_verdict *v)
{
	const struct m2m_class *c;

	if (!v->class_id) {
		out_str("class", "class", NULL);
		return;
	}
	c = &x->t.classes[v->class_id - 1];
	out_object("class", "class");
	out_str("name", "name", m2m_tables_str(&x->t, c->name));
	show_line(x, c->line);
	out_object_end();
}

static void show_endpoint(const struct explain *x,
			  const struct m2m_verdict *v)
{
	const struct m2m_endpoint *e;

	if (!v->endpoint_id) {
		out_str("endpoint", "endpoint", NULL);
		return;
	}
	e = &x->t.endpoints[v->endpoint_id - 1];
	out_object("endpoint", "endpoint");
	out_str("name", "name", m2m_tables_str(&x->t, e->name));
	show_line(x, e->line);
	if (e->flags & M2M_EP_BASIS)
		out_str("basis", "transfer basis",
			m2m_tables_str(&x->t, e->basis));
	out_object_end();
}

static void show_jurisdiction(const struct explain *x,
			      const struct m2m_verdict *v)
{
	char code[3] = "??";
	const char *geo = "none";

	if (v->jurisdiction) {
		code[0] = 'A' + (v->jurisdiction - 1) / 26;
		code[1] = 'A' + (v->jurisdiction - 1) % 26;
	}
	if (x->t.geo)
		geo = m2m_tables_str(&x->t, x->t.geo->name);

	out_object("jurisdiction", "jurisdiction");
	out_str("code", "code", v->jurisdiction ? code : "unknown");
	if (v->jur_source == M2M_JUR_PINNED) {
		out_str("source", "source", "pinned by the endpoint");
	} else {
		out_str("source", "source", "geo");
		out_str("geo", "geo database", geo);
	}
	out_object_end();
}

/* The mode that decides, and the level that set it. */
static void show_mode(const struct explain *x, const struct m2m_verdict *v)
{
	const struct m2m_endpoint *e = NULL;
	const struct m2m_class *c;
	const char *from = x->file ? "settings" : "namespace";
	bool audit = x->mode == M2M_MODE_AUDIT;

	if (!v->class_id)
		return;
	c = &x->t.classes[v->class_id - 1];
	if (v->endpoint_id)
		e = &x->t.endpoints[v->endpoint_id - 1];
	if (e && e->mode != M2M_RULE_INHERIT) {
		audit = e->mode == M2M_RULE_AUDIT;
		from = "endpoint";
	} else if (c->mode != M2M_RULE_INHERIT) {
		audit = c->mode == M2M_RULE_AUDIT;
		from = "class";
	}
	out_object("mode", "mode");
	out_str("mode", "mode", audit ? "audit" : "enforce");
	out_str("from", "set by", from);
	out_object_end();
}

static void show(const struct explain *x, const struct m2m_verdict *v)
{
	out_begin();
	show_flow(x);
	out_str("verdict", "verdict",
		v->drop ? "drop" : v->audited ? "audit" : "pass");
	out_str("reason", "reason", m2m_reason_name(v->reason));
	show_class(x, v);
	show_endpoint(x, v);
	show_jurisdiction(x, v);
	show_mode(x, v);
	out_end();
}

int cmd_explain(int argc, char **argv)
{
	struct explain x = { 0 };
	struct m2m_verdict v;
	int ret;

	if (parse_args(&x, argc, argv))
		return usage_error();
	if (parse_flow(&x))
		return EXIT_INPUT;
	ret = open_policy(&x);
	if (ret)
		return ret;

	m2m_classify(&x.t, &x.flow, x.mode, &v);
	show(&x, &v);

	m2m_tables_close(&x.t);
	free(x.blob);
	return EXIT_OK;
}
