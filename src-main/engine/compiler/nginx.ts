/** The router's nginx configuration. */
import type { HostForwarding } from '../../../src-shared/specs/schema.js';

export interface Forward extends HostForwarding {
  app: string;
}

/** Where the router finds its config and the module-loading snippet. */
export const ROUTER_CONF_DIR = '/etc/dusty';
export const ROUTER_MODULES_CONF = '/tmp/dusty-modules.conf';
/** Where the router finds its certificate and key (a folder holding nothing else). */
export const ROUTER_TLS_DIR = '/etc/dusty-tls';

/** An http forwarding served over TLS, on this port. */
export interface TlsForward {
  forward: Forward;
  port: number;
}

/**
 * The http forwardings served over TLS: on `https_port` where given, else on
 * 443 for one on port 80. 443 is left plain-only when a forwarding already
 * uses it as a plain port (said in `skipped`).
 */
export function tlsForwards(forwards: Forward[]): { tls: TlsForward[]; skipped: Forward[] } {
  const plain = new Set(forwards.map((f) => f.host_port));
  const tls: TlsForward[] = [];
  const skipped: Forward[] = [];
  for (const f of forwards) {
    if (f.type !== 'http') continue;
    if (f.https_port !== undefined) tls.push({ forward: f, port: f.https_port });
    else if (f.host_port === 80) {
      if (plain.has(443)) skipped.push(f);
      else tls.push({ forward: f, port: 443 });
    }
  }
  const key = (t: TlsForward) => `${t.forward.host_name}:${t.port}`;
  // Two forwardings of one name on port 80 and 443 would be one server twice.
  const unique = [...new Map(tls.map((t) => [key(t), t])).values()];
  return {
    tls: unique.sort(
      (a, b) => a.port - b.port || a.forward.host_name.localeCompare(b.forward.host_name),
    ),
    skipped,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function downPage(f: Forward): string {
  return (
    `<!doctype html><title>${esc(f.app)} is not answering</title>` +
    `<h1>${esc(f.host_name)}: ${esc(f.app)} is not answering</h1>` +
    `<p>Dusty's router forwards this address to port ${f.container_port} of the container <b>${esc(f.app)}</b>, and nothing answered there.</p>` +
    `<p>See what it is doing: <code>dusty logs ${esc(f.app)}</code> &middot; its state: <code>dusty status</code> &middot; start it: <code>dusty up</code></p>`
  );
}

/** An nginx string literal (single-quoted, escaped). */
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The `location`s of one http server: forward to the app, or say it is not answering. */
function proxyLocations(f: Forward): string[] {
  return [
    '    location / {',
    `      set $dusty_upstream http://${f.app}:${f.container_port};`,
    '      proxy_pass $dusty_upstream;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Upgrade $http_upgrade;',
    '      proxy_set_header Connection $dusty_connection_upgrade;',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header X-Real-IP $remote_addr;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    '      proxy_intercept_errors off;',
    '      error_page 502 504 = @dusty_down;',
    '    }',
    '    location @dusty_down {',
    '      default_type text/html;',
    `      return 502 ${lit(downPage(f))};`,
    '    }',
  ];
}

/** The TLS servers: one certificate for every name; an unknown name's handshake is refused. */
function tlsServers(tls: TlsForward[]): string[] {
  if (!tls.length) return [];
  const lines = [
    '',
    `  ssl_certificate ${ROUTER_TLS_DIR}/cert.pem;`,
    `  ssl_certificate_key ${ROUTER_TLS_DIR}/key.pem;`,
    '  ssl_protocols TLSv1.2 TLSv1.3;',
    '  ssl_session_cache shared:dusty_tls:1m;',
  ];
  for (const port of [...new Set(tls.map((t) => t.port))]) {
    lines.push('', '  server {', `    listen ${port} ssl default_server;`);
    lines.push('    ssl_reject_handshake on;', '  }');
  }
  for (const { forward, port } of tls) {
    lines.push(
      '',
      '  server {',
      `    listen ${port} ssl;`,
      `    server_name ${forward.host_name};`,
    );
    lines.push(...proxyLocations(forward), '  }');
  }
  return lines;
}

/**
 * Builds nginx.conf from every forwarding of the running apps, sorted for
 * determinism; `tls` lists the forwardings also served over TLS.
 */
export function buildNginxConf(forwards: Forward[], tls: TlsForward[] = []): string {
  const http = forwards
    .filter((f) => f.type === 'http')
    .sort((a, b) => a.host_port - b.host_port || a.host_name.localeCompare(b.host_name));
  const stream = forwards
    .filter((f) => f.type === 'stream')
    .sort((a, b) => a.host_port - b.host_port);
  const lines: string[] = [
    '# Written by Dusty; changes are overwritten by the next `dusty up`.',
    'worker_processes 1;',
    'error_log stderr warn;',
    'pid /tmp/nginx.pid;',
  ];
  // Debian builds the stream module as a dynamic module, other images build it
  // in; the router's command writes the load_module line only where needed.
  if (stream.length) lines.push(`include ${ROUTER_MODULES_CONF};`);
  lines.push('events { worker_connections 4096; }', '', 'http {');
  lines.push(
    '  access_log off;',
    '  client_body_temp_path /tmp/nginx-body;',
    '  proxy_temp_path /tmp/nginx-proxy;',
    // Docker's embedded DNS; names resolve when a request comes, so the router
    // starts (and keeps serving the others) while an app is down. A stopped
    // app's name is passed on to the host's DNS, which may be slow or offline:
    // its "not answering" page must not wait for nginx's 30 s default.
    '  resolver 127.0.0.11 valid=2s ipv6=off;',
    '  resolver_timeout 3s;',
    // Apps are containers on this network, so a connection is made at once or
    // never. Just after an app stops, its old address stays cached for up to
    // 2 s and the connection hangs (14 s measured) instead of failing: give up
    // quickly and show the "not answering" page.
    '  proxy_connect_timeout 2s;',
    '  client_max_body_size 1g;',
    '  proxy_read_timeout 1h;',
    '  proxy_send_timeout 1h;',
    "  map $http_upgrade $dusty_connection_upgrade { default upgrade; '' close; }",
  );
  const ports = [...new Set(http.map((f) => f.host_port))];
  for (const port of ports) {
    lines.push('', `  server {`, `    listen ${port} default_server;`, '    return 404;', '  }');
  }
  for (const f of http) {
    lines.push('', '  server {', `    listen ${f.host_port};`, `    server_name ${f.host_name};`);
    lines.push(...proxyLocations(f), '  }');
  }
  lines.push(...tlsServers(tls), '}');
  if (stream.length) {
    lines.push(
      '',
      'stream {',
      '  resolver 127.0.0.11 valid=2s ipv6=off;',
      '  resolver_timeout 3s;',
      '  proxy_connect_timeout 2s;',
    );
    for (const f of stream) {
      lines.push(
        '  server {',
        `    listen ${f.host_port};`,
        `    set $dusty_upstream ${f.app}:${f.container_port};`,
        '    proxy_pass $dusty_upstream;',
        '  }',
      );
    }
    lines.push('}');
  }
  return lines.join('\n') + '\n';
}

/** The router container's command: load the stream module where it is separate, then run nginx. */
export function routerCommand(): string[] {
  const script = [
    `: > ${ROUTER_MODULES_CONF}`,
    'for m in /usr/lib/nginx/modules/ngx_stream_module.so /usr/lib64/nginx/modules/ngx_stream_module.so /etc/nginx/modules/ngx_stream_module.so; do',
    `  if [ -f "$m" ]; then echo "load_module $m;" > ${ROUTER_MODULES_CONF}; break; fi`,
    'done',
    `exec nginx -c ${ROUTER_CONF_DIR}/nginx.conf -g 'daemon off;'`,
  ].join('\n');
  return ['/bin/sh', '-c', script];
}
