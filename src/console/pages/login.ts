/** GET/POST /login and POST /logout. The failure text never tells whether an account exists. */
import type { FastifyInstance } from 'fastify';
import { appendAudit } from '../../store/audit';
import { checkLogin, LOCKOUT_FAILURES, LOCKOUT_MINUTES } from '../auth';
import type { ConsoleApp } from '../app';
import { createSession, deleteSession, findSession } from '../sessions';
import { cookieValue } from '../app';

export const LOGIN_WRONG = 'The address or the password is wrong.';
export const LOGIN_LOCKED = `Signing in with this address is paused: ${LOCKOUT_FAILURES} failed attempts within ${LOCKOUT_MINUTES} minutes. Try again in ${LOCKOUT_MINUTES} minutes.`;

export function registerLogin(app: FastifyInstance, c: ConsoleApp): void {
  const { ctx } = c;
  const log = ctx.log.child({ stage: 'console' });
  const cookie = (value: string, maxAge: number) =>
    `${c.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${c.secureCookies ? '; Secure' : ''}`;

  app.get('/login', async (req, reply) => {
    if (findSession(ctx.db, cookieValue(req.headers.cookie, c.cookieName), ctx.clock()))
      return reply.code(303).header('Location', '/requests').send();
    return c.html(req, reply, 'login', { address: '' }, { title: 'Sign in', flash: null });
  });

  app.post('/login', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const address = typeof body.address === 'string' ? body.address : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const now = ctx.clock();
    const result = checkLogin(ctx.db, ctx.config, address, password, now);
    if (!result.ok) {
      log.warn({ why: result.why }, `CONSOLE_LOGIN_FAILED ${result.why}`);
      reply.code(result.why === 'locked' ? 429 : 401);
      return c.html(
        req,
        reply,
        'login',
        { address: address.slice(0, 320), error: result.why === 'locked' ? LOGIN_LOCKED : LOGIN_WRONG },
        { title: 'Sign in', flash: null },
      );
    }
    const { id } = createSession(ctx.db, result.address, now, ctx.config.console.sessionHours);
    appendAudit(ctx.db, {
      at: now.toISOString(),
      actor: result.address,
      action: 'console.sign-in',
      detail: { via: 'console' },
    });
    log.info({ moderator: result.address }, `CONSOLE_LOGIN ${result.address}`);
    return reply
      .code(303)
      .header('Set-Cookie', cookie(id, Math.round(ctx.config.console.sessionHours * 3600)))
      .header('Location', '/requests')
      .send();
  });

  app.post('/logout', async (req, reply) => {
    if (req.consoleSession) deleteSession(ctx.db, req.consoleSession);
    return reply.code(303).header('Set-Cookie', cookie('', 0)).header('Location', '/login').send();
  });
}
