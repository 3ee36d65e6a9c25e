/**
 * `dusty doctor` and `dusty dump`: a port the specs need taken by another
 * program, a host name that does not resolve, a missing hosts entry repaired
 * with --fix; a dump with no asset contents and no env override values.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DustyCli, expectCode } from './support/dusty.js';

const dusty = new DustyCli('e2edoctor');
const TAKEN = 20081;
const FREE = 20082;
const NAME = 'nowhere.e2edoctor.test';
const ENV_VALUE = 'env-value-s3cr3t-9137';
const ASSET_VALUE = 'asset-content-k3y-5521';
let server: Server;

beforeAll(async () => {
  await dusty.useCopies();
  dusty.writeSpec(
    'apps/docapp.yml',
    [
      'image: dusty-busybox:local',
      'host_forwarding:',
      `  - {host_name: ${NAME}, host_port: ${TAKEN}, container_port: 8000}`,
      `  - {host_name: free.e2edoctor.localhost, host_port: ${FREE}, container_port: 8001}`,
      'assets:',
      '  - {name: apikey, path: /etc/apikey}',
      'commands:',
      '  always: [sleep 1000]',
    ].join('\n') + '\n',
  );
  dusty.writeSpec('bundles/doc.yml', 'description: doctor test\napps: [docapp]\n');
  await dusty.store.setActiveBundles(['doc']);
  server = createServer();
  await new Promise<void>((r) => server.listen(TAKEN, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  dusty.cleanup();
});

describe('dusty doctor', () => {
  it('fails on a port taken by another program, an unresolvable host name and an unset asset, saying how to fix each', async () => {
    const r = await dusty.run(['doctor'], { DUSTY_HOSTS_FILE: undefined });
    expect(r.code).toBe(1);
    const line = (needle: string) => r.stdout.split('\n').find((l) => l.includes(needle)) ?? '';
    expect(line(`port ${TAKEN}`)).toMatch(/^✘ .*taken by another program/);
    expect(r.stdout).toContain(`ss -ltnp 'sport = :${TAKEN}'`);
    expect(line(`port ${FREE}`)).toMatch(/^✔ .*free/);
    expect(line(NAME)).toMatch(/^✘ .*does not resolve/);
    expect(line('asset apikey')).toMatch(/^✘ .*not set/);
    expect(line('the Docker engine answers')).toMatch(/^✔/);
    expect(line('the specs validate')).toMatch(/^✔/);
  });

  it("with DUSTY_HOSTS_FILE checks that file's section instead, and --fix rewrites it", async () => {
    const before = await dusty.run(['doctor']);
    expect(before.code).toBe(1);
    const hostLine = before.stdout.split('\n').find((l) => l.includes(NAME))!;
    expect(hostLine).toMatch(/^✘ .*DUSTY_HOSTS_FILE.*missing from the section/);
    expect(hostLine).toContain(dusty.hostsFile);

    await dusty.store.setAsset('apikey', Buffer.from(ASSET_VALUE));
    const fixed = await dusty.run(['doctor', '--fix', '--yes']);
    expect(fixed.stdout).toContain('fixed: wrote 1 host name(s)');
    expect(fixed.stdout.split('\n').find((l) => l.includes(NAME))).toMatch(/^✔/);
    // The port is still taken: doctor still fails, and says so.
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/^1 check\(s\) failed/m);
  });
});

describe('dusty dump', () => {
  it('prints versions, config and the hosts section without asset contents, env values or URL credentials', async () => {
    await dusty.store.setAsset('apikey', Buffer.from(ASSET_VALUE));
    await dusty.store.setEnv('docapp', { DB_URL: ENV_VALUE, PLAIN: 'another-plain-value' });
    const audit = join(dusty.dir, 'audit.log');
    writeFileSync(
      audit,
      `hosts.apply ok\nfetch https://deploy:tok-abc-123@git.example.com/x.git\nlast line ${ENV_VALUE}\n`,
    );
    const r = expectCode(await dusty.run(['dump'], { DUSTY_HELPER_AUDIT_LOG: audit }), 0);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const needle of [
      `dusty: ${pkg.version}`,
      `node: ${process.version}`,
      'engine: Docker',
      'compose: docker-compose',
      'specs_repo:',
      'doc',
      'apikey (set)',
      'docapp: DB_URL=<redacted>',
      NAME,
      'hosts.apply ok',
    ])
      expect(r.stdout).toContain(needle);
    for (const secret of [ASSET_VALUE, ENV_VALUE, 'another-plain-value', 'tok-abc-123'])
      expect(r.stdout).not.toContain(secret);
    expect(r.stdout).toContain('https://<redacted>@git.example.com/x.git');
  });
});
