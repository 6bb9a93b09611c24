import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Why lab pages need a link of their own: the proxy's answers are sandboxed (an opaque origin),
 * so the browser treats every request a lab page makes — its stylesheets, images, scripts,
 * fetches, form posts — as cross-site and sends no SameSite=Lax session cookie with it. Only the
 * first, top-level navigation carries the cookie. That one is answered with a redirect to
 * `/lab-sessions/<link>/…`: the link names one viewer, their session and one component port, is
 * signed, and expires (after an hour, or when that session ends: logout); relative URLs in the
 * page keep it. Each request through it is authorized again.
 */
export interface LabLink {
  deploymentId: string;
  userId: string;
  component: string;
  port: number;
  /** The viewer, whose access is checked on every request. */
  viewerId: string;
  /**
   * The viewer's session (its store key: the sha256 of the cookie, never the cookie itself). A
   * link works only while that session does: a logout ends the viewer's lab links too.
   */
  sessionId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export const LAB_LINK_TTL_MS = 60 * 60_000;

export class LabLinkSigner {
  // Per process: a restart invalidates links, and the next top-level navigation (which has the
  // session cookie) gets a fresh one.
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  sign(link: Omit<LabLink, 'expiresAt'>, now = Date.now(), ttlMs = LAB_LINK_TTL_MS): string {
    const body = Buffer.from(
      JSON.stringify([
        link.deploymentId,
        link.userId,
        link.component,
        link.port,
        link.viewerId,
        link.sessionId,
        now + ttlMs,
      ]),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The link, or undefined when it is forged, malformed or (unless `allowExpired`) expired. */
  verify(token: string, now = Date.now(), allowExpired = false): LabLink | undefined {
    // Exactly `body.mac`: anything after a second dot would otherwise ride along unsigned.
    const parts = token.split('.');
    if (parts.length !== 2) return undefined;
    const [body, mac] = parts as [string, string];
    if (!body || !mac) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const fields: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (!Array.isArray(fields) || fields.length !== 7) return undefined;
      const [deploymentId, userId, component, port, viewerId, sessionId, expiresAt] = fields as unknown[];
      if (
        typeof deploymentId !== 'string' ||
        typeof userId !== 'string' ||
        typeof component !== 'string' ||
        typeof port !== 'number' ||
        typeof viewerId !== 'string' ||
        typeof sessionId !== 'string' ||
        typeof expiresAt !== 'number'
      )
        return undefined;
      if (!allowExpired && expiresAt <= now) return undefined;
      return { deploymentId, userId, component, port, viewerId, sessionId, expiresAt };
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
