// SPDX-License-Identifier: GPL-2.0
/*
 * Which datapath a command talks to, and m2mctl attach|detach for the
 * eBPF one.
 *
 * Without --datapath, m2mctl talks to the module when it is loaded, and
 * to the eBPF datapath when that is set up (M2M_BPF_DIR) and the module
 * is not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf.h"
#include "m2mctl.h"
#include "out.h"

bool use_bpf(void)
{
	if (opts.datapath == DATAPATH_AUTO)
		opts.datapath = m2m_bpf_present() &&
				access("/sys/module/m2mguard", F_OK) ?
				DATAPATH_BPF : DATAPATH_KMOD;
	if (opts.datapath == DATAPATH_BPF)
		m2m_bpf_verbose(opts.verbose);
	return opts.datapath == DATAPATH_BPF;
}

static const char attach_usage[] =
	"m2mctl: usage: m2mctl attach dev IFNAME | cgroup PATH\n";
static const char detach_usage[] =
	"m2mctl: usage: m2mctl detach [dev IFNAME | cgroup PATH]\n";

static int done(int err, const char *verb, const char *kind,
		const char *what)
{
	if (err)
		return err == -ENODEV || err == -ENOENT ? EXIT_INPUT :
							  EXIT_REFUSED;
	out_begin();
	out_str(verb, verb, what ? what : "all");
	if (kind)
		out_str("kind", "kind", kind);
	out_end();
	return EXIT_OK;
}

int cmd_attach(int argc, char **argv)
{
	(void)argc;
	m2m_bpf_verbose(opts.verbose);
	if (!strcmp(argv[0], "dev"))
		return done(m2m_bpf_attach_dev(argv[1]), "attached", "dev",
			    argv[1]);
	if (!strcmp(argv[0], "cgroup"))
		return done(m2m_bpf_attach_cgroup(argv[1]), "attached",
			    "cgroup", argv[1]);
	fputs(attach_usage, stderr);
	return EXIT_INPUT;
}

int cmd_detach(int argc, char **argv)
{
	m2m_bpf_verbose(opts.verbose);
	if (argc == 0)
		return done(m2m_bpf_detach_all(), "detached", NULL, NULL);
	if (argc == 2 && !strcmp(argv[0], "dev"))
		return done(m2m_bpf_detach_dev(argv[1]), "detached", "dev",
			    argv[1]);
	if (argc == 2 && !strcmp(argv[0], "cgroup"))
		return done(m2m_bpf_detach_cgroup(argv[1]), "detached",
			    "cgroup", argv[1]);
	fputs(detach_usage, stderr);
	return EXIT_INPUT;
}
