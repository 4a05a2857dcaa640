import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from 'grammy/types';
import { attachmentsOf, telegramDate, toChatMessage } from '../../bots/telegram/chat-message.js';

const GROUP = { id: -100123, type: 'supergroup', title: 'Ops room' } as const;
const ALICE = { id: 42, is_bot: false, first_name: 'Alice', last_name: 'Liddell', username: 'alice' };

function message(fields: Record<string, unknown>): Message {
  return { message_id: 10, date: 1_700_000_000, chat: GROUP, from: ALICE, ...fields };
}

describe('telegramDate', () => {
  test('seconds, as the Bot API sends them, and milliseconds, as telegram-test-api sends some', () => {
    assert.equal(telegramDate(1_700_000_000).toISOString(), '2023-11-14T22:13:20.000Z');
    assert.equal(telegramDate(1_700_000_000_250).toISOString(), '2023-11-14T22:13:20.250Z');
  });
});

describe('toChatMessage', () => {
  test('text with entities becomes forum Markdown; the author is the sender with the full name', () => {
    const m = toChatMessage(message({ text: 'see https://x.example and code', entities: [{ type: 'url', offset: 4, length: 17 }, { type: 'code', offset: 26, length: 4 }] }));
    assert.deepEqual(m, {
      id: '10',
      author: { id: '42', username: 'alice', displayName: 'Alice Liddell', isBot: false },
      sentAt: new Date(1_700_000_000_000),
      markdown: 'see <https://x.example> and `code`',
      attachments: [],
    });
  });

  test('a caption is the text of a media message, its caption_entities the entities', () => {
    const m = toChatMessage(message({ caption: 'the graph 📈 spikes', caption_entities: [{ type: 'bold', offset: 13, length: 6 }], photo: [{ file_id: 'a', file_unique_id: 'b', width: 1, height: 1 }] }));
    assert.equal(m?.markdown, 'the graph 📈 **spikes**');
    assert.deepEqual(m?.attachments, [{ name: 'photo', url: '' }]);
  });

  test('a message posted as the group (anonymous admin) or a channel is the chat\'s, not the placeholder bot\'s', () => {
    const anonymous = toChatMessage(message({ text: 'hi', sender_chat: GROUP, from: { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' } }));
    assert.deepEqual(anonymous?.author, { id: '-100123', username: '', displayName: 'Ops room', isBot: false });
    const channel = toChatMessage(message({ text: 'news', sender_chat: { id: -100999, type: 'channel', title: 'News', username: 'news_chan' }, from: { id: 777000, is_bot: false, first_name: 'Telegram' } }));
    assert.deepEqual(channel?.author, { id: '-100999', username: 'news_chan', displayName: 'News', isBot: false });
  });

  test('a bot is marked as one; a user with no name shows the username, then the id', () => {
    assert.equal(toChatMessage(message({ text: 'build ok', from: { id: 5, is_bot: true, first_name: 'CI' } }))?.author.isBot, true);
    assert.equal(toChatMessage(message({ text: 'x', from: { id: 6, is_bot: false, first_name: ' ', username: 'ghost' } }))?.author.displayName, 'ghost');
  });

  test('service messages and content without text or file are nothing to show', () => {
    assert.equal(toChatMessage(message({ new_chat_members: [ALICE] })), null);
    assert.equal(toChatMessage(message({ location: { latitude: 1, longitude: 2 } })), null);
    assert.equal(toChatMessage(message({ text: 'x', from: undefined })), null);
  });
});

describe('attachmentsOf', () => {
  test('each kind of file by its name, or a word for what it is; never a link', () => {
    const file = { file_id: 'f', file_unique_id: 'u' };
    assert.deepEqual(attachmentsOf(message({ document: { ...file, file_name: 'report.pdf' } })), [{ name: 'report.pdf', url: '' }]);
    assert.deepEqual(attachmentsOf(message({ document: file })), [{ name: 'document', url: '' }]);
    // An animation also comes with a document: one file.
    assert.deepEqual(attachmentsOf(message({ animation: { ...file, file_name: 'party.mp4', width: 1, height: 1, duration: 1 }, document: { ...file, file_name: 'party.mp4' } })), [{ name: 'party.mp4', url: '' }]);
    assert.deepEqual(attachmentsOf(message({ video: { ...file, width: 1, height: 1, duration: 1 } })), [{ name: 'video', url: '' }]);
    assert.deepEqual(attachmentsOf(message({ audio: { ...file, duration: 1, performer: 'Band', title: 'Song' } })), [{ name: 'Band – Song', url: '' }]);
    assert.deepEqual(attachmentsOf(message({ voice: { ...file, duration: 3 } })), [{ name: 'voice message', url: '' }]);
    assert.deepEqual(attachmentsOf(message({ text: 'plain' })), []);
  });
});
