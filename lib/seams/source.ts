// The source seam: what the core, the commands and the CLI know of an event source (Discourse, GitLab) without
// reaching it. A source is one folder under lib/ and one line in lib/sources.ts (docs/architecture.md#sources).
import type { SourceName } from '../rules.js';

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
}
