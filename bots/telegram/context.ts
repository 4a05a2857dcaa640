// What the Telegram adapter puts in a command's platformContext: what it needs again to check the user's role
// or to answer later (the command's own message id is the core's invocation.commandMessageId). The core carries
// it along, inside transcript jobs too, so it stays small and JSON.

export interface TelegramContext {
  /** The forum topic of a supergroup the command was typed in: a later answer goes there too. */
  threadId?: number;
  /** The command was posted as the chat itself, which only its administrators can do. */
  anonymousAdmin?: boolean;
}
