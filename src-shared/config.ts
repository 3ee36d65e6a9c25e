/** Dusty's per-user configuration keys, shared by the CLI and the dashboard's Settings. */
import { z } from 'zod';

export const VM_PROVIDERS = ['auto', 'native', 'docker-machine', 'colima', 'remote'] as const;

export const ConfigSchema = z.object({
  /** A local folder or a git URL of the team's specs repo. */
  specs_repo: z.string().default(''),
  /** The router's image; any image with nginx and a POSIX sh. */
  nginx_image: z.string().min(1).default('nginx:stable'),
  /** Where the engine runs; `auto` detects it. */
  vm_provider: z.enum(VM_PROVIDERS).default('auto'),
  /** Pull managed repos on every `up` unless `--no-pull`. */
  pull_repos: z.boolean().default(true),
  /** Address the router publishes its ports on, when the provider does not decide. */
  publish_address: z.string().default(''),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

export const CONFIG_DESCRIPTIONS: Record<ConfigKey, string> = {
  specs_repo: 'the specs repo: a local folder or a git URL',
  nginx_image: "the router's image (nginx with a POSIX sh)",
  vm_provider: `where the engine runs: ${VM_PROVIDERS.join(', ')}`,
  pull_repos: 'pull managed repos on every up (true/false)',
  publish_address: 'address the router listens on (empty: the provider decides)',
};

/** Parses a value typed by a person for a config key. */
export function parseConfigValue(key: ConfigKey, raw: string): Config[ConfigKey] {
  const shape = ConfigSchema.shape[key];
  const value: unknown =
    key === 'pull_repos'
      ? (({ true: true, false: false } as Record<string, boolean>)[raw] ?? raw)
      : raw;
  const r = shape.safeParse(value);
  if (!r.success)
    throw new Error(
      `config ${key}: ${r.error.issues[0]?.message ?? 'invalid value'} (${CONFIG_DESCRIPTIONS[key]})`,
    );
  return r.data;
}
