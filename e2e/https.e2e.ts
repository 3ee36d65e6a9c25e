/**
 * Trusted local HTTPS, for real: `dusty up` gives the router a certificate
 * from the person's CA, the real helper trusts that CA in a throw-away system
 * store (update-ca-certificates into temp folders) and a throw-away NSS
 * database, and then curl (with only that store) and Chromium (with only
 * that database) reach the demo's https URL with no certificate error.
 */
import {
  chownSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DustyCli, ok, ROOT, run } from './support/dusty.js';
import {
  OWNER,
  makePaths,
  removePaths,
  requireBuild,
  startHelper,
  type Helper,
  type Paths,
} from './fixtures/helper/harness.js';

const CHROMIUM_ARGS = JSON.parse(
  readFileSync(new URL('./chromium-args.json', import.meta.url), 'utf8'),
) as string[];
const PORTS = { web: 19281, api: 19282, echo: 19283 };
const TLS_PORT = 19443;
const URL_ = `https://web.demo.test:${TLS_PORT}/`;

let cli: DustyCli;
let helperPaths: Paths;
let helper: Helper;
/** The HOME whose NSS database (~/.pki/nssdb) the helper writes and Chromium reads. */
let browserHome: string;
let bundle: string;

/** curl to the https URL trusting only `cacert` (never --insecure). */
function curl(cacert: string, path = '/') {
  return run('curl', [
    '-sS',
    '--max-time',
    '10',
    '--cacert',
    cacert,
    '--capath',
    join(helperPaths.dir, 'no-capath'),
    '--resolve',
    `web.demo.test:${TLS_PORT}:127.0.0.1`,
    '-w',
    '\n%{http_code}',
    `https://web.demo.test:${TLS_PORT}${path}`,
  ]);
}

/** Opens the https URL in a Chromium whose HOME is `home`; the error text or the page's heading. */
async function openInChromium(
  home: string,
): Promise<{ error?: string; h1?: string; issuer?: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'dusty-https-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP web.demo.test 127.0.0.1'],
    env: { ...process.env, HOME: home },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const go = () => page.goto(URL_, { timeout: 20_000 }).catch((e: Error) => e);
    let response = await go();
    // Chromium drops a load when the machine's interfaces change (other tests create Docker networks).
    if (response instanceof Error && /ERR_NETWORK_CHANGED/.test(response.message))
      response = await go();
    if (response instanceof Error) return { error: response.message };
    const details = await response?.securityDetails();
    return { h1: await page.locator('h1').innerText(), issuer: details?.issuer };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  requireBuild();
  cli = new DustyCli('e2ehttps', PORTS);
  cli.editSpec('apps/web.yml', (t) =>
    t.replace(`host_port: ${PORTS.web}`, `host_port: ${PORTS.web}\n    https_port: ${TLS_PORT}`),
  );
  helperPaths = makePaths();
  browserHome = mkdtempSync(join(tmpdir(), 'dusty-https-home-'));
  // The helper runs certutil as its owner, so the owner's home must be theirs.
  chmodSync(browserHome, 0o755);
  chownSync(browserHome, OWNER, OWNER);
  helper = await startHelper(helperPaths, { DUSTY_NSS_HOME: browserHome });
  bundle = join(helperPaths.dir, 'ca-store', 'certs', 'ca-certificates.crt');
  // A system store is never empty (Debian's own CAs): one bystander that must stay.
  mkdirSync(join(helperPaths.dir, 'ca-store', 'local'), { recursive: true });
  ok(
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', join(helperPaths.dir, 'bystander.key'), '-subj', '/CN=Bystander'],
      ...['-out', join(helperPaths.dir, 'ca-store', 'local', 'bystander.crt'), '-days', '1'],
    ]),
    'openssl req',
  );
  cli.env.DUSTY_SOCKET_PATH = helperPaths.socket;
  await cli.configure(['web']);
});

afterAll(async () => {
  await cli?.destroy();
  await helper?.stop();
  if (helperPaths) removePaths(helperPaths);
  if (browserHome) rmSync(browserHome, { recursive: true, force: true });
});

describe('trusted local https', () => {
  it('serves the https_port with a certificate from the local CA, and says the CA is not trusted yet', async () => {
    const r = ok(await cli.dusty('up'), 'dusty up');
    expect(r.stdout + r.stderr).toContain(`https://web.demo.test:${TLS_PORT}`);
    expect(r.stdout + r.stderr).toMatch(/not trusted yet.*dusty https trust/s);
    const ca = ok(await cli.dusty('https', 'ca'), 'dusty https ca').stdout;
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    // Trusting only the CA itself proves the chain; the machine's store does not know it.
    const caFile = join(cli.home, 'tls', 'ca.pem');
    const direct = await curl(caFile);
    expect(direct.stdout).toMatch(/Dusty demo: web[\s\S]*\n200$/);
    const untrusted = await run('curl', [
      '-sS',
      '--max-time',
      '10',
      '--resolve',
      `web.demo.test:${TLS_PORT}:127.0.0.1`,
      URL_,
    ]);
    expect(untrusted.code).toBe(60);
    // Plain HTTP keeps working beside it.
    const plain = await cli.httpUntil('web.demo.test', PORTS.web, '/', (_b, s) => s === 200);
    expect(plain.status).toBe(200);
  });

  it('the dashboard shows each https URL beside the http one with its answer, and trusts the CA with one click', async () => {
    const ui = spawn('node', [join(ROOT, 'bin/dusty.js'), 'ui', '--no-open'], {
      env: cli.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const profile = mkdtempSync(join(tmpdir(), 'dusty-https-dash-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
          if (m) resolve(m[1]!);
        };
        ui.stdout.on('data', onData);
        ui.stderr.on('data', onData);
        ui.on('exit', (code) => reject(new Error(`dusty ui exited ${code}:\n${out}`)));
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(url);
      await page.getByRole('tab', { name: 'Containers', exact: true }).click();
      const row = page.getByRole('row', { name: 'web', exact: true });
      await row.waitFor();
      expect(await row.getByRole('link').allTextContents()).toEqual([
        `web.demo.test:${PORTS.web}`,
        `web.demo.test:${TLS_PORT}`,
      ]);
      // Each answers through the router, the https one over TLS with the router's certificate.
      for (const u of [`http://web.demo.test:${PORTS.web}`, URL_.replace(/\/$/, '')]) {
        const answer = page.getByLabel(`answer of ${u}`);
        await answer.waitFor({ timeout: 20_000 });
        await expect.poll(() => answer.getAttribute('data-ok'), { timeout: 20_000 }).toBe('true');
        expect(await answer.textContent()).toMatch(/^200 · \d+ ms$/);
      }
      const https = page.getByRole('region', { name: 'HTTPS' });
      expect(await https.getAttribute('data-trusted')).toBe('false');
      expect(await https.getByLabel('Command that trusts the CA').textContent()).toContain(
        join(cli.home, 'tls', 'ca.pem'),
      );
      await https.getByRole('button', { name: 'Trust the CA' }).click();
      await page.locator('[aria-label="HTTPS"][data-trusted="true"]').waitFor({ timeout: 30_000 });
      expect(await https.textContent()).toMatch(/local CA is trusted \(.*test/);
      // Trusted through the helper, in the throw-away store.
      expect((await curl(bundle)).code).toBe(0);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
      ui.kill();
    }
  });

  it('after trust.install through the helper, curl with only the system store and Chromium trust it', async () => {
    const t = ok(await cli.dusty('https', 'trust'), 'dusty https trust');
    expect(t.stdout).toContain(join(helperPaths.dir, 'ca-store', 'local', 'dusty-local-ca.crt'));
    expect(t.stdout).toContain(join(browserHome, '.pki', 'nssdb'));
    const viaStore = await curl(bundle);
    expect(viaStore.code, viaStore.stderr).toBe(0);
    expect(viaStore.stdout).toMatch(/Dusty demo: web[\s\S]*\n200$/);

    const trusted = await openInChromium(browserHome);
    expect(trusted.error).toBeUndefined();
    expect(trusted.h1).toBe('Dusty demo: web');
    expect(trusted.issuer).toMatch(/Dusty local CA/);
    // The same Chromium with a HOME that does not trust the CA refuses the page.
    const otherHome = mkdtempSync(join(tmpdir(), 'dusty-https-other-'));
    try {
      expect((await openInChromium(otherHome)).error).toMatch(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      rmSync(otherHome, { recursive: true, force: true });
    }
    const status = ok(await cli.dusty('https', 'status', '--json'), 'https status');
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, trusted: true, outside: [] });
  });

  it('trust.install refuses a certificate that is not Dusty CA', async () => {
    const other = join(helperPaths.dir, 'other');
    ok(
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${other}.key`,
        '-out',
        `${other}.pem`,
        '-subj',
        '/CN=Dusty local CA (impostor)/O=Dusty',
        '-days',
        '1',
      ]),
      'openssl req',
    );
    const { HelperClient } = await import('../src-main/platform/helper-client.js');
    const client = new HelperClient(helperPaths.socket);
    await expect(
      client.call('trust.install', { pem: readFileSync(`${other}.pem`, 'utf8') }),
    ).rejects.toThrow(/refused: it has no critical name constraints/);
    expect(readFileSync(bundle, 'utf8')).not.toContain(
      readFileSync(`${other}.pem`, 'utf8').split('\n')[1],
    );
  });

  it('untrust takes it out of the store and the NSS database again', async () => {
    ok(await cli.dusty('https', 'untrust'), 'dusty https untrust');
    expect(existsSync(join(helperPaths.dir, 'ca-store', 'local', 'dusty-local-ca.crt'))).toBe(
      false,
    );
    const after = await curl(bundle);
    expect(after.code).toBe(60);
    expect(readFileSync(bundle, 'utf8')).toContain('BEGIN CERTIFICATE'); // the bystander stays
    const list = await run('certutil', ['-d', `sql:${join(browserHome, '.pki', 'nssdb')}`, '-L']);
    expect(list.stdout).not.toContain('dusty-local-ca');
  });

  it('the helper’s uninstall (what `dusty setup --uninstall` asks) takes the CA out of the throw-away store', async () => {
    const machineStore = '/usr/local/share/ca-certificates/dusty-local-ca.crt';
    const machineHadIt = existsSync(machineStore);
    ok(await cli.dusty('https', 'trust'), 'dusty https trust');
    const local = join(helperPaths.dir, 'ca-store', 'local', 'dusty-local-ca.crt');
    const nssdb = join(browserHome, '.pki', 'nssdb');
    expect(existsSync(local)).toBe(true);
    expect((await curl(bundle)).code).toBe(0);

    const { HelperClient } = await import('../src-main/platform/helper-client.js');
    const result = await new HelperClient(helperPaths.socket).call('uninstall', {});
    expect(result.removed).toEqual(
      expect.arrayContaining([`Dusty's CA in ${local}`, `Dusty's CA in ${nssdb}`]),
    );
    expect(existsSync(local)).toBe(false);
    expect((await curl(bundle)).code).toBe(60);
    expect(readFileSync(bundle, 'utf8')).toContain('BEGIN CERTIFICATE'); // the bystander stays
    const list = await run('certutil', ['-d', `sql:${nssdb}`, '-L']);
    expect(list.stdout).not.toContain('dusty-local-ca');
    expect(readFileSync(helperPaths.audit, 'utf8')).toMatch(
      /CA removed from .*dusty-local-ca\.crt/,
    );
    // The machine's own store was never touched.
    expect(existsSync(machineStore)).toBe(machineHadIt);
    // Uninstalled, the helper stops; the next test needs none.
    expect(await helper.exited).toBe(0);
  });

  it('a host name under a new suffix: up says the CA cannot sign for it, and https recreate makes one that can', async () => {
    const before = readFileSync(join(cli.home, 'tls', 'ca.pem'), 'utf8');
    cli.editSpec('apps/web.yml', (t) =>
      t.replace(
        'host_forwarding:\n',
        `host_forwarding:\n  - host_name: web.corp.internal\n    host_port: ${PORTS.web}\n    container_port: 8000\n`,
      ),
    );
    const up = ok(await cli.dusty('up'), 'dusty up');
    expect(up.stdout + up.stderr).toMatch(/host names under \S*corp\.internal/);
    expect(up.stdout + up.stderr).toContain('dusty https recreate');
    const status = JSON.parse(
      ok(await cli.dusty('https', 'status', '--json'), 'status').stdout,
    ) as {
      outside: string[];
    };
    expect(status.outside.join(' ')).toMatch(/internal/);

    const recreated = ok(await cli.dusty('https', 'recreate'), 'https recreate');
    expect(recreated.stdout).toMatch(/^new CA .*internal/m);
    const after = readFileSync(join(cli.home, 'tls', 'ca.pem'), 'utf8');
    expect(after).not.toBe(before);
    // The new CA's own name constraints permit the new suffix.
    const text = ok(
      await run('openssl', [
        'x509',
        '-noout',
        '-ext',
        'nameConstraints',
        '-in',
        join(cli.home, 'tls', 'ca.pem'),
      ]),
      'openssl x509',
    ).stdout;
    expect(text).toMatch(/Permitted:[\s\S]*DNS:\S*internal/);
    const again = ok(await cli.dusty('up'), 'dusty up again');
    expect(again.stdout + again.stderr).not.toContain('dusty https recreate');
    expect(
      (
        JSON.parse(ok(await cli.dusty('https', 'status', '--json'), 'status').stdout) as {
          outside: string[];
        }
      ).outside,
    ).toEqual([]);
  });

  it('the CA key is never in `dusty dump` nor in a backup', async () => {
    const key = readFileSync(join(cli.home, 'tls', 'ca-key.pem'), 'utf8');
    // A line of the key's body: enough to recognise it in any output.
    const body = key.split('\n')[2]!;
    expect(body.length).toBeGreaterThan(40);
    const dump = ok(await cli.dusty('dump'), 'dusty dump');
    expect(dump.stdout + dump.stderr).not.toContain(body);
    expect(dump.stdout).not.toMatch(/PRIVATE KEY/);
    const dir = mkdtempSync(join(tmpdir(), 'dusty-https-backup-'));
    try {
      ok(await cli.dusty('disk', 'backup', dir), 'disk backup');
      const tar = join(dir, 'dusty-backup.tar');
      expect(existsSync(tar)).toBe(true);
      const listing = ok(await run('tar', ['-tf', tar]), 'tar -tf').stdout;
      expect(listing).not.toMatch(/ca-key|tls\//);
      expect(readFileSync(tar).includes(Buffer.from(body))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config https false leaves only plain HTTP', async () => {
    ok(await cli.dusty('config', 'set', 'https', 'false'), 'config set https false');
    ok(await cli.dusty('up'), 'dusty up');
    const r = await curl(join(cli.home, 'tls', 'ca.pem'));
    expect(r.code).toBe(7); // connection refused: nothing listens on the TLS port
    const plain = await cli.httpUntil('web.demo.test', PORTS.web, '/', (_b, s) => s === 200);
    expect(plain.status).toBe(200);
  });
});
