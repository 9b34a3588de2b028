// Writes examples/项目清单模板.xlsx: a 说明 (introduction) sheet first, as offices do, then the
// project list with the columns the importer expects and a few rows of the demo city, whose people
// the sandbox knows when seeded with src/demo/fixtures/demo-projects.csv.
// Run: npx tsx scripts/make-example-workbook.ts  (test/newcomer/example-workbook.test.ts imports it)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as XLSX from '@e965/xlsx';
import { csvRecords } from '../src/registry/sheet-reader.js';
import { FIELDS } from '../src/registry/header-map.js';

const SOURCE = fileURLToPath(new URL('../src/demo/fixtures/demo-projects.csv', import.meta.url));
export const EXAMPLE_WORKBOOK = fileURLToPath(new URL('../examples/项目清单模板.xlsx', import.meta.url));
const ROWS = 6;

/** Numbers stay numbers and dates stay Excel dates, as in an office's own workbook. */
function cell(header: string, text: string): string | number | Date {
  if (text === '') return text;
  if (/万元/.test(header) && /^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/日期$/.test(header) && /^\d{4}-\d{2}-\d{2}$/.test(text)) return new Date(`${text}T00:00:00Z`);
  return text;
}

export function buildExampleWorkbook(): Buffer {
  const records = csvRecords(readFileSync(SOURCE, 'utf8').replace(/^\uFEFF/, ''));
  // The demo's CSV says 1-10月, right for the demo's own November clock; a template imported on any
  // day of any year must not name a month still to come (the importer refuses 1-10月 before
  // October), so its year-to-date column is the undated 本年累计, this year's figure so far.
  const header = records[0].cells.map((c) => String(c ?? '').replace(/^1-10月累计完成投资/, '本年累计完成投资'));
  const rows = records.slice(1, 1 + ROWS).map((r) => r.cells.map((c, i) => cell(header[i], String(c ?? ''))));

  const required = FIELDS.filter((f) => f.required).map((f) => f.label);
  const intro = [
    ['重点项目清单（模板）'],
    [''],
    ['填表说明'],
    ['1. 项目清单在工作表“项目清单”中，第一行为列名；列的顺序可以调整，列名须保持。'],
    [`2. 必填列：${required.join('、')}。`],
    ['3. 金额单位为万元（列名中的“(万元)”可改为“(亿元)”或“(元)”，导入时自动换算）。'],
    ['4. 项目阶段填“前期”“新开工”“续建”“竣工”之一；调度频次填“每周”或“每月”。'],
    ['5. 手机号用于匹配飞书账号：项目负责人、包保领导、分管副市长、责任单位联系人各填本人手机。'],
    ['6. “本年累计完成投资(万元)”为年初至今累计，作为本年累计的起点（可省略）；也可写作“1-10月累计完成投资(万元)”等，注明截至几月。'],
    ['7. 导入前先试运行：npm run cli -- import examples/项目清单模板.xlsx --dry-run'],
  ];
  const wb = XLSX.utils.book_new();
  const introSheet = XLSX.utils.aoa_to_sheet(intro);
  introSheet['!cols'] = [{ wch: 90 }];
  XLSX.utils.book_append_sheet(wb, introSheet, '说明');
  const list = XLSX.utils.aoa_to_sheet([header, ...rows], { cellDates: true, dateNF: 'yyyy-mm-dd' });
  list['!cols'] = header.map((h) => ({ wch: Math.max(10, h.length * 2) }));
  XLSX.utils.book_append_sheet(wb, list, '项目清单');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  writeFileSync(EXAMPLE_WORKBOOK, buildExampleWorkbook());
  console.log(`wrote ${EXAMPLE_WORKBOOK}`);
}
