// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output from the same calls (see out.h), JSON through
 * json-c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <json-c/json.h>

#include "out.h"

#define OUT_DEPTH 16

static bool json;
static struct json_object *stack[OUT_DEPTH];
static int depth;		/* text: indentation; JSON: stack height */

void out_init(bool want_json)
{
	json = want_json;
}

bool out_json(void)
{
	return json;
}

/* Add VAL under KEY to the innermost object or array. */
static void add(const char *key, struct json_object *val)
{
	struct json_object *top = stack[depth - 1];

	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, val);
	else
		json_object_object_add(top, key, val);
}

static void push(const char *key, struct json_object *obj)
{
	if (depth)
		add(key, obj);
	if (depth < OUT_DEPTH)
		stack[depth++] = obj;
}

void out_begin(void)
{
	if (json)
		push(NULL, json_object_new_object());
}

void out_end(void)
{
	if (!json)
		return;
	puts(json_object_to_json_string_ext(stack[0],
					    JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(stack[0]);
	depth = 0;
}

void out_object(const char *key, const char *title)
{
	if (json) {
		push(key, json_object_new_object());
		return;
	}
	if (title)
		printf("%*s%s:\n", depth * 2, "", title);
	depth++;
}

void out_object_end(void)
{
	depth--;
}

void out_array(const char *key, const char *title)
{
	if (json) {
		push(key, json_object_new_array());
		return;
	}
	if (title)
		printf("%*s%s:\n", depth * 2, "", title);
	depth++;
}

void out_array_end(void)
{
	depth--;
}

static void text(const char *label, const char *val)
{
	char l[64];

	snprintf(l, sizeof(l), "%s:", label);
	printf("%*s%-20s %s\n", depth * 2, "", l, val);
}

void out_str(const char *key, const char *label, const char *val)
{
	if (json)
		add(key, val ? json_object_new_string(val) : NULL);
	else
		text(label, val ? val : "-");
}

void out_u64(const char *key, const char *label, uint64_t val)
{
	char buf[32];

	if (json) {
		add(key, json_object_new_uint64(val));
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	text(label, buf);
}

void out_bool(const char *key, const char *label, bool val)
{
	if (json)
		add(key, json_object_new_boolean(val));
	else
		text(label, val ? "yes" : "no");
}
