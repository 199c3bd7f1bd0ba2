/** GET/POST /login and POST /logout. The failure text never tells whether an account exists. */
import type { FastifyInstance } from 'fastify';
import { appendAudit } from '../../store/audit';
import { checkLogin, LOCKOUT_FAILURES, LOCKOUT_MINUTES, type LoginFailure, type VerifySlots } from '../auth';
import type { ConsoleApp } from '../app';
import { createSession, deleteSession, findSession } from '../sessions';
import { cookieValue } from '../app';

export const LOGIN_WRONG = 'The address or the password is wrong.';
export const LOGIN_LOCKED = `Signing in with this address is paused: ${LOCKOUT_FAILURES} failed attempts within ${LOCKOUT_MINUTES} minutes. Try again in ${LOCKOUT_MINUTES} minutes, or ask the list's operator to unlock it.`;
export const LOGIN_IP_LIMITED = 'Too many failed sign-ins from your network address. Try again later.';
export const LOGIN_BUSY = 'The console is checking other sign-ins. Try again in a moment.';

const TEXT: Record<LoginFailure, string> = {
  wrong: LOGIN_WRONG,
  locked: LOGIN_LOCKED,
  'ip-limited': LOGIN_IP_LIMITED,
  busy: LOGIN_BUSY,
};
const STATUS: Record<LoginFailure, number> = { wrong: 401, locked: 429, 'ip-limited': 429, busy: 503 };

/** The session cookie's Set-Cookie value; an empty value with max-age 0 clears it. */
export function sessionCookie(c: Pick<ConsoleApp, 'cookieName' | 'secureCookies'>, value: string, maxAge: number) {
  return `${c.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${c.secureCookies ? '; Secure' : ''}`;
}

/** What was typed as the address, fit for one log line (no control characters). */
const forLog = (address: string): string => JSON.stringify(address.slice(0, 320)).slice(1, -1);

export function registerLogin(app: FastifyInstance, c: ConsoleApp, slots: VerifySlots): void {
  const { ctx } = c;
  const log = ctx.log.child({ stage: 'console' });
  const cookie = (value: string, maxAge: number) => sessionCookie(c, value, maxAge);

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
    const result = await checkLogin(ctx.db, ctx.config, address, password, now, { ip: req.ip, slots });
    if (!result.ok) {
      const account = forLog(result.address);
      log.warn(
        { why: result.why, account, ip: req.ip },
        `CONSOLE_LOGIN_FAILED ${result.why} ${account} from ${req.ip}`,
      );
      reply.code(STATUS[result.why]);
      if (result.why === 'busy') reply.header('Retry-After', '2');
      return c.html(
        req,
        reply,
        'login',
        { address: address.slice(0, 320), error: TEXT[result.why] },
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
