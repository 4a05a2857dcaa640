// What the Matrix adapter puts in a command invocation and needs again to answer it later.
export interface MatrixContext {
  /** The thread the command was typed in, so that its answers go there too. */
  threadRoot?: string;
}
