// Checks a card JSON 2.0 object the way the Feishu tenant does before it
// accepts it: unknown tags and properties, 1.0-only tags, enum values, the
// form rules (root only, a card-unique `name` on every field, a submit button),
// 200 components and 30 KB. Pure: no I/O, no clock.
//
// Codes (feishu-facts, "Card errors and limits" and §3): bad card JSON 200621;
// a 1.0-only component in a 2.0 card 200861; a form field without `name`
// 200530; more than 200 components 11310 "element exceeds the limit"; over
// 30 KB 230025. The message APIs wrap the card codes in 230099
// ("Failed to create card content, ext=ErrCode: …; ErrMsg: …").
import type { FeishuError } from './feishu-codes.js';
import { isRecord } from './http-util.js';
import {
  CARD_ROOT,
  COMPONENTS,
  NOT_INSIDE,
  OTHER_V2_TAGS,
  TEXT_OBJECT,
  TEXT_SIZES,
  V1_ONLY_TAGS,
  type ComponentSpec,
  type PropSpec,
} from './card-schema.js';

export const CARD_CODES = {
  badCard: 200621,
  v1Component: 200861,
  fieldWithoutName: 200530,
  tooManyElements: 11310,
  tooLarge: 230025,
} as const;

export const CARD_MAX_BYTES = 30 * 1024;
export const CARD_MAX_COMPONENTS = 200;
export const CARD_MAX_TABLES = 5;
const ELEMENT_ID = /^[A-Za-z][A-Za-z0-9_]{0,19}$/;

export interface CardViolation {
  code: number;
  /** What is wrong, in the words the error message carries. */
  message: string;
  /** Where, as a JSON path from the card root. */
  path: string;
}

interface Walk {
  violations: CardViolation[];
  components: number;
  tables: number;
  names: Map<string, string>;
  elementIds: Map<string, string>;
  textSizes: ReadonlySet<string>;
}

// Every card a tenant is sent is walked here, so the walk allocates no closures (under tsx each
// closure created in a call is also renamed, which cost a third of the walk) and only builds
// what a violation needs when there is one.

/** An exponent in a number ("1e3"): the one thing that makes compact JSON longer than its source. */
const EXPONENT = /\d[eE]/;

/**
 * Every way the card breaks the 2.0 reference, in document order; empty when Feishu would accept it.
 * `source`: the JSON text the card was parsed from, when there is one. Compact JSON is never
 * longer than its source unless a number in it has an exponent (strings only shrink: escapes
 * become characters; other numbers print in as few characters as they were written), so a source
 * within the limit spares serialising the card again to measure it.
 */
export function validateCard(card: unknown, source?: string): CardViolation[] {
  if (!isRecord(card)) return [{ code: CARD_CODES.badCard, message: 'card must be a JSON object', path: '$' }];
  if (card.schema !== '2.0') {
    return [{ code: CARD_CODES.badCard, message: 'schema must be "2.0" (JSON 1.0 cards are not accepted by this tenant)', path: '$.schema' }];
  }
  const walk: Walk = { violations: [], components: 0, tables: 0, names: new Map(), elementIds: new Map(), textSizes: customTextSizes(card) };
  const withinBySource = source !== undefined && !EXPONENT.test(source) && Buffer.byteLength(source, 'utf8') <= CARD_MAX_BYTES;
  if (!withinBySource) {
    const bytes = Buffer.byteLength(JSON.stringify(card), 'utf8');
    if (bytes > CARD_MAX_BYTES) {
      walk.violations.push({ code: CARD_CODES.tooLarge, message: `card is ${bytes} bytes, more than ${CARD_MAX_BYTES}`, path: '$' });
    }
  }
  checkObject(card, CARD_ROOT, NONE, '$', walk, 'card');
  const body = card.body;
  if (isRecord(body) && Array.isArray(body.elements)) {
    const elements = body.elements as unknown[];
    for (let i = 0; i < elements.length; i++) checkComponent(elements[i], `$.body.elements[${i}]`, NONE, walk);
  } else if (body === undefined) {
    walk.violations.push({ code: CARD_CODES.badCard, message: 'body.elements is required', path: '$.body' });
  }
  if (walk.components > CARD_MAX_COMPONENTS) {
    walk.violations.push({
      code: CARD_CODES.tooManyElements,
      message: `element exceeds the limit (${walk.components} components, at most ${CARD_MAX_COMPONENTS})`,
      path: '$.body',
    });
  }
  if (walk.tables > CARD_MAX_TABLES) {
    walk.violations.push({ code: CARD_CODES.badCard, message: `at most ${CARD_MAX_TABLES} tables per card, found ${walk.tables}`, path: '$.body' });
  }
  return walk.violations;
}

/** The first violation as the message APIs answer it: 230025 for size, else 230099 wrapping the card code. */
export function cardRefusal(violation: CardViolation): FeishuError {
  if (violation.code === CARD_CODES.tooLarge) {
    return { status: 400, code: 230025, msg: `The length of the message content reaches its limit. (${violation.message})` };
  }
  return {
    status: 400,
    code: 230099,
    msg: `Failed to create card content, ext=ErrCode: ${violation.code}; ErrMsg: ${violation.message}; ErrorValue: ${violation.path}`,
  };
}

const NONE: readonly string[] = [];
const DEFAULT_TEXT_SIZES: ReadonlySet<string> = new Set<string>(TEXT_SIZES);

function customTextSizes(card: Record<string, unknown>): ReadonlySet<string> {
  const config = card.config;
  const style = isRecord(config) ? config.style : undefined;
  const custom = isRecord(style) ? style.text_size : undefined;
  if (!isRecord(custom)) return DEFAULT_TEXT_SIZES;
  const sizes = new Set<string>(TEXT_SIZES);
  for (const k of Object.keys(custom)) sizes.add(k);
  return sizes;
}

function describe(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function bad(walk: Walk, code: number, message: string, path: string): void {
  walk.violations.push({ code, message, path });
}

/** The properties of a component that hold child components, worked out once per spec. */
const childKeys = new Map<ComponentSpec, string[]>();
function elementKeys(spec: ComponentSpec): string[] {
  let keys = childKeys.get(spec);
  if (!keys) {
    keys = Object.keys(spec.props).filter((k) => spec.props[k] === 'elements');
    childKeys.set(spec, keys);
  }
  return keys;
}

function checkComponent(el: unknown, path: string, ancestors: readonly string[], walk: Walk): void {
  if (!isRecord(el) || typeof el.tag !== 'string') {
    bad(walk, CARD_CODES.badCard, 'component must be an object with a "tag"', path);
    return;
  }
  const tag = el.tag;
  if (V1_ONLY_TAGS.has(tag)) {
    bad(walk, CARD_CODES.v1Component, `tag "${tag}" is a JSON 1.0 component, not supported in a 2.0 card`, `${path}.tag`);
    return;
  }
  const spec = Object.hasOwn(COMPONENTS, tag) ? COMPONENTS[tag] : undefined;
  const other = Object.hasOwn(OTHER_V2_TAGS, tag) ? OTHER_V2_TAGS[tag] : undefined;
  if (!spec && !other) {
    bad(walk, CARD_CODES.badCard, `unknown tag "${tag}"`, `${path}.tag`);
    return;
  }
  walk.components++;
  const parent = ancestors[ancestors.length - 1];
  if (tag === 'column' && parent !== 'column_set') bad(walk, CARD_CODES.badCard, 'column can only sit in a column_set', path);
  if (parent === 'column_set' && tag !== 'column') bad(walk, CARD_CODES.badCard, `column_set can only hold column, not "${tag}"`, path);
  if (tag === 'form' && ancestors.length > 0) bad(walk, CARD_CODES.badCard, 'form can only be placed at the root of the card body', path);
  for (const container of ancestors) {
    // A nested form is already refused above (forms live at the root only).
    if (tag !== 'form' && NOT_INSIDE[container]?.includes(tag)) {
      bad(walk, CARD_CODES.badCard, `"${tag}" cannot be nested in "${container}"`, path);
    }
  }
  if (tag === 'table') walk.tables++;
  checkElementId(el.element_id, path, walk);

  const inForm = ancestors.includes('form');
  const formField = spec?.formField ?? other?.formField ?? false;
  if (formField && inForm) checkName(el.name, path, walk, tag);
  // A form's own name is required by its spec (200621); here it only has to be unique.
  if (tag === 'form' && typeof el.name === 'string' && el.name !== '') checkName(el.name, path, walk, tag);

  if (!spec) return;
  checkObject(el, spec.props, spec.required ?? NONE, path, walk, tag);
  const keys = elementKeys(spec);
  if (keys.length > 0) {
    const nextAncestors = [...ancestors, tag];
    for (const key of keys) {
      const children = el[key];
      if (!Array.isArray(children)) continue;
      for (let i = 0; i < children.length; i++) checkComponent(children[i], `${path}.${key}[${i}]`, nextAncestors, walk);
    }
  }
  if (tag === 'form' && !hasSubmit(el.elements)) bad(walk, CARD_CODES.badCard, 'form has no button with form_action_type "submit"', path);
  if (tag === 'select_static' || tag === 'multi_select_static') checkOptions(el, path, walk);
  if (tag === 'markdown' && typeof el.text_size === 'string' && !walk.textSizes.has(el.text_size)) {
    bad(walk, CARD_CODES.badCard, `text_size ${describe(el.text_size)} is not a text size`, `${path}.text_size`);
  }
}

function checkName(name: unknown, path: string, walk: Walk, tag: string): void {
  if (typeof name !== 'string' || name === '') {
    walk.violations.push({ code: CARD_CODES.fieldWithoutName, message: `${tag} in a form needs a "name"`, path: `${path}.name` });
    return;
  }
  const earlier = walk.names.get(name);
  if (earlier) {
    walk.violations.push({ code: CARD_CODES.badCard, message: `name "${name}" is not unique in the card (also at ${earlier})`, path: `${path}.name` });
  } else {
    walk.names.set(name, path);
  }
}

function checkElementId(id: unknown, path: string, walk: Walk): void {
  if (id === undefined) return;
  if (typeof id !== 'string' || !ELEMENT_ID.test(id)) {
    walk.violations.push({
      code: CARD_CODES.badCard,
      message: 'element_id must start with a letter and hold at most 20 letters, digits or "_"',
      path: `${path}.element_id`,
    });
    return;
  }
  const earlier = walk.elementIds.get(id);
  if (earlier) walk.violations.push({ code: CARD_CODES.badCard, message: `element_id "${id}" is not unique (also at ${earlier})`, path: `${path}.element_id` });
  else walk.elementIds.set(id, path);
}

/** Whether a submit button sits anywhere below (a form's elements, at any depth). */
function hasSubmit(v: unknown): boolean {
  if (Array.isArray(v)) {
    for (const item of v) if (hasSubmit(item)) return true;
    return false;
  }
  if (!isRecord(v)) return false;
  if (v.tag === 'button' && v.form_action_type === 'submit') return true;
  for (const key of Object.keys(v)) if (hasSubmit(v[key])) return true;
  return false;
}

function checkOptions(el: Record<string, unknown>, path: string, walk: Walk): void {
  const options = Array.isArray(el.options) ? (el.options as unknown[]) : [];
  const values: unknown[] = [];
  for (const o of options) values.push(isRecord(o) ? o.value : undefined);
  const seen = new Set<unknown>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (seen.has(v)) walk.violations.push({ code: CARD_CODES.badCard, message: `option value ${describe(v)} is repeated`, path: `${path}.options[${i}].value` });
    seen.add(v);
  }
  const index = el.initial_index;
  if (typeof index === 'number' && (index < 0 || index > options.length)) {
    walk.violations.push({
      code: CARD_CODES.badCard,
      message: `initial_index ${index} is outside 0..${options.length} (1 is the first option)`,
      path: `${path}.initial_index`,
    });
  }
  if (Array.isArray(el.selected_values)) {
    const selected = el.selected_values as unknown[];
    for (let i = 0; i < selected.length; i++) {
      const v = selected[i];
      if (!values.includes(v)) {
        walk.violations.push({ code: CARD_CODES.badCard, message: `selected value ${describe(v)} is not an option`, path: `${path}.selected_values[${i}]` });
      }
    }
  }
}

function checkObject(
  obj: Record<string, unknown>,
  props: Record<string, PropSpec>,
  required: readonly string[],
  path: string,
  walk: Walk,
  what: string,
): void {
  for (const key of required) {
    if (obj[key] === undefined) walk.violations.push({ code: CARD_CODES.badCard, message: `${what} needs "${key}"`, path: `${path}.${key}` });
  }
  for (const key of Object.keys(obj)) {
    const spec = Object.hasOwn(props, key) ? props[key] : undefined;
    if (!spec) {
      walk.violations.push({ code: CARD_CODES.badCard, message: `unknown property "${key}" in ${what}`, path: `${path}.${key}` });
      continue;
    }
    checkValue(obj[key], spec, `${path}.${key}`, walk, key);
  }
}

function checkValue(value: unknown, spec: PropSpec, path: string, walk: Walk, key: string): void {
  if (typeof spec === 'string') {
    switch (spec) {
      case 'string':
        if (typeof value !== 'string') bad(walk, CARD_CODES.badCard, `${key} must be a string, got ${describe(value)}`, path);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') bad(walk, CARD_CODES.badCard, `${key} must be a boolean, got ${describe(value)}`, path);
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) bad(walk, CARD_CODES.badCard, `${key} must be a number, got ${describe(value)}`, path);
        return;
      case 'integer':
        if (!Number.isInteger(value)) bad(walk, CARD_CODES.badCard, `${key} must be an integer, got ${describe(value)}`, path);
        return;
      case 'object':
        if (!isRecord(value)) bad(walk, CARD_CODES.badCard, `${key} must be an object`, path);
        return;
      case 'array':
      case 'elements':
        if (!Array.isArray(value)) bad(walk, CARD_CODES.badCard, `${key} must be an array`, path);
        return;
      case 'text':
        if (!isRecord(value)) bad(walk, CARD_CODES.badCard, `${key} must be a text object {tag, content}`, path);
        else checkObject(value, TEXT_OBJECT.props, TEXT_OBJECT.required ?? NONE, path, walk, 'text');
        return;
      case 'any':
        return;
    }
  }
  if ('enum' in spec) {
    if (typeof value !== 'string' || !spec.enum.includes(value)) bad(walk, CARD_CODES.badCard, `${key} ${describe(value)} is not one of ${spec.enum.join(', ')}`, path);
    return;
  }
  if ('integer' in spec) {
    const [min, max] = spec.integer;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      bad(walk, CARD_CODES.badCard, `${key} must be an integer in ${min}..${max}, got ${describe(value)}`, path);
    }
    return;
  }
  if ('arrayOf' in spec) {
    if (!Array.isArray(value)) {
      bad(walk, CARD_CODES.badCard, `${key} must be an array`, path);
      return;
    }
    for (let i = 0; i < value.length; i++) checkValue(value[i], spec.arrayOf, `${path}[${i}]`, walk, `${key}[${i}]`);
    return;
  }
  if (!isRecord(value)) {
    bad(walk, CARD_CODES.badCard, `${key} must be an object`, path);
    return;
  }
  checkObject(value, spec.object, spec.required ?? NONE, path, walk, key);
}
