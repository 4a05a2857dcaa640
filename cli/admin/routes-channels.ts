// /api/channels: the channels, as `parley channels` manages them (../channel-ops.ts does what both do).
import type { FastifyReply } from 'fastify';
import type { PlatformName } from '../../lib/seams/store.js';
import { acceptChannel, applyPatch, channelJson, declineChannel, removeChannel, ruleJson, settingsPatch, type SettingProblem, type SettingsInput } from '../channel-ops.js';
import { formatChannelName } from '../output.js';
import { numberedRules } from '../rule-ops.js';
import { channelOr404, invalid, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

/** Who the store says added a channel the API added. */
const ADMIN = 'admin';

/** The API's words for a setting refused (the CLI has its own, ../channels.ts), named as the validation errors are. */
function settingIssue(platform: PlatformName, problem: SettingProblem): { field: string; message: string } {
  const field = `body.settings.${problem.key}`;
  switch (problem.kind) {
    case 'other_platform':
      return { field, message: `a ${problem.owner.label} setting (${problem.option.description}): ${platform} channels have no such setting` };
    case 'invalid':
      // The value itself is not echoed: it may be a secret.
      return { field, message: problem.messages.join('; ') };
    case 'bad_category':
      return { field, message: problem.error ?? `"${problem.typed}" is not a category: give a slug or a parent/child slug path, such as meta or support/billing` };
    case 'bad_target':
      return { field, message: `"${problem.typed}" is not a transcript target: give gitlab:GROUP/PROJECT (subgroups as in GitLab: gitlab:group/sub/project), or forum (the default)` };
    case 'bad_zone':
      return { field, message: `"${problem.typed}" is not an IANA time zone: use a name such as Europe/Berlin, America/New_York or UTC` };
  }
}

/** The settings checked as `parley channels add` checks them; null when refused (the 400 is sent). */
function checkedSettings(reply: FastifyReply, platform: PlatformName, given: SettingsInput | undefined): Record<string, string> | null {
  const checked = settingsPatch(platform, given ?? {});
  if (checked.ok) return checked.patch;
  const issues = checked.problems.map((p) => settingIssue(platform, p));
  void invalid(reply, issues);
  return null;
}

export function channelRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/channels', { schema: { summary: 'Every channel', querystring: s.ChannelQuery, response: { 200: s.ChannelList } } }, async (req) => {
    const channels = await deps.store.channels.list(req.query.platform ? { platform: req.query.platform } : {});
    return channels.filter((c) => !req.query.status || c.status === req.query.status).map(channelJson);
  });

  r.get('/channels/:id', { schema: { summary: 'One channel', params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await channelOr404(deps.store, req.params.id, reply);
    return channel ? channelJson(channel) : reply;
  });

  r.post(
    '/channels',
    {
      schema: {
        summary: 'Add a channel, active, with its settings, as parley channels add does (an existing one is not changed: PATCH it)',
        body: s.ChannelAdd,
        response: { 201: s.Channel, 400: s.ValidationErrorBody, 409: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const { platform, externalId, name, settings } = req.body;
      const patch = checkedSettings(reply, platform, settings);
      if (!patch) return reply;
      const { channel, created } = await deps.store.channels.ensure({ platform, externalId, name: name ?? '', status: 'active', addedBy: ADMIN, settings: applyPatch({}, patch) });
      if (!created) {
        return reply.code(409).send({ error: 'exists', message: `Channel ${formatChannelName(channel)} exists already (id ${channel.id}, ${channel.status}): change it with PATCH /api/channels/${channel.id}${channel.status === 'pending' ? `, or accept it with POST /api/channels/${channel.id}/accept` : ''}.` });
      }
      return reply.code(201).send(channelJson(channel));
    },
  );

  r.patch(
    '/channels/:id',
    {
      schema: {
        summary: "Rename a channel, change its settings ('' removes one), or both",
        params: s.IdParams,
        body: s.ChannelPatch,
        response: { 200: s.Channel, 400: s.ValidationErrorBody, 404: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const patch = req.body.settings === undefined ? {} : checkedSettings(reply, channel.platform, req.body.settings);
      if (!patch) return reply;
      await deps.store.channels.update(channel.id, {
        ...(req.body.name !== undefined ? { name: req.body.name } : {}),
        ...(Object.keys(patch).length > 0 ? { settings: applyPatch(channel.settings, patch) } : {}),
      });
      return channelJson((await deps.store.channels.get(channel.id))!);
    },
  );

  for (const [path, act, summary] of [
    ['accept', acceptChannel, 'Accept a pending channel: it becomes active'],
    ['decline', declineChannel, 'Decline a pending channel: it is removed'],
  ] as const) {
    r.post(`/channels/:id/${path}`, { schema: { summary, params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody, 409: s.ErrorBody } } }, async (req, reply) => {
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const answer = await act(deps.store, channel);
      if (!answer.ok) return reply.code(409).send({ error: 'not_pending', message: `Channel ${channel.id} is ${channel.status}, not pending: there is nothing to ${path}.` });
      return channelJson(answer.channel);
    });
  }

  r.delete('/channels/:id', { schema: { summary: 'Remove a channel and its rules', params: s.IdParams, response: { 200: s.Removed, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await channelOr404(deps.store, req.params.id, reply);
    if (!channel) return reply;
    return { removed: true as const, ...(await removeChannel(deps.store, channel)) };
  });

  r.get('/channels/:id/rules', { schema: { summary: "A channel's rules, numbered per source as /discourse status and /gitlab status number them", params: s.IdParams, response: { 200: s.RuleList, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await channelOr404(deps.store, req.params.id, reply);
    if (!channel) return reply;
    // Numbered per source, as /discourse status, /gitlab status and parley rules list number them.
    return (await numberedRules(deps.store, channel.id)).map(({ number, rule }) => ruleJson(channel, number, rule));
  });
}
