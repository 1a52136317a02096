// SPDX-License-Identifier: GPL-2.0
/*
 * nlclient: crafted requests to the m2mguard generic netlink family, for
 * the module's selftests. It prints the kernel's answer to the request
 * that decides the outcome as one line,
 *
 *	errno=N msg='EXTACK MESSAGE' attr_offset=N|- [miss_type=N]
 *
 * (errno 0: accepted; attr_offset counts from the start of the request's
 * netlink header), so that a shell test can compare it whole.
 *
 *	nlclient [-v] info
 *	nlclient [-v] raw CMD [--dump] [--trailing N] [ATTR:TYPE:VALUE]...
 *	nlclient [-v] begin SIZE [--hold]
 *	nlclient [-v] push FILE [--size N] [--chunk N] [--stop-after N]
 *			[--truncate] [--bad-offset] [--corrupt] [--abort]
 *			[--hold]
 *	nlclient [-v] swap COUNT FILE...
 *	nlclient [-v] listen [--hold]
 *
 * info prints GET_INFO as KEY=VALUE lines. raw sends any attributes, of
 * any type and length: CMD is a name (info, begin, chunk, commit, abort,
 * policy-get, counters-get, reset, set, clear) or a number; ATTR is a
 * name (size, txn, offset, data, mode, rate, interval, privacy, ...) or a
 * number; TYPE is u8, u16, u32, u64, str (NUL-terminated), bin (VALUE
 * zero bytes) or hex (VALUE as hex digits).
 *
 * push sends a file as a policy transaction and can break it on purpose:
 * announce another size, stop after N chunks without a commit, send one
 * byte less than announced, skip a byte between two chunks, flip a byte,
 * or abort instead of committing. swap commits the files in turn, COUNT
 * commits in all, as fast as it can. listen joins the "events" group.
 * --hold keeps the socket open afterwards until the process is killed: a
 * sender that dies in the middle.
 *
 * Exit status: 0 the kernel accepted, 1 it refused, 2 usage or local
 * error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>
#include <linux/netlink.h>

#define BUF_SIZE	(128 * 1024)

struct client {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t events_group;
	uint32_t portid;
	uint32_t seq;
	char *buf;
};

/* The kernel's answer to one request. */
struct verdict {
	int err;
	char msg[512];
	long offset;		/* -1: no attribute named */
	long miss_type;		/* -1: none */
};

static bool verbose;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nlclient: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nlclient [-v] info\n"
		"       nlclient [-v] raw CMD [--dump] [--trailing N] "
		"[ATTR:TYPE:VALUE]...\n"
		"       nlclient [-v] begin SIZE [--hold]\n"
		"       nlclient [-v] push FILE [--size N] [--chunk N] "
		"[--stop-after N]\n"
		"                [--truncate] [--bad-offset] [--corrupt] "
		"[--abort] [--hold]\n"
		"       nlclient [-v] swap COUNT FILE...\n"
		"       nlclient [-v] listen [--hold]\n");
	exit(2);
}

static unsigned long long number(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("not a number: `%s'", s);
	return v;
}

/* ---- the verdict ---- */

static void verdict_print(const struct verdict *v, const char *step)
{
	FILE *f = step ? stderr : stdout;

	if (step)
		fprintf(f, "%s: ", step);
	fprintf(f, "errno=%d msg='%s' attr_offset=", v->err, v->msg);
	if (v->offset >= 0)
		fprintf(f, "%ld", v->offset);
	else
		fprintf(f, "-");
	if (v->miss_type >= 0)
		fprintf(f, " miss_type=%ld", v->miss_type);
	fputc('\n', f);
	fflush(f);
}

/* The extended ack attributes that follow an error or a dump's end. */
static void verdict_tlvs(struct verdict *v, const struct nlmsghdr *nlh,
			 size_t off)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(attr, nlh, off) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(v->msg, sizeof(v->msg), "%s",
					 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				v->offset = mnl_attr_get_u32(attr);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				v->miss_type = mnl_attr_get_u32(attr);
			break;
		}
	}
}

static void verdict_from_error(struct verdict *v, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	v->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	verdict_tlvs(v, nlh, off);
}

static void verdict_from_done(struct verdict *v, const struct nlmsghdr *nlh)
{
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	v->err = -err;
	verdict_tlvs(v, nlh, sizeof(err));
}

/* ---- talking ---- */

static struct nlmsghdr *msg_new(struct client *cl, uint16_t type, uint8_t cmd,
				uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(cl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++cl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static struct nlmsghdr *m2m_msg(struct client *cl, uint8_t cmd)
{
	return msg_new(cl, cl->family, cmd, M2M_GENL_VERSION, 0);
}

/*
 * Send NLH and read until the kernel's ack (or a dump's end), running CB
 * on every other message. Fills V and returns V->err.
 */
static int talk(struct client *cl, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data, struct verdict *v)
{
	uint32_t seq = nlh->nlmsg_seq;
	const struct nlmsghdr *m;
	ssize_t n;
	int len;

	memset(v, 0, sizeof(*v));
	v->offset = -1;
	v->miss_type = -1;
	if (mnl_socket_sendto(cl->sock, nlh, nlh->nlmsg_len) < 0)
		die("send: %s", strerror(errno));

	for (;;) {
		n = mnl_socket_recvfrom(cl->sock, cl->buf, BUF_SIZE);
		if (n < 0)
			die("receive: %s", strerror(errno));
		len = n;
		for (m = (void *)cl->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				verdict_from_error(v, m);
				return v->err;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				/* A dump ends here: no ack follows. */
				verdict_from_done(v, m);
				return v->err;
			}
			if (verbose)
				fprintf(stderr, "reply: %u bytes\n",
					m->nlmsg_len);
			if (cb && cb(m, data) < MNL_CB_OK)
				die("bad reply");
		}
	}
}

/* Resolve the family and its "events" group. */
static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *grp, *a;
	struct client *cl = data;
	const char *name;
	uint32_t id;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			cl->family = mnl_attr_get_u16(attr);
		if (mnl_attr_get_type(attr) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(grp, attr) {
			name = NULL;
			id = 0;
			mnl_attr_for_each_nested(a, grp) {
				if (mnl_attr_get_type(a) ==
				    CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_attr_get_str(a);
				if (mnl_attr_get_type(a) ==
				    CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_attr_get_u32(a);
			}
			if (name && !strcmp(name, M2M_GENL_MCGRP_EVENTS))
				cl->events_group = id;
		}
	}
	return MNL_CB_OK;
}

static void client_open(struct client *cl)
{
	struct nlmsghdr *nlh;
	struct verdict v;
	int one = 1;

	memset(cl, 0, sizeof(*cl));
	cl->buf = malloc(BUF_SIZE);
	cl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!cl->buf || !cl->sock)
		die("netlink socket: %s", strerror(errno));
	mnl_socket_setsockopt(cl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(cl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(cl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		die("bind: %s", strerror(errno));
	cl->portid = mnl_socket_get_portid(cl->sock);
	cl->seq = getpid();

	nlh = msg_new(cl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, M2M_GENL_NAME);
	if (talk(cl, nlh, family_cb, cl, &v) || !cl->family)
		die("no generic netlink family `%s': %s", M2M_GENL_NAME,
		    strerror(v.err ? v.err : ENOENT));
}

/* Keep the socket, and whatever the kernel ties to it, until killed. */
static void hold(void)
{
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int finish(const struct verdict *v)
{
	verdict_print(v, NULL);
	return v->err ? 1 : 0;
}

/* ---- info ---- */

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;
	const uint8_t *h;
	int i;

	(void)data;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case M2M_A_VERSION:
			printf("version=%s\n", mnl_attr_get_str(attr));
			break;
		case M2M_A_GENERATION:
			printf("generation=%llu\n", (unsigned long long)
			       mnl_attr_get_u64(attr));
			break;
		case M2M_A_POLICY_HASH:
			h = mnl_attr_get_payload(attr);
			printf("hash=");
			for (i = 0; i < mnl_attr_get_payload_len(attr); i++)
				printf("%02x", h[i]);
			printf("\n");
			break;
		case M2M_A_POLICY_SIZE:
			printf("size=%u\n", mnl_attr_get_u32(attr));
			break;
		case M2M_A_MEMORY:
			printf("memory=%llu\n", (unsigned long long)
			       mnl_attr_get_u64(attr));
			break;
		case M2M_A_MODE:
			printf("mode=%u\n", mnl_attr_get_u8(attr));
			break;
		case M2M_A_TXN_ID:
			printf("txn=%u\n", mnl_attr_get_u32(attr));
			break;
		}
	}
	return MNL_CB_OK;
}

static int do_info(struct client *cl, int argc, char **argv)
{
	struct verdict v;

	(void)argv;
	if (argc)
		usage();
	if (talk(cl, m2m_msg(cl, M2M_CMD_GET_INFO), info_cb, NULL, &v))
		return finish(&v);
	return 0;
}

/* ---- raw ---- */

static const char *const cmd_names[] = {
	[M2M_CMD_GET_INFO] = "info",
	[M2M_CMD_POLICY_BEGIN] = "begin",
	[M2M_CMD_POLICY_CHUNK] = "chunk",
	[M2M_CMD_POLICY_COMMIT] = "commit",
	[M2M_CMD_POLICY_ABORT] = "abort",
	[M2M_CMD_POLICY_GET] = "policy-get",
	[M2M_CMD_COUNTERS_GET] = "counters-get",
	[M2M_CMD_COUNTERS_RESET] = "reset",
	[M2M_CMD_SET] = "set",
	[M2M_CMD_POLICY_CLEAR] = "clear",
};

static const char *const attr_names[] = {
	[M2M_A_VERSION] = "version",
	[M2M_A_GENERATION] = "generation",
	[M2M_A_POLICY_HASH] = "hash",
	[M2M_A_POLICY_SIZE] = "size",
	[M2M_A_TXN_ID] = "txn",
	[M2M_A_OFFSET] = "offset",
	[M2M_A_DATA] = "data",
	[M2M_A_MODE] = "mode",
	[M2M_A_EVENT_RATE] = "rate",
	[M2M_A_COUNTER_INTERVAL] = "interval",
	[M2M_A_PRIVACY] = "privacy",
	[M2M_A_MEMORY] = "memory",
	[M2M_A_COUNTERS] = "counters",
	[M2M_A_EVENT] = "event",
	[M2M_A_SUPPRESSED] = "suppressed",
	[M2M_A_PAD] = "pad",
};

/* NAME among NAMES, or a number below LIMIT. */
static unsigned int lookup(const char *const *names, size_t n,
			   const char *name, unsigned long long limit)
{
	unsigned long long v;
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	v = number(name);
	if (v >= limit)
		die("`%s' is out of range", name);
	return v;
}

static void put_hex(struct nlmsghdr *nlh, uint16_t type, const char *hex)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int byte;
	uint8_t *buf;

	if (strlen(hex) % 2)
		die("odd number of hex digits: `%s'", hex);
	buf = malloc(n + 1);
	if (!buf)
		die("out of memory");
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			die("not hex: `%s'", hex);
		buf[i] = byte;
	}
	mnl_attr_put(nlh, type, n, buf);
	free(buf);
}

/* Add one ATTR:TYPE:VALUE to NLH. */
static void put_spec(struct nlmsghdr *nlh, char *spec)
{
	char *type_s, *val, *zeros;
	uint16_t type;
	size_t n;

	type_s = strchr(spec, ':');
	val = type_s ? strchr(type_s + 1, ':') : NULL;
	if (!val)
		die("expected ATTR:TYPE:VALUE, not `%s'", spec);
	*type_s++ = '\0';
	*val++ = '\0';
	type = lookup(attr_names, sizeof(attr_names) / sizeof(*attr_names),
		      spec, 1 << 14);

	if (!strcmp(type_s, "u8")) {
		mnl_attr_put_u8(nlh, type, number(val));
	} else if (!strcmp(type_s, "u16")) {
		mnl_attr_put_u16(nlh, type, number(val));
	} else if (!strcmp(type_s, "u32")) {
		mnl_attr_put_u32(nlh, type, number(val));
	} else if (!strcmp(type_s, "u64")) {
		mnl_attr_put_u64(nlh, type, number(val));
	} else if (!strcmp(type_s, "str")) {
		mnl_attr_put_strz(nlh, type, val);
	} else if (!strcmp(type_s, "hex")) {
		put_hex(nlh, type, val);
	} else if (!strcmp(type_s, "bin")) {
		n = number(val);
		if (n > BUF_SIZE / 2)
			die("`%s' bytes do not fit a message", val);
		zeros = calloc(1, n + 1);
		if (!zeros)
			die("out of memory");
		mnl_attr_put(nlh, type, n, zeros);
		free(zeros);
	} else {
		die("unknown attribute type `%s'", type_s);
	}
}

static int do_raw(struct client *cl, int argc, char **argv)
{
	struct nlmsghdr *nlh;
	unsigned int cmd;
	size_t trailing = 0;
	uint16_t flags = 0;
	struct verdict v;
	int i;

	if (argc < 1)
		usage();
	cmd = lookup(cmd_names, sizeof(cmd_names) / sizeof(*cmd_names),
		     argv[0], 256);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dump"))
			flags |= NLM_F_DUMP;
		else if (!strcmp(argv[i], "--trailing") && i + 1 < argc)
			trailing = number(argv[++i]);
	}

	nlh = msg_new(cl, cl->family, cmd, M2M_GENL_VERSION, flags);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trailing"))
			i++;
		else if (strcmp(argv[i], "--dump"))
			put_spec(nlh, argv[i]);
	}
	/* Bytes too few for an attribute header: left over after parsing. */
	if (trailing) {
		if (trailing >= NLA_HDRLEN)
			die("--trailing takes 1..%d bytes", NLA_HDRLEN - 1);
		memset((char *)nlh + nlh->nlmsg_len, 0, trailing);
		nlh->nlmsg_len += trailing;
	}
	talk(cl, nlh, NULL, NULL, &v);
	return finish(&v);
}

/* ---- policy transactions ---- */

static int txn_id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == M2M_A_TXN_ID)
			*(uint32_t *)data = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int begin(struct client *cl, uint32_t size, uint32_t *txn,
		 struct verdict *v)
{
	struct nlmsghdr *nlh = m2m_msg(cl, M2M_CMD_POLICY_BEGIN);

	mnl_attr_put_u32(nlh, M2M_A_POLICY_SIZE, size);
	talk(cl, nlh, txn_id_cb, txn, v);
	if (verbose) {
		verdict_print(v, "begin");
		if (!v->err)
			fprintf(stderr, "txn=%u\n", *txn);
	}
	return v->err;
}

static int do_begin(struct client *cl, int argc, char **argv)
{
	bool keep = false;
	struct verdict v;
	uint32_t txn = 0;

	if (argc < 1 || argc > 2)
		usage();
	if (argc == 2) {
		if (strcmp(argv[1], "--hold"))
			usage();
		keep = true;
	}
	begin(cl, number(argv[0]), &txn, &v);
	verdict_print(&v, NULL);
	if (keep && !v.err)
		hold();
	return v.err ? 1 : 0;
}

static void *read_file(const char *path, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f)
		die("cannot open `%s': %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END))
		die("cannot read `%s': %s", path, strerror(errno));
	size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET))
		die("cannot read `%s': %s", path, strerror(errno));
	buf = malloc(size + 1);
	if (!buf || fread(buf, 1, size, f) != (size_t)size)
		die("cannot read `%s'", path);
	fclose(f);
	*len = size;
	return buf;
}

struct push_opts {
	long size;		/* announced; -1: the file's */
	uint32_t chunk;
	long stop_after;	/* chunks; -1: all */
	bool truncate;
	bool bad_offset;
	bool corrupt;
	bool abort;
	bool hold;
};

static void push_args(struct push_opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->size = -1;
	o->chunk = M2M_CHUNK_MAX;
	o->stop_after = -1;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			o->size = number(argv[++i]);
		else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
			o->chunk = number(argv[++i]);
		else if (!strcmp(argv[i], "--stop-after") && i + 1 < argc)
			o->stop_after = number(argv[++i]);
		else if (!strcmp(argv[i], "--truncate"))
			o->truncate = true;
		else if (!strcmp(argv[i], "--bad-offset"))
			o->bad_offset = true;
		else if (!strcmp(argv[i], "--corrupt"))
			o->corrupt = true;
		else if (!strcmp(argv[i], "--abort"))
			o->abort = true;
		else if (!strcmp(argv[i], "--hold"))
			o->hold = true;
		else
			usage();
	}
	if (!o->chunk || o->chunk > M2M_CHUNK_MAX)
		die("--chunk takes 1..%u", M2M_CHUNK_MAX);
}

static int chunk(struct client *cl, uint32_t txn, uint32_t off,
		 const void *data, uint32_t n, struct verdict *v)
{
	struct nlmsghdr *nlh = m2m_msg(cl, M2M_CMD_POLICY_CHUNK);

	mnl_attr_put_u32(nlh, M2M_A_TXN_ID, txn);
	mnl_attr_put_u32(nlh, M2M_A_OFFSET, off);
	mnl_attr_put(nlh, M2M_A_DATA, n, data);
	talk(cl, nlh, NULL, NULL, v);
	if (verbose)
		verdict_print(v, "chunk");
	return v->err;
}

static int do_push(struct client *cl, int argc, char **argv)
{
	uint32_t len, send_len, off, n, txn = 0;
	struct push_opts o;
	struct nlmsghdr *nlh;
	struct verdict v;
	uint8_t *blob;
	long sent = 0;

	if (argc < 1)
		usage();
	push_args(&o, argc - 1, argv + 1);
	blob = read_file(argv[0], &len);
	if (o.corrupt && len)
		blob[len / 2] ^= 0x5a;
	send_len = o.truncate && len ? len - 1 : len;

	if (begin(cl, o.size >= 0 ? (uint32_t)o.size : len, &txn, &v))
		goto out;

	for (off = 0; off < send_len; off += n) {
		if (o.stop_after >= 0 && sent == o.stop_after)
			break;
		n = send_len - off < o.chunk ? send_len - off : o.chunk;
		/* The second chunk starts one byte late. */
		if (chunk(cl, txn, off + (o.bad_offset && sent == 1),
			  blob + off, n, &v))
			goto out;
		sent++;
	}

	if (o.stop_after >= 0) {
		if (o.hold)
			hold();
		goto out;
	}
	nlh = m2m_msg(cl, o.abort ? M2M_CMD_POLICY_ABORT :
				    M2M_CMD_POLICY_COMMIT);
	mnl_attr_put_u32(nlh, M2M_A_TXN_ID, txn);
	talk(cl, nlh, NULL, NULL, &v);
	if (verbose)
		verdict_print(&v, o.abort ? "abort" : "commit");
	if (o.hold)
		hold();
out:
	free(blob);
	return finish(&v);
}

/* Push BLOB whole: begin, chunks, commit. */
static int push_whole(struct client *cl, const uint8_t *blob, uint32_t len,
		      struct verdict *v)
{
	uint32_t off, n, txn = 0;
	struct nlmsghdr *nlh;

	if (begin(cl, len, &txn, v))
		return v->err;
	for (off = 0; off < len; off += n) {
		n = len - off < M2M_CHUNK_MAX ? len - off : M2M_CHUNK_MAX;
		if (chunk(cl, txn, off, blob + off, n, v))
			return v->err;
	}
	nlh = m2m_msg(cl, M2M_CMD_POLICY_COMMIT);
	mnl_attr_put_u32(nlh, M2M_A_TXN_ID, txn);
	return talk(cl, nlh, NULL, NULL, v);
}

/* COUNT commits, cycling through the files; stop at the first refusal. */
static int do_swap(struct client *cl, int argc, char **argv)
{
	unsigned long count, i;
	uint32_t *lens;
	uint8_t **blobs;
	struct verdict v;
	int nfiles, f;

	if (argc < 2)
		usage();
	count = number(argv[0]);
	nfiles = argc - 1;
	blobs = calloc(nfiles, sizeof(*blobs));
	lens = calloc(nfiles, sizeof(*lens));
	if (!blobs || !lens)
		die("out of memory");
	for (f = 0; f < nfiles; f++)
		blobs[f] = read_file(argv[f + 1], &lens[f]);

	memset(&v, 0, sizeof(v));
	v.offset = -1;
	v.miss_type = -1;
	for (i = 0; i < count; i++) {
		f = i % nfiles;
		if (push_whole(cl, blobs[f], lens[f], &v)) {
			fprintf(stderr, "nlclient: commit %lu, of %s:\n", i + 1,
				argv[f + 1]);
			break;
		}
	}
	return finish(&v);
}

/* ---- listen ---- */

static int do_listen(struct client *cl, int argc, char **argv)
{
	struct verdict v = { .offset = -1, .miss_type = -1 };
	const struct nlmsghdr *m;
	const struct genlmsghdr *g;
	uint32_t group;
	ssize_t n;
	int len;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--hold")))
		usage();
	if (!cl->events_group)
		die("the family has no `%s' group", M2M_GENL_MCGRP_EVENTS);
	group = cl->events_group;
	if (mnl_socket_setsockopt(cl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		v.err = errno;
	verdict_print(&v, NULL);
	if (v.err || !argc)
		return v.err ? 1 : 0;

	/* Say what arrives until killed. */
	for (;;) {
		n = mnl_socket_recvfrom(cl->sock, cl->buf, BUF_SIZE);
		if (n < 0) {
			if (errno == ENOBUFS)
				continue;
			die("receive: %s", strerror(errno));
		}
		len = n;
		for (m = (void *)cl->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			g = mnl_nlmsg_get_payload(m);
			printf("event cmd=%u len=%u\n", g->cmd, m->nlmsg_len);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct client cl;

	argv++;
	argc--;
	if (argc && !strcmp(argv[0], "-v")) {
		verbose = true;
		argv++;
		argc--;
	}
	if (argc < 1)
		usage();

	client_open(&cl);
	if (!strcmp(argv[0], "info"))
		return do_info(&cl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "raw"))
		return do_raw(&cl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "begin"))
		return do_begin(&cl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "push"))
		return do_push(&cl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "swap"))
		return do_swap(&cl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "listen"))
		return do_listen(&cl, argc - 1, argv + 1);
	usage();
	return 2;
}
