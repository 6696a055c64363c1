/**
 * A real SMTP server for tests (the `smtp-server` package) on a free port of 127.0.0.1: it keeps
 * every mail it receives, with its text decoded (quoted-printable or base64, as nodemailer writes).
 */
import type { AddressInfo } from 'node:net';
import { beforeAllValue, readers } from '@twofa-kit/testing/lifecycle';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly to: string[];
  readonly subject: string;
  /** The decoded text body. */
  readonly text: string;
  /** The message as it came over the wire. */
  readonly raw: string;
}

export interface SmtpServer {
  /** `smtp://127.0.0.1:<port>`, for `SMTP_URL`. */
  readonly url: string;
  readonly mails: ReceivedMail[];
  /** The next mail to `to` (after the `skip` first ones), waited for up to 10 s. */
  next(to: string, skip?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

function decode(raw: string): { subject: string; text: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(at + 4);
  const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? Buffer.from(
          body
            .replace(/=\r\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          'latin1',
        ).toString('utf8')
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { subject: header('Subject'), text: text.replace(/\r\n/g, '\n') };
}

export async function startSmtp(): Promise<SmtpServer> {
  const mails: ReceivedMail[] = [];
  const waiting = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, ...decode(raw) });
        for (const wake of waiting) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async next(to, skip = 0) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = mails.filter((m) => m.to.includes(to))[skip];
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} (#${skip + 1}) within 10 s`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiting.delete(wake);
            resolve();
          };
          waiting.add(wake);
          setTimeout(wake, 200);
        });
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * An SMTP server for the enclosing `describe`: started before its tests, stopped after them. Read
 * it in the tests and hooks (before the start, reading it throws).
 */
export function useSmtp(): Omit<SmtpServer, 'stop'> {
  const smtp = beforeAllValue('the SMTP server', startSmtp, (s) => s.stop());
  const next = () => {
    const s = smtp();
    return s.next.bind(s);
  };
  return readers({ url: () => smtp().url, mails: () => smtp().mails, next });
}

/** The one Dashboard link in a mail's text (throws when there is not exactly one). */
export function mailedLink(text: string): string {
  const links = text.match(/https?:\/\/\S+\/dashboard\/(?:verify|reset)\/[\w-]+/g) ?? [];
  if (links.length !== 1) throw new Error(`expected one link, found ${links.length} in: ${text}`);
  return links[0] as string;
}
