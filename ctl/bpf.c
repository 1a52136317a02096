// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF datapath from userspace: a compiled policy copied into the
 * maps of a verdict program (bpf/m2mguard.h explains the layout), and the
 * datapath pinned under M2M_BPF_DIR, which keeps enforcing after m2mctl
 * exits.
 *
 * What lives in the pin folder:
 *
 *	state, events		maps shared by every policy
 *	tc, cgroup		the programs that stay attached...
 *	tc_jump, cgroup_jump	...and the one-slot program arrays they
 *				jump through into the policy in force
 *	meta, blob		the policy in force: summary and blob
 *	links/cgroup-INO	one pinned link per attached cgroup
 *
 * The verdict programs are held by the program arrays, and their maps by
 * them. meta names the counter and blob maps of its policy by id, so a
 * reader that opens them through meta sees one policy, never half of two.
 * Changes take an exclusive flock on the folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>
#include <openssl/evp.h>

#include "bpf.h"
#include "bpf/dispatch.skel.h"
#include "bpf/m2mguard.skel.h"

#define REASON_KEYS	(2 * __M2M_R_MAX)
#define NJUR		(M2M_JUR_MAX + 1)

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

void m2m_bpf_verbose(bool on)
{
	verbose = on;
	libbpf_set_print(print_libbpf);
}

/* ---- the shape of a policy ---- */

/* Bytes of N elements of SIZE, rounded up to 8. */
static __u64 bytes8(__u64 n, size_t size)
{
	return (n * size + 7) & ~7ULL;
}

/* An array of BYTES in one map value, or in chunks if it is larger. */
static int mem_shape(__u64 bytes, struct m2m_bpf_mem *mem)
{
	if (bytes > UINT32_MAX - M2M_BPF_CHUNK)
		return -E2BIG;
	mem->bytes = bytes ? bytes : 8;
	mem->chunked = mem->bytes > M2M_BPF_CHUNK;
	return 0;
}

/* Node levels below the node of 2^STRIDE entries from FIRST. */
static unsigned int node_depth(const __u32 *node, __u32 first,
			       unsigned int stride)
{
	unsigned int d = 0, c;
	__u32 i, e;

	for (i = 0; i < 1U << stride; i++) {
		e = node[first + i];
		if (!(e & M2M_RT_NODE))
			continue;
		c = 1 + node_depth(node, M2M_RT_CHILD(e), M2M_RT_STRIDE(e));
		if (c > d)
			d = c;
	}
	return d;
}

/* Halvings that search the largest wide leaf, as the lookup does them. */
static unsigned int wide_steps(const struct m2m_rtable *rt)
{
	unsigned int steps = 0, s;
	__u32 i, n;

	for (i = 0; i < rt->nrec[M2M_RT_WIDE]; i++) {
		for (n = rt->wide[i].count, s = 0; n > 1; s++)
			n -= n >> 1;
		if (s > steps)
			steps = s;
	}
	return steps;
}

static int rt_shape(const struct m2m_rtable *rt, struct m2m_bpf_rt *out)
{
	static const size_t sizes[] = { 2, 4, 4, 4, 8, 4,
					sizeof(struct m2m_rt_wide) };
	const __u64 counts[] = {
		rt->nrec[M2M_RT_K16], rt->nrec[M2M_RT_K16],
		rt->nrec[M2M_RT_K32], rt->nrec[M2M_RT_K32],
		rt->nrec[M2M_RT_K64], rt->nrec[M2M_RT_K64],
		rt->nrec[M2M_RT_WIDE],
	};
	__u32 *at[] = { &out->key16, &out->value16, &out->key32,
			&out->value32, &out->key64, &out->value64,
			&out->wide };
	__u64 next = 0;
	unsigned int i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		*at[i] = next;
		next += bytes8(counts[i], sizes[i]);
	}
	if (mem_shape(bytes8(rt->nnode, 4), &out->index) ||
	    mem_shape(next, &out->leaves))
		return -E2BIG;
	out->joined = (__u64)out->index.bytes + out->leaves.bytes <=
		      M2M_BPF_CHUNK;
	out->depth = node_depth(rt->node, 0, M2M_RT_ROOT_BITS);
	out->wide_steps = wide_steps(rt);
	if (out->depth > M2M_BPF_DEPTH_MAX) {
		fprintf(stderr, "m2mctl: a range table of the policy is %u "
			"levels deep; the BPF datapath walks at most %u\n",
			out->depth, M2M_BPF_DEPTH_MAX);
		return -E2BIG;
	}
	return 0;
}

static const struct m2m_rtable *table_of(const struct m2m_tables *t, int i)
{
	switch (i) {
	case M2M_BPF_DST4:
		return &t->dst4->t;
	case M2M_BPF_DST6:
		return &t->dst6->t;
	case M2M_BPF_SRC4:
		return &t->src4->t;
	}
	return &t->src6->t;
}

int m2m_bpf_shape(const struct m2m_tables *t, __u64 generation,
		  struct m2m_bpf_cfg *cfg)
{
	__u32 i;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < M2M_BPF_TABLES; i++) {
		err = rt_shape(table_of(t, i), &cfg->rt[i]);
		if (err)
			return err;
	}
	for (i = 0; i < t->ngroups; i++)
		if (t->groups[i].count > cfg->group_max)
			cfg->group_max = t->groups[i].count;

	cfg->generation = generation;
	cfg->nclasses = t->nclasses;
	cfg->ngroups = t->ngroups;
	cfg->nendpoints = t->nendpoints;
	cfg->nctr = REASON_KEYS + t->nendpoints + t->nclasses * REASON_KEYS +
		    NJUR;
	cfg->loaded = 1;
	cfg->unknown_allowed = t->settings->unknown_allowed;
	return 0;
}

/* ---- sizing and filling the maps ---- */

static __u32 at_least_one(__u32 n)
{
	return n ? n : 1;
}

static __u32 blob_chunks(__u32 len)
{
	return at_least_one((len + M2M_BPF_BLOB_CHUNK - 1) /
			    M2M_BPF_BLOB_CHUNK);
}

static __u32 nslots(const struct m2m_bpf_cfg *cfg)
{
	return (cfg->nclasses + 1) * __M2M_R_MAX;
}

/* Set the size of map NAME of OBJ, if it has one. */
static int size_map(struct bpf_object *obj, const char *name, __u32 n)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__set_max_entries(map, n) : 0;
}

static const char *const rt_names[M2M_BPF_TABLES] = {
	"dst4", "dst6", "src4", "src6",
};

/* Size map m2m_TABLE_PART to hold BYTES as MEM says: whole or chunked. */
static int size_array(struct bpf_object *obj, int table, const char *part,
		      const struct m2m_bpf_mem *mem, __u32 bytes)
{
	struct bpf_map *map;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "m2m_%s_%s", rt_names[table], part);
	map = bpf_object__find_map_by_name(obj, name);
	if (!map)
		return 0;
	err = bpf_map__set_value_size(map, mem->chunked ? M2M_BPF_CHUNK :
							  bytes);
	return err ?: bpf_map__set_max_entries(map, mem->chunked ?
			(bytes + M2M_BPF_CHUNK - 1) / M2M_BPF_CHUNK : 1);
}

/* The index map holds the leaves too when they are joined. */
static int size_table(struct bpf_object *obj, int i,
		      const struct m2m_bpf_rt *rt)
{
	static const struct m2m_bpf_mem none = { .bytes = 8 };
	const struct m2m_bpf_mem *leaves = rt->joined ? &none : &rt->leaves;
	int err;

	err = size_array(obj, i, "index", &rt->index, rt->index.bytes +
			 (rt->joined ? rt->leaves.bytes : 0));
	return err ?: size_array(obj, i, "leaves", leaves, leaves->bytes);
}

int m2m_bpf_size(struct bpf_object *obj, const struct m2m_bpf_cfg *cfg,
		 __u32 blob_len)
{
	int i, err = 0;

	for (i = 0; i < M2M_BPF_TABLES && !err; i++)
		err = size_table(obj, i, &cfg->rt[i]);
	err = err ?: size_map(obj, "m2m_classes", at_least_one(cfg->nclasses));
	err = err ?: size_map(obj, "m2m_groups", at_least_one(cfg->ngroups));
	err = err ?: size_map(obj, "m2m_endpoints",
			      at_least_one(cfg->nendpoints));
	err = err ?: size_map(obj, "m2m_counters", cfg->nctr);
	err = err ?: size_map(obj, "m2m_evslots", nslots(cfg));
	err = err ?: size_map(obj, "m2m_blob", blob_chunks(blob_len));
	if (err)
		fprintf(stderr, "m2mctl: cannot size the BPF maps: %s\n",
			strerror(-err));
	return err;
}

__u64 m2m_bpf_memory(const struct m2m_bpf_cfg *cfg, __u32 blob_len)
{
	__u64 cpus = libbpf_num_possible_cpus(), tables = 0;
	int i;

	for (i = 0; i < M2M_BPF_TABLES; i++)
		tables += cfg->rt[i].index.bytes + cfg->rt[i].leaves.bytes;
	return tables +
	       (__u64)cfg->nclasses * sizeof(struct m2m_class) +
	       (__u64)cfg->ngroups * sizeof(struct m2m_group) +
	       (__u64)cfg->nendpoints * sizeof(struct m2m_endpoint) +
	       (__u64)cfg->nctr * 16 * cpus +
	       (__u64)nslots(cfg) * 24 +
	       (__u64)blob_chunks(blob_len) * M2M_BPF_BLOB_CHUNK;
}

/* The value area of array map FD, mapped; *SIZE gets its length. */
static void *map_mmap(int fd, size_t *size, int prot)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	size_t page = sysconf(_SC_PAGESIZE);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	*size = (size_t)info.max_entries * ((info.value_size + 7) & ~7U);
	*size = (*size + page - 1) & ~(page - 1);
	p = mmap(NULL, *size, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int copy_to_map(struct bpf_object *obj, const char *name,
		       const void *src, size_t bytes)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	size_t size;
	void *p;

	if (!map || !bytes)
		return 0;
	p = map_mmap(bpf_map__fd(map), &size, PROT_READ | PROT_WRITE);
	if (!p || bytes > size) {
		fprintf(stderr, "m2mctl: cannot write BPF map %s: %s\n",
			name, p ? "too small" : strerror(errno));
		if (p)
			munmap(p, size);
		return -EIO;
	}
	memcpy(p, src, bytes);
	munmap(p, size);
	return 0;
}

/* The leaf arrays of one range table at their offsets in P. */
static void copy_leaves(__u8 *p, const struct m2m_rtable *rt,
			const struct m2m_bpf_rt *at)
{
	memcpy(p + at->key16, rt->key16, rt->nrec[M2M_RT_K16] * 2);
	memcpy(p + at->value16, rt->value16, rt->nrec[M2M_RT_K16] * 4);
	memcpy(p + at->key32, rt->key32, rt->nrec[M2M_RT_K32] * 4);
	memcpy(p + at->value32, rt->value32, rt->nrec[M2M_RT_K32] * 4);
	memcpy(p + at->key64, rt->key64, rt->nrec[M2M_RT_K64] * 8);
	memcpy(p + at->value64, rt->value64, rt->nrec[M2M_RT_K64] * 4);
	memcpy(p + at->wide, rt->wide,
	       rt->nrec[M2M_RT_WIDE] * sizeof(struct m2m_rt_wide));
}

/* Map m2m_TABLE_PART of OBJ, mapped, or NULL if OBJ has none. */
static __u8 *open_array(struct bpf_object *obj, int table, const char *part,
			__u64 bytes, size_t *size, int *err)
{
	struct bpf_map *map;
	char name[32];
	__u8 *p;

	snprintf(name, sizeof(name), "m2m_%s_%s", rt_names[table], part);
	map = bpf_object__find_map_by_name(obj, name);
	*err = 0;
	if (!map)
		return NULL;
	p = map_mmap(bpf_map__fd(map), size, PROT_READ | PROT_WRITE);
	if (!p || *size < bytes) {
		fprintf(stderr, "m2mctl: cannot write BPF map %s: %s\n", name,
			p ? "too small" : strerror(errno));
		if (p)
			munmap(p, *size);
		*err = -EIO;
		return NULL;
	}
	return p;
}

static int fill_rt(struct bpf_object *obj, const struct m2m_bpf_cfg *cfg,
		   const struct m2m_tables *t)
{
	const struct m2m_bpf_rt *at;
	const struct m2m_rtable *rt;
	size_t size;
	int i, err;
	__u8 *p;

	for (i = 0; i < M2M_BPF_TABLES; i++) {
		rt = table_of(t, i);
		at = &cfg->rt[i];
		p = open_array(obj, i, "index", at->index.bytes +
			       (at->joined ? at->leaves.bytes : 0), &size,
			       &err);
		if (err)
			return err;
		if (p) {
			memcpy(p, rt->node, rt->nnode * sizeof(__u32));
			if (at->joined)
				copy_leaves(p + at->index.bytes, rt, at);
			munmap(p, size);
		}
		if (at->joined)
			continue;
		p = open_array(obj, i, "leaves", cfg->rt[i].leaves.bytes,
			       &size, &err);
		if (err)
			return err;
		if (p) {
			copy_leaves(p, rt, &cfg->rt[i]);
			munmap(p, size);
		}
	}
	return 0;
}

int m2m_bpf_fill(struct bpf_object *obj, const struct m2m_bpf_cfg *cfg,
		 const struct m2m_tables *t, const void *blob, __u32 len)
{
	int err;

	err = fill_rt(obj, cfg, t);
	err = err ?: copy_to_map(obj, "m2m_classes", t->classes,
				 t->nclasses * sizeof(*t->classes));
	err = err ?: copy_to_map(obj, "m2m_groups", t->groups,
				 t->ngroups * sizeof(*t->groups));
	err = err ?: copy_to_map(obj, "m2m_endpoints", t->endpoints,
				 t->nendpoints * sizeof(*t->endpoints));
	err = err ?: copy_to_map(obj, "m2m_blob", blob, len);
	return err;
}

int m2m_bpf_verified_insns(int prog_fd, __u32 *insns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*insns = info.verified_insns;
	return 0;
}

/* ---- the pin folder ---- */

/* What stays in place from one policy to the next. */
struct base {
	int dir;		/* the folder, flock'ed while changing */
	int state;
	int events;
	int tc_jump;
	int cgroup_jump;
	int tc;
	int cgroup;
	struct m2m_bpf_state *st;	/* state, mapped */
	size_t st_size;
};

static const char *const base_pins[] = {
	"state", "events", "tc_jump", "cgroup_jump", "tc", "cgroup",
};

static int *base_fd(struct base *b, unsigned int i)
{
	int *fds[] = { &b->state, &b->events, &b->tc_jump, &b->cgroup_jump,
		       &b->tc, &b->cgroup };

	return fds[i];
}

#define NBASE	(sizeof(base_pins) / sizeof(base_pins[0]))

static void pin_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", M2M_BPF_DIR, name);
}

static int get_pin(const char *name)
{
	char path[256];

	pin_path(path, sizeof(path), name);
	return bpf_obj_get(path);
}

bool m2m_bpf_present(void)
{
	char path[256];

	pin_path(path, sizeof(path), "state");
	return access(path, F_OK) == 0;
}

/* Make sure a BPF file system is mounted where the pins go. */
static int mount_bpffs(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/bpf", &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		fprintf(stderr, "m2mctl: cannot mount a BPF file system on "
			"`/sys/fs/bpf': %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_dir(bool create)
{
	int fd;

	if (create) {
		if (mount_bpffs())
			return -1;
		if (mkdir(M2M_BPF_DIR, 0700) && errno != EEXIST)
			goto fail;
		if (mkdir(M2M_BPF_DIR "/links", 0700) && errno != EEXIST)
			goto fail;
	}
	fd = open(M2M_BPF_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (!create && errno == ENOENT) {
		fprintf(stderr, "m2mctl: the BPF datapath is not set up "
			"(no `%s'); load a policy or attach first\n",
			M2M_BPF_DIR);
		return -1;
	}
fail:
	fprintf(stderr, "m2mctl: cannot open `%s': %s\n", M2M_BPF_DIR,
		strerror(errno));
	return -1;
}

static void base_close(struct base *b)
{
	unsigned int i;

	if (b->st)
		munmap(b->st, b->st_size);
	for (i = 0; i < NBASE; i++)
		if (*base_fd(b, i) >= 0)
			close(*base_fd(b, i));
	if (b->dir >= 0)
		close(b->dir);
}

static int pin(int fd, const char *name)
{
	char path[256], tmp[264];

	pin_path(path, sizeof(path), name);
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) || rename(tmp, path)) {
		fprintf(stderr, "m2mctl: cannot pin `%s': %s\n", path,
			strerror(errno));
		unlink(tmp);
		return -errno;
	}
	return 0;
}

/* Settings of a datapath without a policy: the module's defaults. */
static int state_init(int fd)
{
	struct m2m_bpf_state st = {
		.mode = M2M_MODE_ENFORCE,
		.privacy = M2M_PRIVACY_PSEUDONYM,
		.event_rate = 10,
		.counter_interval = 1000,
	};
	__u32 zero = 0;

	if (getrandom(st.key, sizeof(st.key), 0) != sizeof(st.key))
		return -errno;
	return bpf_map_update_elem(fd, &zero, &st, 0) ? -errno : 0;
}

/* Load the programs that stay attached and pin them with their maps. */
static int base_create(void)
{
	struct dispatch_bpf *skel;
	int fds[NBASE], err;
	unsigned int i;

	skel = dispatch_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "Error: the kernel refused the BPF "
			"programs: %s\n", strerror(-err));
		return err;
	}
	fds[0] = bpf_map__fd(skel->maps.m2m_state);
	fds[1] = bpf_map__fd(skel->maps.m2m_events);
	fds[2] = bpf_map__fd(skel->maps.m2m_tc_jump);
	fds[3] = bpf_map__fd(skel->maps.m2m_cgroup_jump);
	fds[4] = bpf_program__fd(skel->progs.m2m_tc);
	fds[5] = bpf_program__fd(skel->progs.m2m_cgroup);

	err = state_init(fds[0]);
	/* "state" last: its pin says the folder is complete. */
	for (i = NBASE; !err && i-- > 0;)
		err = pin(fds[i], base_pins[i]);
	dispatch_bpf__destroy(skel);
	return err;
}

/*
 * Open what stays in place, creating it first with CREATE; with LOCK,
 * hold the folder's lock until base_close().
 */
static int base_open(struct base *b, bool create, bool lock)
{
	unsigned int i;
	int err;

	memset(b, -1, sizeof(*b));
	b->st = NULL;
	b->dir = open_dir(create);
	if (b->dir < 0)
		return -ENOENT;
	if (lock && flock(b->dir, LOCK_EX)) {
		err = -errno;
		goto fail;
	}
	if (!m2m_bpf_present()) {
		err = create ? base_create() : -ENOENT;
		if (err)
			goto fail;
	}
	for (i = 0; i < NBASE; i++) {
		*base_fd(b, i) = get_pin(base_pins[i]);
		if (*base_fd(b, i) < 0) {
			err = -errno;
			fprintf(stderr, "m2mctl: cannot open `%s/%s': %s\n",
				M2M_BPF_DIR, base_pins[i], strerror(errno));
			goto fail;
		}
	}
	b->st = map_mmap(b->state, &b->st_size, PROT_READ | PROT_WRITE);
	if (!b->st) {
		err = -errno;
		fprintf(stderr, "m2mctl: cannot map `%s/state': %s\n",
			M2M_BPF_DIR, strerror(errno));
		goto fail;
	}
	return 0;

fail:
	if (err == -ENOENT && !create)
		fprintf(stderr, "m2mctl: the BPF datapath is not set up; "
			"load a policy or attach first\n");
	base_close(b);
	return err;
}

/* ---- swapping a policy in ---- */

static int sha256(const void *data, size_t len, __u8 *out)
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) ? 0 :
									-EIO;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A verdict program instance for T, loaded and filled. */
static struct m2mguard_bpf *instance(struct base *b,
				     const struct m2m_tables *t,
				     const void *blob, __u32 len,
				     struct m2m_bpf_cfg *cfg)
{
	struct m2mguard_bpf *skel;
	int err;

	skel = m2mguard_bpf__open();
	if (!skel)
		return NULL;
	err = bpf_map__reuse_fd(skel->maps.m2m_state, b->state);
	err = err ?: bpf_map__reuse_fd(skel->maps.m2m_events, b->events);
	err = err ?: m2m_bpf_size(skel->obj, cfg, len);
	if (err)
		goto fail;

	skel->rodata->m2m_cfg = *cfg;
	err = m2mguard_bpf__load(skel);
	if (err) {
		fprintf(stderr, "Error: the kernel refused the policy's BPF "
			"program: %s%s\n", strerror(-err),
			verbose ? "" : " (-v shows the verifier's log)");
		goto fail;
	}
	err = m2m_bpf_fill(skel->obj, cfg, t, blob, len);
	if (err)
		goto fail;
	return skel;

fail:
	m2mguard_bpf__destroy(skel);
	errno = -err;
	return NULL;
}

static int write_meta(struct m2mguard_bpf *skel, const struct m2m_bpf_cfg *cfg,
		      const void *blob, __u32 len)
{
	struct m2m_bpf_meta meta = {
		.generation = cfg->generation,
		.memory = m2m_bpf_memory(cfg, len),
		.len = len,
		.counters_id = map_id(bpf_map__fd(skel->maps.m2m_counters)),
		.blob_id = map_id(bpf_map__fd(skel->maps.m2m_blob)),
	};
	__u32 zero = 0;

	if (sha256(blob, len, meta.hash))
		return -EIO;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.m2m_meta), &zero,
				&meta, 0))
		return -errno;
	return 0;
}

/* Point both program arrays at the instance: the swap itself. */
static int install(struct base *b, struct m2mguard_bpf *skel)
{
	int tc = bpf_program__fd(skel->progs.m2m_tc_policy);
	int cg = bpf_program__fd(skel->progs.m2m_cgroup_policy);
	__u32 zero = 0;

	if (bpf_map_update_elem(b->tc_jump, &zero, &tc, 0) ||
	    bpf_map_update_elem(b->cgroup_jump, &zero, &cg, 0)) {
		fprintf(stderr, "Error: cannot swap the policy in: %s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* The policy's own settings take effect, as at the module's commit. */
static void apply_settings(struct base *b, const struct m2m_settings *s,
			   __u64 generation)
{
	b->st->mode = s->mode;
	b->st->privacy = s->privacy;
	b->st->event_rate = s->event_rate;
	b->st->counter_interval = s->counter_interval;
	b->st->generation = generation;
}

int m2m_bpf_push(const void *blob, uint32_t len, uint64_t *generation)
{
	struct m2mguard_bpf *skel;
	struct m2m_bpf_cfg cfg;
	struct m2m_tables t;
	const char *why;
	struct base b;
	int err;

	if (m2m_tables_open(&t, blob, len, &why)) {
		fprintf(stderr, "m2mctl: %s\n", why);
		return -EINVAL;
	}
	err = base_open(&b, true, true);
	if (err)
		goto out_tables;

	err = m2m_bpf_shape(&t, b.st->generation + 1, &cfg);
	if (err)
		goto out_base;
	skel = instance(&b, &t, blob, len, &cfg);
	if (!skel) {
		err = -errno;
		goto out_base;
	}

	err = write_meta(skel, &cfg, blob, len);
	err = err ?: install(&b, skel);
	err = err ?: pin(bpf_map__fd(skel->maps.m2m_blob), "blob");
	err = err ?: pin(bpf_map__fd(skel->maps.m2m_meta), "meta");
	if (!err) {
		apply_settings(&b, t.settings, cfg.generation);
		*generation = cfg.generation;
	}
	m2mguard_bpf__destroy(skel);
out_base:
	base_close(&b);
out_tables:
	m2m_tables_close(&t);
	return err;
}

/* ---- reading the policy in force ---- */

/* The maps of the policy in force, opened through meta. */
struct current {
	struct m2m_bpf_meta meta;
	int counters;
	int blob;
};

static void current_close(struct current *c)
{
	if (c->counters >= 0)
		close(c->counters);
	if (c->blob >= 0)
		close(c->blob);
}

static int read_meta(struct m2m_bpf_meta *meta)
{
	__u32 zero = 0;
	int fd, err = 0;

	fd = get_pin("meta");
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (bpf_map_lookup_elem(fd, &zero, meta))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Open the counters and blob that meta names. A swap may retire them
 * between the reads: then read meta again.
 */
static int current_open(struct current *c)
{
	int tries, err = 0;

	c->counters = c->blob = -1;
	for (tries = 0; tries < 10; tries++) {
		err = read_meta(&c->meta);
		if (err)
			break;
		c->counters = bpf_map_get_fd_by_id(c->meta.counters_id);
		c->blob = bpf_map_get_fd_by_id(c->meta.blob_id);
		if (c->counters >= 0 && c->blob >= 0)
			return 0;
		err = -errno;
		current_close(c);
		c->counters = c->blob = -1;
	}
	/* No policy (or no datapath) is for the caller to tell. */
	if (err != -ENOENT)
		fprintf(stderr, "m2mctl: cannot read the BPF policy: %s\n",
			strerror(-err));
	return err;
}

static int copy_blob(const struct current *c, void **blob, uint32_t *len)
{
	size_t size;
	void *p;

	p = map_mmap(c->blob, &size, PROT_READ);
	if (!p || size < c->meta.len) {
		if (p)
			munmap(p, size);
		return -EIO;
	}
	*blob = malloc(c->meta.len ? c->meta.len : 1);
	if (*blob)
		memcpy(*blob, p, c->meta.len);
	munmap(p, size);
	*len = c->meta.len;
	return *blob ? 0 : -ENOMEM;
}

int m2m_bpf_fetch(void **blob, uint32_t *len, uint64_t *generation)
{
	struct current c;
	int err;

	err = current_open(&c);
	if (err)
		return err;
	err = copy_blob(&c, blob, len);
	*generation = c.meta.generation;
	current_close(&c);
	return err;
}

/* Which table and key record REC is, as kmod/counters.c lays them out. */
static void locate(const struct m2m_tables *t, __u32 rec,
		   struct m2m_counter_rec *out)
{
	__u32 base_class = REASON_KEYS + t->nendpoints;
	__u32 base_jur = base_class + t->nclasses * REASON_KEYS;

	if (rec < REASON_KEYS) {
		out->table = M2M_CT_REASON;
		out->key = rec;
	} else if (rec < base_class) {
		out->table = M2M_CT_ENDPOINT;
		out->key = rec - REASON_KEYS;
	} else if (rec < base_jur) {
		out->table = M2M_CT_CLASS;
		out->key = rec - base_class;
	} else {
		out->table = M2M_CT_JURISDICTION;
		out->key = rec - base_jur;
	}
}

/* Sum the per-CPU counters of FD into records laid out for T. */
static int sum_counters(int fd, const struct m2m_tables *t,
			struct m2m_counter_rec *recs, __u32 n)
{
	int cpus = libbpf_num_possible_cpus(), c;
	struct { __u64 packets, bytes; } *vals;
	__u32 i;
	int err = 0;

	vals = calloc(cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		locate(t, i, &recs[i]);
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (c = 0; c < cpus; c++) {
			recs[i].packets += vals[c].packets;
			recs[i].bytes += vals[c].bytes;
		}
	}
	free(vals);
	return err;
}

int m2m_bpf_counters(void **blob, uint32_t *len,
		     struct m2m_counter_rec **recs, size_t *n,
		     uint64_t *generation)
{
	struct m2m_tables t;
	struct current c;
	const char *why;
	__u32 nctr;
	int err;

	err = current_open(&c);
	if (err)
		return err;
	err = copy_blob(&c, blob, len);
	if (err)
		goto out;
	if (m2m_tables_open(&t, *blob, *len, &why)) {
		fprintf(stderr, "m2mctl: the BPF policy: %s\n", why);
		err = -EINVAL;
		goto out_blob;
	}

	nctr = REASON_KEYS + t.nendpoints + t.nclasses * REASON_KEYS + NJUR;
	*recs = calloc(nctr, sizeof(**recs));
	err = *recs ? sum_counters(c.counters, &t, *recs, nctr) : -ENOMEM;
	m2m_tables_close(&t);
	if (!err) {
		*n = nctr;
		*generation = c.meta.generation;
		goto out;
	}
	free(*recs);
out_blob:
	free(*blob);
out:
	current_close(&c);
	return err;
}

int m2m_bpf_counters_of(const struct m2m_tables *t, uint64_t generation,
			struct m2m_counter_rec **recs, size_t *n)
{
	__u32 nctr = REASON_KEYS + t->nendpoints + t->nclasses * REASON_KEYS +
		     NJUR;
	struct current c;
	int err;

	err = current_open(&c);
	if (err)
		return err;
	if (c.meta.generation != generation) {
		err = -ESTALE;
		goto out;
	}

	*recs = calloc(nctr, sizeof(**recs));
	err = *recs ? sum_counters(c.counters, t, *recs, nctr) : -ENOMEM;
	if (err) {
		fprintf(stderr, "m2mctl: cannot read the BPF counters: %s\n",
			strerror(-err));
		free(*recs);
	} else {
		*n = nctr;
	}
out:
	current_close(&c);
	return err;
}

int m2m_bpf_counters_reset(void)
{
	int cpus = libbpf_num_possible_cpus(), err = 0;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i;
	struct current c;
	void *zero;

	err = current_open(&c);
	if (err)
		return err;
	zero = calloc(cpus, 16);
	if (!zero || bpf_obj_get_info_by_fd(c.counters, &info, &len))
		err = zero ? -errno : -ENOMEM;
	for (i = 0; !err && i < info.max_entries; i++)
		if (bpf_map_update_elem(c.counters, &i, zero, 0))
			err = -errno;
	if (err)
		fprintf(stderr, "Error: cannot reset the counters: %s\n",
			strerror(-err));
	free(zero);
	current_close(&c);
	return err;
}

int m2m_bpf_info(struct m2m_bpf_info *info)
{
	struct m2m_bpf_meta meta;
	struct base b;
	int err;

	memset(info, 0, sizeof(*info));
	err = base_open(&b, false, false);
	if (err)
		return err;
	info->mode = b.st->mode;
	info->privacy = b.st->privacy;
	info->event_rate = b.st->event_rate;
	info->counter_interval = b.st->counter_interval;
	info->events_lost = b.st->events_lost;
	base_close(&b);

	err = read_meta(&meta);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	info->has_policy = true;
	info->generation = meta.generation;
	memcpy(info->hash, meta.hash, sizeof(info->hash));
	info->size = meta.len;
	info->memory = meta.memory;
	return 0;
}

int m2m_bpf_set_mode(__u8 mode)
{
	struct base b;
	int err;

	err = base_open(&b, true, true);
	if (err)
		return err;
	b.st->mode = mode;
	base_close(&b);
	return 0;
}

int m2m_bpf_set_events(const struct m2m_bpf_events_set *set)
{
	struct base b;
	int err;

	err = base_open(&b, true, true);
	if (err)
		return err;
	if (set->rate >= 0)
		b.st->event_rate = set->rate;
	if (set->privacy >= 0)
		b.st->privacy = set->privacy;
	if (set->interval >= 0)
		b.st->counter_interval = set->interval;
	base_close(&b);
	return 0;
}

/* ---- drop events ---- */

struct m2m_bpf_events {
	struct ring_buffer *rb;
	int fd;
	m2m_bpf_event_cb cb;
	void *ctx;
};

static int event_cb(void *ctx, void *data, size_t len)
{
	struct m2m_bpf_events *e = ctx;

	if (len < sizeof(struct m2m_bpf_event))
		return 0;
	return e->cb(e->ctx, data);
}

struct m2m_bpf_events *m2m_bpf_events_open(m2m_bpf_event_cb cb, void *ctx)
{
	struct m2m_bpf_events *e = calloc(1, sizeof(*e));
	int fd = get_pin("events");

	if (fd < 0 || !e) {
		fprintf(stderr, "m2mctl: cannot open `%s/events': %s\n",
			M2M_BPF_DIR, strerror(e ? errno : ENOMEM));
		goto fail;
	}
	e->fd = fd;
	e->cb = cb;
	e->ctx = ctx;
	e->rb = ring_buffer__new(fd, event_cb, e, NULL);
	if (!e->rb) {
		fprintf(stderr, "m2mctl: cannot read the BPF events: %s\n",
			strerror(errno));
		goto fail;
	}
	return e;

fail:
	if (fd >= 0)
		close(fd);
	free(e);
	return NULL;
}

int m2m_bpf_events_poll(struct m2m_bpf_events *e, int timeout_ms)
{
	return ring_buffer__poll(e->rb, timeout_ms);
}

void m2m_bpf_events_close(struct m2m_bpf_events *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	close(e->fd);
	free(e);
}

/* ---- attachments ---- */

static int tc_hook(const char *ifname, struct bpf_tc_hook *hook)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->attach_point = BPF_TC_EGRESS;
	hook->ifindex = if_nametoindex(ifname);
	if (!hook->ifindex) {
		fprintf(stderr, "m2mctl: no interface `%s'\n", ifname);
		return -ENODEV;
	}
	return 0;
}

static void tc_opts(struct bpf_tc_opts *opts, int prog_fd)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = M2M_BPF_TC_HANDLE;
	opts->priority = M2M_BPF_TC_PRIO;
	opts->prog_fd = prog_fd;
	opts->flags = prog_fd ? BPF_TC_F_REPLACE : 0;
}

int m2m_bpf_attach_dev(const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	struct base b;
	int err;

	err = tc_hook(ifname, &hook);
	if (err)
		return err;
	err = base_open(&b, true, true);
	if (err)
		return err;

	err = bpf_tc_hook_create(&hook);
	if (err == -EEXIST)
		err = 0;
	tc_opts(&opts, b.tc);
	err = err ?: bpf_tc_attach(&hook, &opts);
	if (err)
		fprintf(stderr, "Error: cannot attach to `%s': %s\n", ifname,
			strerror(-err));
	base_close(&b);
	return err;
}

int m2m_bpf_detach_dev(const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	err = tc_hook(ifname, &hook);
	if (err)
		return err;
	tc_opts(&opts, 0);
	err = bpf_tc_detach(&hook, &opts);
	if (err == -ENOENT)
		fprintf(stderr, "m2mctl: not attached to `%s'\n", ifname);
	else if (err)
		fprintf(stderr, "Error: cannot detach from `%s': %s\n",
			ifname, strerror(-err));
	return err;
}

/* The pin of the link attaching PATH's cgroup. */
static int cgroup_link_path(const char *path, char *buf, size_t len)
{
	struct stat st;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "m2mctl: no cgroup `%s'\n", path);
		return -ENOENT;
	}
	snprintf(buf, len, "%s/links/cgroup-%llu", M2M_BPF_DIR,
		 (unsigned long long)st.st_ino);
	return 0;
}

int m2m_bpf_attach_cgroup(const char *path)
{
	char link_pin[256];
	int cg, link, err;
	struct base b;

	err = cgroup_link_path(path, link_pin, sizeof(link_pin));
	if (err)
		return err;
	cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fprintf(stderr, "m2mctl: cannot open cgroup `%s': %s\n", path,
			strerror(errno));
		return -errno;
	}
	err = base_open(&b, true, true);
	if (err)
		goto out_cg;
	if (access(link_pin, F_OK) == 0)
		goto out_base;		/* attached already */

	link = bpf_link_create(b.cgroup, cg, BPF_CGROUP_INET_EGRESS, NULL);
	if (link < 0) {
		err = -errno;
		fprintf(stderr, "Error: cannot attach to cgroup `%s': %s\n",
			path, strerror(errno));
		goto out_base;
	}
	if (bpf_obj_pin(link, link_pin)) {
		err = -errno;
		fprintf(stderr, "m2mctl: cannot pin `%s': %s\n", link_pin,
			strerror(errno));
	}
	close(link);
out_base:
	base_close(&b);
out_cg:
	close(cg);
	return err;
}

/* Detach the link pinned at LINK_PIN and drop its pin. */
static int unlink_link(const char *link_pin)
{
	int fd = bpf_obj_get(link_pin);

	if (fd < 0)
		return -errno;
	bpf_link_detach(fd);
	close(fd);
	return unlink(link_pin) ? -errno : 0;
}

int m2m_bpf_detach_cgroup(const char *path)
{
	char link_pin[256];
	int err;

	err = cgroup_link_path(path, link_pin, sizeof(link_pin));
	if (err)
		return err;
	err = unlink_link(link_pin);
	if (err == -ENOENT)
		fprintf(stderr, "m2mctl: not attached to cgroup `%s'\n", path);
	else if (err)
		fprintf(stderr, "Error: cannot detach from cgroup `%s': %s\n",
			path, strerror(-err));
	return err;
}

/* Whether our filter on interface IFINDEX runs program PROG_ID. */
static bool tc_ours(int ifindex, __u32 prog_id)
{
	struct bpf_tc_hook hook = {
		.sz = sizeof(hook),
		.ifindex = ifindex,
		.attach_point = BPF_TC_EGRESS,
	};
	struct bpf_tc_opts opts;

	tc_opts(&opts, 0);
	return !bpf_tc_query(&hook, &opts) && opts.prog_id == prog_id;
}

static int detach_all_devs(int tc_prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct if_nameindex *ifs, *i;
	int err = 0;

	if (bpf_obj_get_info_by_fd(tc_prog, &info, &len))
		return -errno;
	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++)
		if (tc_ours(i->if_index, info.id))
			err = m2m_bpf_detach_dev(i->if_name) ?: err;
	if_freenameindex(ifs);
	return err;
}

static int detach_all_cgroups(void)
{
	char path[512];
	struct dirent *d;
	int err = 0;
	DIR *dir;

	dir = opendir(M2M_BPF_DIR "/links");
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "cgroup-", 7))
			continue;
		snprintf(path, sizeof(path), "%s/links/%s", M2M_BPF_DIR,
			 d->d_name);
		err = unlink_link(path) ?: err;
	}
	closedir(dir);
	return err;
}

int m2m_bpf_detach_all(void)
{
	struct base b;
	int err;

	err = base_open(&b, false, true);
	if (err)
		return err;
	err = detach_all_devs(b.tc);
	err = detach_all_cgroups() ?: err;
	base_close(&b);
	return err;
}
