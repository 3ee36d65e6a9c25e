import type { Specs } from '../../../src-shared/specs/schema.js';

/** What the active bundles need, in a stable order. */
export interface Closure {
  apps: string[];
  services: string[];
  libs: string[];
}

/**
 * Follows the active bundles through `depends` (apps, services, libs and the
 * libs' own libs). `conditional_links` never add anything. Unknown names are
 * skipped: the validator reports them.
 */
export function computeClosure(specs: Specs, activeBundles: readonly string[]): Closure {
  const apps = new Set<string>();
  const services = new Set<string>();
  const libs = new Set<string>();
  const addLib = (name: string) => {
    const lib = specs.libs[name];
    if (!lib || libs.has(name)) return;
    libs.add(name);
    lib.spec.depends.libs.forEach(addLib);
  };
  const addApp = (name: string) => {
    const app = specs.apps[name];
    if (!app || apps.has(name)) return;
    apps.add(name);
    app.spec.depends.apps.forEach(addApp);
    for (const s of app.spec.depends.services) if (s in specs.services) services.add(s);
    app.spec.depends.libs.forEach(addLib);
  };
  for (const b of activeBundles) {
    const bundle = specs.bundles[b];
    if (!bundle) continue;
    bundle.spec.apps.forEach(addApp);
    for (const s of bundle.spec.services) if (s in specs.services) services.add(s);
  }
  return { apps: [...apps].sort(), services: [...services].sort(), libs: [...libs].sort() };
}

/** The libs an app installs, transitively, each after the libs it depends on. */
export function libsInInstallOrder(specs: Specs, direct: readonly string[]): string[] {
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (done.has(name) || visiting.has(name) || !specs.libs[name]) return;
    visiting.add(name);
    specs.libs[name].spec.depends.libs.forEach(visit);
    done.add(name);
  };
  direct.forEach(visit);
  // A Set keeps insertion order, which is the install order.
  return [...done];
}
