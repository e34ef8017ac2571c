/*
 * The planner: desired (the manifests) against recorded (the state)
 * against live (the control plane), turned into the changes apply will
 * make. Pure and deterministic: no I/O, no clock, no allocation that
 * depends on anything but its inputs; changes come out sorted by name.
 *
 * AgentCore has no update operation, so any change to an interpreter but
 * its tags is a replacement (delete, then create: names are unique). Tags
 * change in place.
 */
#ifndef SF_PLAN_H
#define SF_PLAN_H

#include "model/model.h"
#include "model/recorded.h"

enum sf_plan_action {
	SF_PLAN_NOOP,
	SF_PLAN_CREATE,
	SF_PLAN_UPDATE,  /* tags, in place */
	SF_PLAN_REPLACE, /* delete, then create */
	SF_PLAN_DELETE,
	SF_PLAN_FORGET, /* gone already: only the state forgets it */
};

/* One attribute's before and after, as text ("null" when unset). */
struct sf_plan_attr {
	char *name;           /* "network", "tags.team", "vpc.subnets" */
	char *before, *after; /* NULL: absent on that side */
	bool forces_replacement;
};

struct sf_plan_change {
	char *name;
	enum sf_plan_action action;
	char *id; /* the existing interpreter's id, NULL for a create */
	char *arn;
	char *reason; /* why, beyond the attributes: "deleted out of band" */
	struct sf_plan_attr *attrs;
	size_t nattrs;
	int64_t generation;  /* of the interpreter a create will make */
	int active_sessions; /* on the one it deletes or replaces; -1 unknown */
	bool state_only;     /* nothing to call: only the state changes */
	/* Pointers into the inputs, for apply (NULL where absent). */
	const struct sf_interpreter *desired;
	const struct sf_rec_interpreter *recorded;
};

struct sf_plan_counts {
	size_t add, change, replace, destroy, forget;
};

struct sf_plan {
	struct sf_plan_change *changes; /* every managed name, sorted */
	size_t nchanges;
	struct sf_plan_counts counts;
	bool destroy; /* made with --destroy */
};

struct sf_plan_opts {
	const char *const *targets; /* --target NAME, repeatable */
	size_t ntargets;
	bool destroy; /* --destroy: as if the manifests declared nothing */
};

/*
 * Build the plan. Problems the user must resolve (prevent_destroy in the
 * way, a live interpreter with a managed name the state does not know, an
 * unknown --target) are added to diags as errors, at the manifest position
 * where there is one; the plan is still returned so it can be shown.
 * Returns 0, or SF_EINVALID when diags got an error.
 */
int sf_plan_build(const struct sf_config *desired,
    const struct sf_recorded *recorded, const struct sf_live *live,
    const struct sf_plan_opts *opts, struct sf_plan *out,
    struct sf_diags *diags);
void sf_plan_release(struct sf_plan *p);

/* Whether the plan changes anything at all (the state included). */
bool sf_plan_has_changes(const struct sf_plan *p);
const char *sf_plan_action_name(enum sf_plan_action a);

#endif
