// The admin API's requests and answers as zod schemas: fastify checks requests with them, and the OpenAPI document
// (/api/openapi.json) is made from them. Names are what the page and API clients see.
import { z } from 'zod';
import { PLATFORMS } from '../../bots/registry.js';
import { FILTERS, SOURCE_NAMES } from '../../lib/rules.js';
import { PLATFORM_OPTIONS } from '../channel-ops.js';

const platform = z.enum(PLATFORMS.map((p) => p.profile.name) as [string, ...string[]]).describe('a platform of bots/registry.ts');
const channelStatus = z.enum(['pending', 'active', 'error']);
const deliveryStatus = z.enum(['queued', 'delivered', 'failed', 'cancelled', 'withdrawn']);
const isoTime = z.string().describe('ISO 8601 time');

export const ErrorBody = z.object({ error: z.string().describe('a code to look the message up by'), message: z.string() });

export const IdParams = z.object({ id: z.coerce.number().int().positive() });
export const JobIdParams = z.object({ jobId: z.string().min(1).max(300) });

export const Channel = z.object({
  id: z.number().int(),
  channel: z.string().describe('platform:id, as the CLI names it'),
  platform: z.string(),
  externalId: z.string(),
  name: z.string(),
  status: channelStatus,
  lastError: z
    .object({ code: z.string(), message: z.string(), at: isoTime, raw: z.string().nullable().describe("what the platform answered (its error body, code or numeric line), tokens removed, at most 2 KB") })
    .nullable(),
  addedBy: z.string().nullable(),
  createdAt: isoTime,
  settings: z.record(z.string(), z.unknown()).describe('secret settings (webhook URLs) masked'),
});
export const ChannelList = z.array(Channel);
export const ChannelQuery = z.object({ platform: platform.optional(), status: channelStatus.optional() });
/** A setting as typed: '' removes it. */
const settingValue = z.string().max(2000);
/** A channel's settings as `parley channels add` takes them: the core's, and each platform's (only its own channels'). */
export const ChannelSettingsInput = z
  .strictObject({
    defaultCategory: settingValue.optional().describe('category for transcripts when /topic names none: a slug or parent/child slug path (c/ optional)'),
    transcriptTarget: settingValue.optional().describe('where /topic posts without to:, gitlab:GROUP/PROJECT; forum (the default) removes it'),
    timezone: settingValue.optional().describe('IANA time zone for times typed in the channel, e.g. Europe/Berlin'),
    ...Object.fromEntries(PLATFORM_OPTIONS.map(({ factory, option }) => [option.key, settingValue.optional().describe(`${factory.profile.label} channels only: ${option.description}${option.secret ? ' (secret: masked when shown)' : ''}`)])),
  })
  .describe("'' removes a setting; each value is checked as parley channels add checks it");
const externalId = z.string().trim().min(1).max(255).regex(/^\S+$/u, 'a channel id has no spaces').describe("the platform's id of the room, as in parley channels add PLATFORM:ID");
export const ChannelAdd = z.object({
  platform,
  externalId,
  name: z.string().trim().max(200).optional().describe('a display name (default: none)'),
  settings: ChannelSettingsInput.optional(),
});
export const ChannelPatch = z
  .object({ name: z.string().trim().min(1).max(200).optional(), settings: ChannelSettingsInput.optional() })
  .refine((b) => b.name !== undefined || b.settings !== undefined, 'give a name, settings, or both');
export const Removed = z.object({ removed: z.literal(true), rulesRemoved: z.number().int() });

export const RuleList = z.array(
  z.object({
    channel: z.string().describe('platform:id'),
    channelId: z.number().int(),
    number: z.number().int().describe('per source, as /discourse status, /gitlab status and parley rules list number it'),
    id: z.number().int(),
    source: z.enum(SOURCE_NAMES),
    filter: z.enum(FILTERS),
    scope: z.string().describe('as typed: c/meta, t/release, p/group/app'),
    createdBy: z.string().nullable(),
    createdAt: isoTime,
  }),
);

/** A channel's rule changed in place (./routes-rules.ts): its filter, its scope, or both; the other stays. */
export const RuleEdit = z
  .object({
    filter: z.enum(FILTERS).optional(),
    scope: z.string().trim().min(1).max(300).optional().describe('one scope in the chat grammar: all, c/SLUG, t/TAG; for gitlab p/GROUP/PROJECT, g/GROUP, l/LABEL'),
  })
  .refine((b) => b.filter !== undefined || b.scope !== undefined, 'give a filter, a scope, or both');

export const IdentityQuery = z.object({ platform: platform.optional(), source: z.enum(SOURCE_NAMES).optional() });
export const IdentityList = z.array(z.object({ user: z.string().describe('platform:user id, as the CLI names it'), platform: z.string(), userId: z.string(), source: z.enum(SOURCE_NAMES), username: z.string(), createdBy: z.string().nullable(), createdAt: isoTime }));

export const DeliveryQuery = z.object({
  channelId: z.coerce.number().int().positive().optional(),
  platform: platform.optional(),
  status: deliveryStatus.optional(),
  text: z.string().trim().min(1).max(200).optional().describe('part of the event key, subject or last error'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const Delivery = z.object({
  id: z.number().int(),
  jobId: z.string(),
  eventKey: z.string(),
  channelId: z.number().int(),
  subject: z.string(),
  thread: z.string(),
  opens: z.boolean(),
  status: deliveryStatus,
  attempts: z.number().int(),
  messageRef: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const DeliveryPage = z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int(), deliveries: z.array(Delivery) });
export const Retried = z.object({ jobId: z.string(), status: z.literal('queued') });
export const DeliveryHours = z.array(z.object({ hour: isoTime, platform: z.string(), delivered: z.number().int(), failed: z.number().int() }));

const check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const depth = z.object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), failed: z.number().int() });
export const Overview = z.object({
  checks: z.record(z.string(), check).describe('database, redis and each platform, as /readyz checks them'),
  queues: z.record(z.string(), depth),
  deliveries: z.record(deliveryStatus, z.number().int()),
});
export const OpenApiDocument = z.record(z.string(), z.unknown());
export const Session = z.discriminatedUnion('via', [z.object({ via: z.literal('token') }), z.object({ via: z.literal('session'), csrfToken: z.string() })]);

// Changes to rules and identities (./routes-rules.ts, ./routes-identities.ts), as `parley rules add|remove` and
// `parley identities add|remove` make them (../rule-ops.ts, ../identity-ops.ts).
const rule = RuleList.element;
const identity = IdentityList.element;
const source = z.enum(SOURCE_NAMES).default('discourse');
/** A request the API refused: the fields and what each needs, as the validation errors of ./api.ts name them. */
export const ValidationErrorBody = ErrorBody.extend({ issues: z.array(z.object({ field: z.string().describe('body.scopes.1, querystring.limit'), message: z.string() })).optional() });
export const RulesAdd = z.object({
  source,
  filter: z.enum(FILTERS),
  scopes: z
    .array(z.string().trim().min(1).max(300))
    .min(1)
    .max(50)
    .describe('in the chat grammar, one rule each: all, c/SLUG, c/PARENT/CHILD, t/TAG; for gitlab all, p/GROUP/PROJECT, g/GROUP, l/LABEL'),
});
export const RulesAdded = z.object({
  added: z.array(rule),
  existing: z.array(rule).describe('rules that were there already: left as they are'),
  rules: z.array(rule).describe("the channel's rules of that source now, numbered"),
  warnings: z.array(z.string()).describe('forum categories Parley does not know, a pending channel'),
});
export const RuleNumberParams = IdParams.extend({ number: z.coerce.number().int().positive().describe('as /discourse status (or /gitlab status) and parley rules list number it') });
export const RuleSourceQuery = z.object({ source });
export const RulesRemoved = z.object({ removed: z.array(rule), rules: z.array(rule).describe("the channel's rules of that source left, numbered again") });
const userId = z.string().trim().min(1).max(255).regex(/^\S+$/u, 'a user id has no spaces').describe("the platform's numeric or opaque user id (not the @name)");
export const IdentityAdd = z.object({ platform, userId, source, username: z.string().max(300).describe('the username at the source, as on their profile') });
export const IdentityLinked = z.object({ change: z.enum(['created', 'replaced', 'unchanged']), identity, was: z.string().nullable().describe('the username it replaced') });
export const IdentityParams = z.object({ platform, userId });
export const IdentitySourceQuery = z.object({ source });
export const IdentityRemoved = z.object({ removed: identity });

export const PageQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).default(0) });
export const TranscriptPage = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  transcripts: z.array(
    z.object({
      id: z.string(),
      channelId: z.number().int(),
      requestedBy: z.string().describe('platform:user of the chat user who typed /topic'),
      forumUsername: z.string(),
      status: z.enum(['queued', 'posted', 'previewed', 'failed']),
      title: z.string().nullable(),
      topicUrl: z.string().nullable().describe('the forum topic or GitLab issue made'),
      error: z.string().nullable(),
      createdAt: isoTime,
    }),
  ),
});

export const RuleEdited = z.object({
  removed: z.array(rule).describe('the rule as it was (empty when nothing changed)'),
  added: z.array(rule).describe('the rule made instead (empty when nothing changed, or when the channel had that rule already)'),
  rules: z.array(rule).describe("the channel's rules of that source now, numbered again"),
  warnings: z.array(z.string()).describe('forum categories Parley does not know'),
});

// What the sources offer the admin page's pickers and test message (./routes-sources.ts).
export const ForumTopicList = z.array(
  z.object({ id: z.number().int(), title: z.string(), url: z.string(), categoryId: z.number().int().nullable(), createdAt: isoTime.nullable() }),
);
export const CategoryList = z.array(
  z.object({
    id: z.number().int(),
    path: z.string().describe('slug or parent/child, as c/ scopes name it'),
    name: z.string(),
    color: z.string().nullable().describe('hex without #'),
    readRestricted: z.boolean().describe("restricted categories' posts are never announced"),
  }),
);
export const TagList = z.array(z.object({ name: z.string(), count: z.number().int().describe('topics with the tag') }));
export const ProjectQuery = z.object({ search: z.string().trim().max(200).default('').describe('part of the name or path, at least 2 characters (shorter: no projects)') });
export const ProjectList = z.array(z.object({ path: z.string().describe('group/project, as p/ scopes name it') }));
export const LabelQuery = z.object({ project: z.string().trim().min(1).max(300).describe('group/project, or its numeric id') });
export const LabelList = z.array(z.object({ name: z.string(), color: z.string().describe('as GitLab gives it: #RRGGBB, or a colour name') }));

// A test message (./routes-test-message.ts): its answer is the platform's, whichever it was.
export const TestMessage = z.object({ topicId: z.coerce.number().int().positive().describe('a forum topic, as GET /api/sources/discourse/topics lists them') });
export const TestResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), messageRef: z.string().nullable().describe("the platform's reference to the message sent (null where it gives none: Mattermost webhooks)") }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.string().describe('a permanent reason (channel_not_found, bot_removed, token_revoked, forbidden, …), or rate_limited, transient, error'),
      message: z.string(),
      raw: z.string().nullable().describe('what the platform answered, tokens removed, at most 2 KB'),
    }),
  }),
]);

// Who may post transcripts (./routes-transcript-policy.ts).
const groupName = z.string().trim().min(1).max(100).regex(/^[^\s,]+$/u, 'a forum group name has no spaces or commas');
export const TranscriptPolicy = z.object({
  groups: z.array(z.string()).describe('forum groups whose members may post transcripts, besides forum admins'),
  from: z.enum(['admin', 'environment']).describe('admin: set here; environment: PARLEY_TRANSCRIPT_GROUPS'),
  environmentGroups: z.array(z.string()).describe('PARLEY_TRANSCRIPT_GROUPS, what DELETE goes back to'),
});
export const TranscriptPolicySet = z.object({ groups: z.array(groupName).max(100).describe('an empty list: forum admins only') });
