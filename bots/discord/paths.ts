// Where Discord reaches Parley over HTTP (interactions mode): the Interactions Endpoint URL of the application.

/** Discord POSTs every interaction (PING, commands, autocomplete) here, signed with the application's key. */
export const INTERACTIONS_PATH = '/hooks/discord/interactions';
