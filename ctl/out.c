// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output from the same calls (see out.h), JSON through
 * json-c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "out.h"

#define OUT_DEPTH 16

static bool json;
static struct json_object *stack[OUT_DEPTH];
static int depth;		/* text: indentation; JSON: stack height */

/*
 * In text, an array of objects prints as a table: the objects' labels
 * are the header, each object a row. Rows are kept until the array ends
 * so that the columns can be aligned.
 */
#define TABLE_COLS 16

static struct {
	int array_depth;	/* depth of the array, 0 outside one */
	bool in_row;
	int ncols;		/* of the first row */
	int col;
	int nrows;
	const char *head[TABLE_COLS];
	char **cells;		/* nrows * TABLE_COLS */
} table;

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

static void row_begin(void)
{
	char **cells;

	cells = realloc(table.cells, (table.nrows + 1) * TABLE_COLS *
			sizeof(*cells));
	if (!cells)
		abort();
	table.cells = cells;
	memset(cells + table.nrows * TABLE_COLS, 0,
	       TABLE_COLS * sizeof(*cells));
	table.in_row = true;
	table.col = 0;
}

static void row_cell(const char *label, const char *val)
{
	if (table.col >= TABLE_COLS)
		return;
	if (table.nrows == 0)
		table.head[table.col] = label;
	table.cells[table.nrows * TABLE_COLS + table.col++] = strdup(val);
}

static void table_print(void)
{
	int w[TABLE_COLS] = { 0 }, r, c, ncols = table.ncols;
	const char *cell;

	for (c = 0; c < ncols; c++)
		w[c] = strlen(table.head[c]);
	for (r = 0; r < table.nrows; r++)
		for (c = 0; c < ncols; c++) {
			cell = table.cells[r * TABLE_COLS + c];
			if (cell && (int)strlen(cell) > w[c])
				w[c] = strlen(cell);
		}
	w[ncols - 1] = 0;	/* no padding after the last column */
	printf("%*s", depth * 2, "");
	for (c = 0; c < ncols; c++)
		printf("%-*s%s", w[c], table.head[c],
		       c + 1 < ncols ? "  " : "\n");
	for (r = 0; r < table.nrows; r++) {
		printf("%*s", depth * 2, "");
		for (c = 0; c < ncols; c++) {
			cell = table.cells[r * TABLE_COLS + c];
			printf("%-*s%s", w[c], cell ? cell : "-",
			       c + 1 < ncols ? "  " : "\n");
		}
	}
}

static void table_end(void)
{
	int i;

	if (table.nrows)
		table_print();
	else
		printf("%*s(none)\n", depth * 2, "");
	for (i = 0; i < table.nrows * TABLE_COLS; i++)
		free(table.cells[i]);
	free(table.cells);
	memset(&table, 0, sizeof(table));
}

void out_object(const char *key, const char *title)
{
	if (json) {
		push(key, json_object_new_object());
		return;
	}
	if (table.array_depth && table.array_depth == depth && !title) {
		row_begin();
		return;
	}
	if (table.in_row)
		return;
	if (title)
		printf("%*s%s:\n", depth * 2, "", title);
	depth++;
}

void out_object_end(void)
{
	if (!json && table.in_row) {
		if (table.nrows == 0)
			table.ncols = table.col;
		table.nrows++;
		table.in_row = false;
		return;
	}
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
	if (!table.array_depth)
		table.array_depth = depth;
}

void out_array_end(void)
{
	if (!json && table.array_depth == depth && table.nrows)
		table_end();
	else if (!json && table.array_depth == depth)
		memset(&table, 0, sizeof(table));
	depth--;
}

static void text(const char *label, const char *val)
{
	char l[64];

	if (table.in_row) {
		row_cell(label, val);
		return;
	}
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

/* JSON keeps the digits as they are: no rounding through a double. */
void out_number(const char *key, const char *label, const char *digits)
{
	if (json)
		add(key, json_object_new_double_s(strtod(digits, NULL),
						  digits));
	else
		text(label, digits);
}
