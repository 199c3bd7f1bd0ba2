/**
 * The leaves of a message's MIME tree, as mailparser's own splitter (@zone-eu/mailsplit) finds
 * them, with the text of the parts a reader of delivery reports needs. simpleParser keeps no
 * tree (it joins a message/delivery-status part into `text` and never says which multipart held
 * a part), so parse.ts asks the splitter for it once. Nothing inside a returned or forwarded
 * message (message/rfc822, message/global) is listed: that is the sender's text, not the notice.
 */
import { Splitter } from '@zone-eu/mailsplit';
import type { Transform } from 'node:stream';

export interface MimePart {
  /** Lower-case media type; text/plain when the part names none. */
  type: string;
  /** The media type of the multipart that holds it; '' for the message's own body. */
  parentType: string;
  /** Content-Disposition says attachment. */
  attachment: boolean;
  /** Decoded text (at most MAX_PART_TEXT bytes, then charset-decoded) of text/plain and delivery-status parts; null for others. */
  text: string | null;
}

/** How much of one part's decoded bytes is kept. */
export const MAX_PART_TEXT = 256 * 1024;
/** Nodes read, multiparts included, and how deep multiparts are followed. */
const MAX_NODES = 64;
const MAX_DEPTH = 6;
const READ = /^(?:text\/plain|message\/(?:global-)?delivery-status)$/;

type SplitterChunk = Parameters<Parameters<Splitter['on']>[1]>[0];
type SplitNode = Extract<SplitterChunk, { type: 'node' }>;
type ParentNode = Exclude<SplitNode['parentNode'], false>;

/** Never throws: a tree the splitter cannot walk gives the leaves it found before it failed. */
export async function mimeParts(raw: Buffer): Promise<MimePart[]> {
  const parts: MimePart[] = [];
  const pending: Promise<void>[] = [];
  const decoders = new Map<unknown, Transform>();
  let nodes = 0;
  const splitter = new Splitter();
  splitter.on('data', (chunk) => {
    if (chunk.type === 'node') {
      const node = chunk;
      nodes += 1;
      const part = nodes <= MAX_NODES ? leafOf(node) : null;
      if (part === null) return;
      parts.push(part);
      if (!READ.test(part.type)) return;
      const decoder = node.getDecoder();
      decoders.set(node, decoder);
      pending.push(
        collect(decoder, node.charset || 'utf-8').then((text) => {
          part.text = text;
        }),
      );
    } else if (chunk.type === 'body') {
      decoders.get(chunk.node)?.write(chunk.value);
    }
  });
  const stream = splitter as unknown as Transform;
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', resolve);
    stream.end(raw);
  });
  for (const decoder of decoders.values()) decoder.end();
  await Promise.all(pending);
  return parts;
}

/** The part as listed, or null for a multipart, a returned message, or a part below MAX_DEPTH. */
function leafOf(node: SplitNode): MimePart | null {
  const type = typeOf(node);
  if (type.startsWith('multipart/') || isMessage(type)) return null;
  let depth = 0;
  for (let p = node.parentNode; p; p = p.parentNode) {
    if (isMessage(typeOf(p))) return null;
    depth += 1;
  }
  if (depth > MAX_DEPTH) return null;
  const parentType = node.parentNode ? typeOf(node.parentNode) : '';
  const attachment = /^\s*attachment/i.test((node.headers && node.headers.getFirst('content-disposition')) || '');
  return { type, parentType, attachment, text: null };
}

function typeOf(node: SplitNode | ParentNode): string {
  return node.contentType || 'text/plain';
}

function isMessage(type: string): boolean {
  return type === 'message/rfc822' || type === 'message/global';
}

/** The decoded bytes, bounded, read in the part's charset (latin1 when the charset is unknown). */
function collect(decoder: Transform, charset: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    const done = (): void => {
      const bytes = Buffer.concat(chunks).subarray(0, MAX_PART_TEXT);
      try {
        resolve(new TextDecoder(charset).decode(bytes));
      } catch {
        resolve(bytes.toString('latin1'));
      }
    };
    decoder.on('data', (c: Buffer) => {
      if (size < MAX_PART_TEXT) chunks.push(c);
      size += c.length;
    });
    decoder.once('end', done);
    decoder.once('error', done);
  });
}
