// Spreadsheet bytes → rows of cells with their spreadsheet row numbers. Reads .xlsx/.xls
// (the first sheet holding a header row, or a named one; merged cells are filled from their top-left cell because
// offices merge a region over all its projects) and CSV in UTF-8 (with or without BOM) or
// GBK, which is what Excel on a Chinese Windows saves "CSV" as.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import * as XLSX from '@e965/xlsx';
import iconv from 'iconv-lite';
import { AppError } from '../errors.js';
import { cellText, type Cell } from './cell-parsers.js';
import { mapHeaders } from './header-map.js';

export type { Cell } from './cell-parsers.js';

export type SheetRow = { rowNumber: number; cells: Cell[] };

export type SheetData = {
  format: 'xlsx' | 'csv';
  /** The worksheet read; null for CSV. */
  sheetName: string | null;
  sheetNames: string[];
  encoding: 'utf8' | 'gbk' | null;
  /** Non-blank rows only, each with its row number in the spreadsheet (1-based). */
  rows: SheetRow[];
};

export type SourceFile = { fileName: string; bytes: Buffer; sha256: string };

export async function readSourceFile(path: string): Promise<SourceFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new AppError('VALIDATION', `cannot read ${path}: ${(e as Error).message}`, {
      userMessage: `无法读取文件 ${path}：${(e as NodeJS.ErrnoException).code === 'ENOENT' ? '文件不存在' : (e as Error).message}`,
      cause: e,
    });
  }
  return sourceFromBytes(basename(path), bytes);
}

export function sourceFromBytes(fileName: string, bytes: Buffer): SourceFile {
  return { fileName, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const invalid = (message: string, userMessage: string) => new AppError('VALIDATION', message, { userMessage });

type Format = 'xlsx' | 'csv';

function detectFormat(file: SourceFile): Format {
  const ext = extname(file.fileName).toLowerCase();
  if (['.xlsx', '.xlsm', '.xls', '.et'].includes(ext)) return 'xlsx';
  if (['.csv', '.txt', '.tsv'].includes(ext)) return 'csv';
  // Unknown extension: zip (xlsx) and OLE2 (xls) have magic numbers; anything else is taken as text.
  const b = file.bytes;
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b) return 'xlsx';
  if (b.length >= 8 && b.readUInt32BE(0) === 0xd0cf11e0) return 'xlsx';
  if (ext === '') return 'csv';
  throw invalid(`unsupported file type ${ext}`, `不支持的文件类型“${ext}”，请提供 .xlsx、.xls 或 .csv 文件`);
}

export function readSheet(file: SourceFile, opts: { sheet?: string } = {}): SheetData {
  if (file.bytes.length === 0) throw invalid('empty file', `文件“${file.fileName}”是空的`);
  const format = detectFormat(file);
  if (format === 'csv') {
    if (opts.sheet) throw invalid('--sheet given for a CSV file', 'CSV 文件没有工作表，请不要使用 --sheet');
    const binary = binaryKind(file.bytes);
    if (binary) {
      throw invalid(`not a spreadsheet (${binary})`, `文件“${file.fileName}”不是 .xlsx 或 .csv 表格（看起来是${binary}），请提供项目清单的 Excel 或 CSV 文件`);
    }
    const { text, encoding } = decodeCsvBytes(file.bytes);
    return { format, sheetName: null, sheetNames: [], encoding, rows: nonBlank(csvRecords(text)) };
  }
  return readWorkbook(file, opts.sheet);
}

/** What a file read as text plainly is not: a PDF, an image, or binary (a NUL byte no CSV has). */
function binaryKind(b: Buffer): string | undefined {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return ' PDF 文件';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x89504e47) return ' PNG 图片';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return ' JPEG 图片';
  if (b.subarray(0, 8192).includes(0)) return '二进制文件';
  return undefined;
}

/** Valid UTF-8 (BOM or not) is UTF-8; anything else is GBK (read as GB18030, its superset). */
export function decodeCsvBytes(bytes: Buffer): { text: string; encoding: 'utf8' | 'gbk' } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text, encoding: 'utf8' };
  } catch {
    return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gbk' };
  }
}

/**
 * RFC 4180 records (quoted fields with commas, doubled quotes and line breaks) numbered as
 * Excel would show them: one row per record, blank lines counted.
 */
export function csvRecords(text: string): SheetRow[] {
  const delimiter = sniffDelimiter(text);
  const rows: SheetRow[] = [];
  let row: Cell[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    row.push(field === '' ? null : field);
    field = '';
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    rows.push({ rowNumber: rows.length + 1, cells: row });
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === delimiter) endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** Comma unless the header line has tabs or semicolons and no commas (some exports use those). */
function sniffDelimiter(text: string): string {
  const first = text.slice(0, text.search(/\r|\n|$/));
  if (first.includes(',') || first.includes('，')) return ',';
  if (first.includes('\t')) return '\t';
  if (first.includes(';')) return ';';
  return ',';
}

function readWorkbook(file: SourceFile, sheet: string | undefined): SheetData {
  let wb: XLSX.WorkBook;
  try {
    // Dates stay serial numbers: the column says a cell is a date, and a serial has no time zone.
    wb = XLSX.read(file.bytes, { type: 'buffer', dense: true, cellDates: false, cellText: false, cellHTML: false, cellFormula: false });
  } catch (e) {
    throw new AppError('VALIDATION', `cannot parse workbook: ${(e as Error).message}`, {
      userMessage: `无法读取表格文件“${file.fileName}”：文件已损坏或不是 Excel 文件`,
      cause: e,
    });
  }
  const sheetNames = wb.SheetNames;
  if (sheetNames.length === 0) throw invalid('no sheets', `文件“${file.fileName}”中没有工作表`);
  if (sheet !== undefined) {
    const name = sheetNames.find((n) => n === sheet) ?? sheetNames.find((n) => n.trim() === sheet.trim());
    if (name === undefined) throw invalid(`sheet ${sheet} not found`, `找不到工作表“${sheet}”，文件中的工作表有：${sheetNames.join('、')}`);
    return { format: 'xlsx', sheetName: name, sheetNames, encoding: null, rows: worksheetRows(wb, name) };
  }
  // Offices often put an introduction (说明) or a cover first: the list is the first sheet with a header row.
  const first = sheetNames[0];
  if (sheetNames.length === 1) return { format: 'xlsx', sheetName: first, sheetNames, encoding: null, rows: worksheetRows(wb, first) };
  for (const name of sheetNames) {
    const rows = worksheetRows(wb, name);
    if (mapHeaders(rows).ok) return { format: 'xlsx', sheetName: name, sheetNames, encoding: null, rows };
  }
  throw invalid('no sheet with a header row', `文件“${file.fileName}”的工作表（${sheetNames.join('、')}）中都找不到表头（“项目编号”“项目名称”等列名）；`
    + `请用 --sheet 指定项目清单所在的工作表，如 --sheet "${sheetNames.find((n) => !/说明|封面|填表/.test(n)) ?? first}"`);
}

function worksheetRows(wb: XLSX.WorkBook, name: string): SheetRow[] {
  const ws = wb.Sheets[name];
  if (!ws?.['!ref']) return [];
  const range = XLSX.utils.decode_range(ws['!ref']);
  const grid = XLSX.utils.sheet_to_json<unknown[]>(ws, { header: 1, raw: true, defval: null, blankrows: true });
  // In place: the grid is ours, and a copy of every row is garbage the size of the sheet.
  for (const row of grid) for (let i = 0; i < row.length; i++) row[i] = toCell(row[i]);
  const cells = grid as Cell[][];
  for (const m of ws['!merges'] ?? []) fillMerge(cells, m, range.s);
  const rows = cells.map((c, i) => ({ rowNumber: range.s.r + i + 1, cells: c }));
  return nonBlank(rows);
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  return JSON.stringify(v) ?? null;
}

function fillMerge(cells: Cell[][], m: XLSX.Range, origin: XLSX.CellAddress): void {
  const value = cells[m.s.r - origin.r]?.[m.s.c - origin.c] ?? null;
  if (value === null) return;
  for (let r = m.s.r; r <= m.e.r; r++) {
    const row = cells[r - origin.r];
    if (!row) continue;
    for (let c = m.s.c; c <= m.e.c; c++) {
      const idx = c - origin.c;
      if (row[idx] === null || row[idx] === undefined) row[idx] = value;
    }
  }
}

function nonBlank(rows: SheetRow[]): SheetRow[] {
  return rows.filter((r) => r.cells.some((c) => cellText(c) !== ''));
}
