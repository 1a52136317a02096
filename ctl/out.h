/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print path for text and JSON. A command describes its result as
 * nested objects and arrays of labelled fields; in text mode the fields
 * print as aligned "label: value" lines, with -j the same calls build one
 * JSON document that is printed at out_end().
 */
#ifndef M2MCTL_OUT_H
#define M2MCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>

void out_init(bool json);
bool out_json(void);

void out_begin(void);		/* the document's top-level object */
void out_end(void);

void out_object(const char *key, const char *title);
void out_object_end(void);
void out_array(const char *key, const char *title);
void out_array_end(void);

void out_str(const char *key, const char *label, const char *val);
void out_u64(const char *key, const char *label, uint64_t val);
void out_bool(const char *key, const char *label, bool val);
/* A number given as its decimal text: wider than u64, or a fraction. */
void out_number(const char *key, const char *label, const char *digits);

#endif /* M2MCTL_OUT_H */
