// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl status and version.
 */
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>

#include "m2mctl.h"
#include "nl.h"
#include "out.h"

#define M2MCTL_VERSION "0.1.0"

struct info {
	char version[32];
	uint64_t generation;
};

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	struct info *info = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case M2M_A_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(info->version, sizeof(info->version),
					 "%s", mnl_attr_get_str(attr));
			break;
		case M2M_A_GENERATION:
			if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
				info->generation = mnl_attr_get_u64(attr);
			break;
		}
	}
	return MNL_CB_OK;
}

int cmd_status(int argc, char **argv)
{
	struct info info = { 0 };
	struct m2m_nl nl;
	int err;

	(void)argc;
	(void)argv;
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	err = m2m_nl_talk(&nl, m2m_nl_msg(&nl, M2M_CMD_GET_INFO, 0), info_cb,
			  &info);
	if (err) {
		m2m_nl_close(&nl);
		return EXIT_REFUSED;
	}

	out_begin();
	out_str("datapath", "datapath", "kmod");
	out_str("version", "module version", info.version);
	out_u64("generation", "policy generation", info.generation);
	out_end();

	m2m_nl_close(&nl);
	return EXIT_OK;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	out_begin();
	out_str("version", "m2mctl", M2MCTL_VERSION);
	out_end();
	return EXIT_OK;
}
