// /api/channels/:id/rules changed: rules added and removed as `parley rules add|remove` do it (../rule-ops.ts does
// what both do): scopes in the chat grammar, numbers per source as /discourse status and /gitlab status show them.
// Listing them is in ./routes-channels.ts.
import { addRules, parseRule, removeRules, ruleRange } from '../rule-ops.js';
import { ruleJson } from '../channel-ops.js';
import { notFound, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

/** Who the store says made a rule the API made. */
const ADMIN = 'admin';

export function ruleRoutes(r: Routes, deps: AdminApiDeps): void {
  r.post(
    '/channels/:id/rules',
    {
      schema: {
        summary: 'Add one rule per scope to a channel, as parley rules add does; a rule already there is left as it is',
        params: s.IdParams,
        body: s.RulesAdd,
        response: { 200: s.RulesAdded, 201: s.RulesAdded, 400: s.ValidationErrorBody, 404: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      const { source, filter, scopes } = req.body;
      const parsed = parseRule(source, filter, scopes, `/${source}`);
      if (!parsed.ok) {
        const problem = parsed.problem;
        // Worded as the API's validation errors are (./api.ts), naming the scope the grammar refused.
        const issue =
          problem.kind === 'bad_scope'
            ? { field: problem.index === null ? 'body.scopes' : `body.scopes.${problem.index}`, message: problem.error }
            : problem.kind === 'bad_filter'
              ? { field: 'body.filter', message: `"${problem.word}" is not a filter` }
              : { field: 'body.scopes', message: problem.kind === 'grammar' ? problem.message : `${problem.filter} needs at least one scope` };
        return reply.code(400).send({ error: 'validation', message: `${issue.field}: ${issue.message}`, issues: [issue] });
      }
      const result = await addRules(deps.store, channel, { source, filter: parsed.filter, scopes: parsed.scopes }, ADMIN);
      const numbered = new Map(result.rules.map(({ number, rule }) => [rule.id, number]));
      const json = (rule: (typeof result.added)[number]) => ruleJson(channel, numbered.get(rule.id) ?? 0, rule);
      const warnings = [...result.warnings];
      if (channel.status === 'pending') warnings.push(`Channel ${channel.id} is pending: nothing is delivered there until it is accepted (POST /api/channels/${channel.id}/accept).`);
      return reply.code(result.added.length > 0 ? 201 : 200).send({
        added: result.added.map(json),
        existing: result.existing.map(json),
        rules: result.rules.map(({ number, rule }) => ruleJson(channel, number, rule)),
        warnings,
      });
    },
  );

  r.delete(
    '/channels/:id/rules/:number',
    {
      schema: {
        summary: "Remove a channel's rule by its number for its source (discourse unless ?source=gitlab), as parley rules remove does",
        params: s.RuleNumberParams,
        querystring: s.RuleSourceQuery,
        response: { 200: s.RulesRemoved, 404: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      const { source } = req.query;
      const result = await removeRules(deps.store, channel, source, [req.params.number]);
      if (!result.ok) {
        const of = source === 'gitlab' ? 'GitLab ' : '';
        const message =
          result.reason === 'no_rules'
            ? `Channel ${channel.id} has no ${of}rules, so there is nothing to remove.`
            : `Channel ${channel.id} has no ${of}rule ${result.wrong.join(', ')}: ${ruleRange(result.count)}. Nothing was removed.`;
        return reply.code(404).send({ error: 'no_such_rule', message });
      }
      return {
        removed: result.removed.map(({ number, rule }) => ruleJson(channel, number, rule)),
        rules: result.rules.map(({ number, rule }) => ruleJson(channel, number, rule)),
      };
    },
  );
}
