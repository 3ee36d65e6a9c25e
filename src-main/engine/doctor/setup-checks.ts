/** Doctor's checks of what Dusty stands on: the engine, Compose, the helper and the specs. */
import { HELPER_PROTOCOL_VERSION } from '../../../src-shared/helper-protocol.js';
import { ExecRunner } from '../../platform/command-runner.js';
import { describeTarget, SshError } from '../../platform/ssh.js';
import { sshFix } from '../remote/doctor.js';
import { detectCompose } from '../docker/compose-runner.js';
import { tlsProblem } from '../docker/client.js';
import { describeEngine } from '../docker/engine-info.js';
import { message, type CheckResult, type DoctorCheck, type DoctorDeps } from './checks.js';

/** Which engine the docker CLI configuration names, and whether vm_provider agrees. */
async function whichEngine(deps: DoctorDeps) {
  const config = await deps.project.store.config().catch(() => undefined);
  const info = await (deps.describeEngine ?? describeEngine)(config?.vm_provider ?? 'auto', {
    runner: new ExecRunner(),
  });
  const which: CheckResult = info.error
    ? {
        title: 'the docker CLI configuration names an engine',
        status: 'fail',
        found: info.error,
        fix: 'fix or remove that setting (`docker context use default` goes back to the local engine)',
      }
    : info.mismatch
      ? {
          title: 'vm_provider agrees with the engine the docker CLI uses',
          status: 'warn',
          found: `vm_provider is ${info.configured}, but the docker CLI's engine is a ${info.detectedLabel}: ${info.description}`,
          fix: info.mismatch,
        }
      : {
          title: 'the engine Dusty uses is the one the docker CLI uses',
          status: 'ok',
          found: `${info.label}${info.version ? ` ${info.version}` : ''}, ${info.description}; code reaches it by ${info.mountsWhy}`,
        };
  return { info, which };
}

/** Which engine Dusty uses, and whether it answers (with a repair that starts it). */
export const engineCheck: DoctorCheck = {
  name: 'engine',
  async run(ctx) {
    const { deps } = ctx;
    const { info, which } = await whichEngine(deps);
    try {
      await deps.docker.ping();
      const v = await deps.docker.version();
      const found = `Docker ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch})`;
      ctx.engineUp = true;
      return [which, { title: 'the Docker engine answers', status: 'ok', found }];
    } catch (e) {
      // A remote engine over ssh: ssh not connecting is the thing to fix, not the engine.
      const unreachable = e instanceof SshError && e.result.code === 255;
      const start = unreachable
        ? sshFix(e.target)
        : (tlsProblem(e) ??
          (info.kind === 'native'
            ? 'start it: `systemctl start docker` (or your system’s service manager), or `dusty up`, which starts it through the helper'
            : info.startHow
              ? `start ${info.label}: \`${info.startHow}\`, or \`dusty up\`, which starts it`
              : `Dusty cannot start a ${info.label}: start the engine on ${info.endpoint}`));
      const repair =
        deps.ensureEngine && info.canStart
          ? {
              description: `start ${info.label}`,
              run: async () => {
                await deps.ensureEngine!();
                return 'the engine answers now';
              },
            }
          : undefined;
      ctx.engineUp = false;
      return [
        which,
        {
          title: 'the Docker engine answers',
          status: 'fail',
          found: message(e),
          fix: start,
          ...(repair ? { repair } : {}),
        },
      ];
    }
  },
};

export const composeCheck: DoctorCheck = {
  name: 'compose',
  async run() {
    const title = 'Docker Compose is installed';
    try {
      const c = await detectCompose();
      return [{ title, status: 'ok', found: c.label }];
    } catch (e) {
      return [
        {
          title,
          status: 'fail',
          found: message(e),
          fix: 'install the docker compose plugin (v2) or docker-compose (v1)',
        },
      ];
    }
  },
};

const HELPER_TITLE = "the privileged helper answers and matches Dusty's version";

/** Without a running helper: whether that matters here. */
function helperAbsent(deps: DoctorDeps): CheckResult {
  const title = HELPER_TITLE;
  if (deps.hostsFile.custom)
    return {
      title,
      status: 'ok',
      found: `not running, and not needed: DUSTY_HOSTS_FILE=${deps.hostsFile.path} is written directly`,
    };
  if (process.getuid?.() === 0)
    return {
      title,
      status: 'warn',
      found: 'not running; Dusty runs as root and edits the hosts file itself',
      fix: 'install it with `dusty setup` to use Dusty without root',
    };
  return {
    title,
    status: 'fail',
    found: 'not running: host names and the engine cannot be managed without it',
    fix: 'install it with `dusty setup`',
  };
}

export const helperCheck: DoctorCheck = {
  name: 'helper',
  async run({ deps }) {
    const title = HELPER_TITLE;
    if (!deps.helper)
      return [{ title, status: 'skip', found: 'no helper client on this platform' }];
    if (!(await deps.helper.available().catch(() => false))) return [helperAbsent(deps)];
    try {
      const v = await deps.helper.call('version', {});
      const same = v.version === deps.dustyVersion && v.protocol === HELPER_PROTOCOL_VERSION;
      return [
        {
          title,
          status: same ? 'ok' : 'fail',
          found: `helper ${v.version} (protocol ${v.protocol}); Dusty ${deps.dustyVersion} (protocol ${HELPER_PROTOCOL_VERSION})`,
          ...(same
            ? {}
            : { fix: 'reinstall the helper with `dusty setup` so it matches this Dusty' }),
        },
      ];
    } catch (e) {
      return [
        {
          title,
          status: 'fail',
          found: message(e),
          fix: 'reinstall the helper with `dusty setup`',
        },
      ];
    }
  },
};

/** The specs validate; when they do, the project is compiled for the checks after this one. */
export const specsCheck: DoctorCheck = {
  name: 'specs',
  async run(ctx) {
    const title = 'the specs validate';
    const out: CheckResult[] = [];
    try {
      const v = await ctx.deps.project.validate();
      const errors = v.problems.filter((p) => p.severity === 'error');
      if (errors.length) {
        const e = errors[0]!;
        out.push({
          title,
          status: 'fail',
          found: `${errors.length} error(s), first: ${e.file}: ${e.path ? `${e.path}: ` : ''}${e.message}`,
          fix: 'run `dusty validate` to see every problem, and fix the specs',
        });
        return out;
      }
      const warnings = v.problems.length;
      out.push({
        title,
        status: 'ok',
        found: `valid${warnings ? ` with ${warnings} warning(s) (see \`dusty validate\`)` : ''}`,
      });
    } catch (e) {
      out.push({
        title,
        status: 'fail',
        found: message(e),
        fix: 'set the specs repo with `dusty config set specs_repo PATH_OR_URL`',
      });
      return out;
    }
    try {
      ctx.compiled = await ctx.deps.project.compile();
    } catch (e) {
      out.push({
        title: 'the active bundles compile for this engine',
        status: 'fail',
        found: message(e),
        // For a remote engine, compiling asks its host where the copies go.
        fix:
          e instanceof SshError
            ? `reach ${describeTarget(e.target)} over ssh first (the ssh check says how)`
            : 'run `dusty compile` to see the whole error',
      });
    }
    return out;
  },
};
