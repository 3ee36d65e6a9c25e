/**
 * Doctor's checks of the project's state in the engine: what `up` repairs
 * before it starts (runtime/heal), reported one check per kind of problem,
 * each finding with its own repair for `doctor --fix`.
 */
import type Docker from 'dockerode';
import type { CompiledProject } from '../project.js';
import { findBrokenState, projectNetwork, type FindingKind } from '../runtime/heal.js';
import type { CheckResult } from './checks.js';

const TITLES: Record<FindingKind, () => string> = {
  'duplicate-network': () => `one network is named ${projectNetwork()}`,
  'unknown-container': () => "every project container is an active app's or service's",
  'duplicate-container': () => 'each service has one container',
  'stuck-container': () => 'no container is stuck in "created" or "dead"',
  'hosts-section': () => "Dusty's hosts section matches the running stack",
};

export async function engineStateChecks(
  docker: Docker,
  compiled: CompiledProject,
  hosts: {
    file: string;
    apply?: ((entries: { ip: string; hostname: string }[]) => Promise<unknown>) | undefined;
  },
): Promise<CheckResult[]> {
  const entries = compiled.output.hostsEntries;
  let findings;
  try {
    findings = await findBrokenState({
      docker,
      services: compiled.output.containers.map((c) => c.name),
      hosts: { file: hosts.file, entries, apply: hosts.apply ?? (async () => undefined) },
    });
  } catch (e) {
    return [
      {
        title: 'the project’s containers and network are consistent',
        status: 'skip',
        found: `cannot read them: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
      },
    ];
  }
  return (Object.keys(TITLES) as FindingKind[]).flatMap((kind): CheckResult[] => {
    const mine = findings.filter((f) => f.kind === kind);
    if (kind === 'hosts-section' && !entries.length) return [];
    if (!mine.length) return [{ title: TITLES[kind](), status: 'ok', found: 'yes' }];
    return mine.map((f) => ({
      title: TITLES[kind](),
      status: 'fail',
      found: f.found,
      fix: `\`dusty doctor --fix\` or \`dusty up\`: ${f.fix}`,
      ...(kind !== 'hosts-section' || hosts.apply
        ? { repair: { description: f.fix, run: f.repair } }
        : {}),
    }));
  });
}
