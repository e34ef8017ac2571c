/* Releasing what the provider interface hands out. */
#include "provider/provider.h"

void
sf_strs_release(struct sf_strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
sf_kvs_release(struct sf_kvs *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	memset(k, 0, sizeof(*k));
}

void
sf_ci_release(struct sf_ci *ci)
{
	free(ci->id);
	free(ci->arn);
	free(ci->name);
	free(ci->description);
	free(ci->status);
	free(ci->failure_reason);
	free(ci->execution_role_arn);
	free(ci->network_mode);
	sf_strs_release(&ci->subnets);
	sf_strs_release(&ci->security_groups);
	sf_strs_release(&ci->certificates);
	memset(ci, 0, sizeof(*ci));
}

void
sf_ci_list_release(struct sf_ci_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		sf_ci_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
sf_session_release(struct sf_session *s)
{
	free(s->interpreter_id);
	free(s->session_id);
	free(s->name);
	free(s->status);
	memset(s, 0, sizeof(*s));
}

void
sf_session_list_release(struct sf_session_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		sf_session_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
sf_tool_result_release(struct sf_tool_result *r)
{
	size_t i;

	for (i = 0; i < r->ncontent; i++) {
		struct sf_content *k = &r->content[i];

		free(k->type);
		free(k->text);
		free(k->uri);
		free(k->name);
		free(k->mime_type);
		free(k->resource_text);
		free(k->blob);
	}
	free(r->content);
	free(r->std_out);
	free(r->std_err);
	free(r->task_id);
	free(r->task_status);
	memset(r, 0, sizeof(*r));
}
