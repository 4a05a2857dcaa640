// What the IRC adapter keeps in a command's invocation to answer it later: the nick that typed it (a transcript's
// answer, or a refusal, goes to them by NOTICE).
export interface IrcContext {
  nick: string;
}
