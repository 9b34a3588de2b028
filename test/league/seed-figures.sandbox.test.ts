// The seeds' own figures from their raw inputs, through the real import (the office's sheet
// with 1-10月完成投资 and 开工以来累计完成投资 columns) and the real submission path (signed
// card callbacks): 3.21亿元 of a 16.1亿元 plan is 19.9%; 41162万元 is 15.5% of 巡检司电厂's
// 总投资, 32661万元 is 54.1% of 雷打滩水电站's, 741.17万元 is 17.2% of 脚落沼煤矿's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent } from '../../src/domain/amount.js';
import { shareOfTotal } from '../../src/domain/league/since-start.js';
import { computeLeague } from '../../src/league/league.data.js';
import { deps, expectOk, fixtureGrid, gridToCsv, runImport } from '../registry/registry-helpers.js';
import { openCycle, promptCards, reportForm, startScenario, type Scenario, type TestPerson } from '../submission/scenario.js';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';

let h: Scenario;

// Three seed projects of the reference sheet plus one more 天城县 project that brings the county's
// annual plan to 16.1亿元 (60000 + 18000 + 2000 + 81000 万元).
const EXTRA = ['XM2026099', '天城县综合能源基地', '天城能源集团', '天城县', '天城县', '能源', '续建', '在建项目', '每月', '300000', '81000', '国有投资', '2024-01-10', '2028-12-31', '杜磊秀', '13900000001', '周敏', '13800002002', '王建国', '13800001001', '市发改委'];
// code → [1-10月完成投资, 开工以来累计完成投资 (through October), November's amount]
const FIGURES: Record<string, [string, string, string]> = {
  XM2026001: ['9000', '40162', '1000'],
  XM2026002: ['5000', '32161', '500'],
  XM2026003: ['300', '700', '41.17'],
  XM2026099: ['16000', '60000', '258.83'],
};

beforeAll(async () => {
  h = await startScenario('2026-11-21T10:00');
  const grid = fixtureGrid();
  const header = [...(grid[0]), '1-10月完成投资(万元)', '开工以来累计完成投资(万元)'];
  const rows = [...grid.slice(1).filter((r) => ['XM2026001', 'XM2026002', 'XM2026003'].includes(r[0])), EXTRA]
    .map((r) => [...r, FIGURES[r[0]][0], FIGURES[r[0]][1]]);
  expectOk(await runImport(deps(h.ctx.db, { now: h.clock.now }), '清单.csv', gridToCsv([header, ...rows])));
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('seed figures through import and submission', () => {
  it('imports 开工以来累计完成投资 apart from the year-to-date', async () => {
    const p = await h.ctx.db.selectFrom('projects').select(['code', 'ytd_investment', 'since_start_investment']).orderBy('code').execute();
    expect(p.map((x) => [x.code, Number(x.ytd_investment), Number(x.since_start_investment)])).toEqual(
      Object.entries(FIGURES).map(([code, [ytd, since]]) => [code, Number(ytd), Number(since)]),
    );
  });

  it('carries it by each monthly report and yields the seeds’ percentages', async () => {
    const db = h.ctx.db;
    const owners = await db.selectFrom('people').innerJoin('projects', 'projects.owner_id', 'people.id').select(['people.id', 'people.name', 'people.mobile']).distinct().execute();
    const people = new Map<number, TestPerson>();
    for (const o of owners) {
      const openId = h.fake.addUser({ name: o.name, mobile: o.mobile! });
      await db.updateTable('people').set({ open_id: openId, match_status: 'matched' }).where('id', '=', o.id).execute();
      people.set(o.id, { id: o.id, openId, name: o.name });
    }
    const november = await openCycle(db, '2026-11');
    const projects = await db.selectFrom('projects').select(['id', 'code', 'name', 'owner_id']).execute();
    for (const person of people.values()) {
      const cards = await promptCards(h, november, person);
      for (const p of projects.filter((x) => x.owner_id === person.id)) {
        const res = await h.driver.cardAction({
          operatorOpenId: person.openId, messageId: cards.get(p.name)!, name: 'report_submit',
          value: { a: 'report.submit', projectId: p.id, cycleId: november },
          formValue: reportForm({ [F.periodInvestment]: FIGURES[p.code][2], [F.progress]: `${p.name}形象进度` }),
        });
        expect(JSON.stringify(res.body)).not.toContain('"error"');
      }
    }
    const reports = await db.selectFrom('reports').innerJoin('projects', 'projects.id', 'reports.project_id')
      .select(['projects.code', 'reports.ytd_investment', 'reports.since_start_investment', 'reports.progress']).orderBy('projects.code').execute();
    expect(reports.map((r) => [r.code, Number(r.since_start_investment)])).toEqual([
      ['XM2026001', 41162], ['XM2026002', 32661], ['XM2026003', 741.17], ['XM2026099', 60258.83],
    ]);
    // The registry carries the monthly total forward as next month's base.
    const registry = await db.selectFrom('projects').select(['code', 'since_start_investment']).where('code', '=', 'XM2026001').executeTakeFirstOrThrow();
    expect(Number(registry.since_start_investment)).toBe(41162);

    const result = await computeLeague(db, november);
    const byCode = new Map(result.projects.map((p) => [p.code, p]));
    const share = (code: string) => formatPercent(shareOfTotal(byCode.get(code)!.sinceStart, byCode.get(code)!.totalInvestment)!);
    expect(share('XM2026001')).toBe('15.5%');
    expect(share('XM2026002')).toBe('54.1%');
    expect(share('XM2026003')).toBe('17.2%');
    expect(byCode.get('XM2026001')!.progress).toBe('巡检司电厂2×300MW机组扩建工程形象进度');

    const county = result.byRegion.get(result.regions.find((r) => r.name === '天城县')!.regionId)!;
    expect(county.ytd.dividedBy(10000).toFixed(2)).toBe('3.21'); // 亿元
    expect(county.annualPlan.dividedBy(10000).toFixed(1)).toBe('16.1');
    expect(formatPercent(county.completionRate!)).toBe('19.9%');
  });
});
