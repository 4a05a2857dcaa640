// /api/channels/:id/rules changed: rules added and removed as `parley rules add|remove` do it (../rule-ops.ts does
// what both do): scopes in the chat grammar, numbers per source as /discourse status and /gitlab status show them.
// Listing them is in ./routes-channels.ts.
import type { FastifyReply } from 'fastify';
import { addRules, editRule, parseRule, removeRules, ruleRange, type RuleProblem } from '../rule-ops.js';
import { ruleJson } from '../channel-ops.js';
import { channelOr404, invalid, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

/** Who the store says made a rule the API made. */
const ADMIN = 'admin';

/** 400, worded as the API's validation errors are (./api.ts): the field, and what the grammar says of it. */
const refuse = (reply: FastifyReply, issue: { field: string; message: string }) => invalid(reply, [issue]);

/** What the chat grammar refused in a rule typed into `scopesField` (body.scopes for a list, body.scope for one). */
function ruleIssue(problem: RuleProblem, scopesField: string, oneScope: boolean): { field: string; message: string } {
  if (problem.kind === 'bad_scope') return { field: problem.index === null || oneScope ? scopesField : `${scopesField}.${problem.index}`, message: problem.error };
  if (problem.kind === 'bad_filter') return { field: 'body.filter', message: `"${problem.word}" is not a filter` };
  return { field: scopesField, message: problem.kind === 'grammar' ? problem.message : `${problem.filter} needs at least one scope` };
}

/** The 404 of a rule number a channel does not have, as DELETE and PATCH say it. */
function noSuchRule(reply: FastifyReply, channelId: number, source: string, result: { reason: 'no_rules' } | { reason: 'no_such_rule'; wrong: number[]; count: number }, nothing: 'remove' | 'change') {
  const of = source === 'gitlab' ? 'GitLab ' : '';
  const message =
    result.reason === 'no_rules'
      ? `Channel ${channelId} has no ${of}rules, so there is nothing to ${nothing}.`
      : `Channel ${channelId} has no ${of}rule ${result.wrong.join(', ')}: ${ruleRange(result.count)}. Nothing was ${nothing === 'remove' ? 'removed' : 'changed'}.`;
  return reply.code(404).send({ error: 'no_such_rule', message });
}

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
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const { source, filter, scopes } = req.body;
      const parsed = parseRule(source, filter, scopes, `/${source}`);
      // Naming the scope the grammar refused by its place in the body.
      if (!parsed.ok) return refuse(reply, ruleIssue(parsed.problem, 'body.scopes', false));
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
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const { source } = req.query;
      const result = await removeRules(deps.store, channel, source, [req.params.number]);
      if (!result.ok) return noSuchRule(reply, channel.id, source, result, 'remove');
      return {
        removed: result.removed.map(({ number, rule }) => ruleJson(channel, number, rule)),
        rules: result.rules.map(({ number, rule }) => ruleJson(channel, number, rule)),
      };
    },
  );

  r.patch(
    '/channels/:id/rules/:number',
    {
      schema: {
        summary: "Change a channel's rule by its number for its source (discourse unless ?source=gitlab): its filter, its scope, or both",
        params: s.RuleNumberParams,
        querystring: s.RuleSourceQuery,
        body: s.RuleEdit,
        response: { 200: s.RuleEdited, 400: s.ValidationErrorBody, 404: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const { source } = req.query;
      const { filter, scope: typed } = req.body;
      let scope;
      if (typed !== undefined) {
        // Read with the chat grammar, as /discourse watch reads it; the filter only carries it through.
        const parsed = parseRule(source, filter ?? 'watch', [typed], `/${source}`);
        if (!parsed.ok) return refuse(reply, ruleIssue(parsed.problem, 'body.scope', true));
        if (parsed.scopes.length !== 1) return refuse(reply, { field: 'body.scope', message: `one scope, not ${parsed.scopes.length}: a rule has one scope (add the others as rules of their own)` });
        scope = parsed.scopes[0];
      }
      const result = await editRule(deps.store, channel, source, req.params.number, { ...(filter ? { filter } : {}), ...(scope ? { scope } : {}) }, ADMIN);
      if (!result.ok) return noSuchRule(reply, channel.id, source, result, 'change');
      const json = ({ number, rule }: (typeof result.rules)[number]) => ruleJson(channel, number, rule);
      return { removed: result.removed.map(json), added: result.added.map(json), rules: result.rules.map(json), warnings: result.warnings };
    },
  );
}
