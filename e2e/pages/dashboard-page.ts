/** Page objects for the dashboard: every control is found by its role and accessible name. */
import type { Locator, Page } from 'playwright-core';

export type ViewName = 'Bundles' | 'Containers' | 'Logs' | 'Terminal' | 'Repos' | 'Settings';

export class DashboardPage {
  readonly bundles: BundlesView;
  readonly containers: ContainersView;
  readonly logs: LogsView;
  readonly terminal: TerminalView;
  readonly operation: OperationPanel;

  constructor(readonly page: Page) {
    this.bundles = new BundlesView(page);
    this.containers = new ContainersView(page);
    this.logs = new LogsView(page);
    this.terminal = new TerminalView(page);
    this.operation = new OperationPanel(page);
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('tablist', { name: 'Views' }).waitFor();
  }

  async show(view: ViewName): Promise<void> {
    await this.page.getByRole('tab', { name: view, exact: true }).click();
    await this.page.getByRole('tabpanel', { name: view }).waitFor();
  }

  up(): Locator {
    return this.page.getByRole('button', { name: 'Up', exact: true });
  }

  stop(): Locator {
    return this.page.getByRole('button', { name: 'Stop', exact: true });
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path });
  }
}

export class BundlesView {
  constructor(private readonly page: Page) {}
  switch(bundle: string): Locator {
    return this.page.getByRole('switch', { name: bundle, exact: true });
  }
  async setActive(bundle: string, on: boolean): Promise<void> {
    const sw = this.switch(bundle);
    if ((await sw.getAttribute('aria-checked')) !== String(on)) await sw.click();
    await this.page.waitForFunction(
      ([name, want]) =>
        document
          .querySelector(`[role=switch][aria-label="${name}"]`)
          ?.getAttribute('aria-checked') === want,
      [bundle, String(on)] as const,
    );
  }
}

export class OperationPanel {
  constructor(private readonly page: Page) {}
  region(): Locator {
    return this.page.getByRole('region', { name: 'Operation progress' });
  }
  failure(): Locator {
    return this.region().getByRole('alert');
  }
  /** The id of the operation shown (0 when none). */
  async current(): Promise<number> {
    if (!(await this.region().count())) return 0;
    return Number(await this.region().getAttribute('data-operation'));
  }
  /** Clicks a button that starts an operation, waits until that operation ends, and says how. */
  async run(button: Locator, timeout = 150_000): Promise<'succeeded' | 'failed'> {
    const before = await this.current();
    await button.click();
    await this.page.waitForFunction(
      (prev) => {
        const el = document.querySelector('[aria-label="Operation progress"]');
        return (
          !!el &&
          Number(el.getAttribute('data-operation')) > prev &&
          el.getAttribute('data-status') !== 'running'
        );
      },
      before,
      { timeout },
    );
    return (await this.region().getAttribute('data-status')) as 'succeeded' | 'failed';
  }
}

export class ContainersView {
  constructor(private readonly page: Page) {}
  table(): Locator {
    return this.page.getByRole('table', { name: 'Containers' });
  }
  row(name: string): Locator {
    return this.table().getByRole('row', { name, exact: true });
  }
  async state(name: string): Promise<string> {
    return (await this.row(name).getAttribute('data-state')) ?? '';
  }
  /** Resolves when the row shows the state, with the time it took. */
  async waitForState(name: string, state: string, timeout = 30_000): Promise<void> {
    await this.page.waitForFunction(
      ([n, s]) => {
        const rows = document.querySelectorAll('table[aria-label="Containers"] tbody tr');
        return [...rows].some(
          (r) => r.getAttribute('aria-label') === n && r.getAttribute('data-state') === s,
        );
      },
      [name, state] as const,
      { timeout, polling: 'raf' },
    );
  }
  action(
    name: string,
    action: 'Logs of' | 'Shell in' | 'Scripts of' | 'Restart' | 'Stop',
  ): Locator {
    return this.page.getByRole('button', { name: `${action} ${name}`, exact: true });
  }
}

export class LogsView {
  constructor(private readonly page: Page) {}
  lines(): Locator {
    return this.page.getByRole('log', { name: 'Log lines' });
  }
  search(): Locator {
    return this.page.getByRole('searchbox', { name: 'Search logs' });
  }
  follow(name: string): Locator {
    return this.page.getByRole('checkbox', { name: `Follow ${name}` });
  }
  async received(): Promise<number> {
    return Number(await this.lines().getAttribute('data-received'));
  }
}

export class TerminalView {
  constructor(private readonly page: Page) {}
  pane(title: string): Locator {
    return this.page.getByRole('region', { name: `Terminal ${title}` });
  }
  tab(title: string): Locator {
    return this.page
      .getByRole('tablist', { name: 'Terminals' })
      .getByRole('tab', { name: title, exact: true });
  }
  /** The text xterm shows in a pane. */
  async text(title: string): Promise<string> {
    return (await this.pane(title).locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
  }
  async type(title: string, text: string): Promise<void> {
    await this.pane(title).locator('.xterm-helper-textarea').focus();
    await this.page.keyboard.type(text);
  }
}
