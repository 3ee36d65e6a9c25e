import { Platform } from '../engine/platform.js';
import { Project } from '../engine/project.js';
import { defaultDustyHome, StateStore } from '../engine/state/store.js';

let project: Project | undefined;
let platform: Promise<Platform> | undefined;

/** The person's platform (engine provider), created once per command. */
export function getPlatform(): Promise<Platform> {
  platform ??= Platform.create(getProject().store);
  return platform;
}

/** The person's project, built once per command from DUSTY_HOME. */
export function getProject(): Project {
  project ??= new Project(new StateStore(defaultDustyHome()), async () =>
    (await getPlatform()).facts(),
  );
  return project;
}
