/**
 * The web server is a doorway to shells in containers. These checks keep it
 * to this person's browser: loopback only, a random token per run on every
 * request and the WebSocket, and Host and Origin headers naming this server
 * (so a page on another site, or a DNS-rebound name, cannot drive it).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

/** True when the Host header names this server on loopback (no other name: DNS rebinding). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return LOOPBACK_NAMES.some((n) => host.toLowerCase() === `${n}:${port}`);
}

/** True when there is no Origin (not a browser page) or it is this server's own origin. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return LOOPBACK_NAMES.some((n) => origin.toLowerCase() === `http://${n}:${port}`);
}

/** Compares tokens in constant time. */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Content-Security-Policy of the dashboard page served on `port`. */
export function contentSecurityPolicy(port: number): string {
  const ws = LOOPBACK_NAMES.map((n) => `ws://${n}:${port}`).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
