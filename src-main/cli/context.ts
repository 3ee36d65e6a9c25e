import { Project } from '../engine/project.js';
import { defaultDustyHome, StateStore } from '../engine/state/store.js';

let project: Project | undefined;

/** The person's project, built once per command from DUSTY_HOME. */
export function getProject(): Project {
  project ??= new Project(new StateStore(defaultDustyHome()));
  return project;
}
