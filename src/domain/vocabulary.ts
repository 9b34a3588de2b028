// The words every layer shares — stages, cycle kinds, problem categories and states, report
// states — declared once here; src/db/schema.ts re-exports them for the table types.
export type Stage = '谋划' | '前期' | '新开工' | '续建' | '竣工' | '投产';
export const STAGES: readonly Stage[] = ['谋划', '前期', '新开工', '续建', '竣工', '投产'];
export type CycleKind = 'weekly' | 'monthly';
export type ProblemCategory = '前期手续' | '用地' | '资金' | '征地拆迁' | '施工组织' | '要素保障' | '审批' | '其他';
export const PROBLEM_CATEGORIES: readonly ProblemCategory[] = [
  '前期手续', '用地', '资金', '征地拆迁', '施工组织', '要素保障', '审批', '其他',
];
export type ProblemStatus = 'open' | 'in_coordination' | 'resolved' | 'confirmed' | 'reopened';
export type ReportStatus = 'pending' | 'reported' | 'late' | 'missed';
