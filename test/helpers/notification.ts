// One announcement as the core hands it to a platform's formatter, for the format tests (Mattermost, Slack).
import type { Notification } from '../../lib/notification.js';

export function notification(over: Partial<Notification> = {}): Notification {
  return {
    kind: 'new_topic',
    title: 'Release 2.0 is out',
    url: 'https://forum.example.org/t/release-2-0-is-out/42/1',
    author: 'Sara Lee (@sara)',
    category: { name: 'Announcements', path: 'announcements', color: '0088CC' },
    tags: ['release', 'news'],
    excerpt: 'We shipped it.',
    thread: 'discourse:topic:42',
    subject: 'discourse:post:420',
    ...over,
  };
}
