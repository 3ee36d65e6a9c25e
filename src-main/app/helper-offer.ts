/**
 * First run: offer to install the privileged helper through one password
 * prompt, after saying what it changes. Declining keeps Dusty working (host
 * names then need entries by hand or .localhost names). The decision is kept
 * in DUSTY_HOME so the offer is made once (the tray menu offers it again).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../engine/state/files.js';

/** What the shell needs from the helper's installer. */
export interface HelperInstaller {
  /** True when the helper answers on its socket. */
  available(): Promise<boolean>;
  /** What installing changes, in words, shown before the password prompt. */
  describe(): string;
  /** Runs the install with administrator rights; rejects with the reason when it fails or is cancelled. */
  install(): Promise<void>;
}

export interface OfferUi {
  /** Asks the person; resolves true to install. */
  ask(explanation: string): Promise<boolean>;
  tell(title: string, message: string): void;
}

interface OfferRecord {
  decided: 'installed' | 'declined';
  at: string;
}

const recordPath = (home: string) => join(home, 'helper-offer.json');

/** Offers the helper once; returns whether it is available afterwards. */
export async function offerHelperOnce(
  home: string,
  installer: HelperInstaller,
  ui: OfferUi,
  force = false,
): Promise<boolean> {
  if (await installer.available()) return true;
  if (!force) {
    const seen = await readFile(recordPath(home), 'utf8').then(
      (t) => JSON.parse(t) as OfferRecord,
      () => null,
    );
    if (seen) return false;
  }
  const yes = await ui.ask(installer.describe());
  if (!yes) {
    await writeFileAtomic(
      recordPath(home),
      JSON.stringify({ decided: 'declined', at: new Date().toISOString() }) + '\n',
    );
    ui.tell(
      'Dusty works without the helper',
      'Dusty will tell you which hosts-file lines to add by hand when it needs them, or use host names under .localhost. You can install the helper later from the menu.',
    );
    return false;
  }
  try {
    await installer.install();
    await writeFileAtomic(
      recordPath(home),
      JSON.stringify({ decided: 'installed', at: new Date().toISOString() }) + '\n',
    );
    return await installer.available();
  } catch (e) {
    ui.tell(
      'The helper was not installed',
      `${(e as Error).message}\nDusty keeps working without it.`,
    );
    return false;
  }
}
