/**
 * Mocha root hooks for every run (.mocharc*.json "require"): a test that leaves the process umask
 * changed fails by name. main() sets 077, as the daemon wants; a test that calls it in-process and
 * does not put the umask back makes the files later tests write unreadable to the peers they start
 * (Postfix, running as its own user, then fails without a word).
 */
const initial = process.umask();

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    const now = process.umask();
    if (now === initial) return;
    process.umask(initial);
    throw new Error(
      `this test left the process umask at ${now.toString(8).padStart(3, '0')} (was ${initial.toString(8).padStart(3, '0')}): put it back after calling main() in-process`,
    );
  },
};
