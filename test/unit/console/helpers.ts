/** Shared by the console tests: a database with the console's tables, a signed-in moderator. */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { migratedMemoryDb } from '../../helpers/context';
import { setPassword } from '../../../src/console/auth';
import type { Db } from '../../../src/store/db';

export const PASSWORD = 'correct horse battery staple';
export const ORIGIN = 'http://127.0.0.1:9466';
export const HOST = '127.0.0.1:9466';

/** An in-memory database with every shipped migration, the console's 0010 among them. */
export function consoleDb(): Db {
  return migratedMemoryDb();
}

export function withPassword(db: Db, address: string, password = PASSWORD): void {
  setPassword(db, address, password, new Date().toISOString());
}

export interface Browser {
  cookie: string;
  csrf: string;
  get(url: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }>;
  post(
    url: string,
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; location: string | undefined }>;
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export async function login(app: FastifyInstance, address: string, password = PASSWORD) {
  return app.inject({
    method: 'POST',
    url: '/login',
    headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ address, password }),
  });
}

/** Signs in and returns a client carrying the session cookie and the CSRF token of its pages. */
export async function signedIn(app: FastifyInstance, address: string, password = PASSWORD): Promise<Browser> {
  const res = await login(app, address, password);
  assert.equal(res.statusCode, 303, res.body);
  const setCookie = String(res.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url, headers: { host: HOST, cookie } });
    return { status: r.statusCode, body: r.body, headers: r.headers as Record<string, unknown> };
  };
  const page = await get('/requests');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(csrf, 'the page carries a CSRF token');
  return {
    cookie,
    csrf,
    get,
    async post(url, fields, headers = {}) {
      const r = await app.inject({
        method: 'POST',
        url,
        headers: {
          host: HOST,
          origin: ORIGIN,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        payload: form(fields),
      });
      return { status: r.statusCode, body: r.body, location: r.headers.location as string | undefined };
    },
  };
}
