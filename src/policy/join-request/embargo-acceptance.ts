/** The embargo: accepted only when the answer to the criterion that asks for it says so plainly. Pure. */

/** Phrases with "no" in them that do not deny anything. */
const HARMLESS_NO =
  /\bno\s+(?:problem|problems|issue|issues|objection|objections|concern|concerns|doubt|question|questions|reservation|reservations|exception|exceptions)\b/g;
const NEGATION =
  /\b(?:no|not|never|nope|cannot|decline|declined|refuse|refused|reject|rejected|disagree|unable|neither|nor)\b|n['’]t\b/;
const AFFIRMATION =
  /^(?:yes|yep|yeah|sure|absolutely|certainly|definitely|of course|agreed|accepted|acknowledged|confirmed|correct|ok|okay|accept|agree|we do|i do)\b|\b(?:we|i)\s+(?:(?:fully|hereby|do|will|can|also|both|all|happily|gladly)\s+){0,3}(?:accept|agree|comply|adhere|confirm)\b/;

/**
 * "We accept.", "Yes, we accept the embargo policy", "Accepted", "I agree", "Yes": true.
 * The first sentence must affirm and not deny; a denial of accepting anywhere ("we do not
 * accept", "we can't agree") makes it false, as does anything unclear.
 */
export function acceptsClearly(answer: string): boolean {
  const s = answer.toLowerCase().replace(/\s+/g, ' ').replace(HARMLESS_NO, '').trim();
  // A Markdown task list: "- [x] We accept" ticks it, "- [ ] We accept" does not.
  if (s === '' || /\[\s\]/.test(s)) return false;
  if (
    /\b(?:not|never|cannot|can['’]t|won['’]t|don['’]t|doesn['’]t|do not|will not)\s+(?:\w+\s+){0,2}(?:accept|agree|comply|adhere)/.test(
      s,
    )
  )
    return false;
  const first = (/^[^.!?;\n]*/.exec(s.replace(/^[-*]\s*\[x\]\s*/, ''))?.[0] ?? '').trim();
  return AFFIRMATION.test(first) && !NEGATION.test(first);
}
