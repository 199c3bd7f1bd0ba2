/**
 * The set-up most integration tests share: one Dovecot for the whole describe block with an
 * IMAP account per test, and for each test a fresh SMTP peer, data directory and configuration,
 * the members added, and the daemon. After each test the daemon is stopped (and must exit 0),
 * the peer stopped and the directory removed; after the block Dovecot is stopped.
 *
 * Call useListFixture() inside describe(): it registers the mocha hooks.
 */
import assert from 'node:assert/strict';
import { startDovecot, type Dovecot } from '../harness/dovecot';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../harness/smtp-peer';
import {
  addMembers,
  cleanup,
  startDaemon,
  writeConfig,
  type ConfigOptions,
  type DaemonProcess,
  type Setup,
} from './daemon';

export interface Member {
  address: string;
  org: string;
}

export interface StartOptions {
  config?: ConfigOptions;
  smtp?: SmtpPeerOptions;
  /** Default: the fixture's members. */
  members?: readonly Member[];
  /** Start the daemon at once (default true); false leaves it to the test (fixture.startDaemon()). */
  daemon?: boolean;
}

export interface ListFixture {
  readonly dovecot: Dovecot;
  /** The current test's peer, set-up and daemon (after start()). */
  readonly smtp: SmtpPeer;
  readonly setup: Setup;
  daemon: DaemonProcess | undefined;
  /** The current test's IMAP account. */
  account(): string;
  /**
   * A fresh account, peer and configuration; members added; the daemon started unless told
   * otherwise. Called again in the same test, it stops that test's daemon and starts over on the
   * same account and peer with a fresh data directory (e.g. to try another port).
   */
  start(opts?: StartOptions): Promise<void>;
  /** Starts the daemon on the current configuration and keeps it as `daemon`. */
  startDaemon(): DaemonProcess;
}

export function useListFixture(opts: { users: number; userPrefix: string; members: readonly Member[] }): ListFixture {
  let dovecot: Dovecot | undefined;
  let smtp: SmtpPeer | undefined;
  let setup: Setup | undefined;
  let n = 0;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`list fixture: no ${what} yet (call start() first)`);
    return value;
  };

  const fixture: ListFixture = {
    get dovecot() {
      return need(dovecot, 'Dovecot');
    },
    get smtp() {
      return need(smtp, 'SMTP peer');
    },
    get setup() {
      return need(setup, 'set-up');
    },
    daemon: undefined,
    account: () => need(dovecot, 'Dovecot').users[n - 1]!.user,
    async start(o = {}) {
      const d = need(dovecot, 'Dovecot');
      if (setup) {
        await fixture.daemon?.stop();
        fixture.daemon = undefined;
        cleanup(setup);
      } else {
        if (n >= d.users.length) throw new Error(`list fixture: only ${opts.users} IMAP accounts; raise users`);
        n += 1;
        smtp = await startSmtpPeer(o.smtp);
      }
      const user = d.users[n - 1]!;
      setup = writeConfig({ ...d, users: [user] }, need(smtp, 'SMTP peer'), o.config);
      await addMembers(setup, [...(o.members ?? opts.members)]);
      if (o.daemon ?? true) fixture.startDaemon();
    },
    startDaemon() {
      fixture.daemon = startDaemon(need(setup, 'set-up'));
      return fixture.daemon;
    },
  };

  before(async () => {
    dovecot = await startDovecot({
      users: Array.from({ length: opts.users }, (_, i) => ({ user: `${opts.userPrefix}${i}`, password: `pw${i}` })),
    });
  });
  after(async () => {
    await dovecot?.stop();
  });
  afterEach(async () => {
    const daemon = fixture.daemon;
    fixture.daemon = undefined;
    try {
      if (daemon) assert.equal(await daemon.stop(), 0, 'the daemon exits 0 on SIGTERM');
    } finally {
      await smtp?.stop();
      cleanup(setup);
      smtp = undefined;
      setup = undefined;
    }
  });
  return fixture;
}
