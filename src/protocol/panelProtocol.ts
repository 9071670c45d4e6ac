import { z } from 'zod';

/**
 * What every panel's messages share, and how they are checked. A panel's protocol is two
 * discriminated unions on `type`, one per direction, validated on receipt by both sides; each side
 * has one handler per `type`. Every page says `ready` before the extension sends it anything, and
 * the extension tells every page about a finished export or a failure the same way.
 */

/** The page is listening: the extension sends its data only after this. */
/** The most points or iterations one message of a live chart carries: bounds what a page takes in at once. */
export const MAX_BATCH = 100_000;

export const readyMessage = z.object({ type: z.literal('ready') }).strict();
/** An export was written (its file name, for the page's status line). */
export const exportedMessage = z.object({ type: z.literal('exported'), file: z.string() }).strict();
/** Something the page asked for failed; the page shows the message in its status line. */
export const errorMessage = z.object({ type: z.literal('error'), message: z.string() }).strict();

/** The message types the shared transport handles itself on either side. */
export type CommonPageMessage = z.infer<typeof exportedMessage> | z.infer<typeof errorMessage>;

/** A message is an object with a `type`; a protocol is one union of them per direction. */
export interface Message {
  readonly type: string;
}

export interface PanelProtocol<ToPage extends Message, ToHost extends Message> {
  readonly toPage: z.ZodType<ToPage, z.ZodTypeDef, unknown>;
  readonly toHost: z.ZodType<ToHost, z.ZodTypeDef, unknown>;
}

/** One handler per message type (GitLens style), each given exactly its own message. */
export type Handlers<M extends Message, Args extends unknown[] = [], R = void> = {
  [K in M['type']]: (message: Extract<M, { type: K }>, ...args: Args) => R;
};

/** Calls the one handler of the message's type; the mapped type guarantees it takes this message. */
export function dispatch<M extends Message, Args extends unknown[], R>(
  handlers: Handlers<M, Args, R>,
  message: M,
  ...args: Args
): R {
  const handler = handlers[message.type as M['type']] as (m: M, ...a: Args) => R;
  return handler(message, ...args);
}

/** A PNG data URL as canvas.toDataURL writes it; bounded so a message cannot exhaust the host. */
export const pngDataUrl = z
  .string()
  .max(20_000_000)
  .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/, 'expected a base64 PNG data URL');

/** Validates a message; the error names the field, for the log of whoever sent it. */
export function parseMessage<S extends z.ZodTypeAny>(
  schema: S,
  data: unknown,
): { ok: true; message: z.output<S> } | { ok: false; error: string } {
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, message: r.data };
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ') };
}
