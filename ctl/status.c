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
	uint8_t hash[32];
	int has_policy;
	uint32_t size;
	uint64_t memory;
	uint8_t mode;
	uint8_t privacy;
	uint32_t event_rate;
	uint32_t interval;
};

static void parse_attr(struct info *info, const struct nlattr *attr)
{
	switch (mnl_attr_get_type(attr)) {
	case M2M_A_VERSION:
		snprintf(info->version, sizeof(info->version), "%s",
			 mnl_attr_get_str(attr));
		break;
	case M2M_A_GENERATION:
		info->generation = mnl_attr_get_u64(attr);
		break;
	case M2M_A_POLICY_HASH:
		if (mnl_attr_get_payload_len(attr) == sizeof(info->hash)) {
			memcpy(info->hash, mnl_attr_get_payload(attr),
			       sizeof(info->hash));
			info->has_policy = 1;
		}
		break;
	case M2M_A_POLICY_SIZE:
		info->size = mnl_attr_get_u32(attr);
		break;
	case M2M_A_MEMORY:
		info->memory = mnl_attr_get_u64(attr);
		break;
	case M2M_A_MODE:
		info->mode = mnl_attr_get_u8(attr);
		break;
	case M2M_A_PRIVACY:
		info->privacy = mnl_attr_get_u8(attr);
		break;
	case M2M_A_EVENT_RATE:
		info->event_rate = mnl_attr_get_u32(attr);
		break;
	case M2M_A_COUNTER_INTERVAL:
		info->interval = mnl_attr_get_u32(attr);
		break;
	}
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	static const enum mnl_attr_data_type types[M2M_A_MAX + 1] = {
		[M2M_A_VERSION] = MNL_TYPE_NUL_STRING,
		[M2M_A_GENERATION] = MNL_TYPE_U64,
		[M2M_A_POLICY_SIZE] = MNL_TYPE_U32,
		[M2M_A_MEMORY] = MNL_TYPE_U64,
		[M2M_A_MODE] = MNL_TYPE_U8,
		[M2M_A_PRIVACY] = MNL_TYPE_U8,
		[M2M_A_EVENT_RATE] = MNL_TYPE_U32,
		[M2M_A_COUNTER_INTERVAL] = MNL_TYPE_U32,
		[M2M_A_POLICY_HASH] = MNL_TYPE_BINARY,
	};
	struct nlattr *attr;
	uint16_t type;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		type = mnl_attr_get_type(attr);
		if (type <= M2M_A_MAX && types[type] &&
		    mnl_attr_validate(attr, types[type]) == 0)
			parse_attr(data, attr);
	}
	return MNL_CB_OK;
}

static const char *const mode_names[] = { "enforce", "audit" };
static const char *const privacy_names[] = { "pseudonym", "truncate", "raw" };

static const char *name_of(const char *const *names, unsigned int n,
			   unsigned int i)
{
	return i < n ? names[i] : "unknown";
}

int cmd_status(int argc, char **argv)
{
	struct info info = { 0 };
	char hash[65];
	struct m2m_nl nl;
	int err, i;

	(void)argc;
	(void)argv;
	if (m2m_nl_open(&nl))
		return EXIT_REFUSED;
	err = m2m_nl_talk(&nl, m2m_nl_msg(&nl, M2M_CMD_GET_INFO, 0), info_cb,
			  &info);
	m2m_nl_close(&nl);
	if (err)
		return EXIT_REFUSED;
	for (i = 0; i < 32; i++)
		sprintf(hash + 2 * i, "%02x", info.hash[i]);

	out_begin();
	out_str("datapath", "datapath", "kmod");
	out_str("version", "module version", info.version);
	out_str("mode", "mode", name_of(mode_names, 2, info.mode));
	out_u64("generation", "policy generation", info.generation);
	out_str("policy_hash", "policy hash", info.has_policy ? hash : NULL);
	out_u64("policy_size", "policy size", info.size);
	out_u64("memory", "memory", info.memory);
	out_str("privacy", "event privacy",
		name_of(privacy_names, 3, info.privacy));
	out_u64("event_rate", "events per second", info.event_rate);
	out_u64("counter_interval_ms", "counter interval ms", info.interval);
	out_end();
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
