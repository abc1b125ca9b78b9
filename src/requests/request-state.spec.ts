import { describe, expect, test } from '@jest/globals';
import { assertTransition, canTransition, isOpen, statusWhenTasksEnded } from './request-state.js';

describe('request lifecycle', () => {
  test('allowed transitions', () => {
    expect(canTransition('awaiting_verification', 'verified')).toBe(true);
    expect(canTransition('verified', 'in_progress')).toBe(true);
    expect(canTransition('in_progress', 'completed')).toBe(true);
    expect(canTransition('in_progress', 'failed')).toBe(true);
    expect(canTransition('failed', 'in_progress')).toBe(true);
    expect(canTransition('awaiting_verification', 'expired')).toBe(true);
    expect(canTransition('awaiting_verification', 'rejected')).toBe(true);
  });

  test('nothing skips verification and nothing leaves a terminal status', () => {
    expect(canTransition('awaiting_verification', 'in_progress')).toBe(false);
    expect(canTransition('awaiting_verification', 'completed')).toBe(false);
    for (const terminal of ['completed', 'expired', 'rejected'] as const) {
      for (const to of ['awaiting_verification', 'verified', 'in_progress', 'completed', 'failed'] as const) {
        expect(canTransition(terminal, to)).toBe(false);
      }
    }
    expect(() => assertTransition('completed', 'in_progress')).toThrow('cannot go from completed to in_progress');
  });

  test('open statuses', () => {
    expect(isOpen('awaiting_verification')).toBe(true);
    expect(isOpen('failed')).toBe(true);
    expect(isOpen('completed')).toBe(false);
    expect(isOpen('expired')).toBe(false);
  });

  test('the status once every task has ended', () => {
    expect(statusWhenTasksEnded(['done', 'skipped', 'done'])).toBe('completed');
    expect(statusWhenTasksEnded(['done', 'failed'])).toBe('failed');
    expect(() => statusWhenTasksEnded(['done', 'running'])).toThrow('not ended');
  });
});
