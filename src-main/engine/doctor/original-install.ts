/**
 * Doctor's offer to bring over an install of the original Python Dusty: its
 * config file is there and this Dusty has no specs repo yet. `doctor --fix`
 * runs the import (after asking, like every repair).
 */
import {
  importOriginalConfig,
  originalConfigPath,
  originalInstallOffer,
} from '../state/import-original.js';
import type { DoctorCheck } from './checks.js';

export const originalInstallCheck: DoctorCheck = {
  name: 'original install',
  async run(ctx) {
    const store = ctx.deps.project.store;
    const file = originalConfigPath();
    const offer = await originalInstallOffer(store, file);
    if (!offer) return [];
    return [
      {
        title: 'an install of the original Dusty is imported',
        status: 'fail',
        found: `not yet: ${file} exists and this Dusty has no specs repo`,
        fix: offer,
        repair: {
          description: `import ${file} (\`dusty config import\`)`,
          run: async () => {
            const r = await importOriginalConfig(store, file);
            return `imported ${file}: ${[...r.lines, ...r.notes].join('; ')}`;
          },
        },
      },
    ];
  },
};
