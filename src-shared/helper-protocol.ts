/**
 * The contract between Dusty (app and CLI, running as the person) and the
 * privileged helper (running as root). One JSON object per line on a Unix
 * socket. Both sides validate with these schemas, and the helper validates
 * again before touching anything: a request is data naming one of a few
 * operations, never a command or a path to write.
 */
import { z } from 'zod';

/** Bumped when a request or result shape changes incompatibly. */
export const HELPER_PROTOCOL_VERSION = 1;

/**
 * The helper's default paths, the one place they are written down. The
 * environment (DUSTY_SOCKET_PATH, DUSTY_HOSTS_FILE, DUSTY_EXPORTS_FILE,
 * DUSTY_HELPER_AUDIT_LOG) may move each one; tests do, a person rarely.
 */
export const HELPER_DEFAULTS = {
  socketPath: '/var/run/dusty/dusty.sock',
  hostsFile: '/etc/hosts',
  exportsFile: '/etc/exports',
  auditLog: '/var/log/dusty-helper.log',
  systemdUnit: 'dusty-helper.service',
  launchdLabel: 'com.dusty.helper',
} as const;

/** Where the helper listens unless DUSTY_SOCKET_PATH says otherwise. */
export const DEFAULT_HELPER_SOCKET = HELPER_DEFAULTS.socketPath;

/**
 * Where `dusty setup` installs the helper. On macOS it is the folder Apple
 * keeps for privileged helpers: /usr/local may have been handed to the user
 * by Homebrew, and root must not run code from a folder the user can change.
 */
export function defaultHelperInstallDir(platform: string): string {
  return platform === 'darwin'
    ? `/Library/PrivilegedHelperTools/${HELPER_DEFAULTS.launchdLabel}`
    : '/usr/local/lib/dusty-helper';
}

/** The unit (Linux) or plist (macOS) file `dusty setup` writes. */
export function defaultHelperUnitFile(platform: string): string {
  return platform === 'darwin'
    ? `/Library/LaunchDaemons/${HELPER_DEFAULTS.launchdLabel}.plist`
    : `/etc/systemd/system/${HELPER_DEFAULTS.systemdUnit}`;
}

/** Longest request line the helper reads before answering an error and hanging up. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Longest CA certificate `trust.install` takes (Dusty's is about 1 KB). */
export const MAX_CA_PEM_BYTES = 16 * 1024;

/** Most entries one apply may carry; Dusty's own apps stay far below this. */
export const MAX_ENTRIES = 512;

/** The marker lines around Dusty's section in /etc/hosts and /etc/exports. */
export const SECTION_BEGIN = '# BEGIN section for Dusty';
/** See {@link SECTION_BEGIN}. */
export const SECTION_END = '# END section for Dusty';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a DNS name: letters, digits, hyphens and dots, labels of 1-63, 253 at most. */
export function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);

/** True for a dotted-quad IPv4 literal without leading zeros. */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/** True for an IPv6 literal (with optional embedded IPv4 tail; no zone index). */
export function isIPv6(value: string): boolean {
  if (value.length < 2 || value.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(value)) return false;
  let text = value;
  const lastColon = text.lastIndexOf(':');
  // An embedded IPv4 tail stands for two groups.
  if (text.includes('.')) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | null => {
    if (part === '') return [];
    const list = part.split(':');
    return list.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? list : null;
  };
  const head = groups(halves[0] ?? '');
  if (head === null) return false;
  if (halves.length === 1) return head.length === 8;
  const tail = groups(halves[1] ?? '');
  if (tail === null) return false;
  return head.length + tail.length <= 7;
}

/** True for an IPv4 or IPv6 literal. */
export function isIpAddress(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/** True for an address, or an address with a /prefix that fits its family. */
export function isNfsClient(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return isIpAddress(value);
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (isIPv4(address)) return bits <= 32;
  if (isIPv6(address)) return bits <= 128;
  return false;
}

/** The four bytes of an IPv4 literal, or null. */
function ipv4Bytes(value: string): number[] | null {
  return isIPv4(value) ? value.split('.').map(Number) : null;
}

/** The sixteen bytes of an IPv6 literal, or null. */
function ipv6Bytes(value: string): number[] | null {
  if (!isIPv6(value)) return null;
  let text = value;
  let tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 tail: its four bytes end the address, after six groups.
    const lastColon = text.lastIndexOf(':');
    tail = ipv4Bytes(text.slice(lastColon + 1)) ?? [];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const words = tail.length ? 6 : 8;
  const front = groups(head);
  const back = rest === undefined ? [] : groups(rest);
  const middle = new Array<number>(words - front.length - back.length).fill(0);
  const all = [...front, ...middle, ...back];
  return [...all.flatMap((w) => [w >> 8, w & 0xff]), ...tail];
}

/** The kinds of address Dusty's names and exports may use: never a public one. */
export type LocalAddressKind = 'loopback' | 'private' | 'link-local' | 'unique-local';

function ipv4Kind(b: number[]): LocalAddressKind | null {
  const [a = -1, c = -1] = b;
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168)) return 'private';
  if (a === 169 && c === 254) return 'link-local';
  return null;
}

/**
 * What kind of local address `value` is: loopback (127.0.0.0/8, ::1),
 * private (RFC 1918), link-local (169.254.0.0/16, fe80::/10) or unique-local
 * IPv6 (fc00::/7); null for anything else (public, reserved, multicast).
 */
export function localAddressKind(value: string): LocalAddressKind | null {
  const v4 = ipv4Bytes(value);
  if (v4) return ipv4Kind(v4);
  const v6 = ipv6Bytes(value);
  if (!v6) return null;
  if (v6.slice(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return ipv4Kind(v6.slice(12));
  }
  if (v6.slice(0, 15).every((x) => x === 0) && v6[15] === 1) return 'loopback';
  const first = v6[0] ?? 0;
  if ((first & 0xfe) === 0xfc) return 'unique-local';
  if (first === 0xfe && ((v6[1] ?? 0) & 0xc0) === 0x80) return 'link-local';
  return null;
}

const LOCAL_RULE =
  'Dusty uses loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16), link-local (169.254/16, fe80::/10) or unique-local IPv6 (fc00::/7) addresses only';

/** Why a hosts entry's address is refused, naming the rule; null when it is acceptable. */
export function hostsAddressProblem(value: string): string | null {
  if (!isIpAddress(value)) return 'not an IPv4 or IPv6 address';
  if (localAddressKind(value) === null)
    return `${value} is a public or reserved address: ${LOCAL_RULE}`;
  return null;
}

/** Narrowest ranges an export may name: the VM's host-only network, never the world. */
export const MIN_NFS_PREFIX = { ipv4: 16, ipv6: 64 } as const;

/** Why an NFS client is refused, naming the rule; null when it is acceptable. */
export function nfsClientProblem(value: string): string | null {
  if (!isNfsClient(value)) return 'not an IP address or CIDR (address/prefix)';
  const [address = '', prefix] = value.split('/');
  if (localAddressKind(address) === null) {
    return `${address} is a public or reserved address: ${LOCAL_RULE}`;
  }
  const min = isIPv4(address) ? MIN_NFS_PREFIX.ipv4 : MIN_NFS_PREFIX.ipv6;
  if (prefix !== undefined && Number(prefix) < min) {
    return `/${prefix} is wider than /${min}: an export reaches one address or the VM's private network, no more`;
  }
  return null;
}

/**
 * Why an export path is unacceptable on its face, or null. Existence is the
 * helper's check; this is the shape: absolute, normalised, and free of
 * anything the exports file format treats specially.
 */
export function exportPathProblem(value: string): string | null {
  if (value.length === 0) return 'the path is empty';
  if (value.length > 1024) return 'the path is longer than 1024 characters';
  if (!value.startsWith('/')) return 'the path is not absolute';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'the path contains control characters';
  if (/\s/u.test(value)) return 'the path contains whitespace';
  if (/["\\#()]/.test(value)) return 'the path contains one of " \\ # ( )';
  if (value === '/') return 'the root directory cannot be exported';
  if (value.endsWith('/')) return 'the path ends with a slash';
  if (
    value
      .split('/')
      .slice(1)
      .some((seg) => seg === '' || seg === '.' || seg === '..')
  ) {
    return 'the path is not normalised (empty, "." or ".." segment)';
  }
  return null;
}

const hostname = z
  .string()
  .refine(isHostname, { message: 'not a DNS host name (letters, digits, hyphens, dots)' });
/** A zod string checked by a function that names its problem. */
const checked = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found !== null) ctx.addIssue({ code: 'custom', message: found });
  });
const ipAddress = checked(hostsAddressProblem);
const nfsClient = checked(nfsClientProblem);
const exportPath = checked(exportPathProblem);

/** One line of Dusty's hosts section: `IP HOSTNAME`. */
export const HostsEntrySchema = z.strictObject({ ip: ipAddress, hostname });
/** A validated hosts entry. */
export type HostsEntry = z.infer<typeof HostsEntrySchema>;

/** One export of Dusty's exports section; the options are the helper's own. */
export const ExportsEntrySchema = z.strictObject({ path: exportPath, client: nfsClient });
/** A validated exports entry. */
export type ExportsEntry = z.infer<typeof ExportsEntrySchema>;

const empty = z.strictObject({}).optional();

/** Parameters of each operation, by name. Nothing else is accepted. */
export const HelperParamsSchemas = {
  version: empty,
  'hosts.apply': z.strictObject({ entries: z.array(HostsEntrySchema).max(MAX_ENTRIES) }),
  'hosts.clear': empty,
  'exports.apply': z.strictObject({ entries: z.array(ExportsEntrySchema).max(MAX_ENTRIES) }),
  'exports.clear': empty,
  'engine.start': empty,
  /** Trust Dusty's local CA: the helper checks it is one (subject, name constraints). */
  'trust.install': z.strictObject({ pem: z.string().min(1).max(MAX_CA_PEM_BYTES) }),
  'trust.remove': empty,
  uninstall: empty,
} as const;

/** The operations the helper performs, and no others. */
export type HelperOp = keyof typeof HelperParamsSchemas;
/** Every operation name, for iteration and for `z.enum`. */
export const HELPER_OPS = Object.keys(HelperParamsSchemas) as HelperOp[];

/** The result of an operation that rewrote (or left alone) a file. */
export const FileChangeResultSchema = z.object({
  changed: z.boolean(),
  file: z.string(),
  entries: z.number().int(),
});

/** The result of a trust operation: the stores that hold (or held) the CA, and what was skipped. */
export const TrustResultSchema = z.object({
  stores: z.array(z.string()),
  skipped: z.array(z.string()),
});

/** Results, by operation. */
export const HelperResultSchemas = {
  version: z.object({
    version: z.string(),
    protocol: z.number().int(),
    platform: z.string(),
    pid: z.number().int(),
    ownerUid: z.number().int(),
    hostsFile: z.string(),
    exportsFile: z.string(),
  }),
  'hosts.apply': FileChangeResultSchema,
  'hosts.clear': FileChangeResultSchema,
  'exports.apply': FileChangeResultSchema.extend({
    /** Whether the NFS server was told to re-read its exports. */
    reloaded: z.boolean(),
    /** Why it was or was not (the sentence a person reads). */
    reloadDetail: z.string(),
  }),
  'exports.clear': FileChangeResultSchema.extend({
    reloaded: z.boolean(),
    reloadDetail: z.string(),
  }),
  'engine.start': z.object({
    alreadyRunning: z.boolean(),
    method: z.enum(['none', 'systemctl', 'dockerd', 'unsupported']),
    detail: z.string(),
  }),
  'trust.install': TrustResultSchema,
  'trust.remove': TrustResultSchema,
  uninstall: z.object({
    removed: z.array(z.string()),
  }),
} as const satisfies Record<HelperOp, z.ZodType>;

/** Params type of an operation. */
export type HelperParams<Op extends HelperOp> = z.input<(typeof HelperParamsSchemas)[Op]>;
/** Result type of an operation. */
export type HelperResult<Op extends HelperOp> = z.infer<(typeof HelperResultSchemas)[Op]>;

/** A request id: what the caller uses to pair answers with questions. */
export const RequestIdSchema = z.union([z.string().max(128), z.number().int().safe()]);

/** The envelope every request line must match before its params are read. */
export const HelperRequestEnvelopeSchema = z.strictObject({
  id: RequestIdSchema,
  op: z.enum(HELPER_OPS as [HelperOp, ...HelperOp[]]),
  params: z.unknown().optional(),
});

/** A request as sent on the wire. */
export type HelperRequest<Op extends HelperOp = HelperOp> = {
  id: string | number;
  op: Op;
  params?: HelperParams<Op>;
};

/** Error codes a response may carry. */
export const HelperErrorCodeSchema = z.enum([
  'bad_json',
  'bad_request',
  'invalid_params',
  'line_too_long',
  'forbidden',
  'file_error',
  'section_garbled',
  'engine_error',
  'unsupported',
  'internal',
]);
/** See {@link HelperErrorCodeSchema}. */
export type HelperErrorCode = z.infer<typeof HelperErrorCodeSchema>;

/** One response line. `id` is null when the request had no readable id. */
export const HelperResponseSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    id: RequestIdSchema.nullable(),
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.strictObject({
    id: RequestIdSchema.nullable(),
    ok: z.literal(false),
    error: z.strictObject({ code: HelperErrorCodeSchema, message: z.string() }),
  }),
]);
/** See {@link HelperResponseSchema}. */
export type HelperResponse = z.infer<typeof HelperResponseSchema>;
