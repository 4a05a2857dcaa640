// Matrix's settings, read from its variables by ./index.ts.
export interface MatrixSettings {
  /** The client-server API's base URL (`https://matrix.example.org`; Gitter's is `https://gitter.ems.host`). */
  homeserverUrl: string;
  accessToken: string;
  /** Globs over Matrix user ids (`@*:example.org`) whose invitations are accepted at once. */
  allowedInviters: string[];
  /** An invitation no admin answered is declined after this long. */
  inviteExpiryMs: number;
}
