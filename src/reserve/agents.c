/* agents.c -- the AI crawler list, compiled in from data/ai-agents.def.
 *
 * The list is data kept in the repository (one PK_AGENT line per
 * crawler, with its operator and purpose) so that adding a crawler is a
 * one-line change reviewed like code, with a version and a date that
 * `picket reserve agents` prints.  Everything here is static storage. */
#include "reserve/reserve.h"

#include <strings.h>

#define PK_AGENT(tok, op, purpose, note) {tok, op, purpose, note},
static const pk_agent agents[] = {
#include "../../data/ai-agents.def"
};
#undef PK_AGENT

const pk_agent *pk_agents(size_t *n, const char **version, const char **date)
{
    if (n) *n = sizeof agents / sizeof agents[0];
    if (version) *version = PK_AGENTS_VERSION;
    if (date) *date = PK_AGENTS_DATE;
    return agents;
}

const pk_agent *pk_agent_find(const char *token)
{
    if (!token) return NULL;
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
        if (strcasecmp(agents[i].token, token) == 0) return &agents[i];
    return NULL;
}
