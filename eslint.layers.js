// The direction of imports (docs/architecture.md#direction-of-imports), checked by ESLint's no-restricted-imports:
//   cli/ (the composition root) → commands/, jobs/, bots/ (siblings that never import each other) → lib/
// lib/ imports none of the rooms above it; a platform's folder imports no other platform's; bench/ never imports test/.
// Kept in its own file so that test/unit/import-direction.test.ts lints fixtures with exactly these rules.

/** A specifier that reaches into one of these top-level rooms, at any depth of `../`. */
/** @param {...string} rooms */
const into = (...rooms) => `^(\\.\\./)+(${rooms.join('|')})/`;

/**
 * @param {string[]} files
 * @param {[string, string][]} patterns  regex of the refused specifiers, and why
 * @returns {import('eslint').Linter.Config}
 */
const rule = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }] },
});

const UP = 'Imports flow one way: cli → commands, jobs, bots → lib (docs/architecture.md#direction-of-imports).';

/** @type {import('eslint').Linter.Config[]} */
export const layers = [
  rule(['lib/**/*.ts'], [[into('commands', 'jobs', 'bots', 'cli', 'bench', 'test'), `lib/ is the core: it imports nothing above it. ${UP}`]]),
  rule(['commands/**/*.ts'], [[into('jobs', 'bots', 'cli', 'bench', 'test'), `commands/ imports only lib/ (seam types in lib/seams/). ${UP}`]]),
  rule(['jobs/**/*.ts'], [[into('commands', 'bots', 'cli', 'bench', 'test'), `jobs/ imports only lib/ (seam types in lib/seams/). ${UP}`]]),
  rule(['bots/*.ts'], [[into('commands', 'jobs', 'cli', 'bench', 'test'), `bots/ imports only lib/. ${UP}`]]),
  // Inside a platform's folder, `../` may only lead further up to lib/: never to bots/ itself or another platform.
  rule(['bots/*/*.ts'], [
    [into('commands', 'jobs', 'cli', 'bench', 'test'), `A platform imports only lib/ and its own folder. ${UP}`],
    ['^\\.\\./(?!\\.\\./)', 'A platform imports only lib/ and its own folder: every fact about one platform stays in its folder.'],
  ]),
  rule(['bots/*/*/*.ts'], [
    [into('commands', 'jobs', 'cli', 'bench', 'test'), `A platform imports only lib/ and its own folder. ${UP}`],
    ['^\\.\\./\\.\\./(?!\\.\\./)', 'A platform imports only lib/ and its own folder: every fact about one platform stays in its folder.'],
  ]),
  rule(['bench/**/*.ts'], [[into('test'), 'bench/ never imports test/: what both need lives in bench/ or below.']]),
];
