/**
 * Dusty's per-user configuration keys, listed once: each key's schema, its
 * meaning and its label. The CLI, the dashboard's Settings and the contract
 * all derive from this table.
 */
import { z } from 'zod';

/** The kinds of Docker engine Dusty knows: where it runs, how it starts, how code reaches it. */
export const ENGINE_KINDS = [
  'native',
  'docker-desktop',
  'orbstack',
  'rancher-desktop',
  'podman',
  'colima',
  'docker-machine',
  'remote',
] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** `auto` follows the engine the docker CLI uses; the others are the engine kinds. */
export const VM_PROVIDERS = ['auto', ...ENGINE_KINDS] as const;

const CONFIG_FIELDS = {
  specs_repo: {
    schema: z.string().default(''),
    description: 'the specs repo: a local folder or a git URL',
    label: 'Specs repo',
  },
  nginx_image: {
    // Any image with nginx and a POSIX sh.
    schema: z.string().min(1).default('nginx:stable'),
    description: "the router's image (nginx with a POSIX sh)",
    label: 'Router image',
  },
  vm_provider: {
    schema: z.enum(VM_PROVIDERS).default('auto'),
    description: `where the engine runs: ${VM_PROVIDERS.join(', ')}`,
    label: 'Engine provider',
  },
  pull_repos: {
    schema: z.boolean().default(true),
    description: 'pull managed repos on every up (true/false)',
    label: 'Pull repos on Up',
  },
  publish_address: {
    schema: z.string().default(''),
    description: 'address the router listens on (empty: the provider decides)',
    label: 'Publish address',
  },
  remote_dir: {
    schema: z.string().default(''),
    description:
      'remote engine only: folder on its host that code is copied to (empty: ~/.dusty-remote/PROJECT)',
    label: 'Remote code folder',
  },
  vm_memory_size: {
    // Imported from an original install's config (`dusty config import`).
    schema: z
      .string()
      .regex(/^(\d+)?$/, 'expected a number of megabytes')
      .default(''),
    description:
      "memory in MB for the VM Dusty creates or starts (docker-machine, Colima, Rancher Desktop, OrbStack, Podman; empty: the tool's own setting)",
    label: 'VM memory (MB)',
  },
  https: {
    // Every http forwarding over TLS too, with certificates from Dusty's local CA.
    schema: z.boolean().default(true),
    description: 'serve http forwardings over TLS too, from a local CA (true/false)',
    label: 'HTTPS',
  },
} as const;

type Fields = typeof CONFIG_FIELDS;
export type ConfigKey = keyof Fields;

export const ConfigSchema = z.object(
  Object.fromEntries(Object.entries(CONFIG_FIELDS).map(([k, f]) => [k, f.schema])) as {
    [K in ConfigKey]: Fields[K]['schema'];
  },
);
export type Config = z.infer<typeof ConfigSchema>;

/** Every config key, in the order the CLI and the Settings view list them. */
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as [ConfigKey, ...ConfigKey[]];

const pick = <P extends 'description' | 'label'>(prop: P) =>
  Object.fromEntries(
    CONFIG_KEYS.map((k): [string, string] => [k, CONFIG_FIELDS[k][prop]]),
  ) as Record<ConfigKey, string>;

export const CONFIG_DESCRIPTIONS: Record<ConfigKey, string> = pick('description');
/** Short names for a form. */
export const CONFIG_LABELS: Record<ConfigKey, string> = pick('label');

export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_FIELDS, key);
}

/** Parses a value typed by a person for a config key. */
export function parseConfigValue(key: ConfigKey, raw: string): Config[ConfigKey] {
  const shape = ConfigSchema.shape[key];
  const value: unknown =
    key === 'pull_repos' || key === 'https'
      ? (({ true: true, false: false } as Record<string, boolean>)[raw] ?? raw)
      : raw;
  const r = shape.safeParse(value);
  if (!r.success)
    throw new Error(
      `config ${key}: ${r.error.issues[0]?.message ?? 'invalid value'} (${CONFIG_DESCRIPTIONS[key]})`,
    );
  return r.data;
}
