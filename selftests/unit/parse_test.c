// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the policy language (ctl/parse.c, ctl/zones.c): every
 * mistake an operator can make is refused with its exact message,
 * "policy.yaml:LINE:COL: what is wrong; what was expected", and what is
 * right lands in the model as written.
 *
 * Most policies below are built from the same few lines, so that the line
 * numbers in the expected messages can be read off the macros:
 *
 *	1  purposes: [metering, billing]
 *	2  geo: { format: none }
 *	3  classes:
 *	4    - name: meters
 *	5      sources: [10.0.0.0/16]
 *	6      consent: [billing]
 *	7      zone: eea
 *	8  endpoints:
 *	9    - name: api
 *	10     destinations: [192.0.2.0/24]
 *	11     protocol: tcp
 *	12     ports: [443]
 *	13     purposes: [billing]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "compile.h"
#include "model.h"
#include "zones.h"

#define HEAD	"purposes: [metering, billing]\n" \
		"geo: { format: none }\n"
#define CLASSES	"classes:\n"
#define METERS	"  - name: meters\n" \
		"    sources: [10.0.0.0/16]\n" \
		"    consent: [billing]\n" \
		"    zone: eea\n"
#define ENDPOINTS "endpoints:\n"
#define API	"  - name: api\n" \
		"    destinations: [192.0.2.0/24]\n" \
		"    protocol: tcp\n" \
		"    ports: [443]\n" \
		"    purposes: [billing]\n"
#define GOOD	HEAD CLASSES METERS ENDPOINTS API

/* What m2m_model_parse says about TEXT ("" if it is accepted). */
static char *errors_of_text(const char *text, size_t len)
{
	struct m2m_model m;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!m2m_model_parse(&m, "policy.yaml", text, len, f))
		m2m_model_free(&m);
	fclose(f);
	return buf;
}

static char *errors_of(const char *yaml)
{
	return errors_of_text(yaml, strlen(yaml));
}

/* What parsing and compiling FILE say ("" if both accept it). */
static char *compile_errors_of(const char *file)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	__u32 len;
	void *blob;

	if (!m2m_compile_file(file, f, &blob, &len, NULL))
		free(blob);
	fclose(f);
	return buf;
}

static void write_len(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f))
		abort();
}

static void write_file(const char *path, const char *text)
{
	write_len(path, text, strlen(text));
}

/* A private folder to write files into; the test runs in a child. */
static void enter_tmpdir(void)
{
	char dir[] = "/tmp/m2m-parse-XXXXXX";

	if (!mkdtemp(dir) || chdir(dir))
		abort();
}

/* Parse YAML into M, which must be accepted. */
static int parse_ok(struct m2m_model *m, const char *yaml)
{
	return m2m_model_parse(m, "policy.yaml", yaml, strlen(yaml), stderr);
}

#define REJECTS(test, yaml, msg)			\
TEST(test)						\
{							\
	char *e = errors_of(yaml);			\
							\
	EXPECT_STREQ(msg, e);				\
	free(e);					\
}

/* ---- the text before it is YAML ---- */

TEST(rejects_a_file_larger_than_16_mib)
{
	size_t len = M2M_POLICY_TEXT_MAX + 1;
	char *text = malloc(len), *e;

	ASSERT_NE(NULL, text);
	memset(text, '#', len);
	e = errors_of_text(text, len);
	EXPECT_STREQ("policy.yaml: 16777217 bytes is too large; expected a "
		     "policy file of at most 16 MiB\n", e);
	free(e);

	enter_tmpdir();
	write_len("big.yaml", text, len);
	e = compile_errors_of("big.yaml");
	EXPECT_STREQ("big.yaml: 16777217 bytes is too large; expected a "
		     "policy file of at most 16 MiB\n", e);
	free(e);
	free(text);
}

TEST(rejects_nul_bytes)
{
	static const char text[] = "purposes: [a]\nclasses: [\0]\n";
	char *e = errors_of_text(text, sizeof(text) - 1);

	EXPECT_STREQ("policy.yaml:2:11: NUL byte in a binary file; expected "
		     "UTF-8 text\n", e);
	free(e);
}

REJECTS(rejects_invalid_utf8,
	"purposes: [a]\n# caf\xc3\xa9 \xe9t\xe9\n",
	"policy.yaml:2:8: invalid UTF-8 (byte 0xe9); expected UTF-8 text\n")

REJECTS(rejects_overlong_utf8,
	"purposes: [a]\n#\xc0\xaf\n",
	"policy.yaml:2:2: invalid UTF-8 (byte 0xc0); expected UTF-8 text\n")

REJECTS(rejects_utf8_surrogates,
	"# \xed\xa0\x80\n",
	"policy.yaml:1:3: invalid UTF-8 (byte 0xed); expected UTF-8 text\n")

TEST(rejects_a_missing_file)
{
	char *e;

	enter_tmpdir();
	e = compile_errors_of("nowhere.yaml");
	EXPECT_STREQ("nowhere.yaml: cannot open: No such file or "
		     "directory\n", e);
	free(e);
}

/* ---- YAML ---- */

REJECTS(rejects_malformed_yaml,
	HEAD "classes: [\n  - a\n",
	"policy.yaml:4:3: malformed YAML: did not find expected node "
	"content while parsing a flow node at 4:3; expected valid YAML\n")

REJECTS(rejects_a_bad_mapping,
	"purposes: [a]\nclasses: a: b\n",
	"policy.yaml:2:11: malformed YAML: mapping values are not allowed "
	"in this context; expected valid YAML\n")

REJECTS(rejects_two_documents,
	GOOD "---\npurposes: [a]\n",
	"policy.yaml:15:1: a second YAML document; expected one policy per "
	"file\n")

REJECTS(rejects_an_empty_policy, "# nothing\n",
	"policy.yaml:1:1: empty policy; expected a mapping with purposes, "
	"classes and endpoints\n")

REJECTS(rejects_a_policy_that_is_a_list, "- purposes\n",
	"policy.yaml:1:1: the policy is a list; expected a mapping of "
	"keys\n")

/* ---- keys ---- */

REJECTS(rejects_an_unknown_key_with_a_suggestion,
	GOOD "endpionts: []\n",
	"policy.yaml:14:1: unknown key 'endpionts' in the policy; did you "
	"mean 'endpoints'?\n")

REJECTS(rejects_an_unknown_key_with_the_known_ones,
	HEAD CLASSES METERS "    colour: blue\n" ENDPOINTS API,
	"policy.yaml:8:5: unknown key 'colour' in class 'meters'; expected "
	"one of: name, sources, consent, zone, mode\n")

REJECTS(rejects_a_repeated_key,
	HEAD CLASSES METERS "    zone: adequacy\n" ENDPOINTS API,
	"policy.yaml:8:5: 'zone' appears twice in class 'meters' (first at "
	"7:11); expected it once\n")

REJECTS(rejects_a_missing_top_level_key,
	"purposes: [a]\nclasses: []\n",
	"policy.yaml:1:1: the policy has no 'endpoints'; expected a list "
	"of endpoints\n")

REJECTS(rejects_a_class_without_a_zone,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: [10.0.0.0/16]\n"
	"    consent: [billing]\n"
	ENDPOINTS API,
	"policy.yaml:4:5: class 'meters' has no 'zone'; expected a zone "
	"name, a list of country codes, or a mapping of include, add and "
	"remove\n")

REJECTS(rejects_a_class_without_a_name,
	HEAD CLASSES
	"  - sources: [10.0.0.0/16]\n"
	"    consent: []\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:4:5: class has no 'name'; expected a name such as "
	"smart-meters\n")

REJECTS(rejects_a_class_without_consent_or_sources,
	HEAD CLASSES
	"  - name: meters\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:4:5: class 'meters' has no 'sources'; expected a list "
	"of source prefixes\n"
	"policy.yaml:4:5: class 'meters' has no 'consent'; expected a list "
	"of declared purposes\n")

REJECTS(rejects_an_endpoint_without_destinations_or_purposes,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    protocol: tcp\n",
	"policy.yaml:9:5: endpoint 'api' has no 'destinations'; expected a "
	"list of destination prefixes\n"
	"policy.yaml:9:5: endpoint 'api' has no 'purposes'; expected a "
	"list of declared purposes\n")

/* ---- types ---- */

REJECTS(rejects_a_scalar_where_a_list_belongs,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: 10.0.0.0/16\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:5:14: 'sources' is a scalar; expected a list of "
	"prefixes\n")

REJECTS(rejects_a_list_where_a_scalar_belongs,
	HEAD CLASSES METERS "    mode: [audit]\n" ENDPOINTS API,
	"policy.yaml:8:11: 'mode' is a list; expected enforce or audit\n")

REJECTS(rejects_an_empty_value,
	HEAD CLASSES METERS "    mode:\n" ENDPOINTS API,
	"policy.yaml:8:10: 'mode' is empty; expected enforce or audit\n")

REJECTS(rejects_a_mapping_as_a_list_item,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: [{ a: b }]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:5:15: item of 'sources' is a mapping; expected a "
	"prefix such as 192.0.2.0/24 or 2001:db8::/32\n")

REJECTS(rejects_a_class_that_is_not_a_mapping,
	HEAD CLASSES "  - meters\n" ENDPOINTS API,
	"policy.yaml:4:5: class is a scalar; expected a mapping of keys\n")

/* ---- names ---- */

REJECTS(rejects_duplicate_class_names,
	HEAD CLASSES METERS
	"  - name: meters\n"
	"    sources: [10.1.0.0/16]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:8:5: duplicate class name 'meters' (first at 4:5); "
	"expected a unique name\n")

REJECTS(rejects_duplicate_endpoint_names,
	HEAD CLASSES METERS ENDPOINTS API
	"  - name: api\n"
	"    destinations: [198.51.100.0/24]\n"
	"    purposes: [billing]\n",
	"policy.yaml:14:5: duplicate endpoint name 'api' (first at 9:5); "
	"expected a unique name\n")

REJECTS(rejects_a_name_with_spaces,
	HEAD CLASSES
	"  - name: smart meters\n"
	"    sources: [10.0.0.0/16]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:4:11: name 'smart meters' has a bad character at "
	"position 6; expected a name of letters, digits, '.', '_' or '-', "
	"starting with a letter or digit\n")

/* ---- prefixes ---- */

REJECTS(rejects_host_bits,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: [10.0.0.1/8, \"fd00::1/48\"]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:5:15: bad prefix '10.0.0.1/8' in 'sources': host bits "
	"set (did you mean 10.0.0.0/8?)\n"
	"policy.yaml:5:27: bad prefix 'fd00::1/48' in 'sources': host bits "
	"set (did you mean fd00::/48?)\n")

REJECTS(rejects_bad_addresses_and_lengths,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [300.1.1.0/24, 192.0.2.0/33, example.com]\n"
	"    purposes: [billing]\n",
	"policy.yaml:10:20: bad prefix '300.1.1.0/24' in 'destinations': "
	"bad address; expected a prefix such as 192.0.2.0/24 or "
	"2001:db8::/32\n"
	"policy.yaml:10:34: bad prefix '192.0.2.0/33' in 'destinations': "
	"bad prefix length; expected a prefix such as 192.0.2.0/24 or "
	"2001:db8::/32\n"
	"policy.yaml:10:48: bad prefix 'example.com' in 'destinations': "
	"bad address; expected a prefix such as 192.0.2.0/24 or "
	"2001:db8::/32\n")

REJECTS(rejects_an_empty_prefix_list,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: []\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:5:14: 'sources' is an empty list; expected at least "
	"one prefix\n")

REJECTS(rejects_a_source_in_two_classes,
	HEAD CLASSES METERS
	"  - name: chargers\n"
	"    sources: [10.1.0.0/16, 10.0.0.0/16]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:9:28: source '10.0.0.0/16' of class 'chargers' is "
	"already in class 'meters' (policy.yaml:5:15); expected each source "
	"prefix in one class\n")

REJECTS(rejects_a_source_twice_in_one_class,
	HEAD CLASSES
	"  - name: meters\n"
	"    sources: [\"fd00::/8\", \"fd00:0::/8\"]\n"
	"    consent: [billing]\n"
	"    zone: eea\n"
	ENDPOINTS API,
	"policy.yaml:5:27: source 'fd00:0::/8' is listed twice in class "
	"'meters' (first at 5:15); expected each prefix once\n")

/* ---- ports and protocols ---- */

REJECTS(rejects_ports_out_of_range,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24]\n"
	"    ports: [0, 65536, 443-70000]\n"
	"    purposes: [billing]\n",
	"policy.yaml:11:13: port 0 is out of range; expected 1 to 65535\n"
	"policy.yaml:11:16: port 65536 is out of range; expected 1 to "
	"65535\n"
	"policy.yaml:11:23: port 70000 is out of range; expected 1 to "
	"65535\n")

REJECTS(rejects_reversed_and_malformed_ports,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24]\n"
	"    ports: [9100-9000, https, 80-, -5, 1-2-3]\n"
	"    purposes: [billing]\n",
	"policy.yaml:11:13: port range '9100-9000' is reversed; expected "
	"LOW-HIGH with LOW <= HIGH\n"
	"policy.yaml:11:24: port 'https' is not a number; expected a port "
	"such as 443 or a range such as 9000-9100\n"
	"policy.yaml:11:31: port '80-' is not a number; expected a port "
	"such as 443 or a range such as 9000-9100\n"
	"policy.yaml:11:36: port '-5' is not a number; expected a port such "
	"as 443 or a range such as 9000-9100\n"
	"policy.yaml:11:40: port '1-2-3' is not a number; expected a port "
	"such as 443 or a range such as 9000-9100\n")

REJECTS(rejects_ports_with_icmp,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: ping\n"
	"    destinations: [192.0.2.0/24]\n"
	"    protocol: icmp\n"
	"    ports: [7]\n"
	"    purposes: [billing]\n",
	"policy.yaml:12:12: 'ports' with protocol icmp; expected no ports "
	"(icmp has none)\n")

REJECTS(rejects_an_unknown_protocol,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24]\n"
	"    protocol: tpc\n"
	"    purposes: [billing]\n",
	"policy.yaml:11:15: unknown protocol 'tpc'; expected tcp, udp, icmp "
	"or any\n")

/* ---- purposes ---- */

REJECTS(rejects_an_unknown_purpose,
	"purposes: [metering, billing, maintenance, analytics]\n"
	"geo: { format: none }\n"
	CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24]\n"
	"    purposes: [billng]\n",
	"policy.yaml:11:16: unknown purpose 'billng'; declared purposes: "
	"metering, billing, maintenance, analytics\n")

REJECTS(rejects_a_purpose_declared_twice,
	"purposes: [metering, billing, metering]\n",
	"policy.yaml:1:1: the policy has no 'classes'; expected a list of "
	"classes\n"
	"policy.yaml:1:1: the policy has no 'endpoints'; expected a list of "
	"endpoints\n"
	"policy.yaml:1:31: purpose 'metering' is declared twice; expected "
	"unique purposes\n")

REJECTS(rejects_an_endpoint_without_a_purpose,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24]\n"
	"    purposes: []\n",
	"policy.yaml:11:15: 'purposes' is an empty list; expected at least "
	"one purpose\n")

TEST(rejects_a_65th_purpose)
{
	char yaml[4096] = "purposes: [", *e;
	unsigned int i;

	for (i = 0; i < 65; i++)
		sprintf(yaml + strlen(yaml), "%sp%u", i ? ", " : "", i);
	strcat(yaml, "]\nclasses: []\nendpoints: []\n");
	e = errors_of(yaml);
	EXPECT_STREQ("policy.yaml:1:322: purpose 'p64' is one too many; "
		     "expected at most 64 purposes\n", e);
	free(e);
}

/* ---- zones and countries ---- */

REJECTS(rejects_an_unknown_zone,
	HEAD "zones:\n  alps: [CH, AT]\n" CLASSES
	"  - name: meters\n"
	"    sources: [10.0.0.0/16]\n"
	"    consent: [billing]\n"
	"    zone: eae\n"
	ENDPOINTS API,
	"policy.yaml:9:11: unknown zone 'eae'; expected one of: eea, "
	"adequacy, adequacy-partial, alps\n")

REJECTS(rejects_an_include_cycle,
	HEAD
	"zones:\n"
	"  a: { include: [b] }\n"
	"  b: { include: [eea, a] }\n"
	CLASSES METERS ENDPOINTS API,
	"policy.yaml:5:23: zone 'a' is part of an include cycle; expected "
	"zones that do not include each other\n")

REJECTS(rejects_redefining_a_built_in_zone,
	HEAD "zones:\n  eea: [DE]\n" CLASSES METERS ENDPOINTS API,
	"policy.yaml:4:3: zone 'eea' is built in; expected another name\n")

REJECTS(rejects_a_zone_with_nothing_to_include,
	HEAD "zones:\n  none: { remove: [DE] }\n" CLASSES METERS ENDPOINTS
	API,
	"policy.yaml:4:9: 'none' has neither 'include' nor 'add'; expected "
	"at least one of them\n")

REJECTS(rejects_unknown_and_malformed_country_codes,
	HEAD "zones:\n  z: [XX, UK, de, DEU, Germany, \"1A\"]\n"
	CLASSES METERS ENDPOINTS API,
	"policy.yaml:4:7: 'XX' is not an ISO 3166-1 alpha-2 code; expected "
	"two capital letters such as DE\n"
	"policy.yaml:4:11: 'UK' is not an ISO 3166-1 alpha-2 code; did you "
	"mean 'GB'?\n"
	"policy.yaml:4:15: 'de' is not an ISO 3166-1 alpha-2 code; did you "
	"mean 'DE'?\n"
	"policy.yaml:4:19: 'DEU' is not an ISO 3166-1 alpha-2 code; "
	"expected two capital letters such as DE\n"
	"policy.yaml:4:24: 'Germany' is not an ISO 3166-1 alpha-2 code; did "
	"you mean 'DE'?\n"
	"policy.yaml:4:33: '1A' is not an ISO 3166-1 alpha-2 code; expected "
	"two capital letters such as DE\n")

REJECTS(rejects_a_bad_pinned_jurisdiction,
	HEAD CLASSES METERS ENDPOINTS API "    jurisdiction: AA\n",
	"policy.yaml:14:19: 'AA' is not an ISO 3166-1 alpha-2 code; "
	"expected two capital letters such as DE\n")

/* ---- endpoints that contradict each other ---- */

REJECTS(rejects_endpoints_on_the_same_port,
	HEAD CLASSES METERS ENDPOINTS API
	"  - name: api2\n"
	"    destinations: [198.51.100.0/24, 192.0.2.0/24]\n"
	"    ports: [400-500]\n"
	"    purposes: [metering]\n",
	"policy.yaml:15:37: endpoint 'api2' takes tcp port 443 to "
	"'192.0.2.0/24', as does endpoint 'api' (policy.yaml:10:20); "
	"expected one endpoint per destination, protocol and port\n")

REJECTS(rejects_endpoints_on_the_same_protocol,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: ping\n"
	"    destinations: [\"2001:db8::/32\"]\n"
	"    protocol: icmp\n"
	"    purposes: [billing]\n"
	"  - name: all\n"
	"    destinations: [\"2001:db8:0::/32\"]\n"
	"    purposes: [billing]\n",
	"policy.yaml:14:20: endpoint 'all' takes icmp to '2001:db8:0::/32', "
	"as does endpoint 'ping' (policy.yaml:10:20); expected one endpoint "
	"per destination, protocol and port\n")

REJECTS(rejects_a_destination_twice_in_one_endpoint,
	HEAD CLASSES METERS ENDPOINTS
	"  - name: api\n"
	"    destinations: [192.0.2.0/24, 192.0.2.0/24]\n"
	"    purposes: [billing]\n",
	"policy.yaml:10:34: destination '192.0.2.0/24' is listed twice in "
	"endpoint 'api' (first at 10:20); expected each prefix once\n")

TEST(accepts_endpoints_that_share_a_prefix_without_overlap)
{
	struct m2m_model m;

	ASSERT_EQ(0, parse_ok(&m, HEAD CLASSES METERS ENDPOINTS API
		"  - name: mqtt\n"
		"    destinations: [192.0.2.0/24]\n"
		"    protocol: tcp\n"
		"    ports: [8883, 444-500]\n"
		"    purposes: [metering]\n"
		"  - name: ntp\n"
		"    destinations: [192.0.2.0/24]\n"
		"    protocol: udp\n"
		"    ports: [443]\n"
		"    purposes: [metering]\n"
		"  - name: ping\n"
		"    destinations: [192.0.2.0/24]\n"
		"    protocol: icmp\n"
		"    purposes: [metering]\n"
		"  - name: wide\n"
		"    destinations: [192.0.2.0/23]\n"
		"    purposes: [metering]\n"));
	EXPECT_EQ(5U, m.nendpoints);
	m2m_model_free(&m);
}

/* ---- settings, basis, geo ---- */

REJECTS(rejects_bad_settings,
	"settings:\n"
	"  mode: enforcing\n"
	"  unknown-jurisdiction: maybe\n"
	"  events: { rate: ten, privacy: none }\n"
	"  counter-interval: 50\n"
	HEAD CLASSES METERS ENDPOINTS API,
	"policy.yaml:2:9: unknown mode 'enforcing'; expected enforce or "
	"audit\n"
	"policy.yaml:3:25: unknown unknown-jurisdiction 'maybe'; expected "
	"deny or allow\n"
	"policy.yaml:4:19: rate 'ten' is not a number; expected a number "
	"from 0 to 100000\n"
	"policy.yaml:4:33: unknown privacy 'none'; expected pseudonym, "
	"truncate or raw\n"
	"policy.yaml:5:21: counter-interval 50 is out of range; expected a "
	"number from 100 to 3600000\n")

REJECTS(rejects_an_incomplete_transfer_basis,
	HEAD CLASSES METERS ENDPOINTS API
	"    transfer-basis: { type: contract }\n",
	"policy.yaml:14:21: 'transfer-basis' has no 'reference'; expected "
	"the contract or decision it rests on\n"
	"policy.yaml:14:29: unknown type 'contract'; expected scc, bcr, "
	"code-of-conduct, certification, ad-hoc-clauses or derogation\n")

REJECTS(rejects_a_geo_file_with_format_none,
	"purposes: [billing]\n"
	"geo: { format: none, file: geo.csv }\n"
	"classes: []\nendpoints: []\n",
	"policy.yaml:2:6: 'geo' has format none and a file; expected one of "
	"them\n")

REJECTS(rejects_a_csv_geo_without_a_file,
	"purposes: [billing]\ngeo: { format: csv }\n"
	"classes: []\nendpoints: []\n",
	"policy.yaml:2:6: 'geo' has no 'file'; expected the path of the "
	"database\n")

TEST(rejects_a_missing_geo_file)
{
	char *e;

	enter_tmpdir();
	write_file("policy.yaml", "purposes: [billing]\n"
		   "geo:\n  format: csv\n  file: missing.csv\n"
		   "classes: []\nendpoints: []\n");
	e = compile_errors_of("policy.yaml");
	EXPECT_STREQ("policy.yaml:4:9: cannot read geo file 'missing.csv': "
		     "No such file or directory; expected a readable CSV "
		     "geo database\n", e);
	free(e);

	mkdir("sub", 0755);
	write_file("sub/p.yaml", "purposes: [billing]\n"
		   "geo: { file: \"/proc/1/mem\" }\n"
		   "classes: []\nendpoints: []\n");
	e = compile_errors_of("sub/p.yaml");
	EXPECT_EQ(0, strncmp("sub/p.yaml:2:14: cannot read geo file "
			     "'/proc/1/mem': ", e, 52));
	free(e);
}

TEST(rejects_a_broken_geo_file)
{
	char *e;

	enter_tmpdir();
	write_file("geo.csv", "192.0.2.0,192.0.2.255,DE\nnonsense\n");
	write_file("policy.yaml", "purposes: [billing]\n"
		   "geo: { format: csv, file: geo.csv }\n"
		   "classes: []\nendpoints: []\n");
	e = compile_errors_of("policy.yaml");
	EXPECT_STREQ("policy.yaml:2:27: bad geo database: geo.csv:2: "
		     "expected START,END,CC or PREFIX,CC; expected a CSV geo "
		     "database\n", e);
	free(e);
}

/* ---- many mistakes at once ---- */

TEST(reports_every_mistake_in_file_order)
{
	char *e = errors_of(HEAD CLASSES
		"  - name: meters\n"
		"    sources: [10.0.0.1/16]\n"
		"    consent: [biling]\n"
		"    zone: eea\n"
		"    mode: strict\n"
		ENDPOINTS
		"  - name: api\n"
		"    destinations: [192.0.2.0/24]\n"
		"    protocol: sctp\n"
		"    purposes: [billing]\n");

	EXPECT_STREQ("policy.yaml:5:15: bad prefix '10.0.0.1/16' in "
		     "'sources': host bits set (did you mean 10.0.0.0/16?)\n"
		     "policy.yaml:6:15: unknown purpose 'biling'; declared "
		     "purposes: metering, billing\n"
		     "policy.yaml:8:11: unknown mode 'strict'; expected "
		     "enforce or audit\n"
		     "policy.yaml:12:15: unknown protocol 'sctp'; expected "
		     "tcp, udp, icmp or any\n", e);
	free(e);
}

TEST(stops_after_fifty_messages)
{
	char yaml[8192] = "purposes: [a]\nclasses: []\nendpoints:\n", *e;
	unsigned int i, lines = 0;

	for (i = 0; i < 60; i++)
		sprintf(yaml + strlen(yaml), "  - { name: e%u, destinations: "
			"[1.2.3.4/8], purposes: [a] }\n", i);
	e = errors_of(yaml);
	for (i = 0; e[i]; i++)
		lines += e[i] == '\n';
	EXPECT_EQ(51U, lines);
	EXPECT_NE(NULL, strstr(e, "policy.yaml: 10 more errors not "
				  "shown\n"));
	free(e);
}

/* ---- what is accepted ---- */

static bool zone_has(const struct m2m_zoneset *z, const char *cc)
{
	return m2m_zoneset_has(z, m2m_jur_code(cc[0], cc[1]));
}

static unsigned int zone_size(const struct m2m_zoneset *z)
{
	unsigned int i, n = 0;

	for (i = 0; i < M2M_JUR_WORDS; i++)
		n += __builtin_popcountll(z->w[i]);
	return n;
}

TEST(builtin_zones_follow_jurisdictions_tsv)
{
	struct m2m_zoneset z;

	ASSERT_TRUE(m2m_zone_builtin("eea", &z));
	EXPECT_EQ(30U, zone_size(&z));
	EXPECT_TRUE(zone_has(&z, "DE"));
	EXPECT_TRUE(zone_has(&z, "NO"));
	EXPECT_FALSE(zone_has(&z, "CH"));
	EXPECT_FALSE(zone_has(&z, "EU"));

	ASSERT_TRUE(m2m_zone_builtin("adequacy", &z));
	EXPECT_EQ(14U, zone_size(&z));
	EXPECT_TRUE(zone_has(&z, "CH"));
	EXPECT_TRUE(zone_has(&z, "GB"));
	EXPECT_TRUE(zone_has(&z, "JP"));
	EXPECT_FALSE(zone_has(&z, "US"));
	EXPECT_FALSE(zone_has(&z, "CA"));
	EXPECT_FALSE(zone_has(&z, "DE"));

	ASSERT_TRUE(m2m_zone_builtin("adequacy-partial", &z));
	EXPECT_EQ(2U, zone_size(&z));
	EXPECT_TRUE(zone_has(&z, "US"));
	EXPECT_TRUE(zone_has(&z, "CA"));

	EXPECT_FALSE(m2m_zone_builtin("world", &z));
}

TEST(countries_are_the_249_iso_codes_and_eu)
{
	const struct m2m_jurisdiction *j;

	EXPECT_EQ(249U, m2m_ncountries);
	EXPECT_EQ(46U, m2m_njurisdictions);
	EXPECT_NE(0, m2m_country_code("AX"));
	EXPECT_NE(0, m2m_country_code("EU"));
	EXPECT_EQ(0, m2m_country_code("UK"));
	EXPECT_EQ(0, m2m_country_code("AN"));
	EXPECT_EQ(0, m2m_country_code("D"));

	j = m2m_jurisdiction_find("US");
	ASSERT_NE(NULL, j);
	EXPECT_EQ(M2M_SCOPE_PARTIAL, j->scope);
	EXPECT_STREQ("Commission Implementing Decision (EU) 2023/1795",
		     j->instrument);
	EXPECT_STREQ("2023-07-10", j->date);
	EXPECT_EQ(NULL, m2m_jurisdiction_find("CN"));
}

TEST(zones_combine_include_add_and_remove)
{
	struct m2m_model m;
	const struct m2m_zoneset *z;

	ASSERT_EQ(0, parse_ok(&m, HEAD
		"zones:\n"
		"  wide: { include: [euplus, adequacy-partial],\n"
		"          remove: [US] }\n"
		"  euplus: { add: [CH, EU], include: [eea], remove: [DE] }\n"
		"  short: euplus\n"
		CLASSES
		"  - name: a\n"
		"    sources: [10.0.0.0/16]\n"
		"    consent: []\n"
		"    zone: wide\n"
		"  - name: b\n"
		"    sources: [10.1.0.0/16]\n"
		"    consent: [billing, metering]\n"
		"    zone: { include: [short, adequacy] }\n"
		"  - name: c\n"
		"    sources: [10.2.0.0/16]\n"
		"    consent: [metering]\n"
		"    zone: [US]\n"
		"endpoints: []\n"));
	z = &m.classes[0].zone;
	EXPECT_TRUE(zone_has(z, "CH"));
	EXPECT_TRUE(zone_has(z, "EU"));
	EXPECT_TRUE(zone_has(z, "FR"));
	EXPECT_TRUE(zone_has(z, "CA"));
	EXPECT_FALSE(zone_has(z, "DE"));
	EXPECT_FALSE(zone_has(z, "US"));
	EXPECT_EQ(0ULL, m.classes[0].consent);

	z = &m.classes[1].zone;
	EXPECT_EQ(30U + 14U, zone_size(z));
	EXPECT_FALSE(zone_has(z, "DE"));
	EXPECT_TRUE(zone_has(z, "JP"));
	EXPECT_EQ(3ULL, m.classes[1].consent);

	EXPECT_EQ(1U, zone_size(&m.classes[2].zone));
	EXPECT_EQ(1ULL, m.classes[2].consent);
	m2m_model_free(&m);
}

TEST(the_model_keeps_what_was_written)
{
	const struct m2m_model_endpoint *e;
	struct m2m_model m;

	ASSERT_EQ(0, parse_ok(&m,
		"settings:\n"
		"  mode: audit\n"
		"  unknown-jurisdiction: allow\n"
		"  events: { rate: 0, privacy: truncate }\n"
		"  counter-interval: 3600000\n"
		"purposes: [metering, billing]\n"
		"geo: { format: none }\n"
		CLASSES METERS "    mode: enforce\n"
		ENDPOINTS
		"  - name: cdn\n"
		"    destinations: [\"2001:db8::/32\", 192.0.2.7]\n"
		"    protocol: udp\n"
		"    ports: [443, \"9000-9100\", 65535]\n"
		"    purposes: [billing, metering]\n"
		"    jurisdiction: US\n"
		"    transfer-basis:\n"
		"      type: scc\n"
		"      reference: \"SCC 2021/914 module 2, contract 4711\"\n"
		"    mode: audit\n"));
	EXPECT_EQ(M2M_MODE_AUDIT, m.settings.mode);
	EXPECT_EQ(1, m.settings.unknown_allowed);
	EXPECT_EQ(0U, m.settings.event_rate);
	EXPECT_EQ(M2M_PRIVACY_TRUNCATE, m.settings.privacy);
	EXPECT_EQ(3600000U, m.settings.counter_interval);
	EXPECT_TRUE(m.geo.none);
	EXPECT_EQ(M2M_RULE_ENFORCE, m.classes[0].mode);
	EXPECT_EQ(9U, m.classes[0].mark.line);

	ASSERT_EQ(1U, m.nendpoints);
	e = &m.endpoints[0];
	EXPECT_STREQ("cdn", e->name);
	EXPECT_EQ(15U, e->mark.line);
	EXPECT_EQ(5U, e->mark.col);
	ASSERT_EQ(2U, e->ndsts);
	EXPECT_EQ(AF_INET6, e->dsts[0].family);
	EXPECT_EQ(32, e->dsts[0].v6.len);
	EXPECT_EQ(AF_INET, e->dsts[1].family);
	EXPECT_EQ(32, e->dsts[1].v4.len);
	EXPECT_EQ(0xc0000207U, e->dsts[1].v4.addr);
	EXPECT_EQ(M2M_PROTO_UDP, e->proto);
	ASSERT_EQ(3U, e->nports);
	EXPECT_EQ(9000, e->ports[1].lo);
	EXPECT_EQ(9100, e->ports[1].hi);
	EXPECT_EQ(65535, e->ports[2].lo);
	EXPECT_EQ(3ULL, e->purposes);
	EXPECT_EQ(m2m_jur_code('U', 'S'), e->jurisdiction);
	EXPECT_STREQ("scc: SCC 2021/914 module 2, contract 4711", e->basis);
	EXPECT_EQ(M2M_RULE_AUDIT, e->mode);
	m2m_model_free(&m);
}

TEST(defaults_apply_to_what_is_not_written)
{
	struct m2m_model m;

	ASSERT_EQ(0, parse_ok(&m, "purposes: []\nclasses: []\n"
			      "endpoints: []\n"));
	EXPECT_EQ(M2M_MODE_ENFORCE, m.settings.mode);
	EXPECT_EQ(0, m.settings.unknown_allowed);
	EXPECT_EQ(10U, m.settings.event_rate);
	EXPECT_EQ(M2M_PRIVACY_PSEUDONYM, m.settings.privacy);
	EXPECT_EQ(1000U, m.settings.counter_interval);
	EXPECT_FALSE(m.geo.none);
	EXPECT_EQ(M2M_GEO_TOR, m.geo.format);
	EXPECT_STREQ(M2M_GEO_TOR4, m.geo.file);
	EXPECT_STREQ(M2M_GEO_TOR6, m.geo.file6);
	m2m_model_free(&m);
}

TEST(geo_paths_are_relative_to_the_policy)
{
	struct m2m_model m;
	static const char yaml[] = "purposes: []\n"
				   "geo: { format: tor, file: db/geoip }\n"
				   "classes: []\nendpoints: []\n";

	ASSERT_EQ(0, m2m_model_parse(&m, "/etc/m2mguard/policy.yaml", yaml,
				     strlen(yaml), stderr));
	EXPECT_STREQ("/etc/m2mguard/db/geoip", m.geo.file);
	EXPECT_EQ(NULL, m.geo.file6);
	EXPECT_EQ(2U, m.geo.mark.line);
	EXPECT_EQ(27U, m.geo.mark.col);
	m2m_model_free(&m);
}

TEST(anchors_and_aliases_work)
{
	struct m2m_model m;

	ASSERT_EQ(0, parse_ok(&m, HEAD CLASSES
		"  - name: a\n"
		"    sources: [10.0.0.0/16]\n"
		"    consent: &both [billing, metering]\n"
		"    zone: eea\n"
		ENDPOINTS
		"  - name: api\n"
		"    destinations: [192.0.2.0/24]\n"
		"    purposes: *both\n"));
	EXPECT_EQ(3ULL, m.classes[0].consent);
	EXPECT_EQ(3ULL, m.endpoints[0].purposes);
	m2m_model_free(&m);
}

TEST_HARNESS_MAIN
