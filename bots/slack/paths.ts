// Where Slack reaches Parley over HTTP (without Socket Mode): the request URLs of the app's manifest.

/** Slash commands (`/discourse`, `/topic`): Slack POSTs each one here, form-encoded and signed. */
export const COMMANDS_PATH = '/hooks/slack/commands';
/** The Events API (membership, uninstall): Slack POSTs JSON here, signed; `url_verification` is answered. */
export const EVENTS_PATH = '/hooks/slack/events';
