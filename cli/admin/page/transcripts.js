// Transcripts (#/transcripts): the transcripts /topic made, newest first, with links to the topics or issues they
// became (GET /api/transcripts, a page at a time).
import { api } from './api.js';
import { externalLink, h, replace } from './dom.js';
import { time } from './format.js';
import { dataTable, pager } from './widgets.js';

const LIMIT = 50;

export function render({ body, notices, current }) {
  const box = h('div', {}, h('p', {}, 'Loading…'));
  const paging = h('div');
  let channelNames = new Map();

  async function load(offset) {
    let page;
    try {
      page = await api.get('transcripts', { limit: LIMIT, offset });
    } catch (error) {
      notices.error(error);
      return;
    }
    if (!current()) return;
    replace(
      box,
      dataTable({
        caption: 'Transcripts',
        captionHidden: true,
        className: 'wide',
        columns: ['Created', 'Title', 'Status', 'Channel', 'Requested by', 'Forum user', 'Error'],
        empty: 'No transcript yet: /topic in a chat makes one.',
        rows: page.transcripts.map((t) => [
          time(t.createdAt),
          t.topicUrl ? externalLink(t.topicUrl, t.title ?? t.topicUrl) : (t.title ?? '(no title yet)'),
          h('span', { class: ['state', t.status === 'failed' ? 'bad' : t.status === 'posted' ? 'ok' : null] }, t.status),
          channelNames.get(t.channelId) ?? String(t.channelId),
          h('code', {}, t.requestedBy),
          t.forumUsername,
          t.error ?? '',
        ]),
      }),
    );
    replace(paging, page.total > page.limit ? pager({ ...page, onPage: (next) => void load(next) }) : null);
  }

  replace(body, box, paging);
  // Channel names where they can be had; the ids otherwise.
  void api.get('channels').then(
    (channels) => {
      channelNames = new Map(channels.map((c) => [c.id, c.name || c.channel]));
    },
    () => undefined,
  ).finally(() => void load(0));
}
