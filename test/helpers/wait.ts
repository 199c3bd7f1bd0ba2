/**
 * Poll a condition until it holds. Rejects with "timed out waiting for <what>" after timeoutMs.
 * Errors thrown by fn are not swallowed: they reject immediately.
 */
export async function waitUntil(
  fn: () => boolean | Promise<boolean>,
  opts?: { timeoutMs?: number; intervalMs?: number; what?: string },
): Promise<void> {
  const timeoutMs = opts?.timeoutMs ?? 20_000;
  const intervalMs = opts?.intervalMs ?? 25;
  const what = opts?.what ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
