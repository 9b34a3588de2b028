import { describe, expect, it } from 'vitest';
import { transition, type ProblemAction } from '../../src/domain/problem-state.js';
import { matchDepartment } from '../../src/domain/department-match.js';
import { problemNumber, resolveDepartment } from '../../src/problems/problem.repository.js';
import type { ProblemStatus } from '../../src/db/schema.js';

describe('problem state machine', () => {
  it.each<[ProblemStatus, ProblemAction, string | null, ProblemStatus]>([
    ['open', 'accept', null, 'in_coordination'],
    ['reopened', 'accept', null, 'in_coordination'],
    ['in_coordination', 'resolve', '已协调', 'resolved'],
    ['resolved', 'confirm', null, 'confirmed'],
    ['resolved', 'reopen', '仍未解决', 'reopened'],
  ])('%s --%s--> %s', (from, action, note, to) => {
    expect(transition(from, action, note)).toEqual({ ok: true, to });
  });

  it.each<[ProblemStatus, ProblemAction, boolean]>([
    ['open', 'resolve', false],
    ['open', 'confirm', false],
    ['in_coordination', 'confirm', false],
    ['confirmed', 'reopen', false],
    ['in_coordination', 'reopen', false],
    ['in_coordination', 'accept', true],
    ['resolved', 'accept', true],
    ['confirmed', 'resolve', true],
    ['confirmed', 'confirm', true],
    ['reopened', 'reopen', true],
  ])('%s cannot %s (already done: %s)', (from, action, already) => {
    const r = transition(from, action, 'x');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.already).toBe(already);
  });

  it('needs a note to resolve and a reason to reopen', () => {
    expect(transition('in_coordination', 'resolve', '  ')).toEqual({ ok: false, already: false, reason: '请填写办理情况说明' });
    expect(transition('resolved', 'reopen', null)).toEqual({ ok: false, already: false, reason: '请填写退回原因' });
  });
});

describe('department matching', () => {
  const all = [
    { id: 1, name: '市发改委' },
    { id: 2, name: '市自然资源局' },
    { id: 3, name: '市住建局' },
    { id: 4, name: '市生态环境局' },
    { id: 5, name: '天城县住建局' },
  ];
  it.each<[string, number | null]>([
    ['市自然资源局', 2],
    ['自然资源局', 2],
    ['市自然资源局负责', 2],
    ['市 住建局', 3],
    ['住建局', 3],
    ['发改委', 1],
    ['生态环境', 4],
    ['局', null],
    ['交通局', null],
    ['', null],
  ])('%s → %s', (typed, id) => {
    expect(matchDepartment(typed, all)?.id ?? null).toBe(id);
  });

  it('takes a select value (the department id), else the name, else the project department', () => {
    expect(resolveDepartment('4', all, 1)).toBe(4);
    expect(resolveDepartment('自然资源局', all, 1)).toBe(2);
    expect(resolveDepartment('交通局', all, 1)).toBe(1);
    expect(resolveDepartment(null, all, null)).toBeNull();
  });

  it('numbers problems by the raise year in the dispatch zone', () => {
    expect(problemNumber(1, new Date('2026-12-31T17:00:00Z'), 'Asia/Shanghai')).toBe('WT2027-0001');
    expect(problemNumber(123, new Date('2026-06-01T00:00:00Z'), 'Asia/Shanghai')).toBe('WT2026-0123');
  });
});
