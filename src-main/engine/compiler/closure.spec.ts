/**
 * The bundle closure on its own: what a set of active bundles brings in.
 * (compiler.spec.ts checks how the compiled project uses it.)
 */
import { describe, expect, it } from 'vitest';
import type { SpecKind, Specs } from '../../../src-shared/specs/schema.js';
import { parseSpecText } from '../specs/load.js';
import { validateSpecs } from '../specs/validate.js';
import { computeClosure } from './closure.js';

/** Specs from `kind/name.yml` texts, as the loader reads them (problems are not this file's concern). */
function specsFrom(files: Record<string, string>): Specs {
  return validateSpecs(
    Object.entries(files).map(([file, text]) =>
      parseSpecText(file.slice(0, file.indexOf('/')) as SpecKind, file, text),
    ),
  ).specs;
}

const STACK = {
  'bundles/web.yml': 'apps: [web]\nservices: [cache]\n',
  'bundles/jobs.yml': 'apps: [worker]\n',
  'bundles/tools.yml': 'apps: [admin]\n',
  // web -> api -> auth, each with its services; web's libs bring their own libs.
  'apps/web.yml':
    'image: x\ndepends: {apps: [api], libs: [ui]}\nconditional_links: {apps: [worker], services: [search]}\n',
  'apps/api.yml': 'image: x\ndepends: {apps: [auth], services: [db]}\n',
  'apps/auth.yml': 'image: x\ndepends: {services: [sessions], libs: [crypto]}\n',
  'apps/worker.yml': 'image: x\ndepends: {services: [db, queue]}\n',
  'apps/admin.yml': 'image: x\n',
  'services/cache.yml': 'image: s\n',
  'services/db.yml': 'image: s\n',
  'services/sessions.yml': 'image: s\n',
  'services/queue.yml': 'image: s\n',
  'services/search.yml': 'image: s\n',
  'libs/ui.yml': 'repo: /r/ui\nmount: /ui\ndepends: {libs: [theme]}\n',
  'libs/theme.yml': 'repo: /r/theme\nmount: /theme\ndepends: {libs: [tokens]}\n',
  'libs/tokens.yml': 'repo: /r/tokens\nmount: /tokens\n',
  'libs/crypto.yml': 'repo: /r/crypto\nmount: /crypto\n',
};

describe('the bundle closure', () => {
  it('follows an active bundle to its apps and services, and on through depends transitively', () => {
    expect(computeClosure(specsFrom(STACK), ['web'])).toEqual({
      apps: ['api', 'auth', 'web'],
      services: ['cache', 'db', 'sessions'],
      libs: ['crypto', 'theme', 'tokens', 'ui'],
    });
  });

  it('does not follow conditional_links: a linked app or service runs only when something else brings it', () => {
    const alone = computeClosure(specsFrom(STACK), ['web']);
    expect(alone.apps).not.toContain('worker');
    expect(alone.services).not.toContain('search');
    const withJobs = computeClosure(specsFrom(STACK), ['web', 'jobs']);
    expect(withJobs.apps).toContain('worker');
    // worker brings its own depends (queue), but web's conditional link to search still adds nothing.
    expect(withJobs.services).toEqual(['cache', 'db', 'queue', 'sessions']);
  });

  it('unites several bundles, naming each member once, sorted, and leaves inactive bundles out', () => {
    const c = computeClosure(specsFrom(STACK), ['jobs', 'web', 'jobs']);
    expect(c.apps).toEqual(['api', 'auth', 'web', 'worker']);
    expect(c.services).toEqual(['cache', 'db', 'queue', 'sessions']);
    expect(c.apps).not.toContain('admin');
    expect(computeClosure(specsFrom(STACK), [])).toEqual({ apps: [], services: [], libs: [] });
  });

  it('ends on a dependency cycle among apps or libs, with every member once', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [a]\n',
      'apps/a.yml': 'image: x\ndepends: {apps: [b]}\n',
      'apps/b.yml': 'image: x\ndepends: {apps: [a], libs: [l1]}\n',
      'libs/l1.yml': 'repo: /r/l1\nmount: /l1\ndepends: {libs: [l2]}\n',
      'libs/l2.yml': 'repo: /r/l2\nmount: /l2\ndepends: {libs: [l1]}\n',
    });
    expect(computeClosure(specs, ['b'])).toEqual({
      apps: ['a', 'b'],
      services: [],
      libs: ['l1', 'l2'],
    });
  });

  it('skips names no spec defines (the validator reports them) and a bundle that is gone', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [a, ghost]\nservices: [nosvc]\n',
      'apps/a.yml': 'image: x\ndepends: {apps: [ghost2], services: [nosvc2], libs: [nolib]}\n',
    });
    expect(computeClosure(specs, ['gone', 'b'])).toEqual({ apps: ['a'], services: [], libs: [] });
  });
});
