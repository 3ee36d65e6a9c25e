/**
 * The spec format (see README and the original Dusty's specs repos), one zod
 * schema per kind. Types are derived from the schemas so they cannot drift.
 *
 * Schemas are lenient about unknown keys (they are reported as warnings by the
 * validator, which can suggest the key that was meant) and strict about the
 * values Dusty itself relies on.
 */
import { z } from 'zod';

/** Shell lines; the original Dusty also accepted a single string. */
const shellLines = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? [v] : v));

const names = z.array(z.string().min(1)).default([]);

const port = z
  .number({ error: 'expected an integer port between 1 and 65535' })
  .int('expected an integer port between 1 and 65535')
  .min(1, 'expected an integer port between 1 and 65535')
  .max(65535, 'expected an integer port between 1 and 65535');

export const HostForwardingSchema = z.looseObject({
  host_name: z
    .string({ error: 'expected a host name such as local.myapp.com' })
    // Underscores are accepted, as the original did; the validator warns about them.
    .regex(
      /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/,
      {
        error: 'expected a host name (letters, digits, hyphens, underscores and dots)',
      },
    ),
  host_port: port,
  container_port: port,
  type: z.enum(['http', 'stream'], { error: "expected 'http' or 'stream'" }).default('http'),
  /**
   * Dusty's extension: the host port the router serves this http forwarding
   * on over TLS. Without it, a forwarding on port 80 is served on 443 and
   * others only over plain HTTP.
   */
  https_port: port.optional(),
});
export type HostForwarding = z.infer<typeof HostForwardingSchema>;

export const ScriptSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().default(''),
  command: shellLines,
});
export type Script = z.infer<typeof ScriptSchema>;

export const AssetSchema = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    error: 'expected an asset name of letters, digits, dots, hyphens and underscores',
  }),
  /** Absolute, or relative to the mount of the app or lib that declares it (as in the original). */
  path: z.string().min(1, 'expected a path in the container'),
  required: z.boolean().default(true),
});
export type Asset = z.infer<typeof AssetSchema>;

const composeMap = z.record(z.string(), z.unknown());

export const SuiteSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().default(''),
  command: shellLines,
  default_args: z.union([z.string(), z.number()]).transform(String).optional(),
  services: names,
  compose: composeMap.default({}),
});
export type Suite = z.infer<typeof SuiteSchema>;

export const TestSpecSchema = z.looseObject({
  image: z.string().min(1).optional(),
  /** Pull `image` with the person's Docker credentials (docker login). */
  image_requires_login: z.boolean().default(false),
  build: z.string().min(1).optional(),
  once: shellLines.default([]),
  suites: z.array(SuiteSchema).default([]),
  compose: composeMap.default({}),
});
export type TestSpec = z.infer<typeof TestSpecSchema>;

export const AppSchema = z.looseObject({
  repo: z.string().min(1).optional(),
  mount: z.string().startsWith('/', 'expected an absolute path in the container').optional(),
  image: z.string().min(1).optional(),
  /** Pull `image` with the person's Docker credentials (docker login). */
  image_requires_login: z.boolean().default(false),
  build: z.string().min(1).optional(),
  depends: z
    .looseObject({ apps: names, services: names, libs: names })
    .default({ apps: [], services: [], libs: [] }),
  conditional_links: z
    .looseObject({ apps: names, services: names })
    .default({ apps: [], services: [] }),
  host_forwarding: z.array(HostForwardingSchema).default([]),
  commands: z
    .looseObject({ once: shellLines.default([]), always: shellLines.default([]) })
    .default({ once: [], always: [] }),
  scripts: z.array(ScriptSchema).default([]),
  assets: z.array(AssetSchema).default([]),
  compose: composeMap.default({}),
  test: TestSpecSchema.optional(),
});
export type App = z.infer<typeof AppSchema>;

export const LibSchema = z.looseObject({
  repo: z.string({ error: 'a lib needs a repo' }).min(1),
  mount: z.string({ error: 'a lib needs a mount' }).startsWith('/', 'expected an absolute path'),
  install: shellLines.default([]),
  depends: z.looseObject({ libs: names }).default({ libs: [] }),
  assets: z.array(AssetSchema).default([]),
  test: TestSpecSchema.optional(),
});
export type Lib = z.infer<typeof LibSchema>;

/** A service is a plain Compose service definition. */
export const ServiceSchema = composeMap;
export type Service = z.infer<typeof ServiceSchema>;

export const BundleSchema = z.looseObject({
  description: z.string().default(''),
  apps: names,
  services: names,
});
export type Bundle = z.infer<typeof BundleSchema>;

export const specKinds = ['bundles', 'apps', 'libs', 'services'] as const;
export type SpecKind = (typeof specKinds)[number];

/** Keys each kind knows, used to flag probable typos. */
export const knownKeys = {
  app: Object.keys(AppSchema.shape),
  lib: Object.keys(LibSchema.shape),
  bundle: Object.keys(BundleSchema.shape),
  hostForwarding: Object.keys(HostForwardingSchema.shape),
  script: Object.keys(ScriptSchema.shape),
  asset: Object.keys(AssetSchema.shape),
  test: Object.keys(TestSpecSchema.shape),
  suite: Object.keys(SuiteSchema.shape),
  depends: ['apps', 'services', 'libs'],
  conditionalLinks: ['apps', 'services'],
  commands: ['once', 'always'],
} as const;

/** One parsed spec with the file it came from (relative to the specs repo). */
export interface Spec<T> {
  name: string;
  file: string;
  spec: T;
}

/** A whole specs repo after parsing; maps are ordered by name. */
export interface Specs {
  bundles: Record<string, Spec<Bundle>>;
  apps: Record<string, Spec<App>>;
  libs: Record<string, Spec<Lib>>;
  services: Record<string, Spec<Service>>;
}

/** A problem found in the specs; `path` is a key path such as `depends.apps[0]`. */
export interface Problem {
  severity: 'error' | 'warning';
  file: string;
  path: string;
  message: string;
}

/** Formats a problem the way every Dusty surface prints it. */
export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.file}: ${p.path}` : p.file;
  return `${p.severity === 'error' ? 'error' : 'warning'}: ${where}: ${p.message}`;
}

/** Formats a zod issue path as `depends.apps[0]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
