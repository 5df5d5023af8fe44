/**
 * A tiny authoritative DNS server over UDP (RFC 1035), written over dgram for the domain
 * verification tests: it answers TXT questions from a table, NXDOMAIN for names it does not know,
 * and SERVFAIL for names marked failing. node:dns (c-ares) asks it through Resolver.setServers, so
 * the daemon's real lookup path runs with no network.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface DnsFake {
  /** `127.0.0.1:port`, for IDSYNC_DOMAINS_DNS_SERVERS. */
  server: string;
  /** name (lower case, no trailing dot) -> TXT records, each a list of character strings. */
  txt: Map<string, string[][]>;
  /** Names answered with SERVFAIL. */
  failing: Set<string>;
  /** Questions asked, as `name/type`. */
  asked: string[];
  close(): Promise<void>;
}

const TYPE_TXT = 16;

export async function startDnsFake(): Promise<DnsFake> {
  const socket: Socket = createSocket('udp4');
  const fake: DnsFake = { server: '', txt: new Map(), failing: new Set(), asked: [], close: () => new Promise((resolve) => socket.close(() => resolve())) };
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const reply = answer(fake, msg);
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  fake.server = `127.0.0.1:${socket.address().port}`;
  return fake;
}

function answer(fake: DnsFake, msg: Buffer): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const rd = msg.readUInt16BE(2) & 0x0100;
  // The question: labels, then QTYPE and QCLASS.
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length && msg[at] !== 0) {
    const len = msg[at]!;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += 1 + len;
  }
  const qEnd = at + 5;
  if (qEnd > msg.length) return undefined;
  const qtype = msg.readUInt16BE(at + 1);
  const name = labels.join('.').toLowerCase();
  fake.asked.push(`${name}/${qtype}`);
  const question = msg.subarray(12, qEnd);
  const records = fake.txt.get(name);
  let rcode = 0;
  const answers: Buffer[] = [];
  if (fake.failing.has(name)) rcode = 2;
  else if (!records) rcode = 3;
  else if (qtype === TYPE_TXT) {
    for (const strings of records) {
      const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's
      rr.writeUInt16BE(TYPE_TXT, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      answers.push(rr, rdata);
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | rcode, 2); // QR, AA, RD echoed, RA, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length / 2, 6);
  return Buffer.concat([header, question, ...answers]);
}
