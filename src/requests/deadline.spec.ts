import { describe, expect, test } from '@jest/globals';
import { addCalendarMonths, daysLeft, dueDate, isOverdue } from './deadline.js';

describe('GDPR one-month deadline', () => {
  test.each([
    ['2026-03-15T10:20:30.000Z', '2026-04-15T10:20:30.000Z'],
    ['2026-01-31T08:00:00.000Z', '2026-02-28T08:00:00.000Z'],
    ['2028-01-31T08:00:00.000Z', '2028-02-29T08:00:00.000Z'],
    ['2026-03-31T23:59:59.999Z', '2026-04-30T23:59:59.999Z'],
    ['2026-12-20T00:00:00.000Z', '2027-01-20T00:00:00.000Z'],
    ['2026-08-31T12:00:00.000Z', '2026-09-30T12:00:00.000Z'],
  ])('received %s is due %s', (received, due) => {
    expect(dueDate(new Date(received)).toISOString()).toBe(due);
  });

  test('several months, across a year end', () => {
    expect(addCalendarMonths(new Date('2026-11-30T00:00:00Z'), 3).toISOString()).toBe('2027-02-28T00:00:00.000Z');
  });

  test('days left and overdue', () => {
    const now = new Date('2026-05-10T12:00:00Z');
    expect(daysLeft(new Date('2026-05-20T12:00:00Z'), now)).toBe(10);
    expect(daysLeft(new Date('2026-05-09T12:00:00Z'), now)).toBe(-1);
    expect(isOverdue(new Date('2026-05-09T12:00:00Z'), true, now)).toBe(true);
    expect(isOverdue(new Date('2026-05-09T12:00:00Z'), false, now)).toBe(false);
    expect(isOverdue(new Date('2026-05-11T12:00:00Z'), true, now)).toBe(false);
  });
});
