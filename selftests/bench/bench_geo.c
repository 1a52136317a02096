// SPDX-License-Identifier: GPL-2.0
/*
 * What a full geo database costs m2mctl: time and peak memory of loading
 * Debian's tor-geoipdb (both families), of compiling a policy over it,
 * and of compiling and opening the result as the module would.
 *
 * Each step is m2mctl itself, run RUNS times in a child process; the
 * time is the median wall time, the peak the largest resident set any
 * run reached (wait4's ru_maxrss), so nothing in this process adds to
 * it.
 *
 * Pushing is measured too, as root: into the module where it is loaded
 * (in the VM), and into the eBPF datapath's maps where the kernel has
 * BPF. Each push runs in a new network namespace, with its own BPF file
 * system and state folder, so that no policy of the host is touched.
 *
 * usage: bench_geo [-n RUNS] [M2MCTL [POLICY]]
 *	  (defaults: 5, build/m2mctl, examples/gateway.yaml)
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#define RUNS_MAX	101

/* Where a push runs: a scratch state folder, and nothing of the host's. */
static char state_dir[] = "/tmp/bench_geo_state.XXXXXX";
static int isolate;

static int isolate_child(void)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return -1;
	return setenv("M2M_STATE_DIR", state_dir, 1);
}

struct sample {
	double secs;
	long peak_kib;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run ARGV once, its output discarded; 0 if it exited with 0. */
static int run_once(char *const argv[], struct sample *s)
{
	struct rusage ru;
	double t0 = now();
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		if (isolate && isolate_child()) {
			perror("bench_geo: a namespace for the push");
			_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	s->secs = now() - t0;
	s->peak_kib = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_geo: %s %s failed (status %d)\n",
			argv[0], argv[1], status);
		return -1;
	}
	return 0;
}

static void remove_state(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/last-good.bin", state_dir);
	unlink(path);
	rmdir(state_dir);
}

static int cmp_secs(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return (x->secs > y->secs) - (x->secs < y->secs);
}

/* Print "WHAT: S s, peak M MiB" for RUNS runs of ARGV. */
static int measure(const char *what, char *const argv[], int runs)
{
	struct sample s[RUNS_MAX];
	long peak = 0;
	int i;

	for (i = 0; i < runs; i++) {
		if (run_once(argv, &s[i]))
			return -1;
		if (s[i].peak_kib > peak)
			peak = s[i].peak_kib;
	}
	qsort(s, runs, sizeof(s[0]), cmp_secs);
	printf("%s: %.2f s, peak %ld MiB\n", what, s[runs / 2].secs,
	       (peak + 1023) / 1024);
	return 0;
}

static int bench(char *m2mctl, char *policy, char *out, int runs)
{
	char *load[] = { m2mctl, "geo", "info", "/usr/share/tor/geoip",
			 "/usr/share/tor/geoip6", NULL };
	char *compile[] = { m2mctl, "policy", "compile", policy, "-o", out,
			    NULL };
	char *check[] = { m2mctl, "policy", "check", policy, NULL };
	char *kmod[] = { m2mctl, "-d", "kmod", "policy", "load", policy, NULL };
	char *bpf[] = { m2mctl, "-d", "bpf", "policy", "load", policy, NULL };
	int err;

	printf("# %s over tor-geoipdb, median of %d runs\n", policy, runs);
	err = measure("geo load", load, runs) ||
	      measure("geo+compile", compile, runs) ||
	      measure("geo+compile+tables", check, runs);
	if (err)
		return err;

	if (geteuid()) {
		printf("push: skipped, needs root\n");
		return 0;
	}
	if (!mkdtemp(state_dir)) {
		perror("bench_geo: mkdtemp");
		return -1;
	}
	isolate = 1;
	if (access("/sys/module/m2mguard", F_OK))
		printf("geo+compile+push (module): skipped, not loaded\n");
	else
		err = measure("geo+compile+push (module)", kmod, runs);
	if (!err && access("/sys/fs/bpf", F_OK))
		printf("geo+compile+push (eBPF): skipped, no BPF file "
		       "system\n");
	else if (!err)
		err = measure("geo+compile+push (eBPF)", bpf, runs);
	isolate = 0;
	remove_state();
	return err;
}

int main(int argc, char **argv)
{
	char *m2mctl = "build/m2mctl", *policy = "examples/gateway.yaml";
	char out[] = "/tmp/bench_geo.XXXXXX";
	int runs = 5, fd, err, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		runs = opt == 'n' ? atoi(optarg) : 0;
		if (runs < 1 || runs > RUNS_MAX) {
			fprintf(stderr, "usage: bench_geo [-n RUNS] "
				"[M2MCTL [POLICY]]\n");
			return 1;
		}
	}
	if (optind < argc)
		m2mctl = argv[optind++];
	if (optind < argc)
		policy = argv[optind++];
	fd = mkstemp(out);
	if (fd < 0) {
		perror("bench_geo: mkstemp");
		return 1;
	}
	close(fd);

	err = bench(m2mctl, policy, out, runs);
	unlink(out);
	return err ? 1 : 0;
}
