import { describe, expect, it } from 'vitest';
import type { CompiledProject } from '../project.js';
import type { DoctorCheck, DoctorDeps } from './checks.js';
import { DOCTOR_CHECKS, runDoctor } from './doctor.js';

const deps = {} as DoctorDeps;
const ok = (title: string) => ({ title, status: 'ok' as const, found: 'fine' });

describe('doctor as a list of named checks', () => {
  it('names every check once, in the order it reports', () => {
    const names = DOCTOR_CHECKS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    // The remote host comes before the specs: compiling for a remote engine asks it.
    expect(names.slice(0, 6)).toEqual([
      'engine',
      'compose',
      'helper',
      'original install',
      'remote engine',
      'specs',
    ]);
    // Everything after the specs check needs the compiled project.
    expect(DOCTOR_CHECKS.slice(6).every((c) => c.needsSpecs)).toBe(true);
  });

  it('runs the checks in order, passing what one learned to the next', async () => {
    const seen: string[] = [];
    const checks: DoctorCheck[] = [
      {
        name: 'engine',
        run: async (ctx) => {
          ctx.engineUp = true;
          return [ok('engine')];
        },
      },
      {
        name: 'specs',
        run: async (ctx) => {
          ctx.compiled = {} as CompiledProject;
          return [ok('specs')];
        },
      },
      {
        name: 'later',
        needsSpecs: true,
        run: async (ctx) => {
          seen.push(`engineUp=${ctx.engineUp}`);
          return [ok('later')];
        },
      },
    ];
    const out = await runDoctor(deps, checks);
    expect(out.map((r) => r.title)).toEqual(['engine', 'specs', 'later']);
    expect(seen).toEqual(['engineUp=true']);
  });

  it('skips, with one line, every check that needs specs that did not compile', async () => {
    let ran = false;
    const later: DoctorCheck = {
      name: 'later',
      needsSpecs: true,
      run: async () => {
        ran = true;
        return [];
      },
    };
    const out = await runDoctor(deps, [{ name: 'specs', run: async () => [] }, later, later]);
    expect(ran).toBe(false);
    expect(out).toEqual([
      {
        title: 'required assets, host names, ports and repos',
        status: 'skip',
        found: 'skipped: the specs do not compile',
      },
    ]);
  });

  it('reports a check that throws as failed and goes on', async () => {
    const out = await runDoctor(deps, [
      {
        name: 'compose',
        run: async () => {
          throw new Error('spawn docker ENOENT\nstack');
        },
      },
      { name: 'helper', run: async () => [ok('helper')] },
    ]);
    expect(out).toEqual([
      { title: 'the compose check runs', status: 'fail', found: 'spawn docker ENOENT' },
      ok('helper'),
    ]);
  });
});
