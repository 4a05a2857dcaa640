// The source seam: an event source (Discourse, GitLab) as the core, the commands and the composition root know it.
// A source is one folder under lib/ and one line in lib/sources.ts (docs/architecture.md#sources).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ScopeType, SourceName } from '../rules.js';
import type { IngestJob } from './jobs.js';
import type { SetupContext, SetupGuide } from './platform.js';

/** How one kind of scope of a source is typed: its prefix, and what its value may be. */
export interface ScopeSyntax {
  prefix: string;
  type: Exclude<ScopeType, 'all'>;
  /** Path segments allowed; `label`: one free value (spaces and slashes too). */
  segments: { min: number; max: number } | 'label';
  /** What an error shows as the right form. */
  usage: string;
  /** How help and errors list it among the source's scopes. */
  forms: string[];
}

/** What the web role hands a source's webhook route. */
export interface SourceHookDeps {
  log: Logger;
  /** Takes an event that passed the route's checks: handled at once or queued (jobs/ingest.ts). Throws → 503. */
  accept(job: IngestJob): Promise<void>;
}

export interface SourceProfile {
  name: SourceName;
  /** As people write it: `Discourse`, `GitLab`. */
  label: string;
  /** How replies name where events come from: `the forum`, `GitLab`. */
  from: string;
  /** The chat command that manages its rules (`discourse` → `/discourse`, `gitlab` → `/gitlab`). */
  command: 'discourse' | 'gitlab';
  /** A scope for examples in help and errors: `c/meta`, `p/group/project`. */
  exampleScope: string;
  /** What its `follow` delivers, for help. */
  follows: string;
  /** Its scopes besides `all` (lib/rules.ts parses and formats them). */
  scopes: readonly ScopeSyntax[];
}

/** A source: its profile, and its webhook route (`POST /hooks/<name>`), registered when the source is configured. */
export interface EventSource extends SourceProfile {
  registerHook(app: FastifyInstance, config: Config, deps: SourceHookDeps): void;
  /** How to connect the source to Parley, for the admin page (lib/<source>/setup.ts): its webhook, its secret. */
  setup?: (ctx: SetupContext) => SetupGuide;
}
