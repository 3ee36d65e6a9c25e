/** Container names as a person types them (`dusty logs NAME`): a typo is said as one. */
import type { Specs } from '../../src-shared/specs/schema.js';
import { DustyError } from '../engine/errors.js';
import { ROUTER_NAME } from '../engine/specs/validate.js';
import type { ServiceContext } from './context.js';

/**
 * Runs `run`; when it finds no container for one of `names` and the specs
 * know no app or service by that name, refuses it as unknown and lists the
 * known ones, as `env` does, instead of suggesting `dusty up`.
 */
export async function withKnownNames<T>(
  ctx: ServiceContext,
  names: string[],
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DustyError && e.code === 'not-running') await refuseUnknown(ctx, names);
    throw e;
  }
}

/** The error for names no app or service of `specs` has, listing the ones it has. */
export function unknownAppOrService(
  specs: Pick<Specs, 'apps' | 'services'>,
  names: string[],
): DustyError {
  const known = [...Object.keys(specs.apps), ...Object.keys(specs.services)];
  return new DustyError(
    'unknown-app-or-service',
    `no app or service is named ${names.map((n) => `"${n}"`).join(', ')}; known: ${known.join(', ') || 'none'}`,
    { known },
  );
}

async function refuseUnknown(ctx: ServiceContext, names: string[]): Promise<void> {
  // Without readable specs only the engine knows names: its own message lists the running ones.
  const loaded = await ctx.project.validate().catch(() => undefined);
  if (!loaded) return;
  const { apps, services } = loaded.specs;
  const unknown = names.filter(
    (n) => n !== ROUTER_NAME && !Object.hasOwn(apps, n) && !Object.hasOwn(services, n),
  );
  if (unknown.length) throw unknownAppOrService(loaded.specs, unknown);
}
