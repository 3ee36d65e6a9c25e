/** The local CA behind the router's https URLs: showing it, and trusting it through the helper. */
import { currentCa, httpsStatus, recreateCa, trustCa, untrustCa } from '../engine/tls/service.js';
import type { ServiceContext } from './context.js';

export const https = {
  /** The CA (made when there is none). */
  ca: (ctx: ServiceContext) => currentCa(ctx.project),
  /** The CA, the names it may sign for, whether it is trusted, and whether https is on. */
  status: async (ctx: ServiceContext) => {
    const [s, config] = await Promise.all([httpsStatus(ctx.project), ctx.store.config()]);
    return { ...s, enabled: config.https };
  },
  trust: (ctx: ServiceContext) => trustCa(ctx.project, ctx.helper),
  untrust: (ctx: ServiceContext) => untrustCa(ctx.project, ctx.helper),
  /** A new CA for every host-name suffix of the specs, trusted in the old one's place. */
  recreate: (ctx: ServiceContext) => recreateCa(ctx.project, ctx.helper),
};
