// One place that removes what could identify a person from text that leaves our control: error
// messages and stack traces stored by BullMQ in Redis (a failed job's failedReason/stacktrace) and
// logged. Vendor and SMTP errors can quote an address ("550 <someone@example.com>: unknown user").

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;

export function scrubText(text: string): string {
  return text.replace(EMAIL, '[address]').replace(IPV4, '[ip]');
}

/** Scrubs an error in place (its class is kept: BullMQ tells UnrecoverableError and DelayedError by class). */
export function scrubError<T>(err: T): T {
  if (err instanceof Error) {
    err.message = scrubText(err.message);
    if (err.stack) err.stack = scrubText(err.stack);
    const e = err as Error & { response?: unknown };
    if (typeof e.response === 'string') e.response = scrubText(e.response);
  }
  return err;
}
