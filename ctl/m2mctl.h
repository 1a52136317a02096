/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mctl: commands and the conventions they share.
 */
#ifndef M2MCTL_H
#define M2MCTL_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses. */
enum {
	EXIT_OK = 0,
	EXIT_INPUT = 1,		/* usage or input error */
	EXIT_REFUSED = 2,	/* the kernel or a datapath refused */
};

enum datapath {
	DATAPATH_AUTO,
	DATAPATH_KMOD,
	DATAPATH_BPF,
};

struct opts {
	bool json;
	bool verbose;
	const char *netns;
	enum datapath datapath;
};

extern struct opts opts;

/* Whether commands talk to the eBPF datapath (datapath.c). */
bool use_bpf(void);

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
int cmd_policy_unload(int argc, char **argv);
int cmd_policy_sources(int argc, char **argv);
int cmd_policy_compile(int argc, char **argv);
int cmd_policy_diff(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_policy_show(int argc, char **argv);
int cmd_mode(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_events_set(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_stats_reset(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_zone_list(int argc, char **argv);
int cmd_zone_show(int argc, char **argv);
int cmd_geo_info(int argc, char **argv);
int cmd_geo_lookup(int argc, char **argv);
int cmd_geo_diff(int argc, char **argv);

/*
 * A policy file, compiled or YAML (compiled here), as a blob checked by
 * the module's validator: 0, or -1 after a message.
 */
int policy_blob(const char *path, void **blob, uint32_t *len);

struct m2m_tables;

/* The same, opened into T with the module's validator; -1 after a message. */
int policy_tables(const char *path, void **blob, uint32_t *len,
		  struct m2m_tables *t);

/* The "geo" object: where a policy's jurisdictions came from (or null). */
void print_geo_provenance(const struct m2m_tables *t);

#endif /* M2MCTL_H */
