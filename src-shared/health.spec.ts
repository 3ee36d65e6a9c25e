import { describe, expect, it } from 'vitest';
import { classifyHealth, type HealthContainer, type UrlCheck } from './health.js';

const c = (name: string, state = 'running', health: string | null = null): HealthContainer => ({
  name,
  kind: name === 'dusty-router' ? 'router' : 'app',
  state,
  health,
});
const url = (app: string, u: string, ok = true, status: number | null = 200): UrlCheck => ({
  app,
  url: u,
  ok,
  status,
  ms: 3,
  at: 0,
});
const stack = (web = 'running', api = 'running') => [
  c('web', web),
  c('api', api),
  c('dusty-router'),
];
const urls = [url('web', 'http://web.test'), url('api', 'http://api.test')];
const expectedUrls = urls.map((u) => u.url);

describe('classifyHealth', () => {
  it('is green only when every container runs and every URL answers', () => {
    const h = classifyHealth({ containers: stack(), urls, expectedUrls });
    expect(h).toEqual({
      level: 'green',
      word: 'healthy',
      summary: '3 running, 2 URLs answering',
      broken: [],
    });
  });

  it('is red, naming the container, when one was killed (not "3 of 4 running" in green)', () => {
    const h = classifyHealth({ containers: stack('exited'), urls, expectedUrls });
    expect(h.level).toBe('red');
    expect(h.summary).toBe('web stopped unexpectedly');
    expect(h.broken).toEqual(['web']);
  });

  it('is red when a URL of a running app stops answering', () => {
    const h = classifyHealth({
      containers: stack(),
      urls: [url('web', 'http://web.test', false, 502), urls[1]!],
      expectedUrls,
    });
    expect(h).toMatchObject({ level: 'red', broken: ['http://web.test'] });
    expect(h.summary).toBe('http://web.test does not answer');
  });

  it('names every broken thing at once', () => {
    const h = classifyHealth({
      containers: [c('web', 'dead'), c('api', 'running', 'unhealthy'), c('db', 'exited')],
      urls: [],
    });
    expect(h.summary).toBe('web and db stopped unexpectedly; api is unhealthy');
    expect(h.broken).toEqual(['web', 'db', 'api']);
  });

  it('does not blame the URL of a stopped app twice', () => {
    const h = classifyHealth({
      containers: stack('exited'),
      urls: [url('web', 'http://web.test', false, 502), urls[1]!],
      expectedUrls,
    });
    expect(h.broken).toEqual(['web']);
  });

  it('is amber while an operation runs or something starts', () => {
    expect(
      classifyHealth({
        containers: stack('exited'),
        urls,
        operation: { kind: 'up', status: 'running' },
      }),
    ).toEqual({ level: 'amber', word: 'starting', summary: 'up in progress', broken: [] });
    expect(
      classifyHealth({ containers: [c('web', 'running', 'starting'), c('api')], urls: [] }),
    ).toMatchObject({ level: 'amber', summary: 'web is starting' });
    expect(classifyHealth({ containers: [c('web', 'restarting')], urls: [] }).level).toBe('amber');
    // A created container's process has not started: starting, not running.
    expect(classifyHealth({ containers: [c('web', 'created'), c('api')], urls: [] })).toMatchObject(
      { level: 'amber', summary: 'web is starting' },
    );
  });

  it('is amber until every URL has answered once', () => {
    const h = classifyHealth({ containers: stack(), urls: [urls[0]!], expectedUrls });
    expect(h).toMatchObject({ level: 'amber', summary: 'checking http://api.test' });
  });

  it('is not red for a container stopped on purpose, but not green either', () => {
    const h = classifyHealth({
      containers: stack('exited'),
      urls: [urls[1]!],
      expectedUrls: [urls[1]!.url],
      stoppedOnPurpose: new Set(['web']),
    });
    expect(h).toMatchObject({
      level: 'amber',
      word: 'partial',
      summary: '2 of 3 running; web is stopped',
    });
  });

  it('is grey when nothing runs, whether never started or stopped on purpose', () => {
    const never = [c('web', 'not created'), c('dusty-router', 'not created')];
    expect(classifyHealth({ containers: never, urls: [] }).level).toBe('grey');
    expect(
      classifyHealth({
        containers: stack('exited', 'exited').map((x) => ({ ...x, state: 'exited' })),
        urls: [],
        stoppedOnPurpose: new Set(['web', 'api', 'dusty-router']),
      }),
    ).toEqual({ level: 'grey', word: 'stopped', summary: 'nothing is running', broken: [] });
  });
});
