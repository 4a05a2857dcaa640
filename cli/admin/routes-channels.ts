// /api/channels: the channels, as `parley channels` manages them (../channel-ops.ts does what both do).
import { acceptChannel, channelJson, declineChannel, removeChannel, ruleJson } from '../channel-ops.js';
import { numberedRules } from '../rule-ops.js';
import { notFound, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

export function channelRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/channels', { schema: { summary: 'Every channel', querystring: s.ChannelQuery, response: { 200: s.ChannelList } } }, async (req) => {
    const channels = await deps.store.channels.list(req.query.platform ? { platform: req.query.platform } : {});
    return channels.filter((c) => !req.query.status || c.status === req.query.status).map(channelJson);
  });

  r.get('/channels/:id', { schema: { summary: 'One channel', params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await deps.store.channels.get(req.params.id);
    return channel ? channelJson(channel) : notFound(reply, `channel ${req.params.id}`);
  });

  r.patch('/channels/:id', { schema: { summary: 'Rename a channel', params: s.IdParams, body: s.ChannelPatch, response: { 200: s.Channel, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await deps.store.channels.get(req.params.id);
    if (!channel) return notFound(reply, `channel ${req.params.id}`);
    await deps.store.channels.update(channel.id, { name: req.body.name });
    return channelJson((await deps.store.channels.get(channel.id))!);
  });

  for (const [path, act, summary] of [
    ['accept', acceptChannel, 'Accept a pending channel: it becomes active'],
    ['decline', declineChannel, 'Decline a pending channel: it is removed'],
  ] as const) {
    r.post(`/channels/:id/${path}`, { schema: { summary, params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody, 409: s.ErrorBody } } }, async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      const answer = await act(deps.store, channel);
      if (!answer.ok) return reply.code(409).send({ error: 'not_pending', message: `Channel ${channel.id} is ${channel.status}, not pending: there is nothing to ${path}.` });
      return channelJson(answer.channel);
    });
  }

  r.delete('/channels/:id', { schema: { summary: 'Remove a channel and its rules', params: s.IdParams, response: { 200: s.Removed, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await deps.store.channels.get(req.params.id);
    if (!channel) return notFound(reply, `channel ${req.params.id}`);
    return { removed: true as const, ...(await removeChannel(deps.store, channel)) };
  });

  r.get('/channels/:id/rules', { schema: { summary: "A channel's rules, numbered per source as /discourse status and /gitlab status number them", params: s.IdParams, response: { 200: s.RuleList, 404: s.ErrorBody } } }, async (req, reply) => {
    const channel = await deps.store.channels.get(req.params.id);
    if (!channel) return notFound(reply, `channel ${req.params.id}`);
    // Numbered per source, as /discourse status, /gitlab status and parley rules list number them.
    return (await numberedRules(deps.store, channel.id)).map(({ number, rule }) => ruleJson(channel, number, rule));
  });
}
