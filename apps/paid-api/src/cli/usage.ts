/** The CLI's commands (`keys help`), quoted by docs/guides/paid-api.md and the example's README. */
export const USAGE = `usage: keys <command>
  customer create --email E --plan P [--password-stdin]
  customer invite --customer ID [--url BASE_URL]
  link revoke LINK | --customer ID
  key create --customer ID [--expires ISO-DATE]
  key rotate KEY_ID [--grace SECONDS]
  key revoke KEY_ID
  key expire KEY_ID --at ISO-DATE|never
  key list --customer ID
  plan set --customer ID --plan P
  limits set --customer ID [--minute N] [--hour N] [--day N] [--month N]   (N or "unlimited")
  limits clear --customer ID
  credits add --customer ID --amount N [--id TOPUP_ID]`;
