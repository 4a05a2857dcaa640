// `npm run build`, and `prepare`, so that `npm ci` builds: compiles the runtime folders (tsconfig.build.json) to
// dist/ and records the sources' stamp in dist/.build-info, by which bin/parley.js knows the build is current.
// Emit only (tsconfig.build.json's noCheck): the type check is `npm run lint`'s job, as it was when tsx ran the
// sources unchecked, and it would triple the build's time.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { sourceStamp, writeBuildInfo } from './build-info.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// From scratch: a deleted source must not live on as its old .js, and a failed build leaves no .build-info.
rmSync(path.join(root, 'dist'), { recursive: true, force: true });

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` runs `prepare` too, without TypeScript: Parley still runs, from the sources through tsx.
  process.stderr.write(
    'parley build: TypeScript is not installed (npm ci --omit=dev?), so nothing is compiled and Parley runs from the ' +
      'sources through tsx. To run compiled: npm ci (which builds), then npm prune --omit=dev.\n',
  );
  process.exit(0);
}

// Before compiling: a file edited while tsc runs then makes the build stale, never wrongly current.
const taken = sourceStamp(root);
const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) {
  process.stderr.write(`parley build: tsc failed (${run.status ?? run.signal}); dist/ is not used until a build succeeds.\n`);
  process.exit(run.status ?? 1);
}
writeBuildInfo(root, taken);
