// Packages loaded at their first use rather than at the top of a module: each is memory and start time that a
// process which never needs it should not pay (`npm run bench -- startup` measures the idle process). Types stay
// static (`import type`); only the loading waits. A package that cannot be loaded (a broken install) fails with an
// error naming the package and what needed it, not a bare "Cannot find module" at some later call.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The error for a package that could not be loaded; the loader's own error is its cause. */
export class LazyModuleError extends Error {
  constructor(
    readonly packageName: string,
    purpose: string,
    cause: unknown,
  ) {
    super(`${purpose} needs the package ${packageName}, which could not be loaded (${cause instanceof Error ? cause.message : String(cause)}). Reinstall Parley's dependencies: npm ci.`, { cause });
    this.name = 'LazyModuleError';
  }
}

/**
 * An ES module (or CommonJS through `import`), loaded at the first call: `load` is `() => import('pkg')`, so that
 * the specifier stays literal and typed. Node caches the module; this only rewords a failure.
 */
export async function importLazily<T>(packageName: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new LazyModuleError(packageName, purpose, err);
  }
}

/**
 * A CommonJS package, loaded synchronously at the first call (for code that must stay synchronous). Node's
 * require cache keeps it; later calls cost a lookup.
 */
export function requireLazily<T>(packageName: string, purpose: string): T {
  try {
    return require(packageName) as T;
  } catch (err) {
    throw new LazyModuleError(packageName, purpose, err);
  }
}
