// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl status and version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/m2mguard.h>
#include <m2mguard/tables.h>

#include "bpf.h"
#include "kmod.h"
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
	uint64_t events_lost;
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
	case M2M_A_EVENTS_LOST:
		info->events_lost = mnl_attr_get_u64(attr);
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
		[M2M_A_EVENTS_LOST] = MNL_TYPE_U64,
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

/*
 * Where the jurisdictions of the policy in force came from, read from
 * that policy's own GEO section: null when none is loaded or it cannot be
 * read (a status is still worth printing then).
 */
static void show_geo(bool has_policy)
{
	struct m2m_tables t;
	uint64_t generation;
	struct m2m_nl nl;
	const char *why;
	void *blob = NULL;
	uint32_t len;
	int err;

	if (!has_policy || (!use_bpf() && m2m_nl_open(&nl))) {
		print_geo_provenance(NULL);
		return;
	}
	if (use_bpf()) {
		err = m2m_bpf_fetch(&blob, &len, &generation);
	} else {
		err = kmod_fetch(&nl, &blob, &len, &generation);
		m2m_nl_close(&nl);
	}
	if (err || m2m_tables_open(&t, blob, len, &why)) {
		print_geo_provenance(NULL);
		free(blob);
		return;
	}
	print_geo_provenance(&t);
	m2m_tables_close(&t);
	free(blob);
}

/* The eBPF datapath's figures, in the module's terms. */
static int bpf_info(struct info *info)
{
	struct m2m_bpf_info b;
	int err;

	err = m2m_bpf_info(&b);
	if (err)
		return err;
	snprintf(info->version, sizeof(info->version), "%s", M2MCTL_VERSION);
	info->generation = b.generation;
	memcpy(info->hash, b.hash, sizeof(info->hash));
	info->has_policy = b.has_policy;
	info->size = b.size;
	info->memory = b.memory;
	info->mode = b.mode;
	info->privacy = b.privacy;
	info->event_rate = b.event_rate;
	info->interval = b.counter_interval;
	info->events_lost = b.events_lost;
	return 0;
}

static int kmod_info(struct info *info)
{
	struct m2m_nl nl;
	int err;

	if (m2m_nl_open(&nl))
		return -1;
	err = m2m_nl_talk(&nl, m2m_nl_msg(&nl, M2M_CMD_GET_INFO, 0), info_cb,
			  info);
	m2m_nl_close(&nl);
	return err;
}

int cmd_status(int argc, char **argv)
{
	struct info info = { 0 };
	char hash[65];
	int i;

	(void)argc;
	(void)argv;
	if (use_bpf() ? bpf_info(&info) : kmod_info(&info))
		return EXIT_REFUSED;
	for (i = 0; i < 32; i++)
		sprintf(hash + 2 * i, "%02x", info.hash[i]);

	out_begin();
	out_str("datapath", "datapath", use_bpf() ? "bpf" : "kmod");
	out_str("version", use_bpf() ? "version" : "module version",
		info.version);
	out_str("mode", "mode", name_of(mode_names, 2, info.mode));
	out_u64("generation", "policy generation", info.generation);
	out_str("policy_hash", "policy hash", info.has_policy ? hash : NULL);
	out_u64("policy_size", "policy size", info.size);
	out_u64("memory", "memory", info.memory);
	out_str("privacy", "event privacy",
		name_of(privacy_names, 3, info.privacy));
	out_u64("event_rate", "events per second", info.event_rate);
	out_u64("counter_interval_ms", "counter interval ms", info.interval);
	out_u64("events_lost", "events lost", info.events_lost);
	show_geo(info.has_policy);
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
