// End to end on Telegram: users type /discourse commands in chats of telegram-test-api through the real
// grammY bot, a signed Discourse webhook arrives, and the chat receives the notification.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { postBody, startParley, type TestParley } from '../helpers/parley.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';

const TOKEN = '123456:e2e-telegram-token';

describe('Telegram end to end', () => {
  let emulator: TelegramEmulator;
  let forum: FakeForum;
  let parley: TestParley;

  before(async () => {
    emulator = await startTelegramServer();
    forum = await startFakeForum({
      categories: [
        { id: 4, slug: 'releases', name: 'Releases', color: '25AAE2' },
        { id: 6, slug: 'general', name: 'General' },
      ],
    });
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_TELEGRAM_TOKEN: TOKEN,
        PARLEY_TELEGRAM_API_ROOT: emulator.apiRoot,
      },
    });
  });

  after(async () => {
    await parley?.stop();
    await forum?.stop();
    await emulator?.stop();
  });

  test('in a private chat: /discourse watch c/releases, then a release post arrives in the chat', async () => {
    const chat = { chatId: 4242, userId: 4242, type: 'private' as const, firstName: 'Dana', userName: 'dana' };
    const client = emulator.server.getClient(TOKEN, chat);
    await client.sendCommand(client.makeCommand('/discourse watch c/releases'));
    const [reply] = await emulator.waitForBotMessages(TOKEN, chat.chatId, 1);
    assert.match(reply!.text, /watch c\/releases/);
    const channel = await parley.app.store.channels.find('telegram', String(chat.chatId));
    assert.equal(channel?.status, 'active', 'the chat was registered by its first command');

    const sent = await parley.sendWebhook('post_created', postBody({ id: 31, topicId: 310, categoryId: 4, title: 'Parley 1.0 <released>', raw: 'Changelog: @here look' }));
    assert.equal(sent.status, 202);
    const messages = await emulator.waitForBotMessages(TOKEN, chat.chatId, 2);
    const note = messages[1]!;
    assert.equal(note.params.parse_mode, 'HTML');
    assert.match(String(note.params.text), /<a href="[^"]+\/t\/a-topic\/310\/1">Parley 1\.0 &lt;released&gt;<\/a>/);
    assert.match(note.text, /Releases/);
    assert.doesNotMatch(note.text, /@here/, 'mass mention neutralised');

    // A post in a category the chat does not watch stays out.
    const other = await parley.sendWebhook('post_created', postBody({ id: 32, topicId: 320, categoryId: 6, title: 'Off topic' }));
    await parley.waitForIngest(other.eventId);
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${32}`)).length, 0);
  });

  test('in a group, with roles the emulator cannot tell, a rule change is refused with the reason and nothing changes', async () => {
    const group = { chatId: -100777, userId: 55, type: 'group' as const, firstName: 'Eve', userName: 'eve', chatTitle: 'Community' };
    const client = emulator.server.getClient(TOKEN, group);
    await client.sendCommand(client.makeCommand('/discourse watch all'));
    const [reply] = await emulator.waitForBotMessages(TOKEN, group.chatId, 1);
    assert.match(reply!.text, /PARLEY_RULES_PERMISSION/);
    const channel = await parley.app.store.channels.find('telegram', String(group.chatId));
    assert.ok(channel);
    assert.deepEqual(await parley.app.store.rules.list(channel.id), []);
  });
});
