// The admin page's files as Parley serves them (cli/admin/page.ts, wired in cli/app/web.ts): the page at /admin
// under a strict Content-Security-Policy, its assets with their types, nothing outside its folder, and nothing at
// all while the admin is off. What the page does in a browser is test/e2e/admin-page.test.ts's.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { PAGE_DIR } from '../../cli/admin/page.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const header = (value: string | string[] | number | undefined): string => String(value ?? '');

describe('the admin page, with the admin on', () => {
  let parley: TestParley;
  before(async () => {
    parley = await startParley({ env: { PARLEY_ADMIN_PASSWORD: 'correct horse battery staple' }, platforms: [], roles: ['web'] });
  });
  after(async () => parley?.stop());
  const inject = (url: string) => parley.app.http!.inject({ method: 'GET', url });

  for (const url of ['/admin', '/admin/']) {
    test(`GET ${url} gives the page, without a session, under a CSP that allows nothing but Parley itself`, async () => {
      const res = await inject(url);
      assert.equal(res.statusCode, 200);
      assert.match(header(res.headers['content-type']), /^text\/html/u);
      assert.match(res.body, /<title>Parley admin<\/title>/u);
      assert.match(res.body, /<script type="module" src="\/admin\/assets\/app\.js"><\/script>/u);
      const csp = header(res.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
        assert.ok(csp.split('; ').includes(directive), `${directive} in ${csp}`);
      }
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/u);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  }

  test('the page asks for nothing on another host and runs no inline script or style', async () => {
    const page = (await inject('/admin')).body;
    assert.doesNotMatch(page, /(src|href)="(https?:)?\/\//u, 'no absolute or protocol-relative URL');
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/u, 'every script is a file');
    assert.doesNotMatch(page, /<style|\sstyle=/u, 'every style is in style.css');
  });

  test('its assets come with their types and the same headers', async () => {
    const script = await inject('/admin/assets/app.js');
    assert.equal(script.statusCode, 200);
    assert.match(header(script.headers['content-type']), /^(text|application)\/javascript/u);
    assert.match(script.body, /^\/\/ The admin page's shell/u);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
    assert.ok(header(script.headers['content-security-policy']).includes("script-src 'self'"));

    const css = await inject('/admin/assets/style.css');
    assert.equal(css.statusCode, 200);
    assert.match(header(css.headers['content-type']), /^text\/css/u);
  });

  test('every module the page imports is served', async () => {
    for (const file of readdirSync(PAGE_DIR).filter((f) => f.endsWith('.js'))) {
      const res = await inject(`/admin/assets/${file}`);
      assert.equal(res.statusCode, 200, file);
      for (const [, imported] of res.body.matchAll(/^import .* from '\.\/([\w-]+\.js)';$/gmu)) {
        assert.equal((await inject(`/admin/assets/${imported}`)).statusCode, 200, `${file} imports ${imported}`);
      }
    }
  });

  const SNEAKY = ['/admin/assets/../page.ts', '/admin/assets/%2e%2e/page.ts', '/admin/assets/..%2fpage.ts', '/admin/assets/%2e%2e%2fapi.ts', '/admin/assets/..%5cpage.ts', '/admin/assets/../../../package.json', '/admin/assets//etc/passwd', '/admin/assets/', '/admin/assets/nothing-here.js'];

  test('nothing outside the page folder is served, however the path is spelled', async () => {
    for (const url of SNEAKY) {
      const res = await inject(url);
      assert.ok([403, 404].includes(res.statusCode), `${url} answered ${res.statusCode}`);
      assert.doesNotMatch(res.body, /registerAdminPage|"dependencies"|root:/u, `${url} showed a file`);
    }
  });

  test('nor over HTTP, where the path arrives as the client wrote it (inject tidies "../" away)', async () => {
    const { hostname, port } = new URL(parley.url);
    for (const url of SNEAKY) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: hostname, port, path: url }, (answer) => {
          let body = '';
          answer.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body }));
        });
        req.on('error', reject).end();
      });
      assert.ok([403, 404].includes(res.status), `${url} answered ${res.status}`);
      assert.doesNotMatch(res.body, /registerAdminPage|"dependencies"|root:/u, `${url} showed a file`);
    }
  });

  test('the login and logout routes of the admin stay as they were', async () => {
    const res = await parley.app.http!.inject({ method: 'POST', url: '/admin/login', payload: { password: 'wrong' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json<{ message: string }>().message, 'Wrong password.');
  });
});

describe('the admin page, with the admin off', () => {
  let parley: TestParley;
  before(async () => {
    parley = await startParley({ platforms: [], roles: ['web'] });
  });
  after(async () => parley?.stop());

  test('/admin and its assets answer 404 with how to turn the admin on', async () => {
    for (const url of ['/admin', '/admin/', '/admin/assets/app.js']) {
      const res = await parley.app.http!.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(res.body, /PARLEY_ADMIN_PASSWORD/u, url);
      assert.doesNotMatch(res.body, /import /u, `${url} gave no script`);
    }
  });
});
