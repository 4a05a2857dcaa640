// A Telegram message as a transcript's ChatMessage (forum Markdown, author, time, files). Pure functions.
import type { Chat, Message, User } from 'grammy/types';
import type { ChatAuthor, ChatMessage } from '../../lib/transcript/types.js';
import { telegramToMarkdown } from './markup.js';

/** Dates above this are milliseconds, not seconds (seconds reach it in the year 33658). */
const MILLISECONDS_FROM = 1e12;

/** Telegram dates are Unix seconds; telegram-test-api sends some in milliseconds. */
export function telegramDate(value: number): Date {
  return new Date(value > MILLISECONDS_FROM ? value : value * 1000);
}

function personName(user: Pick<User, 'first_name' | 'last_name' | 'username'>): string {
  return [user.first_name, user.last_name].filter((s) => s !== undefined && s.trim() !== '').join(' ') || (user.username ?? '');
}

function chatTitle(chat: Chat): string {
  if (chat.type === 'private') return personName(chat);
  return chat.title || ('username' in chat && chat.username ? `@${chat.username}` : String(chat.id));
}

/**
 * Who wrote it. A message posted as a chat (an anonymous group admin, or a linked channel) names that chat
 * in `sender_chat`; its `from` is then a placeholder bot (GroupAnonymousBot, Channel_Bot) and says nothing.
 */
export function authorOf(message: Message): ChatAuthor | null {
  const chat = message.sender_chat;
  if (chat) {
    return { id: String(chat.id), username: 'username' in chat ? (chat.username ?? '') : '', displayName: chatTitle(chat), isBot: false };
  }
  const from = message.from;
  if (!from) return null;
  return { id: String(from.id), username: from.username ?? '', displayName: personName(from) || String(from.id), isBot: from.is_bot };
}

/**
 * The files of a message, by name only. A Bot API file link needs getFile and has the bot token in its
 * path (`/file/bot<token>/…`), which must never appear in a forum post: so the url stays empty and the
 * transcript shows the name alone.
 */
export function attachmentsOf(message: Message): { name: string; url: string }[] {
  const named = (name: string) => [{ name, url: '' }];
  if (message.photo) return named('photo');
  // An animation (GIF) also carries a `document` for old clients: one file, not two.
  if (message.animation) return named(message.animation.file_name ?? 'animation');
  if (message.document) return named(message.document.file_name ?? 'document');
  if (message.video) return named(message.video.file_name ?? 'video');
  if (message.video_note) return named('video message');
  if (message.audio) {
    const audio = message.audio;
    const title = [audio.performer, audio.title].filter(Boolean).join(' – ');
    return named(audio.file_name ?? (title || 'audio'));
  }
  if (message.voice) return named('voice message');
  return [];
}

/**
 * The message as a transcript sees it, or null when there is nothing to show (a service message: someone
 * joined, a pin, a title change; or content Parley does not render, such as polls and locations).
 */
export function toChatMessage(message: Message): ChatMessage | null {
  const author = authorOf(message);
  if (!author) return null;
  const markdown =
    message.text !== undefined
      ? telegramToMarkdown(message.text, message.entities ?? [])
      : telegramToMarkdown(message.caption ?? '', message.caption_entities ?? []);
  const attachments = attachmentsOf(message);
  if (markdown.trim() === '' && attachments.length === 0) return null;
  return { id: String(message.message_id), author, sentAt: telegramDate(message.date), markdown, attachments };
}
