/* Rendering plans: text for people, JSON (schema/plan.schema.json). */
#ifndef SF_PLANOUT_H
#define SF_PLANOUT_H

#include <jansson.h>

#include "plan/plan.h"

void sf_plan_print_text(FILE *f, const struct sf_plan *p, bool color);
/* A new reference to the plan as JSON. */
json_t *sf_plan_to_json(const struct sf_plan *p);

#endif
