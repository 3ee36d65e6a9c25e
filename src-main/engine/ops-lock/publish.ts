/** An `up`'s events as published progress, for the front doors that did not start it. */
import type { UpEvent } from '../runtime/up.js';
import type { OpHandle } from './lock.js';

const LINES = 200;

export function publishUpEvent(handle: OpHandle, e: UpEvent): void {
  const p = handle.progress;
  const line = (s: string) => {
    const lines = [...p.lines, s];
    return lines.length > LINES ? lines.slice(-LINES) : lines;
  };
  switch (e.type) {
    case 'step':
      handle.publish({ step: e.message, lines: line(`» ${e.message}`) });
      break;
    case 'warning':
      handle.publish({ warnings: [...p.warnings, e.message] });
      break;
    case 'repo':
      handle.publish({ lines: line(`${e.event.action} ${e.event.repo}: ${e.event.status}`) });
      break;
    case 'pull':
      handle.publish({ lines: line(`image ${e.image}: ${e.status}`) });
      break;
    case 'compose':
      handle.publish({ lines: line(e.line) });
      break;
    case 'container': {
      const rest = p.containers.filter((c) => c.name !== e.name);
      handle.publish({
        containers: [...rest, { name: e.name, state: e.state, health: e.health }].sort((a, b) =>
          a.name.localeCompare(b.name),
        ),
      });
      break;
    }
  }
}
