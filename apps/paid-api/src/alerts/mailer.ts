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

/**
 * Writes each mail to `write` (default: the console) between marker lines: nothing leaves the
 * machine. A mail may hold a link that signs someone in or resets a password: a development tool.
 */
export function logMailer(write: (line: string) => void = (line) => console.log(line)): Mailer {
  return {
    send: async (mail) => {
      write(
        [
          '----- MAIL NOT SENT (SMTP_URL is unset; development only) -----',
          `To: ${mail.to}`,
          `Subject: ${mail.subject}`,
          '',
          mail.text,
          '----- END OF MAIL -----',
        ].join('\n'),
      );
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
