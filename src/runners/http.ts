/**
 * An optional local HTTP endpoint for monitoring (node:http, no framework): GET /healthz answers
 * 200 "ok" or 503, GET /metrics gives the status counts in the Prometheus text format. It reads
 * numbers only, never the text of a message; bind it to a loopback or private address anyway,
 * since the counts say when embargoes run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Status } from '../store/status';

/**
 * What /healthz and /metrics show. problems: why it is not healthy (a stable code and a line each,
 * admin/status assessHealth), written under "unhealthy"; no text of any message.
 */
export type Probe = () => Status & {
  healthy: boolean;
  problems?: { code: string; detail: string }[];
  /** Bytes free on the data directory's file system. */
  freeBytes?: number | null;
  /** Copies claimed for sending for over a few minutes. */
  staleClaims?: number;
  /** Whether the last database write succeeded. */
  dbOk?: boolean;
};

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8';

export function startHttp(listen: { host: string; port: number }, probe: Probe): Promise<HttpEndpoint> {
  const server = http.createServer((req, res) => handle(req, res, probe));
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      // After the start, an accept error (EMFILE) must not crash the daemon for a monitoring port.
      server.on('error', () => undefined);
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // A keep-alive client (a scraper, fetch) would hold close() open until it idles out.
            server.closeAllConnections();
          }),
      });
    });
  });
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, probe: Probe): void {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    send(res, 400, TEXT, 'bad request\n');
    return;
  }
  if (path !== '/healthz' && path !== '/metrics') {
    send(res, 404, TEXT, 'not found\n');
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    send(res, 405, TEXT, 'method not allowed\n');
    return;
  }
  let status: ReturnType<Probe>;
  try {
    status = probe();
  } catch {
    // The database is closed or locked: unhealthy, and no numbers rather than wrong ones.
    send(res, path === '/healthz' ? 503 : 500, TEXT, 'status unavailable\n');
    return;
  }
  if (path === '/healthz')
    send(
      res,
      status.healthy ? 200 : 503,
      TEXT,
      status.healthy ? 'ok\n' : `unhealthy\n${(status.problems ?? []).map((p) => `${p.code} ${p.detail}\n`).join('')}`,
    );
  else send(res, 200, PROMETHEUS, metrics(status));
}

function send(res: http.ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

interface Gauge {
  name: string;
  help: string;
  samples: { labels?: Record<string, string>; value: number | null }[];
}

/** The Prometheus text exposition format: HELP and TYPE per family, one line per sample. */
export function metrics(s: ReturnType<Probe>): string {
  const seconds = (iso: string | null): number | null => {
    const ms = iso === null ? NaN : Date.parse(iso);
    return Number.isNaN(ms) ? null : ms / 1000;
  };
  const gauges: Gauge[] = [
    {
      name: 'embargo_list_healthy',
      help: 'Whether the daemon considers itself healthy (1) or not (0).',
      samples: [{ value: s.healthy ? 1 : 0 }],
    },
    {
      name: 'embargo_list_database_writable',
      help: 'Whether the last database write succeeded (1) or failed (0: full disk, read-only, I/O error).',
      samples: [{ value: s.dbOk === undefined ? null : s.dbOk ? 1 : 0 }],
    },
    {
      name: 'embargo_list_data_free_bytes',
      help: "Bytes free for the daemon on the data directory's file system.",
      samples: [{ value: s.freeBytes ?? null }],
    },
    {
      name: 'embargo_list_outbox_stale_claims',
      help: 'Outbound copies claimed for sending for over 5 minutes (a sender that died or hangs).',
      samples: [{ value: s.staleClaims ?? null }],
    },
    {
      name: 'embargo_list_inbound_messages',
      help: 'Inbound messages recorded, by processing status.',
      samples: (['received', 'processed', 'quarantined'] as const).map((status) => ({
        labels: { status },
        value: s.inbound[status],
      })),
    },
    {
      name: 'embargo_list_outbox_messages',
      help: 'Outbound copies (one per recipient) in the outbox, by delivery status.',
      samples: (['pending', 'sending', 'sent', 'failed'] as const).map((status) => ({
        labels: { status },
        value: s.outbox[status],
      })),
    },
    {
      name: 'embargo_list_outbox_oldest_pending_timestamp_seconds',
      help: 'When the oldest pending outbound copy was queued, as a Unix time.',
      samples: [{ value: seconds(s.outbox.oldestPendingAt) }],
    },
    {
      name: 'embargo_list_requests_open',
      help: 'Join requests waiting for a moderator, an applicant or a confirmation.',
      samples: [{ value: s.requests.open }],
    },
    {
      name: 'embargo_list_requests_waiting',
      help: 'Join requests before the moderators with no decision, by how long they have waited: all, past policy.requestReminderDays, past policy.requestEscalationDays.',
      samples: [
        { labels: { past: 'all' }, value: s.requests.waiting },
        { labels: { past: 'reminder' }, value: s.requests.pastReminder },
        { labels: { past: 'escalation' }, value: s.requests.pastEscalation },
      ],
    },
    {
      name: 'embargo_list_requests_oldest_waiting_timestamp_seconds',
      help: 'When the oldest join request without a decision came in, as a Unix time.',
      samples: [{ value: seconds(s.requests.oldestWaitingSince) }],
    },
    {
      name: 'embargo_list_disclosures_embargoed',
      help: 'Disclosure threads under embargo.',
      samples: [{ value: s.disclosures.embargoed }],
    },
    {
      name: 'embargo_list_next_embargo_end_timestamp_seconds',
      help: 'The earliest end of a running embargo, as a Unix time.',
      samples: [{ value: seconds(s.disclosures.nextEmbargoEnd) }],
    },
    {
      name: 'embargo_list_leak_retrospectives_open',
      help: 'Leak retrospectives not yet closed.',
      samples: [{ value: s.leaks.openRetrospectives }],
    },
    {
      name: 'embargo_list_members_active',
      help: 'Active members of the list.',
      samples: [{ value: s.members.active }],
    },
    {
      name: 'embargo_list_members_unreachable',
      help: 'Active members whose mail keeps bouncing.',
      samples: [{ value: s.members.unreachable }],
    },
    {
      name: 'embargo_list_held_messages',
      help: 'Messages waiting in the moderation queue.',
      samples: [{ value: s.held.waiting }],
    },
    {
      name: 'embargo_list_last_imap_contact_timestamp_seconds',
      help: 'When the IMAP server was last heard from, as a Unix time.',
      samples: [{ value: seconds(s.lastImapContact) }],
    },
  ];
  const out: string[] = [];
  for (const g of gauges) {
    out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
    // An unknown time has no sample at all: absent, not zero (1970) or NaN.
    for (const sample of g.samples)
      if (sample.value !== null && Number.isFinite(sample.value))
        out.push(`${g.name}${labels(sample.labels)} ${sample.value}`);
  }
  return `${out.join('\n')}\n`;
}

function labels(l: Record<string, string> | undefined): string {
  if (!l) return '';
  const body = Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
  return `{${body}}`;
}
