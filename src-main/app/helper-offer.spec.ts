import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { offerHelperOnce, type HelperInstaller, type OfferUi } from './helper-offer.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'dusty-offer-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function fakes(answer: boolean, installWorks = true) {
  let installed = false;
  const asked: string[] = [];
  const told: string[] = [];
  const installer: HelperInstaller = {
    available: async () => installed,
    describe: () => 'It edits only Dusty’s section of /etc/hosts',
    install: async () => {
      if (!installWorks) throw new Error('User did not grant permission.');
      installed = true;
    },
  };
  const ui: OfferUi = {
    ask: async (text) => {
      asked.push(text);
      return answer;
    },
    tell: (title) => told.push(title),
  };
  return { installer, ui, asked, told };
}

describe('first-run helper offer', () => {
  it('explains what changes before asking, and installs when accepted', async () => {
    const f = fakes(true);
    expect(await offerHelperOnce(home, f.installer, f.ui)).toBe(true);
    expect(f.asked).toEqual(['It edits only Dusty’s section of /etc/hosts']);
    expect(JSON.parse(await readFile(join(home, 'helper-offer.json'), 'utf8'))).toMatchObject({
      decided: 'installed',
    });
  });

  it('keeps working when declined and does not ask again', async () => {
    const f = fakes(false);
    expect(await offerHelperOnce(home, f.installer, f.ui)).toBe(false);
    expect(f.told).toEqual(['Dusty works without the helper']);
    expect(await offerHelperOnce(home, f.installer, f.ui)).toBe(false);
    expect(f.asked).toHaveLength(1);
  });

  it('asks again when the person chooses it from the menu', async () => {
    const f = fakes(false);
    await offerHelperOnce(home, f.installer, f.ui);
    await offerHelperOnce(home, f.installer, f.ui, true);
    expect(f.asked).toHaveLength(2);
  });

  it('says why when the install fails or the password prompt is cancelled', async () => {
    const f = fakes(true, false);
    expect(await offerHelperOnce(home, f.installer, f.ui)).toBe(false);
    expect(f.told).toEqual(['The helper was not installed']);
  });
});
