import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IPC_CALL, IPC_EVENT } from '../../src-shared/api/contract.js';

const preload = readFileSync(new URL('./preload/preload.ts', import.meta.url), 'utf8');
const packageJson = JSON.parse(
  readFileSync(new URL('./preload/package.json', import.meta.url), 'utf8'),
) as { type?: string };

describe('the preload', () => {
  it('uses the contract’s IPC channel names (it cannot import them in the sandbox)', () => {
    expect(preload).toContain(`const CALL = '${IPC_CALL}';`);
    expect(preload).toContain(`const EVENT = '${IPC_EVENT}';`);
  });

  it('compiles to CommonJS, the only form a sandboxed preload can run', () => {
    expect(packageJson.type).toBe('commonjs');
    expect(preload).not.toMatch(/^import (?!type )(?!electron = require)/m);
  });

  it('exposes one object and never ipcRenderer itself', () => {
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toContain("exposeInMainWorld('dusty', bridge)");
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
  });
});
