/**
 * Which of the person's folders an engine's VM can see, so that `up` can say
 * "share this folder" before it starts containers on empty bind mounts.
 * Docker Desktop keeps its list in its settings file; Colima in its profile's
 * colima.yaml (`mounts`, the home folder when empty). The other engines share
 * what their containers need by default (OrbStack: every folder; a native
 * engine: the machine itself). File reads come in through {@link SharingDeps}.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { EngineKind } from '../../src-shared/config.js';

export interface SharingDeps {
  /** A file's text, or undefined when it does not exist. */
  readFile?: (path: string) => string | undefined;
  home?: string;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  /** The Colima profile the engine belongs to. */
  colimaProfile?: string;
  /** Resolves symlinks (macOS /tmp is /private/tmp); identity when the path is missing. */
  realpath?: (path: string) => string;
}

/** The folders an engine's VM shares, and the file that says so. */
export interface SharedFolders {
  folders: string[];
  /** The settings file read, or a note that the defaults apply. */
  source: string;
}

/** A folder the engine cannot see, and how to share it. */
export interface Unshared {
  folder: string;
  how: string;
}

const readText = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

function dockerDesktopFolders(d: Required<Omit<SharingDeps, 'colimaProfile'>>): SharedFolders {
  const files =
    d.platform === 'darwin'
      ? ['settings-store.json', 'settings.json'].map((f) =>
          join(d.home, 'Library', 'Group Containers', 'group.com.docker', f),
        )
      : ['settings-store.json', 'settings.json'].map((f) => join(d.home, '.docker', 'desktop', f));
  for (const file of files) {
    const text = d.readFile(file);
    if (text === undefined) continue;
    let settings: Record<string, unknown>;
    try {
      settings = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(
        `Docker Desktop's settings ${file} is not valid JSON: ${(e as Error).message}`,
        { cause: e },
      );
    }
    // Docker Desktop 4.34 renamed the key when it moved to settings-store.json.
    const list = settings.FilesharingDirectories ?? settings.filesharingDirectories;
    if (Array.isArray(list))
      return { folders: list.filter((x): x is string => typeof x === 'string'), source: file };
  }
  const defaults =
    d.platform === 'darwin' ? ['/Users', '/Volumes', '/private', '/tmp', '/var/folders'] : [d.home];
  return { folders: defaults, source: "Docker Desktop's defaults (no settings file found)" };
}

function colimaFolders(d: Required<SharingDeps>): SharedFolders {
  const root = d.env.COLIMA_HOME || join(d.home, '.colima');
  const file = join(root, d.colimaProfile, 'colima.yaml');
  const text = d.readFile(file);
  const defaults = { folders: [d.home, '/tmp/colima'], source: `Colima's defaults (${file})` };
  if (text === undefined) return { ...defaults, source: `Colima's defaults (no ${file})` };
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new Error(`Colima's configuration ${file} is not valid YAML: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const mounts = (doc as { mounts?: unknown } | null)?.mounts;
  if (!Array.isArray(mounts) || mounts.length === 0) return defaults;
  const folders = mounts.flatMap((m) => {
    const loc = (m as { location?: unknown } | null)?.location;
    return typeof loc === 'string' ? [expandHome(loc, d.home)] : [];
  });
  return { folders, source: file };
}

function withDefaults(deps: SharingDeps): Required<SharingDeps> {
  return {
    readFile: deps.readFile ?? readText,
    home: deps.home ?? homedir(),
    platform: deps.platform ?? process.platform,
    env: deps.env ?? process.env,
    colimaProfile: deps.colimaProfile ?? 'default',
    realpath:
      deps.realpath ??
      ((p) => {
        try {
          return realpathSync(p);
        } catch {
          return p;
        }
      }),
  };
}

/** The folders the engine's VM shares, or undefined when it sees every folder Dusty could use. */
export function sharedFolders(kind: EngineKind, deps: SharingDeps = {}): SharedFolders | undefined {
  const d = withDefaults(deps);
  if (kind === 'docker-desktop' && d.platform !== 'win32') return dockerDesktopFolders(d);
  if (kind === 'colima') return colimaFolders(d);
  return undefined;
}

const inside = (path: string, folder: string) =>
  path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);

function howToShare(
  kind: EngineKind,
  folder: string,
  shared: SharedFolders,
  d: Required<SharingDeps>,
) {
  const now = `shared now: ${shared.folders.join(', ') || 'nothing'} (${shared.source})`;
  if (kind === 'colima') {
    const file = join(d.env.COLIMA_HOME || join(d.home, '.colima'), d.colimaProfile, 'colima.yaml');
    return `add it to Colima's mounts in ${file}:\n    mounts:\n      - location: ${folder}\n        writable: true\n  then run \`colima restart${d.colimaProfile === 'default' ? '' : ` --profile ${d.colimaProfile}`}\` (listing mounts replaces the default home-folder mount, so list that too if you need it); ${now}`;
  }
  return `in Docker Desktop open Settings > Resources > File sharing, add ${folder} (or a folder above it) and press Apply & restart; ${now}`;
}

/** The folders of `paths` the engine cannot see, each with how to share it. */
export function unsharedFolders(
  kind: EngineKind,
  paths: string[],
  deps: SharingDeps = {},
): Unshared[] {
  const d = withDefaults(deps);
  const shared = sharedFolders(kind, d);
  if (!shared) return [];
  const folders = shared.folders.map((f) => expandHome(f, d.home));
  return [...new Set(paths)]
    .filter((p) => !folders.some((f) => inside(p, f) || inside(d.realpath(p), f)))
    .map((folder) => ({ folder, how: howToShare(kind, folder, shared, d) }));
}
