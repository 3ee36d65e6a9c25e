import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SpecKind, Specs } from '../../../src-shared/specs/schema.js';
import { loadSpecs, parseSpecText } from '../specs/load.js';
import { validateSpecs } from '../specs/validate.js';
import { computeClosure, libsInInstallOrder } from './closure.js';
import { buildHostsSection, hostsEntries, HOSTS_BEGIN, HOSTS_END } from './hosts.js';
import { compile, type CompileInput, type PlatformFacts } from './index.js';
import { buildNginxConf } from './nginx.js';
import { buildStartScript, ONCE_MARKER } from './start-script.js';

const EXAMPLE_SPECS = fileURLToPath(
  new URL('../specs/fixtures/dusty-example-specs', import.meta.url),
);
const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

const FLASK_REPO = 'https://github.com/gamechanger/dusty-flask-example.git';
const WATCHDOG_REPO = 'https://github.com/gamechanger/watchdog.git';
const ALL_BUNDLES = ['fileserver', 'hello-world', 'ipython-notebook', 'mongo-cluster', 'watchdog'];

const PLATFORM: PlatformFacts = {
  engineAddress: '127.0.0.1',
  publishAddress: '127.0.0.1',
  dustyDir: '/home/u/.config/dusty',
  persistDir: '/home/u/.config/dusty/persist',
  repoMount: { type: 'bind' },
};

type ComposeService = Record<string, unknown> & {
  depends_on?: string[];
  environment?: Record<string, string | null>;
  volumes?: string[];
  command?: string[];
  labels?: Record<string, string>;
  networks?: string[] | Record<string, { aliases: string[] }>;
};

/** Parses the compose text the compiler wrote (the real output, not the internal object). */
function services(compose: string): Record<string, ComposeService> {
  return (parse(compose) as { services: Record<string, ComposeService> }).services;
}

/** The start script an app runs, as Compose passes it to the container (`$$` is `$`). */
function startScript(svc: ComposeService | undefined): string {
  expect(svc?.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  return svc!.command![2]!.replace(/\$\$/g, '$');
}

function specsFrom(files: Record<string, string>): Specs {
  const docs = Object.entries(files).map(([file, text]) =>
    parseSpecText(file.slice(0, file.indexOf('/')) as SpecKind, file, text),
  );
  const r = validateSpecs(docs);
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return r.specs;
}

function input(specs: Specs, over: Partial<CompileInput> = {}): CompileInput {
  return {
    specs,
    activeBundles: Object.keys(specs.bundles),
    envOverrides: {},
    repoPaths: {},
    setAssets: new Set(),
    nginxImage: 'nginx:stable',
    platform: PLATFORM,
    ...over,
  };
}

let example: Specs;
beforeAll(async () => {
  const r = await loadSpecs(EXAMPLE_SPECS);
  expect(r.ok).toBe(true);
  example = r.specs;
});

const exampleInput = (over: Partial<CompileInput> = {}): CompileInput =>
  input(example, {
    activeBundles: ALL_BUNDLES,
    repoPaths: {
      [FLASK_REPO]: '/home/u/src/dusty-flask-example',
      [WATCHDOG_REPO]: '/home/u/src/watchdog',
    },
    ...over,
  });

describe('golden output of the example specs repo, every bundle active', () => {
  it.each([
    ['compose', 'docker-compose.yml'],
    ['nginx', 'nginx.conf'],
    ['hosts', 'hosts'],
  ] as const)('writes the same %s as the reviewed golden file', (key, file) => {
    const out = compile(exampleInput());
    const path = `${GOLDEN}/${file}`;
    if (UPDATE_GOLDEN) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(path, out[key]);
    }
    expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(out[key]).toBe(readFileSync(path, 'utf8'));
  });

  it('runs every app, service and lib of the example and the router', () => {
    const out = compile(exampleInput());
    expect(out.closure).toEqual({
      apps: [
        'fileserver',
        'flaskone',
        'flasktwo',
        'ipython_notebook',
        'mongo_cluster',
        'mongo_cluster1',
        'mongo_cluster2',
        'mongo_cluster3',
        'watchdog',
      ],
      services: ['persistent_mongo'],
      libs: ['watchdog'],
    });
    expect(Object.keys(services(out.compose)).sort()).toEqual(
      [...out.closure.apps, ...out.closure.services, 'dusty-router'].sort(),
    );
    expect(out.missingAssets).toEqual([]);
  });
});

describe('determinism', () => {
  it('gives byte-identical output for the same input twice', () => {
    const a = compile(exampleInput());
    const b = compile(exampleInput());
    expect(b.compose).toBe(a.compose);
    expect(b.nginx).toBe(a.nginx);
    expect(b.hosts).toBe(a.hosts);
  });

  it('gives the same output whatever order bundles, specs and keys come in', () => {
    const files: Record<string, string> = {
      'bundles/one.yml': 'apps: [web]\nservices: [db]\n',
      'bundles/two.yml': 'apps: [api]\n',
      'apps/web.yml': [
        'image: x',
        'depends: {apps: [api], services: [db]}',
        'host_forwarding: [{host_name: local.web.com, host_port: 80, container_port: 5000}]',
        'compose: {environment: {B: "2", A: "1"}}',
        'commands: {always: [run web]}',
      ].join('\n'),
      'apps/api.yml': [
        'compose: {environment: {Z: z}}',
        'host_forwarding: [{host_name: api.localhost, host_port: 8080, container_port: 80}]',
        'image: y',
      ].join('\n'),
      'services/db.yml': 'image: postgres\nenvironment: [X=1]\n',
    };
    const reordered: Record<string, string> = {
      'services/db.yml': files['services/db.yml']!,
      'apps/api.yml': [
        'image: y',
        'host_forwarding: [{container_port: 80, host_port: 8080, host_name: api.localhost}]',
        'compose: {environment: {Z: z}}',
      ].join('\n'),
      'bundles/two.yml': files['bundles/two.yml']!,
      'apps/web.yml': [
        'commands: {always: [run web]}',
        'compose: {environment: {B: "2", A: "1"}}',
        'depends: {services: [db], apps: [api]}',
        'host_forwarding: [{host_name: local.web.com, container_port: 5000, host_port: 80}]',
        'image: x',
      ].join('\n'),
      'bundles/one.yml': 'services: [db]\napps: [web]\n',
    };
    const a = compile(input(specsFrom(files), { activeBundles: ['one', 'two'] }));
    const b = compile(input(specsFrom(reordered), { activeBundles: ['two', 'one'] }));
    expect(b.compose).toBe(a.compose);
    expect(b.nginx).toBe(a.nginx);
    expect(b.hosts).toBe(a.hosts);
  });
});

describe('closure', () => {
  const specs = () =>
    specsFrom({
      'bundles/b.yml': 'apps: [a]\n',
      'apps/a.yml':
        'image: x\ndepends: {apps: [b], libs: [l1]}\nconditional_links: {apps: [x], services: [sx]}\n',
      'apps/b.yml': 'image: x\ndepends: {apps: [c], services: [s1]}\n',
      'apps/c.yml': 'image: x\ndepends: {services: [s2]}\n',
      'apps/x.yml': 'image: x\n',
      'services/s1.yml': 'image: s\n',
      'services/s2.yml': 'image: s\n',
      'services/sx.yml': 'image: s\n',
      'libs/l1.yml': 'repo: /r/l1\nmount: /l1\ndepends: {libs: [l2]}\n',
      'libs/l2.yml': 'repo: /r/l2\nmount: /l2\n',
    });

  it('follows depends transitively through apps, services and libs', () => {
    expect(computeClosure(specs(), ['b'])).toEqual({
      apps: ['a', 'b', 'c'],
      services: ['s1', 's2'],
      libs: ['l1', 'l2'],
    });
  });

  it('never starts an app or service only because of conditional_links', () => {
    const out = compile(input(specs(), { activeBundles: ['b'] }));
    expect(out.closure.apps).not.toContain('x');
    expect(out.closure.services).not.toContain('sx');
    expect(Object.keys(services(out.compose))).not.toContain('x');
    expect(services(out.compose).a!.depends_on).toEqual(['b']);
  });

  it('links a conditional app or service once something else makes it run', () => {
    const s = specs();
    s.bundles.more = {
      name: 'more',
      file: 'bundles/more.yml',
      spec: { description: '', apps: ['x'], services: ['sx'] },
    };
    const out = compile(input(s, { activeBundles: ['b', 'more'] }));
    expect(services(out.compose).a!.depends_on).toEqual(['b', 'x', 'sx']);
  });

  it('ignores an active bundle that no longer exists', () => {
    expect(computeClosure(specs(), ['gone', 'b']).apps).toEqual(['a', 'b', 'c']);
  });
});

describe('compose services', () => {
  it('lists depends_on in link order: depends apps, depends services, then conditional links', () => {
    const s = specsFrom({
      'bundles/b.yml': 'apps: [main, zed, alpha]\nservices: [cache]\n',
      'apps/main.yml':
        'image: x\ndepends: {apps: [zed, alpha], services: [db]}\nconditional_links: {apps: [beta], services: [cache]}\n',
      'apps/zed.yml': 'image: x\n',
      'apps/alpha.yml': 'image: x\n',
      'apps/beta.yml': 'image: x\n',
      'services/db.yml': 'image: x\n',
      'services/cache.yml': 'image: x\n',
    });
    expect(services(compile(input(s)).compose).main!.depends_on).toEqual([
      'zed',
      'alpha',
      'db',
      'cache',
    ]);
  });

  it('lets an env override win over compose.environment and keeps `$` in it literal', () => {
    const s = specsFrom({
      'bundles/b.yml': 'apps: [web]\nservices: [db]\n',
      'apps/web.yml': 'image: x\ncompose: {environment: {MODE: dev, KEEP: kept}}\n',
      'services/db.yml': 'image: pg\nenvironment: [POSTGRES_PASSWORD=spec]\n',
    });
    const out = compile(
      input(s, {
        envOverrides: {
          web: { MODE: 'prod', SECRET: 'pa$$word${HOME}' },
          db: { POSTGRES_PASSWORD: 'from$user' },
        },
      }),
    );
    const svc = services(out.compose);
    expect(svc.web!.environment).toEqual({
      MODE: 'prod',
      KEEP: 'kept',
      SECRET: 'pa$$$$word$${HOME}',
    });
    expect(svc.db!.environment).toEqual({ POSTGRES_PASSWORD: 'from$$user' });
  });

  it('escapes `$` in commands so Compose does not interpolate them', () => {
    const out = compile(exampleInput());
    const cmd = services(out.compose).watchdog!.command![2]!;
    expect(cmd).toContain(`--command='echo "$\${watch_event_type} $\${watch_src_path}"'`);
    expect(cmd.replace(/\$\$/g, '')).not.toContain('$');
  });

  it('translates the legacy `net: container:X` to `network_mode: service:X` with a warning', () => {
    const out = compile(exampleInput());
    const svc = services(out.compose);
    for (const n of ['mongo_cluster2', 'mongo_cluster3']) {
      expect(svc[n]!.network_mode).toBe('service:mongo_cluster1');
      expect(svc[n]!.net).toBeUndefined();
      expect(svc[n]!.networks).toBeUndefined();
      expect(svc[n]!.depends_on).toEqual(['mongo_cluster1']);
      expect(out.warnings).toContainEqual({
        severity: 'warning',
        file: `apps/${n}.yml`,
        path: 'compose.net',
        message: `legacy "net: container:mongo_cluster1" translated to "network_mode: service:mongo_cluster1": ${n} shares mongo_cluster1's network and gets no host name of its own`,
      });
    }
  });

  it('translates legacy service keys (net, log_driver, dockerfile, links)', () => {
    const s = specsFrom({
      'bundles/b.yml': 'services: [db, side]\n',
      'services/db.yml':
        'build: ./db\ndockerfile: Dockerfile.dev\nlog_driver: json-file\nlog_opt: {max-size: 1m}\n',
      'services/side.yml': 'image: x\nnet: container:db\n',
    });
    const out = compile(input(s));
    const svc = services(out.compose);
    expect(svc.db!.build).toEqual({ context: './db', dockerfile: 'Dockerfile.dev' });
    expect(svc.db!.logging).toEqual({ driver: 'json-file', options: { 'max-size': '1m' } });
    expect(svc.db!.dockerfile).toBeUndefined();
    expect(svc.db!.log_driver).toBeUndefined();
    expect(svc.side!.network_mode).toBe('service:db');
    expect(svc.side!.depends_on).toEqual(['db']);
    expect(out.warnings.map((w) => `${w.file}: ${w.path}`).sort()).toEqual([
      'services/db.yml: dockerfile',
      'services/db.yml: log_driver',
      'services/side.yml: net',
    ]);
  });

  it('moves legacy /persist volumes under the persist folder, for apps and services', () => {
    const svc = services(compile(exampleInput()).compose);
    expect(svc.persistent_mongo!.volumes).toContain(
      '/home/u/.config/dusty/persist/persistent_mongo:/data/db',
    );
    expect(svc.ipython_notebook!.volumes).toContain(
      '/home/u/.config/dusty/persist/ipython_notebookExample:/root',
    );
    const all = Object.values(svc).flatMap((s) => s.volumes ?? []);
    expect(all.filter((v) => v.startsWith('/persist'))).toEqual([]);
  });

  it('mounts the repo at mount, libs at theirs, and runs commands in the mount', () => {
    const svc = services(compile(exampleInput()).compose);
    expect(svc.flaskone!.volumes).toContain('/home/u/src/dusty-flask-example:/dusty-flask-example');
    expect(svc.flaskone!.working_dir).toBe('/dusty-flask-example');
    expect(svc.watchdog!.volumes).toContain('/home/u/src/watchdog:/watchdog');
    expect(svc.watchdog!.labels!['dev.dusty.libs']).toBe('watchdog');
  });

  it('makes every host_name a network alias of the router', () => {
    const s = specsFrom({
      'bundles/b.yml': 'apps: [a, b]\n',
      'apps/a.yml':
        'image: x\nhost_forwarding: [{host_name: local.a.com, host_port: 80, container_port: 1}, {host_name: a.localhost, host_port: 8080, container_port: 2}]\n',
      'apps/b.yml':
        'image: x\nhost_forwarding: [{host_name: db.b.com, host_port: 5432, container_port: 5432, type: stream}]\n',
    });
    const router = services(compile(input(s)).compose)['dusty-router']!;
    expect(router.networks).toEqual({
      dusty: { aliases: ['a.localhost', 'db.b.com', 'local.a.com'] },
    });
    expect(router.ports).toEqual(['127.0.0.1:80:80', '127.0.0.1:5432:5432', '127.0.0.1:8080:8080']);
    expect(router.image).toBe('nginx:stable');
  });

  it('publishes router ports on every address when no publish address is given', () => {
    const out = compile(exampleInput({ platform: { ...PLATFORM, publishAddress: undefined } }));
    expect(services(out.compose)['dusty-router']!.ports).toEqual(['80:80']);
  });
});

describe('hosts section', () => {
  it('has the exact markers and one line per host name at the engine address', () => {
    expect(compile(exampleInput()).hosts).toBe(
      [
        '# BEGIN section for Dusty',
        '127.0.0.1 local.fileserver.com',
        '127.0.0.1 local.flaskone.com',
        '127.0.0.1 local.flasktwo.com',
        '127.0.0.1 local.ipython.com',
        '# END section for Dusty',
        '',
      ].join('\n'),
    );
    expect(HOSTS_BEGIN).toBe('# BEGIN section for Dusty');
    expect(HOSTS_END).toBe('# END section for Dusty');
  });

  it('leaves out .localhost names, which resolve without an entry', () => {
    const entries = hostsEntries(
      ['web.localhost', 'localhost', 'WEB.LOCALHOST', 'a.com', 'a.com'],
      '10.0.0.2',
    );
    expect(entries).toEqual([{ ip: '10.0.0.2', hostname: 'a.com' }]);
    expect(buildHostsSection(entries)).toBe(
      '# BEGIN section for Dusty\n10.0.0.2 a.com\n# END section for Dusty\n',
    );
  });

  it('uses the VM address when the engine runs in a VM', () => {
    const out = compile(
      exampleInput({ platform: { ...PLATFORM, engineAddress: '192.168.99.100' } }),
    );
    expect(out.hostsEntries.every((e) => e.ip === '192.168.99.100')).toBe(true);
    expect(out.hosts).toContain('192.168.99.100 local.flaskone.com\n');
  });
});

describe('assets', () => {
  const s = () =>
    specsFrom({
      'bundles/b.yml': 'apps: [web]\n',
      'apps/web.yml':
        'image: x\ndepends: {libs: [l]}\nassets: [{name: key, path: /etc/app/key.pem}, {name: opt, path: /opt/o, required: false}]\n',
      'libs/l.yml': 'repo: /src/l\nmount: /l\nassets: [{name: libkey, path: /l/key}]\n',
    });

  it('mounts and copies only assets that have a value', () => {
    const out = compile(input(s(), { setAssets: new Set(['key']) }));
    const web = services(out.compose).web!;
    expect(web.volumes).toContain('/home/u/.config/dusty/assets/key:/run/dusty/assets/key:ro');
    expect(
      web.volumes!.some((v) => v.includes('/assets/opt') || v.includes('/assets/libkey')),
    ).toBe(false);
    const script = startScript(web);
    expect(script).toContain(
      "mkdir -p '/etc/app'\ncp '/run/dusty/assets/key' '/etc/app/key.pem'\nchmod 600 '/etc/app/key.pem'",
    );
    expect(script).not.toContain('/opt/o');
  });

  it('lists required assets without a value as missing, from apps and from their libs', () => {
    expect(compile(input(s())).missingAssets).toEqual([
      { asset: 'key', owner: 'app web', path: '/etc/app/key.pem' },
      { asset: 'libkey', owner: 'lib l', path: '/l/key' },
    ]);
    expect(compile(input(s(), { setAssets: new Set(['key', 'libkey']) })).missingAssets).toEqual(
      [],
    );
  });
});

describe('start script', () => {
  it('installs libs dependencies first', () => {
    const s = specsFrom({
      'apps/web.yml': 'image: x\ndepends: {libs: [top, other]}\n',
      'libs/top.yml': 'repo: /r/top\nmount: /top\ndepends: {libs: [mid]}\ninstall: [make top]\n',
      'libs/mid.yml': 'repo: /r/mid\nmount: /mid\ndepends: {libs: [base]}\ninstall: [make mid]\n',
      'libs/base.yml': 'repo: /r/base\nmount: /base\ninstall: [make base]\n',
      'libs/other.yml':
        'repo: /r/other\nmount: /other\ndepends: {libs: [base]}\ninstall: [make other]\n',
      'bundles/b.yml': 'apps: [web]\n',
    });
    expect(libsInInstallOrder(s, ['top', 'other'])).toEqual(['base', 'mid', 'top', 'other']);
    const script = startScript(services(compile(input(s)).compose).web);
    const at = (l: string) => script.indexOf(l);
    expect(at('make base')).toBeGreaterThan(-1);
    expect(at('make base')).toBeLessThan(at('make mid'));
    expect(at('make mid')).toBeLessThan(at('make top'));
    expect(at('make top')).toBeLessThan(at('make other'));
    expect(script.match(/make base/g)).toHaveLength(1);
    expect(script.slice(0, at('make base'))).toContain("cd '/base'");
  });

  it("guards `once` with a marker and runs it in the script's own shell", () => {
    const script = buildStartScript({
      name: 'web',
      mount: '/app',
      assets: [],
      libs: [],
      once: ['pip install -r requirements.txt'],
      always: ['python app.py'],
    });
    expect(script).toContain(`if [ ! -e ${ONCE_MARKER} ]; then`);
    // A function, not a subshell: its exports and cds stay for `always`.
    expect(script).toMatch(/dusty_once_fn \(\) \{\n {2}pip install -r requirements.txt\n\}/);
    expect(script).toMatch(/^ {2}dusty_once_fn$/m);
    expect(script).not.toMatch(/\( set -e/);
    expect(script).toContain(`: > ${ONCE_MARKER}`);
    const once = script.indexOf('  dusty_once_fn\n');
    expect(once).toBeLessThan(script.indexOf('python app.py'));
    expect(script.indexOf(`: > ${ONCE_MARKER}`)).toBeLessThan(script.indexOf('python app.py'));
  });

  it('puts libs, then the mount (cd and PATH), then assets, then once, then always', () => {
    const script = buildStartScript({
      name: 'web',
      mount: '/app',
      assets: [{ name: 'key', path: 'conf/key.pem' }],
      libs: [{ name: 'lib', mount: '/lib', install: ['make install'] }],
      once: ['echo once'],
      always: ['run.sh'],
    });
    const order = [
      'set -e',
      'make install',
      "cd '/app'",
      "export PATH=$PATH:'/app'",
      "cp '/run/dusty/assets/key' 'conf/key.pem'",
      '  dusty_once_fn\n',
      'run.sh',
    ].map((l) => script.indexOf(l));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(script).toContain(
      "mkdir -p 'conf'\ncp '/run/dusty/assets/key' 'conf/key.pem'\nchmod 600",
    );
  });

  it("starts an app without a mount in its image's working directory, even after lib installs", () => {
    const script = buildStartScript({
      name: 'w',
      assets: [],
      libs: [{ name: 'lib', mount: '/lib', install: ['make'] }],
      once: [],
      always: ['run'],
    });
    expect(script).not.toContain('export PATH');
    expect(script.indexOf('dusty_workdir=$(pwd)')).toBeLessThan(script.indexOf("cd '/lib'"));
    expect(script.indexOf('cd "$dusty_workdir"')).toBeGreaterThan(script.indexOf('make'));
    const bare = buildStartScript({ name: 'w', assets: [], libs: [], once: [], always: ['run'] });
    expect(bare).not.toMatch(/^cd /m);
  });

  it('has no once block when there are no once commands', () => {
    const script = buildStartScript({
      name: 'w',
      assets: [],
      libs: [],
      once: [],
      always: ['run'],
    });
    expect(script).not.toContain(ONCE_MARKER);
  });

  it('runs the start script under /bin/sh and the once commands in the example flask app', () => {
    const script = startScript(services(compile(exampleInput()).compose).flaskone);
    expect(script).toContain('pip install -r requirements.txt');
    expect(script).toContain('\n  dusty_once_fn\n');
    expect(script).toContain('\npython app.py\n');
  });
});

describe('nginx', () => {
  it('forwards stream ports in a stream {} block and http ones in http {}', () => {
    const conf = buildNginxConf([
      { app: 'db', host_name: 'db.local', host_port: 5432, container_port: 5433, type: 'stream' },
      { app: 'web', host_name: 'local.web.com', host_port: 80, container_port: 5000, type: 'http' },
    ]);
    const stream = conf.slice(conf.indexOf('\nstream {'));
    expect(conf.indexOf('\nstream {')).toBeGreaterThan(conf.indexOf('\nhttp {'));
    expect(stream).toContain('listen 5432;');
    expect(stream).toContain('set $dusty_upstream db:5433;');
    expect(stream).not.toContain('local.web.com');
    expect(conf.slice(0, conf.indexOf('\nstream {'))).not.toContain('5432');
    expect(conf).toContain('include /tmp/dusty-modules.conf;');
    expect(conf).toContain('server_name local.web.com;');
    expect(conf).toContain('set $dusty_upstream http://web:5000;');
  });

  it('has no stream block and no module include without stream forwarding', () => {
    const conf = compile(exampleInput()).nginx;
    expect(conf).not.toContain('stream {');
    expect(conf).not.toContain('include /tmp/dusty-modules.conf');
  });

  it('shows a 502 page that names the app and how to see its logs', () => {
    const conf = compile(exampleInput()).nginx;
    const flaskone = conf.slice(conf.indexOf('server_name local.flaskone.com;'));
    const page = flaskone.slice(
      flaskone.indexOf('return 502'),
      flaskone.indexOf('\n', flaskone.indexOf('return 502')),
    );
    expect(page).toContain('flaskone is not answering');
    expect(page).toContain('dusty logs flaskone');
    expect(page).not.toContain('flasktwo');
  });
});

describe('what the original Dusty did with an app container', () => {
  const specs = () =>
    specsFrom({
      'apps/web.yml': [
        'repo: /r/web',
        'mount: /web',
        'image: busybox',
        'commands: {always: [run.sh]}',
        'depends: {libs: [lib]}',
        'assets:',
        '  - {name: key, path: conf/key.pem}',
        '  - {name: shared, path: /etc/shared}',
        'compose:',
        '  volumes: ["data:/var/lib/web", "/abs:/abs", "./rel:/rel"]',
      ].join('\n'),
      'apps/worker.yml': 'image: busybox\ncompose: {user: nobody}\ncommands: {always: [run]}\n',
      'libs/lib.yml': [
        'repo: /r/lib',
        'mount: /lib',
        'assets:',
        '  - {name: shared, path: /etc/shared}',
        '  - {name: shared, path: lib.conf}',
      ].join('\n'),
      'services/db.yml':
        'image: busybox\nvolumes: ["dbdata:/data", {type: volume, source: logs, target: /logs}]\n',
      'bundles/b.yml': 'apps: [web, worker]\nservices: [db]\n',
    });

  it('runs apps as root unless the compose block chooses a user', () => {
    const svcs = services(compile(input(specs())).compose);
    expect(svcs.web!.user).toBe('root');
    expect(svcs.worker!.user).toBe('nobody');
    expect(svcs.db!.user).toBeUndefined();
  });

  it('names every container <project>_<name>_1', () => {
    const svcs = services(compile(input(specs(), { project: 'team' })).compose);
    expect(Object.fromEntries(Object.entries(svcs).map(([n, s]) => [n, s.container_name]))).toEqual(
      {
        'dusty-router': 'team_dusty-router_1',
        db: 'team_db_1',
        web: 'team_web_1',
        worker: 'team_worker_1',
      },
    );
    expect(services(compile(input(specs())).compose).web!.container_name).toBe('dusty_web_1');
  });

  it('declares the named volumes of apps and services at the top level, and only those', () => {
    const doc = parse(compile(input(specs())).compose) as { volumes: Record<string, unknown> };
    expect(doc.volumes).toEqual({ data: {}, dbdata: {}, logs: {} });
  });

  it('places a shared asset at every declared path, mounts it once, and makes lib paths relative to the lib', () => {
    const out = compile(input(specs(), { setAssets: new Set(['key', 'shared']) }));
    const web = services(out.compose).web!;
    const assetMounts = web.volumes!.filter((v) => v.includes('/run/dusty/assets/'));
    expect(assetMounts).toEqual([
      '/home/u/.config/dusty/assets/key:/run/dusty/assets/key:ro',
      '/home/u/.config/dusty/assets/shared:/run/dusty/assets/shared:ro',
    ]);
    const script = startScript(web);
    expect(script.match(/cp '\/run\/dusty\/assets\/shared' '\/etc\/shared'/g)).toHaveLength(1);
    expect(script).toContain("cp '/run/dusty/assets/shared' '/lib/lib.conf'");
    // The app's own relative path: the script has already gone to the mount.
    expect(script).toContain("cp '/run/dusty/assets/key' 'conf/key.pem'");
    expect(script.indexOf("cd '/web'")).toBeLessThan(script.indexOf('conf/key.pem'));
  });

  it('still reports each missing required asset of the app and its libs', () => {
    const out = compile(input(specs()));
    expect(out.missingAssets.map((a) => `${a.owner}:${a.asset}`).sort()).toEqual([
      'app web:key',
      'app web:shared',
      'lib lib:shared',
    ]);
  });
});

describe('https', () => {
  const specs = () =>
    specsFrom({
      'bundles/b.yml': 'apps: [a, b]\n',
      'apps/a.yml':
        'image: x\nhost_forwarding: [{host_name: a.demo.test, host_port: 80, container_port: 1}, {host_name: a.demo.test, host_port: 8080, https_port: 8443, container_port: 2}, {host_name: plain.demo.test, host_port: 8081, container_port: 3}]\n',
      'apps/b.yml':
        'image: x\nhost_forwarding: [{host_name: db.demo.test, host_port: 5432, container_port: 5432, type: stream}]\n',
    });

  it('serves a port-80 forwarding on 443 and others on their https_port, plain HTTP kept', () => {
    const out = compile(input(specs(), { https: true }));
    const router = services(out.compose)['dusty-router']!;
    expect(router.ports).toEqual([
      '127.0.0.1:80:80',
      '127.0.0.1:443:443',
      '127.0.0.1:5432:5432',
      '127.0.0.1:8080:8080',
      '127.0.0.1:8081:8081',
      '127.0.0.1:8443:8443',
    ]);
    expect(router.volumes).toContain('/home/u/.config/dusty/tls/router:/etc/dusty-tls:ro');
    expect(router.volumes!.join(' ')).not.toMatch(/ca-key|\/tls:/);
    expect(out.tlsNames).toEqual(['a.demo.test']);
    expect(out.nginx).toContain('listen 443 ssl;');
    expect(out.nginx).toContain('listen 8443 ssl;');
    expect(out.nginx).toContain('listen 80;');
    expect(out.nginx).toContain('listen 8080;');
    expect(out.nginx).not.toContain('listen 8081 ssl');
    expect(out.nginx).toContain('ssl_certificate /etc/dusty-tls/cert.pem;');
    expect(out.nginx).toMatch(/listen 443 ssl default_server;\n\s+ssl_reject_handshake on;/);
    const tls8443 = out.nginx.slice(out.nginx.indexOf('listen 8443 ssl;'));
    expect(tls8443).toContain('set $dusty_upstream http://a:2;');
    expect(out.containers.find((c) => c.name === 'a')!.urls).toEqual([
      'http://a.demo.test',
      'http://a.demo.test:8080',
      'http://plain.demo.test:8081',
      'https://a.demo.test',
      'https://a.demo.test:8443',
    ]);
  });

  it('adds nothing when https is off', () => {
    const out = compile(input(specs(), { https: false }));
    const router = services(out.compose)['dusty-router']!;
    expect(router.ports).not.toContain('127.0.0.1:443:443');
    expect(router.ports).not.toContain('127.0.0.1:8443:8443');
    expect(router.volumes!.join(' ')).not.toContain('tls');
    expect(out.nginx).not.toContain('ssl');
    expect(out.tlsNames).toEqual([]);
  });

  it('leaves 443 alone, with a warning, when a forwarding uses it as a plain port', () => {
    const s = specsFrom({
      'bundles/b.yml': 'apps: [a]\n',
      'apps/a.yml':
        'image: x\nhost_forwarding: [{host_name: a.test, host_port: 80, container_port: 1}, {host_name: b.test, host_port: 443, container_port: 2}]\n',
    });
    const out = compile(input(s, { https: true }));
    expect(out.nginx).not.toContain('ssl');
    expect(out.warnings.map((w) => w.message)).toEqual([
      'a.test is not served over TLS on 443: port 443 is a plain host_port; give it an https_port',
    ]);
  });
});
