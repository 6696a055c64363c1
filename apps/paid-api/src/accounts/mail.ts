/**
 * The mails the Dashboard sends (address verification, password reset, "someone signed up with
 * your address"): plain text, over SMTP with nodemailer (`SMTP_URL`, from `MAIL_FROM`). Without
 * `SMTP_URL` a mail is not sent but written to the server's log between marker lines, so the links
 * can be followed in development; a mail that holds a link holds a secret, so that log is for a
 * development machine only.
 */
import nodemailer from 'nodemailer';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** The default sender when `MAIL_FROM` is unset. */
export const DEFAULT_MAIL_FROM = '2FA API Dashboard <no-reply@localhost>';

/** Sends over SMTP: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. */
export function smtpMailer(url: string, from: string = DEFAULT_MAIL_FROM): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    send: async (mail) => {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}

/** Writes each mail to `write` (the server's log), marked as not sent. */
export function logMailer(write: (text: string) => void, from: string = DEFAULT_MAIL_FROM): Mailer {
  return {
    send: async (mail) => {
      write(
        [
          '----- MAIL NOT SENT (SMTP_URL is unset; development only) -----',
          `From: ${from}`,
          `To: ${mail.to}`,
          `Subject: ${mail.subject}`,
          '',
          mail.text,
          '----- END OF MAIL -----',
        ].join('\n'),
      );
    },
    close: () => {},
  };
}
