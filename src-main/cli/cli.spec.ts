import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, newProgram, translateOriginalArgs } from './groups.js';

/** Every command below `cmd`, with its path (`env set`). */
function walk(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  return cmd.commands.flatMap((c) => {
    const p = [...path, c.name()];
    return [{ path: p.join(' '), cmd: c }, ...walk(c, p)];
  });
}

describe('the command line', () => {
  it('lists under each group exactly the commands its module registers', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = newProgram();
      (await group.load())(program);
      // A command registered but not listed would only run after every group was loaded by mistake.
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...group.commands].sort());
    }
    // Loading every group imports dockerode, ws and tar: slow on a busy machine.
  }, 30_000);

  it('describes every command and subcommand in its help', async () => {
    const program = newProgram();
    for (const group of COMMAND_GROUPS) (await group.load())(program);
    const all = walk(program);
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter(({ cmd }) => !cmd.description().trim()).map((c) => c.path)).toEqual([]);
  }, 30_000);
});

describe("the original Dusty's command lines", () => {
  it('runs `-d` as the helper and `-d --preflight-only` as doctor, leaving the rest alone', () => {
    expect(translateOriginalArgs(['-d'])).toEqual(['helper', 'serve']);
    expect(translateOriginalArgs(['-d', '--suppress-warnings'])).toEqual(['helper', 'serve']);
    expect(translateOriginalArgs(['-d', '--preflight-only'])).toEqual(['doctor']);
    expect(translateOriginalArgs(['-d', '--suppress-warnings', '--preflight-only'])).toEqual([
      'doctor',
    ]);
    expect(translateOriginalArgs(['up', '-d'])).toEqual(['up', '-d']);
    expect(translateOriginalArgs(['-v'])).toEqual(['-v']);
  });
});
