/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl: commands and the conventions they share.
 */
#ifndef M2MCTL_H
#define M2MCTL_H

#include <stdbool.h>

/* Exit statuses. */
enum {
	EXIT_OK = 0,
	EXIT_INPUT = 1,		/* usage or input error */
	EXIT_REFUSED = 2,	/* the kernel or a datapath refused */
};

struct opts {
	bool json;
	bool verbose;
	const char *netns;
};

extern struct opts opts;

/* A command: "OBJECT VERB" or a lone "OBJECT"; ARGS is its synopsis. */
struct cmd {
	const char *object;
	const char *verb;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv);
	int min_args;
	int max_args;
};

int cmd_status(int argc, char **argv);
int cmd_policy_check(int argc, char **argv);
int cmd_policy_load(int argc, char **argv);
int cmd_policy_compile(int argc, char **argv);
int cmd_policy_diff(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_policy_show(int argc, char **argv);
int cmd_mode(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_stats_reset(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif /* M2MCTL_H */
