// Globs over user ids and masks (`@*:example.org`, `*!*@staff.example.org`): `*` is any run of characters,
// `?` one character, everything else literal; case-insensitive, as servers compare these names.

/** The globs as one test; an empty list matches nothing. */
export function globMatcher(globs: readonly string[]): (value: string) => boolean {
  if (globs.length === 0) return () => false;
  const source = globs
    .map((glob) => [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/u, (x) => `\\${x}`))).join(''))
    .join('|');
  const re = new RegExp(`^(?:${source})$`, 'iu');
  return (value) => re.test(value);
}
