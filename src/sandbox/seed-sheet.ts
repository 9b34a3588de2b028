// People for the sandbox's directory from a project registry spreadsheet, read exactly as the
// registry import reads it (src/registry: xlsx/xls, CSV in UTF-8 or GBK, title rows, two-row
// headers and the header words offices use), so the sheet an office imports is the sheet that
// seeds its simulated tenant. A JSON array of users is still accepted for hand-made directories.
import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.js';
import { cellText, parseMobile } from '../registry/cell-parsers.js';
import { DEPARTMENT_CONTACT, mapHeaders, PERSON_ROLES, type FieldKey } from '../registry/header-map.js';
import { readSheet, readSourceFile } from '../registry/sheet-reader.js';
import type { NewUser } from './directory.js';

const PEOPLE_COLUMNS: ReadonlyArray<{ name: FieldKey; mobile: FieldKey; email: FieldKey }> = [
  ...PERSON_ROLES.map((r) => ({ name: r.name, mobile: r.mobile, email: r.email })),
  { name: DEPARTMENT_CONTACT.name, mobile: DEPARTMENT_CONTACT.mobile, email: DEPARTMENT_CONTACT.email },
];

/** Every named person with a valid mobile in the sheet's people columns; a bad mobile is reported with its row. */
export async function peopleFromSheetFile(path: string): Promise<NewUser[]> {
  const sheet = readSheet(await readSourceFile(path));
  const mapped = mapHeaders(sheet.rows);
  if (!mapped.ok) {
    const first = mapped.issues[0];
    throw new AppError('VALIDATION', `no registry header in ${path}`, { userMessage: `${path}：${first ? `第${first.row}行 ${first.column}：${first.message}` : '找不到表头'}` });
  }
  const { fields } = mapped.columns;
  const pairs = PEOPLE_COLUMNS.flatMap((p) => {
    const name = fields[p.name];
    const mobile = fields[p.mobile];
    return name && mobile ? [{ name: name.index, mobile: mobile.index, mobileHeader: mobile.header, email: fields[p.email]?.index }] : [];
  });
  if (pairs.length === 0) {
    throw new AppError('VALIDATION', `no people columns in ${path}`, {
      userMessage: `${path}：没有人员列（如“项目负责人”与“负责人手机”），无法生成通讯录`,
    });
  }
  const people: NewUser[] = [];
  for (const row of sheet.rows.slice(mapped.dataStartIndex)) {
    for (const pair of pairs) {
      const name = cellText(row.cells[pair.name] ?? null).trim();
      const rawMobile = row.cells[pair.mobile] ?? null;
      if (!name || cellText(rawMobile).trim() === '') continue;
      const mobile = parseMobile(rawMobile);
      if (!mobile.ok) {
        throw new AppError('VALIDATION', `bad mobile at row ${row.rowNumber}`, { userMessage: `${path}：第${row.rowNumber}行“${pair.mobileHeader}”列：${mobile.reason}` });
      }
      if (!mobile.value) continue;
      const email = pair.email === undefined ? '' : cellText(row.cells[pair.email] ?? null).trim();
      people.push({ name, mobile: mobile.value, ...(email ? { email } : {}) });
    }
  }
  return people;
}

/** A JSON array of {name, mobile, email?} users. */
export async function peopleFromJsonFile(path: string): Promise<NewUser[]> {
  const value: unknown = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  if (!Array.isArray(value)) throw new AppError('VALIDATION', 'seed JSON is not an array', { userMessage: `${path}：JSON 通讯录必须是数组` });
  return value.map((item, index) => {
    const user = item as Partial<NewUser>;
    if (typeof user.name !== 'string' || typeof user.mobile !== 'string') {
      throw new AppError('VALIDATION', `seed entry ${index} invalid`, { userMessage: `${path}：第${index + 1}个用户需要 name 和 mobile 字符串` });
    }
    return user as NewUser;
  });
}

/** Reads a seed file by its kind: .json is a user list, anything else a registry spreadsheet. */
export async function peopleFromSeedFile(path: string): Promise<NewUser[]> {
  return path.toLowerCase().endsWith('.json') ? peopleFromJsonFile(path) : peopleFromSheetFile(path);
}
