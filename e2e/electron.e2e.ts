/**
 * The Electron shell driven by Playwright's `_electron`: single instance, the
 * secure window, the typed bridge. Needs the Electron binary, which cannot be
 * downloaded on machines without network access; these tests skip there.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './pages/environment.js';

/** The Electron binary's path, or undefined when it is not installed. */
function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
const SKIP = 'Electron binary not installed (cannot be downloaded on this machine)';

describe.skipIf(!binary)(binary ? 'the Electron shell' : `the Electron shell: ${SKIP}`, () => {
  let app: ElectronApplication;

  beforeAll(async () => {
    app = await electron.launch({
      executablePath: binary!,
      args: [join(ROOT, 'dist/src-main/app/main.js'), '--dashboard'],
      env: {
        ...process.env,
        DUSTY_HOME: mkdtempSync(join(tmpdir(), 'dusty-electron-')),
        DUSTY_PROJECT: 'e2eelectron',
        DUSTY_OPEN_DASHBOARD: '1',
      },
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('opens a sandboxed, isolated dashboard window with only the typed bridge', async () => {
    const page = await app.firstWindow();
    await page.getByRole('tablist', { name: 'Views' }).waitFor();
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
    expect(
      await page.evaluate(() => typeof (window as unknown as { process?: unknown }).process),
    ).toBe('undefined');
    expect(
      await page.evaluate(() => Object.keys((window as unknown as { dusty: object }).dusty).sort()),
    ).toEqual(['call', 'onEvent']);
    expect(
      await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require),
    ).toBe('undefined');
  });

  it('answers calls over IPC as data', async () => {
    const page = await app.firstWindow();
    const r = await page.evaluate(() =>
      (
        window as unknown as { dusty: { call(c: string, i: unknown): Promise<unknown> } }
      ).dusty.call('app:info', {}),
    );
    expect(r).toMatchObject({ ok: true, value: { shell: 'electron', project: 'e2eelectron' } });
  });

  it('refuses to open new windows or navigate away', async () => {
    const page = await app.firstWindow();
    await page.evaluate(() => window.open('https://example.com'));
    await page.evaluate(() => (location.href = 'https://example.com'));
    await page.waitForTimeout(500);
    expect(app.windows()).toHaveLength(1);
    expect(page.url()).toMatch(/^file:/);
  });
});

// Visible in the report where the binary is missing, so the skip is never silent.
it.skipIf(!!binary)(`Electron shell tests: ${SKIP}`, () => {
  expect(binary).toBeUndefined();
});
