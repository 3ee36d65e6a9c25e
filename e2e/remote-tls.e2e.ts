/**
 * A remote engine reached over tcp:// with TLS, as the docker CLI reaches it
 * (DOCKER_HOST=tcp://10.203.14.2:2376, DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH),
 * its certificates made by openssl (`scripts/remote-engine.sh up --tls`),
 * while code goes to the same host over ssh, user and port from the ssh
 * configuration there. Torn down by the script, as in remote.e2e.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  getSite,
  REMOTE_IP,
  REMOTE_TLS,
  RemoteSandbox,
  useRemoteStack,
  siteUntil,
} from './support/remote.js';

const ENDPOINT = `tcp://${REMOTE_IP}:2376`;
const box = new RemoteSandbox('e2eremotetls', {
  DOCKER_HOST: ENDPOINT,
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: REMOTE_TLS,
  // Set on many machines (and this one): Compose v1 took it over DOCKER_CERT_PATH's CA.
  REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
});

useRemoteStack(box, { tls: true });

describe('a remote engine over tcp:// with TLS, code over ssh', () => {
  it('up copies the code to that host and mounts only the copies; the site serves them', async () => {
    const doc = load(box.composeFile()) as { services: Record<string, { volumes?: string[] }> };
    const sources = Object.values(doc.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((src) => src.startsWith('/'));
    expect(sources).toContain(`${box.remoteRoot}/repos/github.com/e2e-remote/site`);
    for (const src of sources) expect(src.startsWith(`${box.remoteRoot}/`)).toBe(true);
    expect((await getSite('/index.html')).body).toBe('first version\n');
    expect(readFileSync(box.env.DUSTY_HOSTS_FILE!, 'utf8')).toContain(
      `${REMOTE_IP} site.remote.test`,
    );
  });

  it('a saved change reaches the container through the ssh host; status names the TLS endpoint and says in sync', async () => {
    await writeFile(join(box.site, 'over-tls.txt'), 'sent over ssh, served over tls\n');
    const r = await siteUntil('/over-tls.txt', (x) => x.status === 200);
    expect(r.body).toBe('sent over ssh, served over tls\n');
    const status = (await box.must('status')).stdout;
    expect(status).toContain(`(DOCKER_HOST): ${ENDPOINT}`);
    expect(status).toMatch(/site\s+app\s+running/);
    expect(status).toMatch(/github\.com\/e2e-remote\/site\s+in sync/);
  });

  it('logs and cp go through the TLS endpoint; doctor passes, ssh taking user and port from its config', async () => {
    expect((await box.must('logs', 'site')).stdout).toContain('site serves /srv/site\n');
    const out = join(box.dir, 'from-tls');
    await box.must('cp', 'site:/srv/site/over-tls.txt', out);
    expect(readFileSync(out, 'utf8')).toBe('sent over ssh, served over tls\n');
    const doctor = await box.must('doctor');
    // The target is the host alone: ~/.ssh/config (here the script's) gives user and port.
    expect(doctor.stdout).toContain(`✔ ssh connects to ${REMOTE_IP}: connected without a prompt`);
    expect(doctor.stdout).toContain(`✔ the engine on ${REMOTE_IP} is Docker 18.09 or later`);
    expect(doctor.stdout).toContain('every check passed');
  });

  it('certificates from another CA fail naming the folder and what it must hold', async () => {
    // A CA of its own, and the client's key and certificate the engine would accept.
    const other = join(box.dir, 'other-ca');
    mkdirSync(other);
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-subj', '/CN=another CA', '-keyout', join(other, 'ca-key.pem')],
        ...['-out', join(other, 'ca.pem')],
      ],
      { stdio: 'ignore' },
    );
    for (const f of ['cert.pem', 'key.pem']) copyFileSync(join(REMOTE_TLS, f), join(other, f));
    const env = { DOCKER_CERT_PATH: other };
    const status = await box.dustyWith({ env }, 'status');
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain(`the Docker engine at ${ENDPOINT} failed the TLS check`);
    expect(status.stderr).toContain(`${other} must hold the ca.pem that signed the engine's`);
    const doctor = await box.dustyWith({ env }, 'doctor');
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      new RegExp(`^✘ the Docker engine answers: .*\\n +fix: ${other} must hold the ca\\.pem`, 'm'),
    );
  });
});
