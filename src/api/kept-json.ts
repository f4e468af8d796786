import type { FastifyReply } from 'fastify';

/** What fastify itself sets for a JSON answer. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The JSON of answers that many requests share. A handler may return the same
 * frozen object to many requests (a view kept beside a kept row:
 * vpcep/endpoints/views.ts); its text is then made once, by this route's own
 * serializer, and sent as it is afterwards: fastify sends a string typed as
 * JSON without serializing it again, so the bytes are those it would have
 * made. Anything that is not frozen (it may change between two requests) and
 * any status but 200 go to fastify as usual.
 *
 * One per route: the text is what that route's response schema makes of the
 * object, and another route's schema could make something else of it.
 */
export function keptJson(): <T extends object>(reply: FastifyReply, payload: T) => T {
  const texts = new WeakMap<object, string>();
  return <T extends object>(reply: FastifyReply, payload: T): T => {
    if (reply.statusCode !== 200 || !Object.isFrozen(payload)) return payload;
    let text = texts.get(payload);
    if (text === undefined) {
      const made = reply.serialize(payload);
      // The route's serializer for 200 makes text (fast-json-stringify); one
      // that made bytes would be fastify's to send.
      if (typeof made !== 'string') return payload;
      text = made;
      texts.set(payload, text);
    }
    void reply.type(JSON_TYPE);
    // Typed as what it stands for: the handler's return type is the route's
    // schema, and fastify sends this text in the object's place.
    return text as unknown as T;
  };
}
