/** The read-only pages: requests, disclosures, held, members, leaks, audit. */
import type { FastifyInstance } from 'fastify';
import {
  ackMatrix,
  AUDIT_PAGE,
  auditRows,
  disclosureViews,
  heldViews,
  leakViews,
  memberViews,
  pendingRequests,
  requestsSummary,
  type AuditFilter,
} from '../queries';
import type { ConsoleApp } from '../app';

export function registerPages(app: FastifyInstance, c: ConsoleApp): void {
  const { ctx } = c;
  app.get('/requests', async (req, reply) => {
    const now = ctx.clock();
    const requests = pendingRequests(ctx, now);
    const summary = requestsSummary(ctx, now, requests);
    return c.html(
      req,
      reply,
      'requests',
      { requests, summary, count: requests.length, one: requests.length === 1 },
      { title: 'Requests' },
    );
  });
  app.get('/disclosures', async (req, reply) =>
    c.html(
      req,
      reply,
      'disclosures',
      { disclosures: disclosureViews(ctx, ctx.clock()), matrix: ackMatrix(ctx) },
      { title: 'Disclosures' },
    ),
  );
  app.get('/held', async (req, reply) => {
    const held = await heldViews(ctx, ctx.clock());
    return c.html(req, reply, 'held', { held, count: held.length }, { title: 'Held messages' });
  });
  app.get('/members', async (req, reply) => {
    const members = memberViews(ctx, ctx.clock());
    const active = members.filter((m) => m.active).length;
    return c.html(req, reply, 'members', { members, active, removed: members.length - active }, { title: 'Members' });
  });
  app.get('/leaks', async (req, reply) =>
    c.html(req, reply, 'leaks', { leaks: leakViews(ctx, ctx.clock()) }, { title: 'Leaks and retrospectives' }),
  );
  app.get('/audit', async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : '');
    const filter: AuditFilter = { actor: str(q.actor), action: str(q.action), from: str(q.from), to: str(q.to) };
    const rows = auditRows(ctx, filter);
    return c.html(
      req,
      reply,
      'audit',
      { rows, filter, count: rows.length, one: rows.length === 1, limit: AUDIT_PAGE },
      { title: 'Audit log' },
    );
  });
}
