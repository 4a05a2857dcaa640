// GET /api/platforms, /api/sources and a platform command's file (Slack's manifest): the admin page's "Platforms and
// sources" section. Each entry's setup steps come from the platform's or source's own folder (AdapterFactory.setup,
// EventSource.setup), so a new platform brings its section with it; this file only adds what Parley knows of it
// now: configured or not, connected or not, which of its variables are set (never their values).
import { z } from 'zod';
import { PLATFORMS } from '../../bots/registry.js';
import { VARIABLES } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';
import type { AdapterFactory, PlatformCommand, SetupGuide } from '../../lib/seams/platform.js';
import { SOURCES } from '../../lib/sources.js';
import { notFound, type AdminApiDeps, type Routes } from './api.js';
import { ErrorBody } from './schemas.js';

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Variable = z.object({ name: z.string(), meaning: z.string(), set: z.boolean().describe('whether it is set; its value is never shown') });
const Guide = z.object({
  steps: z.array(
    z.object({
      text: z.string(),
      url: z.string().optional().describe('a page to open: where the bot or app is created'),
      copy: z.object({ label: z.string(), value: z.string() }).optional().describe("a value to paste into the platform: one of Parley's URLs"),
    }),
  ),
  downloads: z.array(z.object({ label: z.string(), command: z.string(), flags: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(), file: z.string().optional() })).optional(),
});
const DownloadLink = z.object({
  label: z.string(),
  command: z.string().describe("the platform's command (`parley slack manifest`)"),
  path: z.string().describe('GET it for the file'),
  file: z.string().nullable().describe('the name to save it as'),
});
const connectedDoc = "its health check (as /readyz runs it) where it is configured and Parley runs it; else null";

export const PlatformList = z.array(
  z.object({
    name: z.string(),
    label: z.string(),
    configured: z.boolean(),
    connected: Check.nullable().describe(connectedDoc),
    howToConfigure: z.string(),
    variables: z.array(Variable),
    channelOptions: z.array(z.object({ key: z.string(), flag: z.string(), description: z.string(), secret: z.boolean() })),
    setup: Guide.nullable(),
    downloads: z.array(DownloadLink),
  }),
);
export const SourceList = z.array(
  z.object({
    name: z.string(),
    label: z.string(),
    configured: z.boolean(),
    connected: Check.nullable().describe(connectedDoc),
    variables: z.array(Variable),
    setup: Guide.nullable(),
  }),
);

/** A commander flag as the command receives it: `--socket-mode` → socketMode (a switch), `--name <name>` → name. */
function flagOf(flag: string): { key: string; takesValue: boolean } {
  const long = /--([\w-]+)/u.exec(flag)?.[1] ?? flag;
  return { key: long.replace(/-(\w)/gu, (_m, c: string) => c.toUpperCase()), takesValue: /[<[]/u.test(flag) };
}

/** Every flag of every platform command, as the download's query takes it (each documented in the OpenAPI document). */
const FLAGS = new Map(PLATFORMS.flatMap((p) => p.commands.flatMap((c) => (c.flags ?? []).map((f) => [flagOf(f.flag).key, f.description] as const))));
export const DownloadQuery = z.object(Object.fromEntries([...FLAGS].map(([key, description]) => [key, z.string().max(200).optional().describe(`${description} (a switch: true or false)`)])));
export const DownloadParams = z.object({ name: z.string().max(50), command: z.string().max(50) });

const isSet = (vars: NodeJS.ProcessEnv, name: string) => (vars[name] ?? '') !== '';

/** The download path of a guide's entry: its flags in the query. */
function downloadPath(platform: string, command: string, flags: Readonly<Record<string, string | boolean>> = {}): string {
  const query = new URLSearchParams(Object.entries(flags).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return `/api/platforms/${platform}/downloads/${command}${query ? `?${query}` : ''}`;
}

/** The guide's downloads, then each command of the platform the guide does not offer. */
function downloadsOf(factory: AdapterFactory, guide: SetupGuide | null): z.infer<typeof DownloadLink>[] {
  const name = factory.profile.name;
  const offered = (guide?.downloads ?? []).map((d) => ({ label: d.label, command: d.command, path: downloadPath(name, d.command, d.flags), file: d.file ?? null }));
  const rest = factory.commands.filter((c) => !offered.some((o) => o.command === c.name)).map((c) => ({ label: c.description, command: c.name, path: downloadPath(name, c.name), file: null }));
  return [...offered, ...rest];
}

/** Runs a health check as /api/overview does, but never for longer than a page should wait. */
async function runCheck(check: () => Promise<{ ok: boolean; detail?: string }>): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: 'no answer within 5 s' }), 5000);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The command's flags from the query: switches as booleans, values as strings; a flag it does not take is a problem. */
function commandFlags(command: PlatformCommand, query: Record<string, string | undefined>): { flags: Record<string, unknown> } | { problem: string } {
  const own = new Map((command.flags ?? []).map((f) => [flagOf(f.flag).key, flagOf(f.flag).takesValue]));
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const takesValue = own.get(key);
    if (takesValue === undefined) return { problem: `${key}: ${command.name} takes ${own.size > 0 ? [...own.keys()].join(', ') : 'no options'}` };
    if (takesValue) flags[key] = value;
    else if (value === 'true' || value === 'false') flags[key] = value === 'true';
    else return { problem: `${key}: a switch, true or false` };
  }
  return { flags };
}

export function platformRoutes(r: Routes, deps: AdminApiDeps): void {
  // Read when first asked, not at registration: the configuration does not change while Parley runs.
  const varsOf = () => deps.env;
  const ctxOf = () => ({ publicUrl: deps.config.publicUrl });
  const variablesOf = (meanings: Readonly<Record<string, string>>) => Object.entries(meanings).map(([name, meaning]) => ({ name, meaning, set: isSet(varsOf(), name) }));

  r.get('/platforms', { schema: { summary: 'Every platform Parley knows: configured, connected, its variables (set or not, never their values) and how to set it up', response: { 200: PlatformList } } }, async () =>
    Promise.all(
      PLATFORMS.map(async (factory) => {
        const { name, label } = factory.profile;
        const configured = deps.config.platforms.some((p) => p.profile.name === name);
        const check = deps.checks[name];
        const setup = factory.setup?.(ctxOf()) ?? null;
        return {
          name,
          label,
          configured,
          connected: configured && check ? await runCheck(check) : null,
          howToConfigure: factory.howToConfigure,
          variables: variablesOf(factory.variables),
          channelOptions: factory.channelOptions.map((o) => ({ key: o.key, flag: o.flag, description: o.description, secret: o.secret === true })),
          setup,
          downloads: downloadsOf(factory, setup),
        };
      }),
    ),
  );

  r.get('/sources', { schema: { summary: 'The event sources (Discourse, GitLab): configured, their variables (set or not, never their values) and how to connect them', response: { 200: SourceList } } }, async () =>
    Promise.all(
      SOURCES.map(async (source) => {
        const prefix = `PARLEY_${source.name.toUpperCase()}_`;
        const check = deps.checks[source.name];
        const configured = deps.config[source.name] !== null;
        return {
          name: source.name,
          label: source.label,
          configured,
          connected: configured && check ? await runCheck(check) : null,
          variables: variablesOf(Object.fromEntries(Object.entries(VARIABLES).filter(([k]) => k.startsWith(prefix)))),
          setup: source.setup?.(ctxOf()) ?? null,
        };
      }),
    ),
  );

  r.get(
    '/platforms/:name/downloads/:command',
    {
      schema: {
        summary: "A platform command's output as a file, on the variables as set (Slack's app manifest, YAML)",
        params: DownloadParams,
        querystring: DownloadQuery,
        response: { 200: z.string().describe('the file: YAML for a .yaml file, else plain text'), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const factory = PLATFORMS.find((p) => p.profile.name === req.params.name);
      const command = factory?.commands.find((c) => c.name === req.params.command);
      if (!factory || !command) return notFound(reply, `command ${req.params.command} of a platform ${req.params.name}`);
      const parsed = commandFlags(command, req.query);
      if ('problem' in parsed) return reply.code(400).send({ error: 'validation', message: parsed.problem });
      const { config } = deps;
      const vars = varsOf();
      const shared = { publicUrl: config.publicUrl, transcriptMaxMessages: config.transcripts.maxMessages, gitlab: config.gitlab !== null };
      let text: string;
      try {
        const own = Object.fromEntries(Object.keys(factory.variables).filter((k) => vars[k] !== undefined).map((k) => [k, vars[k]]));
        text = command.run({ vars: own, shared, flags: parsed.flags });
      } catch (err) {
        // What the command needs and lacks (PARLEY_PUBLIC_URL for Slack's HTTP manifest): the admin's to fix.
        if (err instanceof ConfigError) return reply.code(409).send({ error: 'not_ready', message: err.problems.join(' ') });
        throw err;
      }
      const offered = factory.setup?.(ctxOf()).downloads?.filter((d) => d.command === command.name) ?? [];
      const same = (flags: Readonly<Record<string, unknown>> = {}) => Object.keys({ ...flags, ...parsed.flags }).every((k) => (flags[k] ?? false) === (parsed.flags[k] ?? false));
      const file = (offered.find((d) => same(d.flags)) ?? offered[0])?.file ?? `parley-${factory.profile.name}-${command.name}.txt`;
      return reply
        .type(/\.ya?ml$/u.test(file) ? 'application/yaml; charset=utf-8' : 'text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file}"`)
        .send(text);
    },
  );
}
