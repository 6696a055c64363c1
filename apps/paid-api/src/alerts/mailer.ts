/**
 * Mail out: `send({to, subject, text})`. Over SMTP with nodemailer when `SMTP_URL` is set (from
 * `MAIL_FROM`); otherwise each mail is written to the server's log, marked as not sent.
 */
import nodemailer from 'nodemailer';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close?(): void;
}

export const DEFAULT_MAIL_FROM = 'twofa-kit paid API <no-reply@localhost>';

/** Writes each mail to `write` (default: the console), marked as such: nothing leaves the machine. */
export function logMailer(write: (line: string) => void = (line) => console.log(line)): Mailer {
  return {
    send: async (mail) => {
      write(`[mail not sent: SMTP_URL is unset] to=${mail.to} subject=${JSON.stringify(mail.subject)}\n${mail.text}`);
    },
  };
}

/** nodemailer over `url` (e.g. `smtp://user:pass@smtp.example.com:587`). */
export function smtpMailer(url: string, from: string = DEFAULT_MAIL_FROM): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    send: async (mail) => {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}

/** The mailer the environment asks for: SMTP when `smtpUrl` is set, else the log. */
export function mailerFor(smtpUrl: string | undefined, from?: string): Mailer {
  return smtpUrl === undefined ? logMailer() : smtpMailer(smtpUrl, from);
}
