// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF datapath attached for real, with m2mctl's own loader, in a
 * topology the test builds in its network namespace and a peer one:
 *
 *   this namespace                          m2m-peer-PID
 *   m2m0 10.10.0.2/24  fd00:10::2/64 ------ m2m1 10.10.0.1/24 fd00:10::1/64
 *        10.99.0.2/24  fd00:99::2/64 (unscoped sources)
 *   tc egress (clsact): the datapath        endpoints, UDP port 5000:
 *                                            192.0.2.1  2001:db8:1::1  DE
 *   class "meters": 10.10.0.0/24,            192.0.2.2  2001:db8:1::2  US
 *   fd00:10::/64, consent billing,           192.0.2.3  2001:db8:1::3  US+SCC
 *   zone EEA                                 192.0.2.4  2001:db8:1::4  DE,
 *                                                        analytics only
 *                                            192.0.2.5  2001:db8:1::5  none
 *
 * Pins go to a BPF file system of the test's own mount namespace. Every
 * check counts exactly: packets sent, delivered, and counted by reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "../../ctl/bpf.h"
#include "../../ctl/compile.h"

#define PORT		5000
#define PAYLOAD		32
#define NDST		5
/*
 * Policy swaps under traffic: M2M_SWAPS of them (default SWAPS). Each
 * swap loads a verdict program, so on a 2-core machine one takes about
 * 0.3 s while the flood runs; the timeout allows 1 s each.
 */
#define SWAPS		100
#define SWAPS_MAX	5000

/* The destinations, in the order of the picture above. */
static const char *const dst4[NDST] = {
	"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5",
};
static const char *const dst6[NDST] = {
	"2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:1::4",
	"2001:db8:1::5",
};
static const __u8 reasons[NDST] = {
	M2M_R_ALLOW, M2M_R_RESIDENCY, M2M_R_ALLOW_BASIS, M2M_R_NO_CONSENT,
	M2M_R_NOT_ALLOWLISTED,
};

static const char policy_yaml[] =
	"settings: { events: { rate: 100, privacy: raw } }\n"
	"purposes: [billing, analytics]\n"
	"geo: { format: none }\n"
	"classes:\n"
	"  - name: meters\n"
	"    sources: [10.10.0.0/24, \"fd00:10::/64\"]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	"endpoints:\n"
	"  - name: billing\n"
	"    destinations: [192.0.2.1, \"2001:db8:1::1\"]\n"
	"    protocol: udp\n    ports: [5000]\n    purposes: [billing]\n"
	"    jurisdiction: DE\n"
	"  - name: us\n"
	"    destinations: [192.0.2.2, \"2001:db8:1::2\"]\n"
	"    protocol: udp\n    ports: [5000]\n    purposes: [billing]\n"
	"    jurisdiction: US\n"
	"  - name: us-scc\n"
	"    destinations: [192.0.2.3, \"2001:db8:1::3\"]\n"
	"    protocol: udp\n    ports: [5000]\n    purposes: [billing]\n"
	"    jurisdiction: US\n"
	"    transfer-basis: { type: scc, reference: \"contract 1\" }\n"
	"  - name: analytics\n"
	"    destinations: [192.0.2.4, \"2001:db8:1::4\"]\n"
	"    protocol: udp\n    ports: [5000]\n    purposes: [analytics]\n"
	"    jurisdiction: DE\n";

/* ---- the topology ---- */

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "# failed (%d): %s\n", rc, cmd);
	return rc;
}

/*
 * A network namespace of this test's own, and a BPF file system where
 * M2M_BPF_DIR lies.
 */
static int private_namespaces(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

static int topology(const char *peer)
{
	int i, err;

	err = sh("ip link set lo up && ip netns add %s && "
		 "ip link add m2m0 type veth peer name m2m1 && "
		 "ip link set m2m1 netns %s", peer, peer);
	err = err ?: sh("ip addr add 10.10.0.2/24 dev m2m0 && "
			"ip addr add 10.99.0.2/24 dev m2m0 && "
			"ip addr add fd00:10::2/64 dev m2m0 nodad && "
			"ip addr add fd00:99::2/64 dev m2m0 nodad && "
			"ip link set m2m0 up && "
			"ip route add 192.0.2.0/24 via 10.10.0.1 && "
			"ip route add 2001:db8:1::/64 via fd00:10::1");
	err = err ?: sh("ip -n %s link set lo up && "
			"ip -n %s addr add 10.10.0.1/24 dev m2m1 && "
			"ip -n %s addr add 10.99.0.1/24 dev m2m1 && "
			"ip -n %s addr add fd00:10::1/64 dev m2m1 nodad && "
			"ip -n %s addr add fd00:99::1/64 dev m2m1 nodad && "
			"ip -n %s link set m2m1 up", peer, peer, peer, peer,
			peer, peer);
	for (i = 0; i < NDST && !err; i++)
		err = sh("ip -n %s addr add %s/32 dev lo && "
			 "ip -n %s addr add %s/128 dev lo nodad", peer,
			 dst4[i], peer, dst6[i]);
	return err;
}

/* ---- sockets ---- */

static socklen_t sockaddr(const char *addr, int port,
			  struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	inet_pton(AF_INET6, addr, &a6->sin6_addr);
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	return sizeof(*a6);
}

/* A UDP socket bound to ADDR:PORT, in network namespace NETNS if >= 0. */
static int udp_socket(int netns, const char *addr, int port)
{
	int self = open("/proc/self/ns/net", O_RDONLY), fd, size = 8 << 20;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr(addr, port, &ss);

	if (netns >= 0 && setns(netns, CLONE_NEWNET))
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		fd = -1;
	}
	if (netns >= 0)
		setns(self, CLONE_NEWNET);
	close(self);
	return fd;
}

/* Send N datagrams from socket FD to DST:PORT. */
static void send_n(int fd, const char *dst, int n)
{
	char payload[PAYLOAD] = "m2mguard";
	struct sockaddr_storage ss;
	socklen_t len = sockaddr(dst, PORT, &ss);

	while (n-- > 0)
		sendto(fd, payload, sizeof(payload), 0,
		       (struct sockaddr *)&ss, len);
}

/* Datagrams waiting on FD. */
static int drain(int fd)
{
	char buf[256];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Datagrams arriving on FD until WANT came or 2 s (0.3 s for 0) passed. */
static int receive(int fd, int want)
{
	double deadline = now() + (want ? 2 : 0.3);
	int n = 0;

	do {
		n += drain(fd);
		if (n >= want && want)
			break;
		usleep(2000);
	} while (now() < deadline);
	return n + drain(fd);
}

/* ---- the datapath ---- */

static int load_policy(const char *yaml)
{
	char path[] = "/tmp/m2m-attach-XXXXXX";
	int fd = mkstemp(path), err;
	uint64_t generation;
	uint32_t len;
	void *blob;

	if (fd < 0 || write(fd, yaml, strlen(yaml)) != (ssize_t)strlen(yaml))
		return -1;
	close(fd);
	err = m2m_compile_file(path, stderr, &blob, &len, NULL);
	unlink(path);
	if (err)
		return -1;
	err = m2m_bpf_push(blob, len, &generation);
	free(blob);
	return err;
}

/* Packets and bytes counted under reason key KEY. */
static int counted(__u32 key, struct m2m_counter_rec *out)
{
	struct m2m_counter_rec *recs;
	uint64_t generation;
	uint32_t len;
	void *blob;
	size_t n;
	int err;

	err = m2m_bpf_counters(&blob, &len, &recs, &n, &generation);
	if (err)
		return err;
	*out = recs[key];
	free(recs);
	free(blob);
	return 0;
}

static __u32 key_of(__u8 reason, bool audited)
{
	return reason + (audited ? __M2M_R_MAX : 0);
}

FIXTURE(topo) {
	char peer[32];
	int peer_fd;
	int rx4[NDST], rx6[NDST];
	int tx4, tx6, tx4_unscoped, tx6_unscoped;
};

FIXTURE_SETUP(topo)
{
	char path[64];
	int i;

	snprintf(self->peer, sizeof(self->peer), "m2m-peer-%d", getpid());
	ASSERT_EQ(0, private_namespaces());
	i = topology(self->peer);
	if (i)
		sh("ip netns del %s 2>/dev/null", self->peer);
	ASSERT_EQ(0, i);
	snprintf(path, sizeof(path), "/run/netns/%s", self->peer);
	self->peer_fd = open(path, O_RDONLY);
	ASSERT_LE(0, self->peer_fd);

	for (i = 0; i < NDST; i++) {
		self->rx4[i] = udp_socket(self->peer_fd, dst4[i], PORT);
		self->rx6[i] = udp_socket(self->peer_fd, dst6[i], PORT);
		ASSERT_LE(0, self->rx4[i]);
		ASSERT_LE(0, self->rx6[i]);
	}
	self->tx4 = udp_socket(-1, "10.10.0.2", 0);
	self->tx6 = udp_socket(-1, "fd00:10::2", 0);
	self->tx4_unscoped = udp_socket(-1, "10.99.0.2", 0);
	self->tx6_unscoped = udp_socket(-1, "fd00:99::2", 0);
	ASSERT_LE(0, self->tx4);
	ASSERT_LE(0, self->tx6);
	ASSERT_LE(0, self->tx4_unscoped);
	ASSERT_LE(0, self->tx6_unscoped);
	m2m_bpf_verbose(false);
}

FIXTURE_TEARDOWN(topo)
{
	sh("ip netns del %s", self->peer);
}

/*
 * From the class's addresses, N datagrams to each destination: each
 * arrives if its verdict allows it (or AUDIT), and is counted under its
 * reason, audited when it passed only because of audit mode.
 */
static void check_verdicts(struct __test_metadata *_metadata,
			   FIXTURE_DATA(topo) *self, bool audit)
{
	struct m2m_counter_rec before[2 * __M2M_R_MAX], r;
	__u32 sizes[2] = { 20 + 8 + PAYLOAD, 40 + 8 + PAYLOAD };
	bool pass, audited;
	int i, fam, n = 3;
	__u32 key;

	for (i = 0; i < 2 * __M2M_R_MAX; i++)
		ASSERT_EQ(0, counted(i, &before[i]));

	for (i = 0; i < NDST; i++) {
		pass = reasons[i] == M2M_R_ALLOW ||
		       reasons[i] == M2M_R_ALLOW_BASIS;
		audited = !pass && audit;
		key = key_of(reasons[i], audited);
		for (fam = 0; fam < 2; fam++) {
			send_n(fam ? self->tx6 : self->tx4,
			       fam ? dst6[i] : dst4[i], n);
			EXPECT_EQ(pass || audit ? n : 0,
				  receive(fam ? self->rx6[i] : self->rx4[i],
					  pass || audit ? n : 0)) {
				TH_LOG("to %s", fam ? dst6[i] : dst4[i]);
			}
			ASSERT_EQ(0, counted(key, &r));
			EXPECT_EQ(before[key].packets + n, r.packets) {
				TH_LOG("%s: reason %s", fam ? dst6[i] : dst4[i],
				       m2m_reason_name(reasons[i]));
			}
			EXPECT_EQ(before[key].bytes + n * sizes[fam], r.bytes);
			before[key] = r;
		}
	}

	/* Unscoped sources pass, whatever they reach. */
	key = key_of(M2M_R_UNSCOPED, false);
	send_n(self->tx4_unscoped, dst4[4], n);
	send_n(self->tx6_unscoped, dst6[4], n);
	EXPECT_EQ(n, receive(self->rx4[4], n));
	EXPECT_EQ(n, receive(self->rx6[4], n));
	ASSERT_EQ(0, counted(key, &r));
	EXPECT_EQ(before[key].packets + 2 * n, r.packets);
	EXPECT_EQ(before[key].bytes + n * (sizes[0] + sizes[1]), r.bytes);
}

/* Drop events by reason, and whether each showed the raw source. */
struct seen {
	int reasons[__M2M_R_MAX];
	int raw;
};

static int on_event(void *ctx, const struct m2m_bpf_event *e)
{
	static const __u8 src4[4] = { 10, 10, 0, 2 };
	struct seen *s = ctx;

	if (e->ev.reason < __M2M_R_MAX)
		s->reasons[e->ev.reason]++;
	s->raw += e->ev.src_kind == M2M_SRC_RAW &&
		  (e->ev.family == AF_INET6 ? e->ev.src[15] == 2 :
		   !memcmp(e->ev.src, src4, 4));
	return 0;
}

TEST_F(topo, verdicts)
{
	struct m2m_bpf_events *ev;
	struct seen seen = { 0 };

	ASSERT_EQ(0, load_policy(policy_yaml));
	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ev = m2m_bpf_events_open(on_event, &seen);
	ASSERT_NE(NULL, ev);
	check_verdicts(_metadata, self, false);

	/* One event a flow: each drop reason, both families. */
	EXPECT_EQ(6, m2m_bpf_events_poll(ev, 100));
	EXPECT_EQ(2, seen.reasons[M2M_R_RESIDENCY]);
	EXPECT_EQ(2, seen.reasons[M2M_R_NO_CONSENT]);
	EXPECT_EQ(2, seen.reasons[M2M_R_NOT_ALLOWLISTED]);
	EXPECT_EQ(6, seen.raw);
	m2m_bpf_events_close(ev);
}

TEST_F(topo, audit_mode)
{
	ASSERT_EQ(0, load_policy(policy_yaml));
	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ASSERT_EQ(0, m2m_bpf_set_mode(M2M_MODE_AUDIT));
	check_verdicts(_metadata, self, true);
	ASSERT_EQ(0, m2m_bpf_set_mode(M2M_MODE_ENFORCE));
	check_verdicts(_metadata, self, false);
}

/* Attached with no policy: everything passes, as with the module. */
TEST_F(topo, no_policy_passes)
{
	struct m2m_bpf_info info;

	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ASSERT_EQ(0, m2m_bpf_info(&info));
	EXPECT_FALSE(info.has_policy);
	send_n(self->tx4, dst4[1], 3);
	EXPECT_EQ(3, receive(self->rx4[1], 3));
}

/* Detached, the datapath sees nothing; attached again, it counts. */
TEST_F(topo, detach)
{
	struct m2m_counter_rec r;
	__u32 key = key_of(M2M_R_RESIDENCY, false);

	ASSERT_EQ(0, load_policy(policy_yaml));
	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ASSERT_EQ(0, m2m_bpf_detach_dev("m2m0"));
	send_n(self->tx4, dst4[1], 3);
	EXPECT_EQ(3, receive(self->rx4[1], 3));
	ASSERT_EQ(0, counted(key, &r));
	EXPECT_EQ(0, r.packets);

	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ASSERT_EQ(0, m2m_bpf_detach_all());
	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	send_n(self->tx4, dst4[1], 3);
	EXPECT_EQ(0, receive(self->rx4[1], 0));
	ASSERT_EQ(0, counted(key, &r));
	EXPECT_EQ(3, r.packets);
}

/* The cgroup program, for sockets of a cgroup (no tc program here). */
TEST_F(topo, cgroup)
{
	char cg[256], procs[300];
	struct m2m_counter_rec r;
	const char *root;
	pid_t pid;
	int status, fd;

	root = access("/sys/fs/cgroup/unified", F_OK) ?
	       "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	snprintf(cg, sizeof(cg), "%s/m2m-test-%d", root, getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	ASSERT_EQ(0, load_policy(policy_yaml));
	ASSERT_EQ(0, m2m_bpf_attach_cgroup(cg));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(1);
		fd = udp_socket(-1, "10.10.0.2", 0);
		send_n(fd, dst4[0], 2);
		send_n(fd, dst4[1], 3);
		fd = udp_socket(-1, "fd00:10::2", 0);
		send_n(fd, dst6[1], 3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	EXPECT_EQ(2, receive(self->rx4[0], 2));
	EXPECT_EQ(0, receive(self->rx4[1], 0));
	EXPECT_EQ(0, receive(self->rx6[1], 0));
	ASSERT_EQ(0, counted(key_of(M2M_R_ALLOW, false), &r));
	EXPECT_EQ(2, r.packets);
	ASSERT_EQ(0, counted(key_of(M2M_R_RESIDENCY, false), &r));
	EXPECT_EQ(6, r.packets);

	/* Not from this process, which is in no such cgroup. */
	send_n(self->tx4, dst4[1], 1);
	EXPECT_EQ(1, receive(self->rx4[1], 1));

	EXPECT_EQ(0, m2m_bpf_detach_cgroup(cg));
	EXPECT_EQ(0, rmdir(cg));
}

/* ---- a policy swap under traffic ---- */

/*
 * Two policies that disagree on both flows: under A, the flow to
 * 192.0.2.1 passes and the one to 192.0.2.2 breaks residency; under B
 * the other way round (the same for IPv6).
 */
static const char *swap_yaml(bool b)
{
	static char yaml[2][1024];

	snprintf(yaml[b], sizeof(yaml[b]),
		 "purposes: [billing]\n"
		 "geo: { format: none }\n"
		 "classes:\n"
		 "  - name: meters\n"
		 "    sources: [10.10.0.0/24, \"fd00:10::/64\"]\n"
		 "    consent: [billing]\n"
		 "    zone: eea\n"
		 "endpoints:\n"
		 "  - name: one\n"
		 "    destinations: [192.0.2.1, \"2001:db8:1::1\"]\n"
		 "    protocol: udp\n    ports: [5000]\n"
		 "    purposes: [billing]\n    jurisdiction: %s\n"
		 "  - name: two\n"
		 "    destinations: [192.0.2.2, \"2001:db8:1::2\"]\n"
		 "    protocol: udp\n    ports: [5000]\n"
		 "    purposes: [billing]\n    jurisdiction: %s\n",
		 b ? "US" : "DE", b ? "DE" : "US");
	return yaml[b];
}

struct traffic {
	int tx4, tx6;
	atomic_bool stop;
	unsigned long sent[2];		/* to destination one, two */
};

/* Send to both destinations, both families, until told to stop. */
static void *sender(void *arg)
{
	struct traffic *t = arg;
	struct timespec pause = { 0, 20000 };
	int i;

	while (!atomic_load(&t->stop)) {
		for (i = 0; i < 2; i++) {
			send_n(t->tx4, dst4[i], 1);
			send_n(t->tx6, dst6[i], 1);
			t->sent[i] += 2;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* What one policy instance counted, read after it was swapped out. */
struct gen {
	int counters;		/* its map, kept open */
	bool b;			/* policy B */
	__u32 ep_one, ep_two;	/* endpoint index of each destination */
	__u32 nendpoints;
};

/* Open the counters of the instance in force, as m2mctl finds them. */
static int open_current(struct gen *g, bool b)
{
	struct m2m_bpf_meta meta;
	struct m2m_tables t;
	const char *why;
	uint64_t generation;
	__u32 zero = 0, i, len;
	void *blob;
	int fd;

	fd = bpf_obj_get(M2M_BPF_DIR "/meta");
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &meta))
		return -1;
	close(fd);
	g->counters = bpf_map_get_fd_by_id(meta.counters_id);
	g->b = b;
	if (g->counters < 0 || m2m_bpf_fetch(&blob, &len, &generation) ||
	    m2m_tables_open(&t, blob, len, &why))
		return -1;
	for (i = 0; i < t.nendpoints; i++) {
		if (!strcmp(m2m_tables_str(&t, t.endpoints[i].name), "one"))
			g->ep_one = i;
		else
			g->ep_two = i;
	}
	g->nendpoints = t.nendpoints;
	m2m_tables_close(&t);
	free(blob);
	return 0;
}

static __u64 packets_at(int fd, __u32 i)
{
	int cpus = libbpf_num_possible_cpus(), c;
	struct { __u64 packets, bytes; } v[cpus];
	__u64 sum = 0;

	if (bpf_map_lookup_elem(fd, &i, v))
		return ~0ULL;
	for (c = 0; c < cpus; c++)
		sum += v[c].packets;
	return sum;
}

/*
 * Every packet a generation counted got that generation's verdict: one
 * endpoint allowed, the other refused for residency, nothing else.
 * Adds the packets it let through to each destination to PASSED.
 */
static int check_gen(const struct gen *g, unsigned long *passed,
		     unsigned long *total)
{
	__u64 allow = packets_at(g->counters, M2M_R_ALLOW);
	__u64 residency = packets_at(g->counters, M2M_R_RESIDENCY);
	__u64 one = packets_at(g->counters, 2 * __M2M_R_MAX + g->ep_one);
	__u64 two = packets_at(g->counters, 2 * __M2M_R_MAX + g->ep_two);
	__u64 others = 0;
	__u32 r;

	for (r = 0; r < 2 * __M2M_R_MAX; r++)
		if (r != M2M_R_ALLOW && r != M2M_R_RESIDENCY)
			others += packets_at(g->counters, r);
	*total += allow + residency + others;
	passed[g->b] += allow;
	if (others || allow != (g->b ? two : one) ||
	    residency != (g->b ? one : two)) {
		fprintf(stderr, "# policy %c: allow %llu residency %llu "
			"others %llu; one %llu two %llu\n", g->b ? 'B' : 'A',
			allow, residency, others, one, two);
		return -1;
	}
	return 0;
}

static int swaps_wanted(void)
{
	const char *n = getenv("M2M_SWAPS");
	int v = n ? atoi(n) : SWAPS;

	return v < 1 ? 1 : v > SWAPS_MAX ? SWAPS_MAX : v;
}

TEST_F_TIMEOUT(topo, swap_under_traffic, SWAPS_MAX + 60)
{
	struct traffic t = { .tx4 = self->tx4, .tx6 = self->tx6 };
	unsigned long passed[2] = { 0 }, total = 0, got[2];
	int nswaps = 0, bad = 0, i, want = swaps_wanted();
	double start = now(), end = start + want + 30;
	struct gen *gens;
	pthread_t thread;

	gens = calloc(want + 1, sizeof(*gens));
	ASSERT_NE(NULL, gens);
	ASSERT_EQ(0, load_policy(swap_yaml(false)));
	ASSERT_EQ(0, m2m_bpf_attach_dev("m2m0"));
	ASSERT_EQ(0, open_current(&gens[0], false));
	ASSERT_EQ(0, pthread_create(&thread, NULL, sender, &t));

	while (now() < end && nswaps < want) {
		ASSERT_EQ(0, load_policy(swap_yaml(!gens[nswaps].b)));
		nswaps++;
		ASSERT_EQ(0, open_current(&gens[nswaps],
					  !gens[nswaps - 1].b));
		got[0] = drain(self->rx4[0]) + drain(self->rx6[0]);
		got[1] = drain(self->rx4[1]) + drain(self->rx6[1]);
		passed[0] -= got[0];	/* settled below */
		passed[1] -= got[1];
	}
	atomic_store(&t.stop, true);
	pthread_join(thread, NULL);
	usleep(200000);
	passed[0] -= drain(self->rx4[0]) + drain(self->rx6[0]);
	passed[1] -= drain(self->rx4[1]) + drain(self->rx6[1]);

	/* Each generation alone, then all of them against the traffic. */
	for (i = 0; i <= nswaps; i++)
		bad += check_gen(&gens[i], passed, &total) != 0;
	TH_LOG("%d swaps in %.0f s, %lu packets", nswaps, now() - start,
	       t.sent[0] + t.sent[1]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(t.sent[0] + t.sent[1], total);
	/* What passed arrived: to each destination, passed - arrived. */
	EXPECT_EQ(0, passed[0]);
	EXPECT_EQ(0, passed[1]);
	EXPECT_EQ(want, nswaps);
	for (i = 0; i <= nswaps; i++)
		close(gens[i].counters);
	free(gens);
}

TEST_HARNESS_MAIN
