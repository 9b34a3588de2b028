// One problem found in an imported sheet. The text form `row N, column 列名: 说明` is fixed so
// both the office staff and scripts can find the cell: N is the spreadsheet's own row number
// (the header row of a plain sheet is row 1), the column is the header as typed in the sheet.
export type SheetIssue = { row: number; column: string; message: string };

export function formatIssue(issue: SheetIssue): string {
  return `row ${issue.row}, column ${issue.column}: ${issue.message}`;
}

/** Sheet order: by row, then by the column's position in the sheet when known. */
export function sortIssues(issues: SheetIssue[], columnOrder: (column: string) => number = () => 0): SheetIssue[] {
  return [...issues].sort((a, b) => a.row - b.row || columnOrder(a.column) - columnOrder(b.column));
}
