import { describe, expect, it } from 'vitest';
import { diffRegistry, type ExistingProject, type IncomingProject, type RegistryValues } from '../../src/registry/registry-diff.js';

const values: RegistryValues = {
  name: '雷打滩水电站', legal_entity: '雷打滩水电开发有限公司', location: '天城县某镇', region_id: 1, industry: '能源',
  stage: '续建', lists: ['在建项目', '专项债券项目'], dispatch_frequency: 'monthly', total_investment: '60372.0000',
  annual_plan: '18000.0000', ytd_investment: '0.0000', ytd_year: null, investor_type: '民间投资', planned_start: '2024-07-15', planned_finish: '2027-12-31',
  owner_id: 10, leader_id: 11, vice_mayor_id: 12, department_id: 3,
};
const stored: ExistingProject = { ...values, id: 7, code: 'XM2026002', active: true };

function incoming(patch: Partial<IncomingProject['values']> = {}, frequency: IncomingProject['frequency'] = 'monthly'): IncomingProject {
  const { dispatch_frequency: _ignored, ...rest } = values;
  return { code: 'XM2026002', rowNumber: 3, values: { ...rest, total_investment: '60372', annual_plan: '18000', ...patch }, frequency };
}

describe('diffRegistry', () => {
  it('sees no change when money differs only in trailing zeros and lists only in order', () => {
    const d = diffRegistry([stored], [incoming({ lists: ['专项债券项目', '在建项目'], total_investment: '60372.00' })], { retireMissing: false });
    expect(d.unchanged).toEqual([{ id: 7, code: 'XM2026002' }]);
    expect(d.updated).toEqual([]);
  });

  it('records exactly the fields that changed, in canonical form', () => {
    const d = diffRegistry([stored], [incoming({ total_investment: '61000.5', owner_id: 20 })], { retireMissing: false });
    expect(d.updated).toHaveLength(1);
    expect(d.updated[0]?.changes).toEqual([
      { field: 'total_investment', from: '60372', to: '61000.5' },
      { field: 'owner_id', from: 10, to: 20 },
    ]);
  });

  it('leaves fields the sheet has no column for alone', () => {
    const partial: IncomingProject = { code: 'XM2026002', rowNumber: 3, values: { name: values.name, region_id: 1, stage: '续建', total_investment: '60372' }, frequency: undefined };
    const d = diffRegistry([stored], [partial], { retireMissing: false });
    expect(d.unchanged).toHaveLength(1);
  });

  it('creates unknown codes with defaults, the frequency following the lists when not given', () => {
    const d = diffRegistry([], [
      { code: 'A', rowNumber: 2, values: { name: 'a', region_id: 1, stage: '新开工', total_investment: '10', lists: ['已开工未入统项目'] }, frequency: 'by-list' },
      { code: 'B', rowNumber: 3, values: { name: 'b', region_id: 1, stage: '前期', total_investment: '10' }, frequency: undefined },
    ], { retireMissing: false });
    expect(d.created.map((c) => [c.code, c.values.dispatch_frequency, c.values.annual_plan, c.values.owner_id])).toEqual([
      ['A', 'weekly', '0', null],
      ['B', 'monthly', '0', null],
    ]);
  });

  it('retires absent active projects only when asked, and reactivates a retired one that is back', () => {
    const gone: ExistingProject = { ...stored, id: 8, code: 'XM-OLD', name: '旧项目' };
    const retired: ExistingProject = { ...stored, id: 9, code: 'XM-BACK', active: false };
    const back: IncomingProject = { ...incoming(), code: 'XM-BACK' };
    expect(diffRegistry([stored, gone], [incoming()], { retireMissing: false }).retired).toEqual([]);
    const d = diffRegistry([stored, gone, retired], [incoming(), back], { retireMissing: true });
    expect(d.retired).toEqual([{ id: 8, code: 'XM-OLD', name: '旧项目' }]);
    expect(d.updated).toEqual([expect.objectContaining({ id: 9, reactivate: true, changes: [{ field: 'active', from: false, to: true }] })]);
  });

  it('checks plan against total once stored values fill the columns the sheet lacks', () => {
    const partial: IncomingProject = { code: 'XM2026002', rowNumber: 3, values: { name: values.name, region_id: 1, stage: '续建', total_investment: '15000' }, frequency: undefined };
    const d = diffRegistry([stored], [partial], { retireMissing: false });
    expect(d.issues).toEqual([{ rowNumber: 3, field: 'annual_plan', message: '年度计划投资 18000 万元大于总投资 15000 万元（含库中已有数据）' }]);
  });
});
