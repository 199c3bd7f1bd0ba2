/**
 * The moderators' web console (fastify): server-rendered pages from templates/console/, a
 * sign-in for the configured moderators, sessions in SQLite, CSRF checks on every POST, and
 * strict security headers on every answer. No client code: the pages are forms and links.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type { Context } from '../context';
import { consoleSecureCookies, isLoopbackHost } from '../config';
import { isModerator, VerifySlots } from './auth';
import { allowedHosts, sameOrigin, tokenMatches } from './csrf';
import { loadRenderer, type Renderer } from './render';
import { findSession, takeFlash } from './sessions';
import { cookieValue, type ConsoleApp } from './app';
import { registerLogin, sessionCookie } from './pages/login';
import { registerPages } from './pages/views';
import { registerActions } from './pages/actions';

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Routes that answer without a session: the sign-in page and the stylesheet (HEAD is GET here). */
const PUBLIC = new Set(['GET /login', 'POST /login', 'GET /console.css']);

/** Where the console listens when console.listen is not set (tests build it without listening). */
const DEFAULT_LISTEN = { host: '127.0.0.1', port: 9466 } as const;

export interface ConsoleOptions {
  /** Mark the cookie Secure; default consoleSecureCookies(config) (config.ts). */
  secureCookies?: boolean;
  renderer?: Renderer;
  /** The address it listens on, for the Host check; default console.listen (port 0: the bound port). */
  listen?: { host: string; port: number };
  /** The password checks allowed at once (auth.ts MAX_VERIFICATIONS). */
  slots?: VerifySlots;
}

export function buildConsole(ctx: Context, opts: ConsoleOptions = {}): FastifyInstance {
  const { publicOrigin } = ctx.config.console;
  // Behind a reverse proxy on this machine (publicOrigin set), the client address is the one it
  // forwards (X-Forwarded-For), so that the sign-in limit per address is not one for everyone.
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    trustProxy: publicOrigin !== null ? ['127.0.0.1', '::1'] : false,
  });
  const renderer = opts.renderer ?? loadRenderer();
  const log = ctx.log.child({ stage: 'console' });
  const secureCookies = opts.secureCookies ?? consoleSecureCookies(ctx.config);
  const cookieName = secureCookies ? '__Host-embargo_console' : 'embargo_console';
  const listen = opts.listen ?? ctx.config.console.listen ?? DEFAULT_LISTEN;
  let hosts: Set<string> | undefined;
  const hostAllowed = (host: string | undefined): boolean => {
    if (!hosts) {
      const port = listen.port || (app.server.address() as AddressInfo | null)?.port;
      if (!port) return false;
      hosts = allowedHosts({ host: listen.host, port }, publicOrigin, isLoopbackHost(listen.host));
    }
    return host !== undefined && hosts.has(host.toLowerCase());
  };
  const consoleApp: ConsoleApp = {
    ctx,
    renderer,
    cookieName,
    secureCookies,
    html(req, reply, name, view, frame) {
      const session = req.consoleSession;
      const body = renderer.page(name, view, {
        title: frame.title ?? name,
        current: frame.current ?? name,
        moderator: session?.address ?? null,
        csrf: session?.csrfToken ?? null,
        flash: frame.flash ?? (session ? takeFlash(ctx.db, session) : null),
        listName: ctx.config.list.name,
      });
      return reply.type('text/html; charset=utf-8').send(body);
    },
  };

  app.decorateRequest('consoleSession', null);
  app.register(formbody);

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });

  // A Host the console does not go by is refused before anything else (DNS rebinding).
  app.addHook('onRequest', async (req, reply) => {
    if (hostAllowed(req.headers.host)) return;
    log.warn({ host: req.headers.host?.slice(0, 200) ?? null, ip: req.ip }, 'CONSOLE_HOST_REFUSED');
    return refuse(consoleApp, req, reply, 400, 'Refused', 'This console does not answer to that host name.');
  });

  // Every route but the sign-in page needs a live session of a configured moderator; every POST
  // comes from a page of this console; a signed-in POST carries the session's CSRF token.
  app.addHook('preHandler', async (req, reply) => {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = `${method} ${req.routeOptions.url ?? ''}`;
    if (method === 'POST' && !sameOrigin(req.headers, publicOrigin)) {
      log.warn({ route, origin: req.headers.origin ?? null }, 'CONSOLE_CSRF_REFUSED origin');
      return refuse(consoleApp, req, reply, 403, 'Refused', 'This form did not come from a page of this console.');
    }
    if (PUBLIC.has(route)) return;
    const session = findSession(ctx.db, cookieValue(req.headers.cookie, cookieName), ctx.clock());
    if (!session || !isModerator(ctx.config, session.address)) {
      if (method === 'GET') return reply.code(303).header('Location', '/login').send();
      // Signing out of a session that has ended: clear the cookie all the same.
      if (route === 'POST /logout')
        return reply
          .code(303)
          .header('Set-Cookie', sessionCookie(consoleApp, '', 0))
          .header('Location', '/login')
          .send();
      return refuse(consoleApp, req, reply, 403, 'Signed out', 'Your session has ended. Sign in again.');
    }
    if (
      req.method === 'POST' &&
      !tokenMatches(session.csrfToken, (req.body as Record<string, unknown> | undefined)?._csrf)
    ) {
      log.warn({ route, moderator: session.address }, 'CONSOLE_CSRF_REFUSED token');
      return refuse(
        consoleApp,
        req,
        reply,
        403,
        'Refused',
        'This form is stale or did not come from this console. Reload the page and try again.',
      );
    }
    req.consoleSession = session;
  });

  app.get('/console.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(renderer.css));
  app.get('/', async (_req, reply) => reply.code(303).header('Location', '/requests').send());
  registerLogin(app, consoleApp, opts.slots ?? new VerifySlots());
  registerPages(app, consoleApp);
  registerActions(app, consoleApp);

  app.setNotFoundHandler(async (req, reply) =>
    refuse(consoleApp, req, reply, 404, 'Not found', 'There is no such page.'),
  );
  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url }, `CONSOLE_ERROR ${err.message}`);
    return refuse(
      consoleApp,
      req,
      reply,
      status,
      'Error',
      status === 500 ? 'The console failed; the log says why.' : 'The request could not be read.',
    );
  });
  return app;
}

function refuse(
  app: ConsoleApp,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  heading: string,
  text: string,
) {
  reply.code(status);
  return app.html(req, reply, 'error', { heading, text }, { title: heading, flash: null });
}

export interface ConsoleEndpoint {
  port: number;
  close(): Promise<void>;
}

export async function startConsole(ctx: Context, listen: { host: string; port: number }): Promise<ConsoleEndpoint> {
  const app = buildConsole(ctx, { listen });
  await app.listen({ host: listen.host, port: listen.port });
  const { port } = app.server.address() as AddressInfo;
  return { port, close: () => app.close() };
}
