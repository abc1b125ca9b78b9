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
    for (const terminal of ['completed', 'expired', 'rejected', 'denied'] as const) {
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
    expect(() => statusWhenTasksEnded(['done', 'waiting'])).toThrow('not ended');
  });

  test('open officer actions keep a request from completing; a failed task comes first', () => {
    expect(statusWhenTasksEnded(['done', 'done'], 1)).toBe('awaiting_action');
    expect(statusWhenTasksEnded(['done', 'failed'], 2)).toBe('failed');
    expect(statusWhenTasksEnded(['done', 'cancelled'], 0)).toBe('completed');
    expect(canTransition('awaiting_action', 'completed')).toBe(true);
    expect(canTransition('awaiting_action', 'awaiting_verification')).toBe(false);
    expect(isOpen('awaiting_action')).toBe(true);
  });

  test('an officer can deny any open request, and nothing else', () => {
    for (const from of ['awaiting_verification', 'verified', 'in_progress', 'failed', 'awaiting_action'] as const) {
      expect(canTransition(from, 'denied')).toBe(true);
    }
    for (const from of ['completed', 'expired', 'rejected'] as const) expect(canTransition(from, 'denied')).toBe(false);
  });
});
