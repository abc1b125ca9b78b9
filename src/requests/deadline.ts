// GDPR Art. 12(3): the controller answers "within one month of receipt of the request".
// A period of one month ends on the same date of the following month; when that date does not
// exist (31 January → February), it ends on the last day of that month (Regulation 1182/71,
// Art. 3(2)(c)). Computed in UTC, keeping the time of day of receipt.

export function addCalendarMonths(from: Date, months: number): Date {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(from.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(y, m, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

export function dueDate(receivedAt: Date): Date {
  return addCalendarMonths(receivedAt, 1);
}

const DAY = 86_400_000;

/** Whole days left until the due date (negative once overdue). */
export function daysLeft(due: Date, now: Date = new Date()): number {
  return Math.floor((due.getTime() - now.getTime()) / DAY);
}

export function isOverdue(due: Date, open: boolean, now: Date = new Date()): boolean {
  return open && due.getTime() < now.getTime();
}
