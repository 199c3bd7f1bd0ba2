/**
 * What the console's page handlers share with its server (console/server.ts builds it): the
 * context, the renderer and the helpers bound to one console; the cookie reader.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context';
import type { Frame, PageName, Renderer } from './render';
import type { Session } from './sessions';

/** What every page handler gets: the context, the renderer and the helpers bound to this console. */
export interface ConsoleApp {
  ctx: Context;
  renderer: Renderer;
  cookieName: string;
  secureCookies: boolean;
  /** Renders a page in the layout for the signed-in moderator of `req` (or none). */
  html(
    req: FastifyRequest,
    reply: FastifyReply,
    name: PageName,
    view: Record<string, unknown>,
    frame: Partial<Frame>,
  ): FastifyReply;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: Session | null;
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
