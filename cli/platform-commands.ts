// `parley <platform> <command> [flags]`: the CLI commands a platform brings itself (AdapterFactory.commands,
// as `parley slack manifest`). Each runs on the platform's variables as they are set, whether or not they
// configure it yet (a manifest comes before the tokens), and prints what it returns; it connects to nothing.
import type { Command } from 'commander';
import { PLATFORMS } from '../bots/registry.js';
import { loadConfig } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import type { AdapterFactory, PlatformCommand, SharedSettings } from '../lib/seams/platform.js';
import { CONFIG_EXIT_CODE } from './context.js';
import { CliError } from './output.js';

/**
 * The settings every platform shares, read as `parley start` reads them: the core's variables (and
 * PARLEY_CONFIG_FILE) validated by lib/config.ts, so a malformed PARLEY_PUBLIC_URL is the same error, with the
 * same exit code, as in every other command. No platform is configured here, so none of their variables is required.
 */
function sharedSettings(env: NodeJS.ProcessEnv): SharedSettings {
  try {
    const config = loadConfig(env, []);
    return { publicUrl: config.publicUrl, gitlab: config.gitlab !== null };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, CONFIG_EXIT_CODE);
    throw err;
  }
}

/** The platform's own variables as set in the environment (unset ones left out). */
function platformVariables(factory: AdapterFactory, env: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of Object.keys(factory.variables)) {
    const value = env[name];
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}

/** Runs one platform command and returns its output. A problem it reports (ConfigError) is the user's to fix. */
export function runPlatformCommand(factory: AdapterFactory, command: PlatformCommand, flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): string {
  const shared = sharedSettings(env);
  try {
    return command.run({ vars: platformVariables(factory, env), shared, flags });
  } catch (err) {
    // What the command needs and lacks (a variable, a flag), said as the command says it, exit code 1.
    if (err instanceof ConfigError) throw new CliError(err.problems.join('\n'));
    throw err;
  }
}

/** Registers `parley <platform> <command>` for every platform in `platforms` that has commands. */
export function platformCommands(program: Command, platforms: readonly AdapterFactory[] = PLATFORMS): void {
  for (const factory of platforms) {
    if (factory.commands.length === 0) continue;
    const { name, label } = factory.profile;
    const group = program.command(name).description(`${label}'s own commands: ${factory.commands.map((c) => c.name).join(', ')}`);
    for (const command of factory.commands) {
      const sub = group.command(command.name).description(command.description);
      for (const { flag, description } of command.flags ?? []) sub.option(flag, description);
      sub.action((opts: Record<string, unknown>) => {
        const output = runPlatformCommand(factory, command, opts);
        process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
      });
    }
  }
}
