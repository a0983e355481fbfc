import { problems } from './problem';

/**
 * Reads a request body of at most `limit` bytes, or throws a 413 problem having read no more
 * than `limit + 1` bytes: a declared Content-Length over the limit is refused unread, and a
 * body streamed without one is read into a buffer of `limit + 1` bytes (a BYOB reader fills
 * exactly that, whatever size the runtime's chunks are), then the rest is cancelled, so the
 * runtime knows at once that nobody will read it. (Hono's bodyLimit reads a chunk past the
 * limit and leaves the stream locked and unread.)
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  const declaredBytes = declared === null ? Number.NaN : Number(declared);
  if (declaredBytes > limit) {
    await request.body?.cancel();
    throw problems.tooLarge(limit);
  }
  const body = request.body;
  if (!body) return new Uint8Array(0);
  // One byte more than allowed: filling it is how a body over the limit shows itself.
  const capacity = (Number.isSafeInteger(declaredBytes) && declaredBytes >= 0 ? declaredBytes : limit) + 1;
  const read = await (isByteStream(body) ? readBytes(body, capacity) : readChunks(body, capacity));
  if (read.length > limit) throw problems.tooLarge(limit);
  return read;
}

/** Incoming request bodies are byte streams; a stream made in JavaScript may not be one. */
function isByteStream(body: ReadableStream<Uint8Array>): boolean {
  try {
    body.getReader({ mode: 'byob' }).releaseLock();
    return true;
  } catch {
    return false;
  }
}

/** Reads until the body ends or `capacity` bytes are in; cancels what is left then. */
async function readBytes(body: ReadableStream<Uint8Array>, capacity: number): Promise<Uint8Array> {
  const reader = body.getReader({ mode: 'byob' });
  const out = new Uint8Array(capacity);
  // Each read takes its buffer over and hands it back with the data, except the last one,
  // which workerd answers without a view: so reads go through a scratch buffer, never `out`.
  let scratch = new ArrayBuffer(Math.min(capacity, SCRATCH_BYTES));
  let size = 0;
  while (size < capacity) {
    const { done, value } = await reader.read(
      new Uint8Array(scratch, 0, Math.min(scratch.byteLength, capacity - size)),
    );
    if (done) return out.subarray(0, size);
    out.set(value, size);
    size += value.byteLength;
    scratch = value.buffer as ArrayBuffer;
  }
  await reader.cancel();
  return out;
}

const SCRATCH_BYTES = 64 * 1024;

/** The same for a stream of chunks of any size: stops at the first chunk that fills `capacity`. */
async function readChunks(body: ReadableStream<Uint8Array>, capacity: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const out = new Uint8Array(capacity);
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, size);
    const take = Math.min(value.length, capacity - size);
    out.set(value.subarray(0, take), size);
    size += take;
    if (size === capacity) {
      await reader.cancel();
      return out;
    }
  }
}
