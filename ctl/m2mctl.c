// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl: the control tool of m2mguard. Global options, the command table
 * and the help generated from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "m2mctl.h"
#include "out.h"

struct opts opts;

static const struct cmd cmds[] = {
	{ "policy", "check", "FILE",
	  "compile a policy and say what it holds",
	  cmd_policy_check, 1, 1 },
	{ "policy", "load", "FILE [--dry-run]",
	  "swap a policy in atomically, or show what would change",
	  cmd_policy_load, 1, 2 },
	{ "policy", "compile", "FILE -o OUT", "write the compiled policy",
	  cmd_policy_compile, 3, 3 },
	{ "policy", "diff", "FILE",
	  "what FILE changes against the policy in force",
	  cmd_policy_diff, 1, 1 },
	{ "policy", "show", "", "the policy in force", cmd_policy_show, 0, 0 },
	{ "policy", "unload", "",
	  "remove the policy in force: the namespace passes everything",
	  cmd_policy_unload, 0, 0 },
	{ "policy", "sources", "FILE",
	  "the source prefixes a policy governs, with their class",
	  cmd_policy_sources, 1, 1 },
	{ "stats", "reset", "", "zero the counters", cmd_stats_reset, 0, 0 },
	{ "stats", NULL, "[--by reason|endpoint|class|country]... "
	  "[--prometheus]",
	  "counters of the policy in force (text, JSON, Prometheus)",
	  cmd_stats, 0, 9 },
	{ "mode", NULL, "enforce|audit", "drop, or only count, what is not "
	  "compliant", cmd_mode, 1, 1 },
	{ "events", "set", "[rate N] [privacy P] [interval MS]",
	  "event rate, source privacy (pseudonym|truncate|raw), snapshot ms",
	  cmd_events_set, 2, 6 },
	{ "monitor", NULL, "[--count N] [--timeout SEC]",
	  "print drop events, counter snapshots and policy changes",
	  cmd_monitor, 0, 4 },
	{ "explain", NULL, "SRC DST [PROTO [PORT]] [--policy FILE]",
	  "the verdict for one flow, and why", cmd_explain, 2, 6 },
	{ "zone", "list", "[--policy FILE]",
	  "built-in zones, and those of a policy", cmd_zone_list, 0, 2 },
	{ "zone", "show", "NAME [--policy FILE]",
	  "a zone's countries, with the legal instrument of each",
	  cmd_zone_show, 1, 3 },
	{ "geo", "info", "FILE [FILE6] [--format tor|csv|mmdb]",
	  "a geo database: entries, coverage, date, sha256",
	  cmd_geo_info, 1, 4 },
	{ "geo", "lookup", "ADDR [--geo FILE [FILE6]] [--format F]",
	  "the country of an address, and the entry that says so",
	  cmd_geo_lookup, 1, 6 },
	{ "geo", "diff", "OLD[,OLD6] NEW[,NEW6] --policy FILE "
	  "[--old-format F] [--new-format F]",
	  "what replacing geo database OLD by NEW changes for a policy",
	  cmd_geo_diff, 4, 8 },
	{ "attach", NULL, "dev IFNAME | cgroup PATH",
	  "run the eBPF datapath on a device's tc egress or a cgroup's "
	  "egress", cmd_attach, 2, 2 },
	{ "detach", NULL, "[dev IFNAME | cgroup PATH]",
	  "stop the eBPF datapath there (everywhere without arguments)",
	  cmd_detach, 0, 2 },
	{ "status", NULL, "",
	  "datapath, version and the policy in force", cmd_status, 0, 0 },
	{ "version", NULL, "", "m2mctl's version", cmd_version, 0, 0 },
};

static void usage(FILE *f)
{
	const struct cmd *c;
	char name[96];

	fprintf(f, "Usage: m2mctl [-j] [-v] [-n NETNS] [-d kmod|bpf] OBJECT "
		"[VERB] [ARGS]\n"
		"\n"
		"Options:\n"
		"  -j, --json        print JSON\n"
		"  -v, --verbose     say more\n"
		"  -n, --netns NAME  act in network namespace NAME "
		"(/run/netns/NAME)\n"
		"  -d, --datapath D  the kernel module (kmod) or eBPF (bpf); "
		"default:\n"
		"                    the module if loaded, else eBPF if set up\n"
		"  -h, --help        this text\n"
		"\nCommands:\n");
	for (c = cmds; c < cmds + sizeof(cmds) / sizeof(cmds[0]); c++) {
		snprintf(name, sizeof(name), "%s%s%s %s", c->object,
			 c->verb ? " " : "", c->verb ? c->verb : "", c->args);
		if (strlen(name) > 34)
			fprintf(f, "  %s\n  %-34s %s\n", name, "", c->help);
		else
			fprintf(f, "  %-34s %s\n", name, c->help);
	}
	fprintf(f, "\nExit status: 0 success, 1 usage or input error, "
		"2 the kernel or datapath refused.\n");
}

static int set_datapath(const char *name)
{
	if (!strcmp(name, "kmod")) {
		opts.datapath = DATAPATH_KMOD;
	} else if (!strcmp(name, "bpf")) {
		opts.datapath = DATAPATH_BPF;
	} else {
		fprintf(stderr, "m2mctl: unknown datapath `%s'; expected "
			"`kmod' or `bpf'\n", name);
		return -1;
	}
	return 0;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "m2mctl: cannot open network namespace "
			"`%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "m2mctl: cannot enter network namespace "
			"`%s': %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static const struct cmd *find_cmd(int argc, char **argv, int *used)
{
	const struct cmd *c, *lone = NULL;

	for (c = cmds; c < cmds + sizeof(cmds) / sizeof(cmds[0]); c++) {
		if (strcmp(c->object, argv[0]))
			continue;
		if (!c->verb)
			lone = c;
		else if (argc > 1 && !strcmp(c->verb, argv[1])) {
			*used = 2;
			return c;
		}
	}
	*used = 1;
	return lone;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "netns", required_argument, NULL, 'n' },
		{ "datapath", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *c;
	int opt, used, nargs;

	while ((opt = getopt_long(argc, argv, "+jvn:d:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'j':
			opts.json = true;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'n':
			opts.netns = optarg;
			break;
		case 'd':
			if (set_datapath(optarg))
				return EXIT_INPUT;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_INPUT;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_INPUT;
	}

	c = find_cmd(argc, argv, &used);
	if (!c) {
		fprintf(stderr, "m2mctl: unknown command `%s%s%s'; "
			"try `m2mctl --help'\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		return EXIT_INPUT;
	}
	nargs = argc - used;
	if (nargs < c->min_args || nargs > c->max_args) {
		fprintf(stderr, "m2mctl: usage: m2mctl %s%s%s %s\n", c->object,
			c->verb ? " " : "", c->verb ? c->verb : "", c->args);
		return EXIT_INPUT;
	}
	if (opts.netns && enter_netns(opts.netns))
		return EXIT_INPUT;

	out_init(opts.json);
	return c->run(nargs, argv + used);
}
