// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl monitor: drop events, counter snapshots and policy notices, one
 * line each. Text prints "TIME TYPE key=value ...", -j one JSON object
 * per line, both from the same calls. Names come from the policy in
 * force, fetched again when a notice says it changed.
 *
 * Two sources feed the same printing: the module's "events" group, and
 * for the eBPF datapath its ring buffer of drop events, with what the
 * module sends on its own read from userspace every counter interval:
 * the counters of the policy in force, and a notice when its generation
 * has changed since the last look.
 *
 * m2mctl events set: the event settings of the namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <json-c/json.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>

#include "bpf.h"
#include "kmod.h"
#include "m2mctl.h"
#include "nl.h"

struct monitor {
	bool bpf;		/* the eBPF datapath, not the module */
	struct m2m_nl ev;	/* joined to "events", nothing else */
	struct m2m_nl req;	/* requests: the policy in force */
	struct m2m_bpf_events *ring;	/* eBPF: the drop events */
	bool discard;		/* drop events from before we listened */
	uint64_t announced;	/* eBPF: generation of the last notice */
	uint64_t lost;		/* eBPF: events lost, as last seen */
	uint32_t interval;	/* eBPF: ms between snapshots */
	void *blob;		/* of the policy in force, or NULL */
	struct m2m_tables t;
	uint64_t generation;	/* of BLOB */
	unsigned long drops;	/* drop events printed */
	unsigned long max_drops;	/* 0: no limit */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- one output line ---- */

static struct {
	struct json_object *obj;	/* the line, with -j */
	struct json_object *figures;	/* "counters", also in text */
	char text[8192];
	size_t len;
} line;

static void text_add(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void text_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line.len >= sizeof(line.text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line.text + line.len, sizeof(line.text) - line.len, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		line.len += n;
}

static void line_begin(const char *type)
{
	char stamp[40], ms[8];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
	strcat(stamp, ms);

	line.len = 0;
	line.figures = NULL;
	if (opts.json) {
		line.obj = json_object_new_object();
		json_object_object_add(line.obj, "time",
				       json_object_new_string(stamp));
		json_object_object_add(line.obj, "type",
				       json_object_new_string(type));
	} else {
		text_add("%s %s", stamp, type);
	}
}

/* A string field; VAL NULL is JSON null, "-" in text. */
static void line_str(const char *key, const char *val)
{
	if (opts.json)
		json_object_object_add(line.obj, key,
				       val ? json_object_new_string(val) : NULL);
	else
		text_add(" %s=%s", key, val ? val : "-");
}

static void line_u64(const char *key, uint64_t val)
{
	if (opts.json)
		json_object_object_add(line.obj, key,
				       json_object_new_uint64(val));
	else
		text_add(" %s=%" PRIu64, key, val);
}

static void line_bool(const char *key, bool val)
{
	if (opts.json)
		json_object_object_add(line.obj, key,
				       json_object_new_boolean(val));
	else
		text_add(" %s=%s", key, val ? "yes" : "no");
}

static uint64_t figure(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_uint64(v) : 0;
}

/* Packets and bytes under KEY of "counters"; a repeated KEY adds up. */
static void line_figures(const char *key, uint64_t packets, uint64_t bytes)
{
	struct json_object *f;

	if (!line.figures)
		line.figures = json_object_new_object();
	if (!json_object_object_get_ex(line.figures, key, &f)) {
		f = json_object_new_object();
		json_object_object_add(line.figures, key, f);
	}
	json_object_object_add(f, "packets",
			       json_object_new_uint64(figure(f, "packets") +
						      packets));
	json_object_object_add(f, "bytes",
			       json_object_new_uint64(figure(f, "bytes") +
						      bytes));
}

static void line_end(void)
{
	if (opts.json) {
		if (line.figures)
			json_object_object_add(line.obj, "counters",
					       line.figures);
		puts(json_object_to_json_string_ext(line.obj,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(line.obj);
	} else {
		if (line.figures) {
			json_object_object_foreach(line.figures, key, f)
				text_add(" %s=%" PRIu64 "/%" PRIu64, key,
					 figure(f, "packets"),
					 figure(f, "bytes"));
			json_object_put(line.figures);
		}
		puts(line.text);
	}
	fflush(stdout);
}

/* ---- names ---- */

/* Fetch the policy in force for its names; none is not an error. */
static void load_policy(struct monitor *m)
{
	const char *why;
	uint32_t len;

	if (m->blob) {
		m2m_tables_close(&m->t);
		free(m->blob);
		m->blob = NULL;
	}
	m->generation = 0;
	if (m->bpf ? m2m_bpf_fetch(&m->blob, &len, &m->generation) :
		     kmod_fetch(&m->req, &m->blob, &len, &m->generation))
		return;
	if (m2m_tables_open(&m->t, m->blob, len, &why)) {
		fprintf(stderr, "m2mctl: the %s policy: %s\n",
			m->bpf ? "BPF datapath's" : "kernel's", why);
		free(m->blob);
		m->blob = NULL;
	}
}

/*
 * The tables of GENERATION, fetched anew when it is newer than ours;
 * NULL for an older one, whose names are gone.
 */
static const struct m2m_tables *tables_of(struct monitor *m,
					  uint64_t generation)
{
	if (!m->blob || generation > m->generation)
		load_policy(m);
	return m->blob && m->generation == generation ? &m->t : NULL;
}

static const char *class_name(const struct m2m_tables *t, uint32_t idx,
			      char *buf, size_t size)
{
	if (t && idx < t->nclasses)
		return m2m_tables_str(t, t->classes[idx].name);
	snprintf(buf, size, "#%" PRIu32, idx);
	return buf;
}

static const char *endpoint_name(const struct m2m_tables *t, uint32_t idx,
				 char *buf, size_t size)
{
	if (t && idx < t->nendpoints)
		return m2m_tables_str(t, t->endpoints[idx].name);
	snprintf(buf, size, "#%" PRIu32, idx);
	return buf;
}

static const char *jur_name(unsigned int jur, char *buf)
{
	if (!jur || jur > M2M_JUR_MAX)
		return "unknown";
	buf[0] = 'A' + (jur - 1) / 26;
	buf[1] = 'A' + (jur - 1) % 26;
	buf[2] = 0;
	return buf;
}

static const char *proto_name(unsigned int proto, char *buf, size_t size)
{
	static const char *const names[256] = {
		[1] = "icmp", [6] = "tcp", [17] = "udp", [33] = "dccp",
		[58] = "icmpv6", [132] = "sctp", [136] = "udplite",
	};

	if (proto < 256 && names[proto])
		return names[proto];
	snprintf(buf, size, "%u", proto);
	return buf;
}

/* The source of EV as its kind says: a pseudonym, a prefix, an address. */
static const char *src_text(const struct m2m_event *ev, char *buf,
			    size_t size)
{
	int af = ev->family == AF_INET6 ? AF_INET6 : AF_INET;
	char addr[INET6_ADDRSTRLEN] = "?";
	int i;

	if (ev->src_kind == M2M_SRC_PSEUDONYM) {
		for (i = 0; i < 8 && (size_t)i * 2 + 2 < size; i++)
			sprintf(buf + 2 * i, "%02x", ev->src[i]);
		return buf;
	}
	inet_ntop(af, ev->src, addr, sizeof(addr));
	if (ev->src_kind == M2M_SRC_TRUNCATED)
		snprintf(buf, size, "%s/%d", addr, af == AF_INET ? 24 : 48);
	else
		snprintf(buf, size, "%s", addr);
	return buf;
}

static const char *const src_kinds[] = {
	[M2M_SRC_PSEUDONYM] = "pseudonym",
	[M2M_SRC_TRUNCATED] = "truncated",
	[M2M_SRC_RAW] = "raw",
};

/* ---- the three messages ---- */

static void print_drop(struct monitor *m, const struct m2m_event *ev,
		       uint32_t suppressed)
{
	const struct m2m_tables *t = tables_of(m, ev->generation);
	char cls[16], ep[16], jur[3], proto[8], dst[INET6_ADDRSTRLEN], src[64];

	inet_ntop(ev->family == AF_INET6 ? AF_INET6 : AF_INET, ev->dst, dst,
		  sizeof(dst));

	line_begin("drop");
	line_u64("generation", ev->generation);
	line_str("reason", m2m_reason_name(ev->reason));
	line_bool("audited", ev->audited);
	line_str("class", class_name(t, ev->class_idx, cls, sizeof(cls)));
	line_str("endpoint", ev->endpoint ?
		 endpoint_name(t, ev->endpoint - 1, ep, sizeof(ep)) : NULL);
	line_str("jurisdiction", jur_name(ev->jurisdiction, jur));
	line_str("proto", proto_name(ev->proto, proto, sizeof(proto)));
	line_str("dst", dst);
	line_u64("dport", ev->dport);
	line_str("src", src_text(ev, src, sizeof(src)));
	line_str("src_kind", ev->src_kind <= M2M_SRC_RAW ?
		 src_kinds[ev->src_kind] : "unknown");
	line_u64("suppressed", suppressed);
	line_end();
}

/* The name of counter record R as "table:name[:reason[:audited]]". */
static void rec_key(const struct m2m_tables *t,
		    const struct m2m_counter_rec *r, char *buf, size_t size)
{
	uint32_t reason = r->key % (2 * __M2M_R_MAX);
	const char *audited = reason >= __M2M_R_MAX ? ":audited" : "";
	char a[16], b[4];

	switch (r->table) {
	case M2M_CT_REASON:
		snprintf(buf, size, "reason:%s%s",
			 m2m_reason_name(reason % __M2M_R_MAX), audited);
		break;
	case M2M_CT_ENDPOINT:
		snprintf(buf, size, "endpoint:%s",
			 endpoint_name(t, r->key, a, sizeof(a)));
		break;
	case M2M_CT_CLASS:
		snprintf(buf, size, "class:%s:%s%s",
			 class_name(t, r->key / (2 * __M2M_R_MAX), a,
				    sizeof(a)),
			 m2m_reason_name(reason % __M2M_R_MAX), audited);
		break;
	case M2M_CT_JURISDICTION:
		snprintf(buf, size, "country:%s", jur_name(r->key, b));
		break;
	default:
		snprintf(buf, size, "table%u:%u", r->table, r->key);
		break;
	}
}

/* The nonzero records among R[N]: the module sends no others. */
static void print_counters(struct monitor *m, uint64_t generation,
			   const struct m2m_counter_rec *r, size_t n)
{
	const struct m2m_tables *t = tables_of(m, generation);
	char key[256];
	size_t i;

	line_begin("counters");
	line_u64("generation", generation);
	for (i = 0; i < n; i++) {
		if (!r[i].packets)
			continue;
		rec_key(t, &r[i], key, sizeof(key));
		line_figures(key, r[i].packets, r[i].bytes);
	}
	line_end();
}

static void print_policy(struct monitor *m, uint64_t generation,
			 const uint8_t *hash, size_t len)
{
	char hex[65] = "";
	size_t i;

	for (i = 0; i < 32 && i < len; i++)
		sprintf(hex + 2 * i, "%02x", hash[i]);

	line_begin("policy");
	line_u64("generation", generation);
	line_str("policy_hash", hex);
	line_end();
	load_policy(m);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[M2M_A_MAX + 1] = { 0 };
	const struct nlattr *a;
	struct monitor *m = data;
	struct m2m_event ev;
	struct nlattr *attr;
	uint64_t gen = 0;

	if (nlh->nlmsg_type != m->ev.family)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*genl)) {
		if (mnl_attr_get_type(attr) <= M2M_A_MAX)
			tb[mnl_attr_get_type(attr)] = attr;
	}
	if (tb[M2M_A_GENERATION] &&
	    !mnl_attr_validate(tb[M2M_A_GENERATION], MNL_TYPE_U64))
		gen = mnl_attr_get_u64(tb[M2M_A_GENERATION]);

	switch (genl->cmd) {
	case M2M_CMD_EVENT_DROP:
		if (!tb[M2M_A_EVENT] ||
		    mnl_attr_get_payload_len(tb[M2M_A_EVENT]) != sizeof(ev))
			break;
		memcpy(&ev, mnl_attr_get_payload(tb[M2M_A_EVENT]), sizeof(ev));
		print_drop(m, &ev, tb[M2M_A_SUPPRESSED] ?
			   mnl_attr_get_u32(tb[M2M_A_SUPPRESSED]) : 0);
		if (m->max_drops && ++m->drops >= m->max_drops)
			return MNL_CB_STOP;
		break;
	case M2M_CMD_EVENT_COUNTERS:
		a = tb[M2M_A_COUNTERS];
		if (a)
			print_counters(m, gen, mnl_attr_get_payload(a),
				       mnl_attr_get_payload_len(a) /
				       sizeof(struct m2m_counter_rec));
		break;
	case M2M_CMD_EVENT_POLICY:
		a = tb[M2M_A_POLICY_HASH];
		if (a)
			print_policy(m, gen, mnl_attr_get_payload(a),
				     mnl_attr_get_payload_len(a));
		break;
	}
	return MNL_CB_OK;
}

/* ---- the loop ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Print what the module sends until the count is reached, DEADLINE or a
 * signal.
 */
static int listen_events(struct monitor *m, int64_t deadline)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(m->ev.sock),
			      .events = POLLIN };
	int timeout, ret;

	while (!stop) {
		timeout = deadline < 0 ? -1 :
			  (int)(deadline > now_ms() ? deadline - now_ms() : 0);
		if (!timeout)
			return 0;
		ret = poll(&pfd, 1, timeout);
		if (ret <= 0) {
			if (ret < 0 && errno != EINTR)
				return -errno;
			continue;
		}

		ret = mnl_socket_recvfrom(m->ev.sock, m->ev.buf, M2M_NL_BUF);
		if (ret < 0 && errno == ENOBUFS) {
			fprintf(stderr,
				"m2mctl: events lost: receive buffer full\n");
			continue;
		}
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(m->ev.buf, ret, 0, 0, event_cb, m);
		if (ret == MNL_CB_STOP)
			return 0;
	}
	return 0;
}

/* ---- the eBPF datapath ---- */

/* Read INFO, with a notice if the policy changed since the last one. */
static int bpf_look(struct monitor *m, struct m2m_bpf_info *info)
{
	int err;

	err = m2m_bpf_info(info);
	if (err)
		return err;
	if (info->has_policy && info->generation != m->announced) {
		m->announced = info->generation;
		print_policy(m, info->generation, info->hash,
			     sizeof(info->hash));
	}
	return 0;
}

static int ring_event(void *ctx, const struct m2m_bpf_event *ev)
{
	struct m2m_bpf_info info;
	struct monitor *m = ctx;

	if (m->discard)
		return 0;
	/* As from the module, the notice comes before the policy's events. */
	if (ev->ev.generation > m->announced)
		bpf_look(m, &info);
	print_drop(m, &ev->ev, ev->suppressed);
	if (m->max_drops && ++m->drops >= m->max_drops)
		return -ECANCELED;
	return 0;
}

static uint32_t interval_of(const struct m2m_bpf_info *info)
{
	return info->counter_interval < M2M_COUNTER_INTERVAL_MIN ?
	       M2M_COUNTER_INTERVAL_MIN : info->counter_interval;
}

/*
 * What the module sends on its own every counter interval: a notice if
 * the policy changed since the last look, then the counters of the one
 * in force.
 */
static int bpf_tick(struct monitor *m)
{
	const struct m2m_tables *t;
	struct m2m_counter_rec *recs;
	struct m2m_bpf_info info;
	size_t n;
	int err;

	err = bpf_look(m, &info);
	if (err)
		return err;
	m->interval = interval_of(&info);
	if (info.events_lost > m->lost)
		fprintf(stderr,
			"m2mctl: %" PRIu64 " events lost: ring buffer full\n",
			(uint64_t)(info.events_lost - m->lost));
	m->lost = info.events_lost;
	if (!info.has_policy)
		return 0;

	/* Replaced again since: its own notice comes at the next look. */
	t = tables_of(m, info.generation);
	if (!t)
		return 0;
	err = m2m_bpf_counters_of(t, info.generation, &recs, &n);
	if (err == -ESTALE || err == -ENOENT)
		return 0;
	if (err)
		return err;
	print_counters(m, info.generation, recs, n);
	free(recs);
	return 0;
}

/*
 * Print the ring buffer's drop events, and every interval what bpf_tick
 * finds, until the count is reached, DEADLINE or a signal.
 */
static int listen_bpf(struct monitor *m, int64_t deadline)
{
	int64_t now, next = now_ms() + m->interval, wait;
	int ret;

	while (!stop) {
		now = now_ms();
		if (deadline >= 0 && now >= deadline)
			return 0;
		if (now >= next) {
			ret = bpf_tick(m);
			if (ret)
				return ret;
			next = next + m->interval > now ?
			       next + m->interval : now + m->interval;
			continue;
		}

		wait = next - now;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		ret = m2m_bpf_events_poll(m->ring, wait);
		if (m->max_drops && m->drops >= m->max_drops)
			return 0;
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "m2mctl: reading the BPF events: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Open the ring buffer and empty it: like the module's group, the
 * monitor shows what happens from now on. The ring buffer has one
 * consumer position, so two monitors at once split its events between
 * them (a limitation the README states).
 */
static int open_bpf(struct monitor *m)
{
	struct m2m_bpf_info info;

	if (m2m_bpf_info(&info))
		return -1;
	m->interval = interval_of(&info);
	m->announced = info.generation;
	m->lost = info.events_lost;

	m->ring = m2m_bpf_events_open(ring_event, m);
	if (!m->ring)
		return -1;
	m->discard = true;
	m2m_bpf_events_poll(m->ring, 0);
	m->discard = false;
	return 0;
}

static int parse_count(const char *s, const char *what, double max,
		       double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < 0 || *out > max) {
		fprintf(stderr, "m2mctl: bad %s `%s'\n", what, s);
		return -1;
	}
	return 0;
}

static int parse_monitor(int argc, char **argv, double *count,
			 double *timeout)
{
	int i;

	*count = 0;
	*timeout = -1;
	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "--count")) {
			if (parse_count(argv[i + 1], "count", 1e9, count))
				return -1;
		} else if (!strcmp(argv[i], "--timeout")) {
			if (parse_count(argv[i + 1], "timeout", 1e7, timeout))
				return -1;
		} else {
			goto usage;
		}
	}
	return 0;

usage:
	fprintf(stderr,
		"m2mctl: usage: m2mctl monitor [--count N] [--timeout SEC]\n");
	return -1;
}

static int open_sockets(struct monitor *m)
{
	int rcvbuf = 1 << 20;

	if (m2m_nl_open(&m->ev))
		return -1;
	if (m2m_nl_join_events(&m->ev)) {
		m2m_nl_close(&m->ev);
		return -1;
	}
	setsockopt(mnl_socket_get_fd(m->ev.sock), SOL_SOCKET, SO_RCVBUF,
		   &rcvbuf, sizeof(rcvbuf));
	if (m2m_nl_open(&m->req)) {
		m2m_nl_close(&m->ev);
		return -1;
	}

	/* A request after joining starts the counter snapshots. */
	if (m2m_nl_talk(&m->req, m2m_nl_msg(&m->req, M2M_CMD_GET_INFO, 0),
			NULL, NULL)) {
		m2m_nl_close(&m->req);
		m2m_nl_close(&m->ev);
		return -1;
	}
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor m = { 0 };
	double count, timeout;
	int64_t deadline;
	int err;

	if (parse_monitor(argc, argv, &count, &timeout))
		return EXIT_INPUT;
	m.max_drops = count;

	m.bpf = use_bpf();
	if (m.bpf ? open_bpf(&m) : open_sockets(&m))
		return EXIT_REFUSED;
	load_policy(&m);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (opts.verbose)
		fprintf(stderr, "m2mctl: listening (policy generation %" PRIu64
			")\n", m.generation);

	deadline = timeout < 0 ? -1 : now_ms() + (int64_t)(timeout * 1000);
	if (m.bpf) {
		err = listen_bpf(&m, deadline);
	} else {
		err = listen_events(&m, deadline);
		if (err)
			fprintf(stderr, "m2mctl: receiving events: %s\n",
				strerror(-err));
	}

	if (m.blob) {
		m2m_tables_close(&m.t);
		free(m.blob);
	}
	if (m.bpf) {
		m2m_bpf_events_close(m.ring);
	} else {
		m2m_nl_close(&m.req);
		m2m_nl_close(&m.ev);
	}
	return err ? EXIT_REFUSED : EXIT_OK;
}

/* ---- events set ---- */

static int keyword(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static const char synopsis[] =
	"events set [rate N] [privacy P] [interval MS]";

/*
 * Check one "NAME VALUE" setting and put it into SET, and into NLH when
 * there is one (the module's SET request).
 */
static int put_setting(struct nlmsghdr *nlh, struct m2m_bpf_events_set *set,
		       const char *name, const char *val)
{
	static const char *const privacy[] = {
		[M2M_PRIVACY_PSEUDONYM] = "pseudonym",
		[M2M_PRIVACY_TRUNCATE] = "truncate",
		[M2M_PRIVACY_RAW] = "raw",
	};
	double n;
	int i;

	if (!strcmp(name, "rate")) {
		if (parse_count(val, "event rate", M2M_EVENT_RATE_MAX, &n))
			return -1;
		set->rate = n;
		if (nlh)
			mnl_attr_put_u32(nlh, M2M_A_EVENT_RATE, n);
	} else if (!strcmp(name, "interval")) {
		if (parse_count(val, "counter interval",
				M2M_COUNTER_INTERVAL_MAX, &n) ||
		    n < M2M_COUNTER_INTERVAL_MIN) {
			fprintf(stderr,
				"m2mctl: the counter interval is %u to %u ms\n",
				M2M_COUNTER_INTERVAL_MIN,
				M2M_COUNTER_INTERVAL_MAX);
			return -1;
		}
		set->interval = n;
		if (nlh)
			mnl_attr_put_u32(nlh, M2M_A_COUNTER_INTERVAL, n);
	} else if (!strcmp(name, "privacy")) {
		i = keyword(val, privacy, 3);
		if (i < 0) {
			fprintf(stderr, "m2mctl: unknown privacy `%s'; "
				"expected pseudonym, truncate or raw\n", val);
			return -1;
		}
		set->privacy = i;
		if (nlh)
			mnl_attr_put_u8(nlh, M2M_A_PRIVACY, i);
	} else {
		fprintf(stderr, "m2mctl: usage: m2mctl %s\n", synopsis);
		return -1;
	}
	return 0;
}

int cmd_events_set(int argc, char **argv)
{
	struct m2m_bpf_events_set set = { -1, -1, -1 };
	struct nlmsghdr *nlh;
	struct m2m_nl nl;
	int i, err;

	if (argc % 2) {
		fprintf(stderr, "m2mctl: usage: m2mctl %s\n", synopsis);
		return EXIT_INPUT;
	}
	for (i = 0; i < argc; i += 2)
		if (put_setting(NULL, &set, argv[i], argv[i + 1]))
			return EXIT_INPUT;

	if (use_bpf())
		return m2m_bpf_set_events(&set) ? EXIT_REFUSED : EXIT_OK;
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	nlh = m2m_nl_msg(&nl, M2M_CMD_SET, 0);
	for (i = 0; i < argc; i += 2)
		put_setting(nlh, &set, argv[i], argv[i + 1]);
	err = m2m_nl_talk(&nl, nlh, NULL, NULL);
	m2m_nl_close(&nl);
	return err ? EXIT_REFUSED : EXIT_OK;
}
