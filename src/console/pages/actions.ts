/**
 * POST routes that act: the same moderatorAction() as the CLI, with the signed-in moderator as
 * the actor (via: console), so the audit rows and the mails are those of the keyword by mail.
 * The outcome is shown once on the page the moderator comes back to.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { moderatorAction, type ModeratorAction } from '../../admin/moderator-action';
import type { ConsoleApp } from '../app';
import { setFlash } from '../sessions';

type Verb<K extends ModeratorAction['kind']> = Extract<ModeratorAction, { kind: K }>['verb'];

const ROUTES: { path: string; page: string; build: (id: number, text: string | null) => ModeratorAction }[] = [
  ...(['approve', 'reject', 'ask'] as Verb<'request'>[]).map((verb) => ({
    path: `/requests/:id/${verb}`,
    page: '/requests',
    build: (id: number, text: string | null): ModeratorAction => ({ kind: 'request', verb, requestId: id, text }),
  })),
  ...(['approve', 'reject', 'discard'] as Verb<'held'>[]).map((verb) => ({
    path: `/held/:id/${verb}`,
    page: '/held',
    build: (id: number, text: string | null): ModeratorAction => ({ kind: 'held', verb, heldId: id, text }),
  })),
  ...(['lift', 'embargo'] as Verb<'disclosure'>[]).map((verb) => ({
    path: `/disclosures/:id/${verb}`,
    page: '/disclosures',
    build: (id: number, text: string | null): ModeratorAction => ({ kind: 'disclosure', verb, disclosureId: id, text }),
  })),
];

export function registerActions(app: FastifyInstance, c: ConsoleApp): void {
  for (const route of ROUTES) {
    app.post(route.path, async (req: FastifyRequest, reply: FastifyReply) => {
      const session = req.consoleSession!;
      const id = (req.params as { id: string }).id;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const text = typeof body.text === 'string' && body.text.trim() !== '' ? body.text.trim().slice(0, 2000) : null;
      if (!/^\d{1,9}$/.test(id)) {
        setFlash(c.ctx.db, session, `Not done: "${id.slice(0, 20)}" is not a number.`);
        return reply.code(303).header('Location', route.page).send();
      }
      const outcome = moderatorAction(c.ctx, { name: session.address, via: 'console' }, route.build(Number(id), text));
      setFlash(c.ctx.db, session, outcome.ok ? outcome.message : `Not done (${outcome.code}): ${outcome.message}`);
      return reply.code(303).header('Location', route.page).send();
    });
  }
}
