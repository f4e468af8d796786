import dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, SoaAnswer, StringAnswer } from 'dns-packet';
import { normalizeDnsName } from './records.ts';
import type { DnsZoneTable } from './records.ts';

export interface AnswerOptions {
  /** Transport the query arrived on; UDP responses are size-limited. Default 'udp'. */
  transport?: 'udp' | 'tcp';
  /** TTL of A records in seconds. Default 30. */
  ttl?: number;
  /** TTL for negative caching (SOA TTL and MINIMUM). Defaults to `ttl`. */
  negativeTtl?: number;
  /** Largest UDP payload we are willing to send to EDNS clients. Default 1232. */
  maxUdpPayload?: number;
}

export const DEFAULT_TTL = 30;
// 1232 is the DNS Flag Day 2020 value: avoids IP fragmentation on common paths,
// which matters more than saving the occasional TCP retry.
const DEFAULT_MAX_UDP_PAYLOAD = 1232;
const CLASSIC_UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const HEADER_LEN = 12;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_CD = 0x0010;
const OPCODE_MASK = 0x7800;

// Lower number = less severe. With several questions there is still only one
// RCODE, so report the most severe outcome rather than silently hiding a failure.
const SEVERITY: Record<number, number> = { [RCODE.NOERROR]: 0, [RCODE.NXDOMAIN]: 1, [RCODE.REFUSED]: 2 };

/** A response carrying only a header: used when we cannot trust the body. */
function headerOnly(id: number, flags: number): Buffer {
  const buf = Buffer.alloc(HEADER_LEN);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(flags, 2);
  return buf;
}

/** Wire size of one resource record (dns-packet never compresses, so sizes add up). */
function rrLength(rr: Answer): number {
  return dnsPacket.encodingLength({ answers: [rr] }) - HEADER_LEN;
}

function soaFor(zone: string, table: DnsZoneTable, negativeTtl: number): SoaAnswer {
  return {
    name: zone,
    type: 'SOA',
    class: 'IN',
    ttl: negativeTtl,
    data: {
      mname: `ns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: table.serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: negativeTtl,
    },
  };
}

/**
 * Builds the response to one DNS query message, or returns undefined when the
 * message must be dropped (too short to carry an id, or itself a response —
 * answering responses invites reflection loops). Never throws.
 */
export function answerQuery(
  query: Buffer,
  table: DnsZoneTable,
  opts: AnswerOptions = {},
): Buffer | undefined {
  if (query.length < HEADER_LEN) return undefined;
  const id = query.readUInt16BE(0);
  const qflags = query.readUInt16BE(2);
  if (qflags & FLAG_QR) return undefined;
  // RD and CD are copied back (RFC 1035, RFC 4035 §3.1.6); RA stays clear since we never recurse.
  const baseFlags = FLAG_QR | (qflags & (OPCODE_MASK | FLAG_RD | FLAG_CD));
  if ((qflags & OPCODE_MASK) !== 0) return headerOnly(id, baseFlags | RCODE.NOTIMP);
  try {
    return respond(query, id, baseFlags, table, opts);
  } catch {
    // dns-packet signals malformed input by throwing (often RangeError from
    // Buffer reads). The header was readable, so tell the client why.
    return headerOnly(id, baseFlags | RCODE.FORMERR);
  }
}

function respond(
  query: Buffer,
  id: number,
  baseFlags: number,
  table: DnsZoneTable,
  opts: AnswerOptions,
): Buffer {
  const decoded = dnsPacket.decode(query);
  const questions = decoded.questions ?? [];
  if (questions.length === 0) return headerOnly(id, baseFlags | RCODE.FORMERR);

  // Echo the question section byte-for-byte rather than re-encoding it: the
  // client matches on it exactly (incl. 0x20 case randomisation), and odd
  // classes or label bytes would not survive a decode/encode round trip.
  const onlyQuestions = Buffer.from(query);
  onlyQuestions.fill(0, 6, HEADER_LEN);
  dnsPacket.decode(onlyQuestions);
  const rawQuestions = query.subarray(HEADER_LEN, dnsPacket.decode.bytes);

  const opts41 = (decoded.additionals ?? []).filter((rr): rr is OptAnswer => rr.type === 'OPT');
  if (opts41.length > 1) return headerOnly(id, baseFlags | RCODE.FORMERR);
  const clientOpt = opts41[0];
  const maxUdp = opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD;
  const additionals: Answer[] = [];
  if (clientOpt !== undefined) {
    // Unsupported EDNS version: BADVERS (16) = extended RCODE 1 with header RCODE 0.
    const badVers = clientOpt.ednsVersion !== 0;
    additionals.push({
      name: '.',
      type: 'OPT',
      udpPayloadSize: maxUdp,
      extendedRcode: badVers ? 1 : 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
    if (badVers) return assemble(id, baseFlags, rawQuestions, questions.length, [], [], additionals);
  }

  const ttl = opts.ttl ?? DEFAULT_TTL;
  const negativeTtl = opts.negativeTtl ?? ttl;
  const answers: Answer[] = [];
  const authorities: Answer[] = [];
  let rcode: number = RCODE.NOERROR;
  let authoritative = false;
  const worsen = (code: number): void => {
    if ((SEVERITY[code] ?? 0) > (SEVERITY[rcode] ?? 0)) rcode = code;
  };

  for (const q of questions) {
    // Widened on purpose: dns-packet also decodes meta types ("ANY") and
    // unknown ones ("UNKNOWN_n") that its RecordType union does not list.
    const qtype: string = q.type;
    const klass = q.class ?? 'IN';
    // We only serve the Internet class; CHAOS probes etc. are not ours to answer.
    const result = klass === 'IN' || klass === 'ANY' ? table.lookup(q.name) : { kind: 'refused' as const };
    if (result.kind === 'refused' || qtype === 'AXFR' || qtype === 'IXFR') {
      // Zone transfers are refused too: the reconciler, not secondaries, owns this data.
      worsen(RCODE.REFUSED);
      continue;
    }
    authoritative = true;
    if (result.kind === 'nxdomain') {
      worsen(RCODE.NXDOMAIN);
      authorities.push(soaFor(result.zone, table, negativeTtl));
      continue;
    }
    // Owner names use the client's spelling so 0x20-randomising resolvers accept them.
    let matched = 0;
    if (qtype === 'A' || qtype === 'ANY') {
      for (const ip of result.ips) {
        const rr: StringAnswer = { name: q.name, type: 'A', class: 'IN', ttl, data: ip };
        answers.push(rr);
        matched++;
      }
    }
    if ((qtype === 'SOA' || qtype === 'ANY') && normalizeDnsName(q.name) === result.zone) {
      answers.push({ ...soaFor(result.zone, table, negativeTtl), name: q.name, ttl });
      matched++;
    }
    // NODATA: the name exists but not with this type; the SOA lets resolvers cache that.
    if (matched === 0) authorities.push(soaFor(result.zone, table, negativeTtl));
  }

  const flags = baseFlags | (authoritative ? FLAG_AA : 0) | rcode;
  let limit = TCP_LIMIT;
  if (opts.transport !== 'tcp') {
    limit = clientOpt
      ? Math.min(maxUdp, Math.max(CLASSIC_UDP_LIMIT, clientOpt.udpPayloadSize))
      : CLASSIC_UDP_LIMIT;
  }
  return fitToLimit(id, flags, rawQuestions, questions.length, answers, authorities, additionals, limit);
}

/**
 * Drops trailing answers until the message fits and sets TC, so the client
 * retries over TCP. Partial answers are kept (RFC 2181 §9 allows this) because
 * stub resolvers without TCP fallback can still use them.
 */
function fitToLimit(
  id: number,
  flags: number,
  rawQuestions: Buffer,
  qdcount: number,
  answers: Answer[],
  authorities: Answer[],
  additionals: Answer[],
  limit: number,
): Buffer {
  const sizes = [...answers, ...authorities, ...additionals].map(rrLength);
  let total = HEADER_LEN + rawQuestions.length + sizes.reduce((a, b) => a + b, 0);
  if (total <= limit) return assemble(id, flags, rawQuestions, qdcount, answers, authorities, additionals);
  // Shed answers from the end first: authority records only accompany negative
  // answers, which are small, and OPT must stay so the client keeps using EDNS.
  const kept = [...answers, ...authorities];
  while (total > limit && kept.length > 0) {
    kept.pop();
    total -= sizes[kept.length] ?? 0;
  }
  const keptAnswers = kept.slice(0, Math.min(kept.length, answers.length));
  const keptAuthorities = kept.slice(answers.length);
  return assemble(id, flags | FLAG_TC, rawQuestions, qdcount, keptAnswers, keptAuthorities, additionals);
}

function assemble(
  id: number,
  flags: number,
  rawQuestions: Buffer,
  qdcount: number,
  answers: Answer[],
  authorities: Answer[],
  additionals: Answer[],
): Buffer {
  // Encode the records with an empty question section, then splice the
  // client's raw question bytes in right after the header. Offsets in the
  // echoed questions stay valid because they sit at the same position as in
  // the query, and dns-packet emits no compression pointers of its own.
  const body = dnsPacket.encode({
    type: 'response',
    id,
    flags,
    questions: [],
    answers,
    authorities,
    additionals,
  });
  const out = Buffer.concat([body.subarray(0, HEADER_LEN), rawQuestions, body.subarray(HEADER_LEN)]);
  out.writeUInt16BE(qdcount, 4);
  return out;
}
