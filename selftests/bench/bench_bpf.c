// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bpf: what the eBPF datapath's lookups cost, by BPF_PROG_TEST_RUN.
 *
 *	bench_bpf [-n PACKETS] [-r REPEAT] [-p PASSES] [-s SEED]
 *
 * One policy: the full Tor geo database (/usr/share/tor/geoip{,6}), 1,000
 * random endpoints, 6 classes. The same tc verdict program runs with four
 * kinds of range lookup (bpf/bench.bpf.c): the datapath's own, none (the
 * values handed in), BPF LPM tries holding the same ranges as prefixes,
 * and a sorted boundary list behind a top-16-bit index. Each of PACKETS
 * random packets runs REPEAT times in each variant, side by side; the
 * lookup cost of a variant is its time less that of "none". A second
 * table times the lookups alone, in batches over random addresses, where
 * caches help less.
 *
 *	bench_bpf -P POLICY [-L LABEL] [-p PASSES] DSTFILE...
 *
 * scripts/bench's mode: the policy file POLICY instead of a random one,
 * and for each file of destination addresses (one a line) the packets
 * 10.1.0.3 or fd01::3 sends there (UDP, port 9000), each once, packet after
 * packet, in the userspace build of the range table and in the tc
 * program with the datapath's lookups, with LPM tries and with none. One
 * CSV line per contender and file: where, contender, LABEL, set,
 * packets, dropped, ns per packet, load ms, bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../ctl/bpf.h"
#include "../../ctl/compile.h"
#include "../bpf/testpolicy.h"

/* Before the skeleton, which names its types. */
#include "../../bpf/bench.h"
#include "bpf/bench.skel.h"

#define LOOKUP_BATCH	256	/* as bench.bpf.c */

enum { V_NONE, V_RTABLE, V_SORTED, V_LPM, NVARIANTS };

static const char *const names[NVARIANTS] = {
	"no lookup", "range table (DXR)", "sorted + /16 index", "LPM trie",
};

struct bench {
	struct bench_bpf *skel;
	struct tp_policy p;
	struct m2m_tables t;
	void *blob;
	__u32 len;
	struct m2m_bpf_cfg cfg;
	unsigned long prefixes;
	size_t sorted_bytes;
	double compile_ms, fill_rt_ms, fill_lpm_ms;
};

static const char *policy_file;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- boundary lists of the blob ---- */

/* A table's boundaries, neighbours of equal value merged. */
struct bounds {
	u128 *start;
	__u32 *value;
	__u32 n;
	int width;
};

static void get_bounds(const struct m2m_tables *t, int table,
		       struct bounds *b)
{
	static const __u32 types[] = { M2M_SEC_DST4, M2M_SEC_DST6,
				       M2M_SEC_SRC4, M2M_SEC_SRC6 };
	const struct m2m_range4 *r4;
	const struct m2m_range6 *r6;
	__u32 n, i, v;
	u128 s;

	b->width = table == M2M_BPF_DST4 || table == M2M_BPF_SRC4 ? 32 : 128;
	r4 = m2m_tables_section(t, types[table], &n);
	r6 = (const void *)r4;
	b->start = calloc(n, sizeof(*b->start));
	b->value = calloc(n, sizeof(*b->value));
	b->n = 0;
	for (i = 0; i < n; i++) {
		s = b->width == 32 ? r4[i].start :
		    (u128)r6[i].start_hi << 64 | r6[i].start_lo;
		v = b->width == 32 ? r4[i].value : r6[i].value;
		if (b->n && b->value[b->n - 1] == v)
			continue;
		b->start[b->n] = s;
		b->value[b->n++] = v;
	}
}

static void free_bounds(struct bounds *b)
{
	free(b->start);
	free(b->value);
}

/* ---- LPM tries ---- */

/* Store prefix ADDR/LEN of a WIDTH-bit family in LPM trie FD. */
static int lpm_put(int fd, int width, u128 addr, int len, __u32 value)
{
	struct { __u32 prefixlen; __u8 addr[16]; } k = { .prefixlen = len };
	int i, bytes = width / 8;

	for (i = 0; i < bytes; i++)
		k.addr[i] = addr >> (width - 8 - 8 * i);
	return bpf_map_update_elem(fd, &k, &value, BPF_ANY);
}

/*
 * Cover LO..HI with the fewest prefixes, each the largest aligned block
 * that fits, and store them in FD (only count them if FD < 0).
 */
static int split(int fd, int width, u128 lo, u128 hi, __u32 value,
		 unsigned long *n)
{
	u128 size, top = width == 32 ? 0xffffffffU : ~(u128)0;
	int len, err;

	for (;;) {
		size = 1;
		len = width;
		while (len > 1 && !(lo & ((size << 1) - 1)) &&
		       lo + (size << 1) - 1 <= hi) {
			size <<= 1;
			len--;
		}
		if (len == 1 && lo == 0 && hi == top)
			len = 0;
		err = fd < 0 ? 0 : lpm_put(fd, width, lo, len, value);
		if (err)
			return err;
		(*n)++;
		if (len == 0 || lo + (size - 1) >= hi)
			return 0;
		lo += size;
	}
}

/* The ranges of B with a value, as prefixes into FD (or counted). */
static int fill_lpm(int fd, const struct bounds *b, unsigned long *n)
{
	u128 top = b->width == 32 ? 0xffffffffU : ~(u128)0;
	__u32 i;
	int err;

	for (i = 0; i < b->n; i++) {
		if (!b->value[i])
			continue;
		err = split(fd, b->width, b->start[i],
			    i + 1 < b->n ? b->start[i + 1] - 1 : top,
			    b->value[i], n);
		if (err)
			return err;
	}
	return 0;
}

/* ---- sorted boundaries behind a /16 index ---- */

/* The three arrays of a table for the sorted variant. */
struct sorted_data {
	__u32 *idx;
	void *key;
	__u32 *value;
	size_t bytes[3];
	__u32 steps;
};

static void sorted_build(const struct bounds *b, struct sorted_data *d)
{
	__u32 i, top, p, n, steps;

	d->bytes[0] = 65537 * 4 + 4;
	d->bytes[1] = ((size_t)b->n * (b->width == 32 ? 4 : 16) + 7) & ~7UL;
	d->bytes[2] = ((size_t)b->n * 4 + 7) & ~7UL;
	d->idx = calloc(1, d->bytes[0]);
	d->key = calloc(1, d->bytes[1] + 8);
	d->value = calloc(1, d->bytes[2] + 8);

	for (i = 0, top = 0; top <= 65536; top++) {
		while (i < b->n && b->start[i] >> (b->width - 16) < top)
			i++;
		d->idx[top] = i;
	}
	d->steps = 0;
	for (top = 0; top < 65536; top++) {
		p = d->idx[top] ? d->idx[top] - 1 : 0;
		for (n = d->idx[top + 1] - p, steps = 0; n > 1; steps++)
			n -= n >> 1;
		if (steps > d->steps)
			d->steps = steps;
	}
	for (i = 0; i < b->n; i++) {
		if (b->width == 32) {
			((__u32 *)d->key)[i] = b->start[i];
		} else {
			((__u64 *)d->key)[2 * i] = b->start[i] >> 64;
			((__u64 *)d->key)[2 * i + 1] = b->start[i];
		}
		d->value[i] = b->value[i];
	}
}

static void sorted_free(struct sorted_data *d)
{
	free(d->idx);
	free(d->key);
	free(d->value);
}

static const char *const table_names[] = { "dst4", "dst6", "src4", "src6" };
static const char *const part_names[] = { "idx", "key", "value" };

static struct bpf_map *sorted_map(struct bench_bpf *skel, int t, int part)
{
	char name[32];

	snprintf(name, sizeof(name), "sorted_%s_%s", table_names[t],
		 part_names[part]);
	return bpf_object__find_map_by_name(skel->obj, name);
}

/* Size the map of one array of BYTES as ctl/bpf.c does: whole or chunked. */
static void sorted_size(struct bpf_map *map, size_t bytes,
			struct m2m_bpf_mem *mem)
{
	mem->bytes = bytes;
	mem->chunked = bytes > M2M_BPF_CHUNK;
	bpf_map__set_value_size(map, mem->chunked ? M2M_BPF_CHUNK : bytes);
	bpf_map__set_max_entries(map, mem->chunked ?
		(bytes + M2M_BPF_CHUNK - 1) / M2M_BPF_CHUNK : 1);
}

static int copy_array(struct bpf_map *map, const void *src, size_t bytes)
{
	size_t size = (size_t)bpf_map__max_entries(map) *
		      bpf_map__value_size(map);
	void *p;

	size = (size + 4095) & ~(size_t)4095;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(map), 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, src, bytes);
	munmap(p, size);
	return 0;
}

/* ---- the policy, and the bench object loaded with it ---- */

static int open_policy(struct bench *bn, __u64 *seed)
{
	char path[] = "/tmp/m2m-bench-XXXXXX";
	double t0 = now_ms();
	int fd, err;

	if (policy_file) {
		err = m2m_compile_open(policy_file, stderr, &bn->blob,
				       &bn->len, &bn->t);
		bn->compile_ms = now_ms() - t0;
		return err;
	}
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	tp_random_policy(&bn->p, seed, 6, 1000);
	err = tp_write_policy(&bn->p, seed, path, true);
	err = err ?: m2m_compile_open(path, stderr, &bn->blob, &bn->len,
				      &bn->t);
	unlink(path);
	return err;
}

static struct bpf_map *lpm_map(struct bench_bpf *skel, int table)
{
	struct bpf_map *maps[] = { skel->maps.lpm_dst4, skel->maps.lpm_dst6,
				   skel->maps.lpm_src4, skel->maps.lpm_src6 };

	return maps[table];
}

static int load(struct bench *bn)
{
	struct bounds b[M2M_BPF_TABLES];
	struct sorted_data sd[M2M_BPF_TABLES];
	unsigned long n[M2M_BPF_TABLES] = { 0 };
	struct sorted_table *st;
	void *src[3];
	int i, j, err;
	double t0;

	bn->skel = bench_bpf__open();
	if (!bn->skel)
		return -errno;
	err = m2m_bpf_shape(&bn->t, 1, &bn->cfg);
	err = err ?: m2m_bpf_size(bn->skel->obj, &bn->cfg, bn->len);
	if (err)
		return err;
	bn->skel->rodata->m2m_cfg = bn->cfg;

	for (i = 0; i < M2M_BPF_TABLES; i++) {
		get_bounds(&bn->t, i, &b[i]);
		fill_lpm(-1, &b[i], &n[i]);
		bpf_map__set_max_entries(lpm_map(bn->skel, i), n[i] + 1);
		sorted_build(&b[i], &sd[i]);
		st = (struct sorted_table *)&bn->skel->rodata->sorted[i];
		sorted_size(sorted_map(bn->skel, i, 0), sd[i].bytes[0],
			    &st->idx);
		sorted_size(sorted_map(bn->skel, i, 1), sd[i].bytes[1],
			    &st->key);
		sorted_size(sorted_map(bn->skel, i, 2), sd[i].bytes[2],
			    &st->value);
		st->steps = sd[i].steps;
		bn->sorted_bytes += sd[i].bytes[0] + sd[i].bytes[1] +
				    sd[i].bytes[2];
	}

	err = bench_bpf__load(bn->skel);
	t0 = now_ms();
	err = err ?: m2m_bpf_fill(bn->skel->obj, &bn->cfg, &bn->t, bn->blob,
				  bn->len);
	bn->fill_rt_ms = now_ms() - t0;
	for (i = 0; i < M2M_BPF_TABLES && !err; i++) {
		src[0] = sd[i].idx;
		src[1] = sd[i].key;
		src[2] = sd[i].value;
		for (j = 0; j < 3 && !err; j++)
			err = copy_array(sorted_map(bn->skel, i, j), src[j],
					 sd[i].bytes[j]);
		t0 = now_ms();
		err = err ?: fill_lpm(bpf_map__fd(lpm_map(bn->skel, i)),
				      &b[i], &bn->prefixes);
		bn->fill_lpm_ms += now_ms() - t0;
	}
	for (i = 0; i < M2M_BPF_TABLES; i++) {
		free_bounds(&b[i]);
		sorted_free(&sd[i]);
	}
	return err;
}

/* ---- packets ---- */

/* A plain packet of flow F: no options, no extension headers. */
static void packet(const struct m2m_flow *f, struct tp_pkt *k)
{
	struct ethhdr *eth = (struct ethhdr *)k->data;
	__u8 *ip = k->data + ETH_HLEN, *l4;
	unsigned int hlen = f->family == AF_INET ? 20 : 40;

	memset(k, 0, sizeof(*k));
	k->flow = *f;
	eth->h_proto = htons(f->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	if (f->family == AF_INET) {
		ip[0] = 0x45;
		*(__u16 *)(ip + 2) = htons(hlen + 8);
		ip[9] = f->proto;
		*(__u32 *)(ip + 12) = htonl(f->src4);
		*(__u32 *)(ip + 16) = htonl(f->dst4);
	} else {
		ip[0] = 0x60;
		*(__u16 *)(ip + 4) = htons(8);
		ip[6] = f->proto;
		*(__u64 *)(ip + 8) = htobe64(f->src6_hi);
		*(__u64 *)(ip + 16) = htobe64(f->src6_lo);
		*(__u64 *)(ip + 24) = htobe64(f->dst6_hi);
		*(__u64 *)(ip + 32) = htobe64(f->dst6_lo);
	}
	l4 = ip + hlen;
	*(__u16 *)(l4 + 2) = htons(f->dport);
	k->len = ETH_HLEN + hlen + 8;
}

/* ---- timing ---- */

static int prog_of(struct bench_bpf *skel, int v, bool loop)
{
	struct bpf_program *tc[] = { skel->progs.bench_none,
				     skel->progs.bench_rtable,
				     skel->progs.bench_sorted,
				     skel->progs.bench_lpm };
	struct bpf_program *lp[] = { skel->progs.loop_none,
				     skel->progs.loop_rtable,
				     skel->progs.loop_sorted,
				     skel->progs.loop_lpm };

	return bpf_program__fd(loop ? lp[v] : tc[v]);
}

/* Mean ns of one run of PROG over packet K, REPEAT times in the kernel. */
static double time_run(int prog, const struct tp_pkt *k, int repeat,
		       __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = k->data,
		.data_size_in = k->len,
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog, &opts))
		return -1;
	*retval = opts.retval;
	return opts.duration;
}

enum { HOT, VARIED, NMODES };

/* Mean ns per packet, by mode, family (0: IPv4) and variant. */
struct result {
	double ns[NMODES][2][NVARIANTS];
	unsigned int npackets[2];
	unsigned long differ[NVARIANTS];
};

/* NPACKETS random packets of the policy, with the values they look up. */
struct sample {
	struct tp_pkt k;
	__u32 src, dst;
};

static struct sample *make_samples(struct bench *bn, __u64 *seed, int n)
{
	struct sample *s = calloc(n, sizeof(*s));
	struct m2m_flow f;
	int i;

	for (i = 0; s && i < n; i++) {
		f = tp_random_flow(seed, &bn->p);
		if (f.proto == IPPROTO_ICMPV6)
			f.proto = IPPROTO_UDP;
		packet(&f, &s[i].k);
		s[i].src = f.family == AF_INET ?
			m2m_rtable4_lookup(bn->t.src4, f.src4) :
			m2m_rtable6_lookup(bn->t.src6, f.src6_hi, f.src6_lo);
		s[i].dst = f.family == AF_INET ?
			m2m_rtable4_lookup(bn->t.dst4, f.dst4) :
			m2m_rtable6_lookup(bn->t.dst6, f.dst6_hi, f.dst6_lo);
	}
	return s;
}

/* Run sample S in variant V, REPEAT times: the mean ns of one run. */
static double time_sample(struct bench *bn, const struct sample *s, int v,
			  int repeat, __u32 *ret)
{
	bn->skel->bss->bench_src = s->src;
	bn->skel->bss->bench_dst = s->dst;
	return time_run(prog_of(bn->skel, v, false), &s->k, repeat, ret);
}

/*
 * Each packet in each variant: REPEAT times in a row (the same packet,
 * caches hot), then once, packet after packet. Other work on the machine
 * only ever adds time, so each figure is the least of PASSES tries, the
 * variants taking turns.
 */
static int time_packets(struct bench *bn, const struct sample *s, int n,
			int repeat, int passes, struct result *r)
{
	double (*best)[NMODES][NVARIANTS] = calloc(n, sizeof(*best)), ns;
	int i, v, pass, mode, fam;
	__u32 ret[NVARIANTS];

	if (!best)
		return -1;
	for (i = 0; i < n; i++)
		for (mode = 0; mode < NMODES; mode++)
			for (v = 0; v < NVARIANTS; v++)
				best[i][mode][v] = 1e12;

	for (pass = 0; pass < passes; pass++) {
		for (mode = 0; mode < NMODES; mode++) {
			for (i = 0; i < n; i++) {
				for (v = 0; v < NVARIANTS; v++) {
					ns = time_sample(bn, &s[i], v,
							 mode == HOT ? repeat :
								       1,
							 &ret[v]);
					if (ns < 0)
						goto fail;
					if (ns < best[i][mode][v])
						best[i][mode][v] = ns;
				}
				for (v = 0; !pass && v < NVARIANTS; v++)
					r->differ[v] += ret[v] != ret[V_NONE];
			}
		}
	}

	for (i = 0; i < n; i++) {
		fam = s[i].k.flow.family == AF_INET6;
		r->npackets[fam]++;
		for (mode = 0; mode < NMODES; mode++)
			for (v = 0; v < NVARIANTS; v++)
				r->ns[mode][fam][v] += best[i][mode][v];
	}
	for (fam = 0; fam < 2; fam++)
		for (mode = 0; mode < NMODES; mode++)
			for (v = 0; v < NVARIANTS; v++)
				r->ns[mode][fam][v] /= r->npackets[fam] ?: 1;
	free(best);
	return 0;

fail:
	free(best);
	return -1;
}

/*
 * Mean ns of one lookup alone, over random addresses (HOT: the same ones
 * over and over): the best of 5.
 */
static int time_lookups(struct bench *bn, int repeat, bool hot, double *ns)
{
	struct tp_pkt k = { .len = ETH_HLEN };
	int v, pass;
	double t;
	__u32 ret;

	bn->skel->bss->bench_hot = hot;
	for (v = 0; v < NVARIANTS; v++)
		ns[v] = 1e12;
	for (pass = 0; pass < 5; pass++) {
		for (v = 0; v < NVARIANTS; v++) {
			t = time_run(prog_of(bn->skel, v, true), &k, repeat,
				     &ret);
			if (t < 0)
				return -1;
			t /= 2 * LOOKUP_BATCH;
			if (t < ns[v])
				ns[v] = t;
		}
	}
	return 0;
}

static double rt_bytes(const struct m2m_bpf_cfg *cfg)
{
	double bytes = 0;
	int i;

	for (i = 0; i < M2M_BPF_TABLES; i++)
		bytes += cfg->rt[i].index.bytes + cfg->rt[i].leaves.bytes;
	return bytes;
}

/* Mean over both families, weighted by their packets. */
static double mean(const struct result *r, int mode, int v)
{
	unsigned int n = r->npackets[0] + r->npackets[1];

	return (r->ns[mode][0][v] * r->npackets[0] +
		r->ns[mode][1][v] * r->npackets[1]) / (n ?: 1);
}

static void print_row(const struct result *r, int v, int fam)
{
	double lk[NMODES], lpm[NMODES], ns;
	int mode;

	printf("  %-20s", names[v]);
	for (mode = 0; mode < NMODES; mode++) {
		ns = fam < 0 ? mean(r, mode, v) : r->ns[mode][fam][v];
		lk[mode] = ns - (fam < 0 ? mean(r, mode, V_NONE) :
					   r->ns[mode][fam][V_NONE]);
		lpm[mode] = (fam < 0 ? mean(r, mode, V_LPM) :
				       r->ns[mode][fam][V_LPM]) -
			    (fam < 0 ? mean(r, mode, V_NONE) :
				       r->ns[mode][fam][V_NONE]);
		if (v == V_NONE)
			printf(" %8.1f %8s %8s  ", ns, "-", "-");
		else
			printf(" %8.1f %8.1f %7.1fx  ", ns, lk[mode],
			       lpm[mode] / lk[mode]);
	}
	if (fam < 0 && v != V_NONE)
		printf(" %lu", r->differ[v]);
	putchar('\n');
}

static void print_results(const struct bench *bn, const struct result *r,
			  const double *lk, const double *lk_hot, int repeat,
			  int passes)
{
	static const char *const fams[] = { "IPv4", "IPv6" };
	double lpm1 = lk[V_LPM] - lk[V_NONE];
	double lpm2 = lk_hot[V_LPM] - lk_hot[V_NONE];
	int v, fam;

	printf("m2mguard eBPF datapath: the tc verdict program by "
	       "BPF_PROG_TEST_RUN\n");
	printf("policy: Tor geoip, %u + %u geo ranges; 1000 endpoints "
	       "(%u records), 6 classes\n", bn->t.geo ? bn->t.geo->entries4 : 0,
	       bn->t.geo ? bn->t.geo->entries6 : 0, bn->t.nendpoints);
	printf("tables: range table %.1f MiB, sorted %.1f MiB, LPM tries "
	       "%lu prefixes\n", rt_bytes(&bn->cfg) / 1048576.0,
	       bn->sorted_bytes / 1048576.0, bn->prefixes);
	printf("packets: %u IPv4, %u IPv6, random flows of the policy\n\n",
	       r->npackets[0], r->npackets[1]);

	printf("  %-20s %-28s %-28s\n", "", "same packet, repeat ",
	       "packet after packet, once");
	printf("  %-20s %8s %8s %8s   %8s %8s %8s   %s\n", "variant",
	       "ns/pkt", "lookups", "LPM/x", "ns/pkt", "lookups", "LPM/x",
	       "verdicts differ");
	for (v = 0; v < NVARIANTS; v++)
		print_row(r, v, -1);
	for (fam = 0; fam < 2; fam++) {
		printf("\n  %s only\n", fams[fam]);
		for (v = 0; v < NVARIANTS; v++)
			print_row(r, v, fam);
	}
	printf("\n  (repeat %d; each figure the best of %d tries; lookups: "
	       "ns/pkt less \"no lookup\")\n", repeat, passes);

	printf("\none destination lookup alone (half IPv4, half IPv6), in "
	       "batches of %d\n\n", 2 * LOOKUP_BATCH);
	printf("  %-20s %-20s %-20s\n", "", "random addresses",
	       "the same address");
	printf("  %-20s %10s %8s  %10s %8s\n", "variant", "ns/lookup",
	       "LPM/x", "ns/lookup", "LPM/x");
	for (v = V_RTABLE; v < NVARIANTS; v++)
		printf("  %-20s %10.1f %7.1fx  %10.1f %7.1fx\n", names[v],
		       lk[v] - lk[V_NONE], lpm1 / (lk[v] - lk[V_NONE]),
		       lk_hot[v] - lk_hot[V_NONE],
		       lpm2 / (lk_hot[v] - lk_hot[V_NONE]));
}

/* Timings of one CPU, not of migrations. */
static void stay_on_one_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- a given policy and destinations (scripts/bench) ---- */

#define TC_ACT_SHOT	2
#define USER_ROUNDS	16	/* passes over a set per userspace timing */

static volatile __u32 sink;	/* keeps the timed lookups */

/* The flows of the addresses in PATH, from 10.1.0.3 or fd01::3. */
static struct m2m_flow *read_flows(const char *path, int *n)
{
	struct m2m_flow *f = NULL, *x;
	char line[128];
	__u8 b[16];
	int cap = 0;
	FILE *fp = fopen(path, "r");

	*n = 0;
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = 0;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			x = realloc(f, cap * sizeof(*f));
			if (!x)
				goto fail;
			f = x;
		}
		x = &f[*n];
		memset(x, 0, sizeof(*x));
		x->proto = IPPROTO_UDP;
		x->dport = 9000;
		if (inet_pton(AF_INET, line, b) == 1) {
			x->family = AF_INET;
			x->src4 = 0x0a010003;
			x->dst4 = ntohl(*(__u32 *)b);
		} else if (inet_pton(AF_INET6, line, b) == 1) {
			x->family = AF_INET6;
			x->src6_hi = 0xfd01000000000000ULL;
			x->src6_lo = 3;
			x->dst6_hi = be64toh(*(__u64 *)b);
			x->dst6_lo = be64toh(*(__u64 *)(b + 8));
		} else {
			fprintf(stderr, "bench_bpf: %s: not an address: `%s'\n",
				path, line);
			goto fail;
		}
		(*n)++;
	}
	fclose(fp);
	return f;

fail:
	fclose(fp);
	free(f);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The userspace range table: median ns of one destination lookup. */
static double time_user(const struct m2m_tables *t,
			const struct m2m_flow *f, int n, int passes)
{
	double ns[passes], t0;
	__u32 sum = 0;
	int p, r, i;

	for (p = 0; p < passes; p++) {
		t0 = now_ms();
		for (r = 0; r < USER_ROUNDS; r++)
			for (i = 0; i < n; i++)
				sum += f[i].family == AF_INET ?
				       m2m_rtable4_lookup(t->dst4, f[i].dst4) :
				       m2m_rtable6_lookup(t->dst6,
							  f[i].dst6_hi,
							  f[i].dst6_lo);
		ns[p] = (now_ms() - t0) * 1e6 / ((double)USER_ROUNDS * n);
	}
	sink = sum;
	qsort(ns, passes, sizeof(*ns), cmp_double);
	return ns[passes / 2];
}

static long map_memlock(int fd)
{
	char path[64], line[128];
	long bytes = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "memlock: %ld", &bytes) == 1)
			break;
	fclose(fp);
	return bytes;
}

static long lpm_bytes(struct bench *bn)
{
	long sum = 0, b;
	int i;

	for (i = 0; i < M2M_BPF_TABLES; i++) {
		b = map_memlock(bpf_map__fd(lpm_map(bn->skel, i)));
		if (b > 0)
			sum += b;
	}
	return sum;
}

/*
 * Every packet of SET once in each tc variant, packet after packet, the
 * best of PASSES; one CSV line per contender.
 */
static int compare_set(struct bench *bn, const char *label, const char *set,
		       int passes)
{
	static const int variants[] = { V_RTABLE, V_LPM, V_NONE };
	static const char *const who[] = { "m2mguard-tc", "bpf-lpm-trie",
					   "tc-no-lookup" };
	unsigned long drops[3] = { 0 }, user_drops = 0;
	double sum[3] = { 0 }, best, ns, load[3];
	long bytes[3];
	struct m2m_verdict v;
	struct sample s;
	const char *name;
	int n, i, k, p;
	__u32 ret = 0;
	struct m2m_flow *f = read_flows(set, &n);

	if (!f || !n)
		return -1;
	name = strrchr(set, '/') ? strrchr(set, '/') + 1 : set;
	if (!strncmp(name, "dst-", 4))
		name += 4;
	for (i = 0; i < n; i++) {
		m2m_classify(&bn->t, &f[i], bn->t.settings->mode, &v);
		user_drops += v.drop;
	}
	printf("host,m2mguard-user,%s,%s,%d,%lu,%.2f,%.1f,%zu\n", label,
	       name, n, user_drops, time_user(&bn->t, f, n, 9),
	       bn->compile_ms, m2m_tables_size(&bn->t));

	for (i = 0; i < n; i++) {
		packet(&f[i], &s.k);
		s.src = f[i].family == AF_INET ?
			m2m_rtable4_lookup(bn->t.src4, f[i].src4) :
			m2m_rtable6_lookup(bn->t.src6, f[i].src6_hi,
					   f[i].src6_lo);
		s.dst = f[i].family == AF_INET ?
			m2m_rtable4_lookup(bn->t.dst4, f[i].dst4) :
			m2m_rtable6_lookup(bn->t.dst6, f[i].dst6_hi,
					   f[i].dst6_lo);
		for (k = 0; k < 3; k++) {
			best = 1e12;
			for (p = 0; p < passes; p++) {
				ns = time_sample(bn, &s, variants[k], 1, &ret);
				if (ns < 0)
					goto fail;
				if (ns < best)
					best = ns;
			}
			sum[k] += best;
			drops[k] += ret == TC_ACT_SHOT;
		}
	}
	load[0] = bn->fill_rt_ms;
	load[1] = bn->fill_lpm_ms;
	load[2] = 0;
	bytes[0] = m2m_bpf_memory(&bn->cfg, bn->len);
	bytes[1] = lpm_bytes(bn);
	bytes[2] = 0;
	for (k = 0; k < 3; k++)
		printf("host,%s,%s,%s,%d,%lu,%.2f,%.1f,%ld\n", who[k], label,
		       name, n, drops[k], sum[k] / n, load[k], bytes[k]);
	free(f);
	return 0;

fail:
	free(f);
	return -1;
}

int main(int argc, char **argv)
{
	int opt, npackets = 1000, repeat = 1000, passes = 5;
	struct result r = { 0 };
	struct sample *samples;
	struct bench bn = { 0 };
	double lk[NVARIANTS], lk_hot[NVARIANTS];
	const char *label = "policy";
	__u64 seed = 1;

	while ((opt = getopt(argc, argv, "n:r:p:s:P:L:")) != -1) {
		switch (opt) {
		case 'n':
			npackets = atoi(optarg);
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'p':
			passes = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'P':
			policy_file = optarg;
			break;
		case 'L':
			label = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_bpf [-n PACKETS] "
				"[-r REPEAT] [-p PASSES] [-s SEED]\n"
				"       bench_bpf -P POLICY [-L LABEL] "
				"[-p PASSES] DSTFILE...\n");
			return 1;
		}
	}
	stay_on_one_cpu();
	m2m_bpf_verbose(false);
	if (open_policy(&bn, &seed) || load(&bn)) {
		fprintf(stderr, "bench_bpf: cannot set up: %s\n",
			strerror(errno));
		return 1;
	}
	if (policy_file) {
		for (opt = optind; opt < argc; opt++) {
			if (compare_set(&bn, label, argv[opt], passes)) {
				fprintf(stderr, "bench_bpf: %s: %s\n",
					argv[opt], strerror(errno));
				return 1;
			}
		}
		return 0;
	}
	samples = make_samples(&bn, &seed, npackets);
	if (!samples || time_packets(&bn, samples, npackets, repeat, passes,
				     &r) || time_lookups(&bn, repeat, false, lk) ||
	    time_lookups(&bn, repeat, true, lk_hot)) {
		fprintf(stderr, "bench_bpf: BPF_PROG_TEST_RUN: %s\n",
			strerror(errno));
		return 1;
	}
	print_results(&bn, &r, lk, lk_hot, repeat, passes);
	free(samples);
	bench_bpf__destroy(bn.skel);
	tp_free_policy(&bn.p);
	m2m_tables_close(&bn.t);
	free(bn.blob);
	return 0;
}
