// The admin CLI as an admin runs it (test/helpers/cli.ts): `parley rules` with a source word, GitLab's rules
// beside the forum's, numbered per source as /discourse status and /gitlab status number them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../helpers/cli.js';

interface RuleJson {
  channel: string;
  number: number;
  source: string;
  filter: string;
  scope: string;
}

describe('parley rules with a source', () => {
  test('gitlab rules are added, listed and removed by their own numbers; the forum\'s stay', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'all']);
    const added = await cli.ok(['rules', 'add', 'telegram:-1001234', 'gitlab', 'watch', 'p/acme/web', 'g/Acme', 'l/needs review']);
    assert.match(added, /Added to telegram:-1001234: watch p\/acme\/web, watch g\/acme, watch "l\/needs review"\./);
    assert.match(added, /GitLab rules of telegram:-1001234 now:\n1\. watch p\/acme\/web\n2\. watch g\/acme\n3\. watch "l\/needs review"/);
    // `all` of GitLab is another rule than the forum's `all`.
    assert.match(await cli.ok(['rules', 'add', 'telegram:-1001234', 'gitlab', 'mute', 'all']), /Added to telegram:-1001234: mute all\./);

    const listed = await cli.json<RuleJson[]>(['rules', 'list', 'telegram:-1001234', '--json']);
    assert.deepEqual(listed.map((r) => [r.source, r.number, `${r.filter} ${r.scope}`]), [
      ['discourse', 1, 'watch all'],
      ['gitlab', 1, 'mute all'],
      ['gitlab', 2, 'watch p/acme/web'],
      ['gitlab', 3, 'watch g/acme'],
      ['gitlab', 4, 'watch "l/needs review"'],
    ]);
    assert.match(await cli.ok(['rules', 'list']), /telegram:-1001234\s+gitlab\s+2\s+watch p\/acme\/web/);

    assert.match(await cli.ok(['rules', 'remove', 'telegram:-1001234', 'gitlab', '2', '1']), /Removed from telegram:-1001234: watch p\/acme\/web, mute all\./);
    assert.deepEqual((await cli.json<RuleJson[]>(['rules', 'list', 'telegram:-1001234', '--json'])).map((r) => `${r.source} ${r.filter} ${r.scope}`), [
      'discourse watch all',
      'gitlab watch g/acme',
      'gitlab watch "l/needs review"',
    ]);
  });

  test('GitLab scopes are checked by the grammar: a forum scope for gitlab, or a project without its group, is refused', async (t) => {
    const cli = sandbox(t);
    const forumScope = await cli.parley(['rules', 'add', 'telegram:-1', 'gitlab', 'watch', 'c/meta']);
    assert.equal(forumScope.code, 1);
    assert.match(forumScope.stderr, /"c\/meta" is not a scope: use all, p\/GROUP\/PROJECT, g\/GROUP or l\/LABEL/);
    const bare = await cli.parley(['rules', 'add', 'telegram:-1', 'gitlab', 'watch', 'p/web']);
    assert.match(bare.stderr, /"p\/web" is not a project: use p\/GROUP\/PROJECT/);
    const guess = await cli.parley(['rules', 'add', 'telegram:-1', 'gitlab', 'follow', 'acme/web']);
    assert.match(guess.stderr, /Did you mean parley rules add telegram:-1 gitlab follow p\/acme\/web\?/);
    const noScope = await cli.parley(['rules', 'add', 'telegram:-1', 'gitlab', 'watch']);
    assert.match(noScope.stderr, /watch needs at least one scope, as in parley rules add telegram:-1 gitlab watch p\/group\/project/);
    assert.deepEqual(await cli.json<unknown[]>(['channels', 'list', '--json']), []);
  });
});
