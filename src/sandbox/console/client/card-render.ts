// A Feishu card (JSON 2.0, with the 1.0 shapes still met in the wild) drawn as a person sees it
// in the client: header colours, markdown, columns, tables, forms and their fields, buttons,
// charts, images, collapsible panels. Pressing a button or submitting a form calls back with
// exactly what Feishu would put in card.action.trigger: the button's value, its name, and for a
// form every named field's value.
import { h, isRecord, list, str } from './dom.js';
import { colorOf, renderMarkdown } from './markdown.js';
import { chartSvg } from './chart-svg.js';

export interface CardAction {
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  name?: string;
  tag: string;
}

export interface CardContext {
  /** Sends the action to the bot; resolves when the bot has answered. */
  act: (action: CardAction) => Promise<void>;
  confirm: (title: string, text: string) => Promise<boolean>;
  pictureUrl: (imageKey: string) => string;
  personName: (id: string) => string | undefined;
}

interface FormField {
  name: string;
  required: boolean;
  read: () => unknown;
  reset: () => void;
  showError: (message: string | undefined) => void;
}

interface FormScope {
  fields: FormField[];
  name: string;
}

/** Header backgrounds and title colours per `template` (the light 2.0 style). */
const HEADER: Record<string, [string, string]> = {
  blue: ['#e1eaff', '#245bdb'], wathet: ['#d9f3fd', '#1d8bd1'], turquoise: ['#d5f6f2', '#078372'],
  green: ['#d9f5d6', '#237b19'], yellow: ['#faf1d1', '#aa7803'], orange: ['#feead2', '#b26206'],
  red: ['#fde2e2', '#c02a26'], carmine: ['#fdddef', '#b01b66'], violet: ['#f8def8', '#a11ca1'],
  purple: ['#ece2fe', '#5b22c2'], indigo: ['#e0e9ff', '#3b45c9'], grey: ['#eff0f1', '#51565d'], default: ['#ffffff', '#1f2329'],
};

const text = (v: unknown): string => (isRecord(v) ? str(v.content) : str(v));

/** Renders plain_text as text and lark_md as markdown. */
function richText(v: unknown, cls = ''): HTMLElement {
  if (isRecord(v) && (v.tag === 'lark_md' || v.tag === 'markdown')) return h('div', { class: `md ${cls}`, html: renderMarkdown(str(v.content)) });
  const style = isRecord(v) && typeof v.text_color === 'string' ? `color:${colorOf(v.text_color)}` : undefined;
  return h('div', { class: `plain ${cls}`, style }, text(v));
}

export function renderCard(card: unknown, ctx: CardContext): HTMLElement {
  const root = h('div', { class: 'card' });
  if (!isRecord(card)) return h('div', { class: 'card card-bad' }, '无法显示的卡片');
  if (card.type === 'template') {
    root.append(h('div', { class: 'card-body' }, `模板卡片 ${str(isRecord(card.data) ? card.data.template_id : '')}`));
    return root;
  }
  const header = card.header;
  if (isRecord(header)) {
    const [bg, fg] = HEADER[str(header.template) || 'default'] ?? HEADER.default;
    const tags = list(header.text_tag_list).filter(isRecord).map((t) => h('span', { class: 'md-tag', style: `color:${colorOf(str(t.color))};border-color:${colorOf(str(t.color))}` }, text(t.text)));
    root.append(
      h('div', { class: 'card-header', style: `background:${bg};color:${fg}`, 'data-template': str(header.template) || 'default' },
        h('div', { class: 'card-title' }, text(header.title), ...tags),
        header.subtitle ? h('div', { class: 'card-subtitle' }, text(header.subtitle)) : null),
    );
  }
  const elements = isRecord(card.body) ? list(card.body.elements) : list(card.elements);
  const body = h('div', { class: 'card-body' });
  renderElements(body, elements, ctx, undefined);
  root.append(body);
  return root;
}

function renderElements(parent: HTMLElement, elements: unknown[], ctx: CardContext, form: FormScope | undefined): void {
  for (const el of elements) {
    const node = renderElement(el, ctx, form);
    if (node) parent.append(node);
  }
}

function renderElement(el: unknown, ctx: CardContext, form: FormScope | undefined): HTMLElement | null {
  if (!isRecord(el)) return null;
  switch (el.tag) {
    case 'markdown':
    case 'lark_md':
      return h('div', { class: 'md', style: el.text_align ? `text-align:${str(el.text_align)}` : undefined, html: renderMarkdown(str(el.content)) });
    case 'plain_text':
      return richText(el);
    case 'div': {
      const box = h('div', { class: 'c-div' });
      if (el.text) box.append(richText(el.text));
      const fields = list(el.fields).filter(isRecord);
      if (fields.length) box.append(h('div', { class: 'c-fields' }, fields.map((f) => h('div', { class: f.is_short ? 'c-field short' : 'c-field' }, richText(f.text)))));
      return box;
    }
    case 'note':
      return h('div', { class: 'c-note' }, list(el.elements).map((e) => (isRecord(e) && e.tag === 'img' ? null : richText(e))));
    case 'hr':
      return h('hr', { class: 'c-hr' });
    case 'column_set': {
      const row = h('div', { class: 'c-columns' });
      for (const col of list(el.columns).filter(isRecord)) {
        const width = str(col.width);
        const flex = width === 'auto' ? '0 0 auto' : /px$/.test(width) ? `0 0 ${width}` : `${Number(col.weight) || 1} 1 0`;
        const cell = h('div', { class: 'c-column', style: `flex:${flex}${col.background_style === 'grey' ? ';background:#f2f3f5' : ''}` });
        renderElements(cell, list(col.elements), ctx, form);
        row.append(cell);
      }
      return row;
    }
    case 'action':
      return h('div', { class: 'c-actions' }, list(el.actions).map((a) => renderElement(a, ctx, form)));
    case 'table':
      return table(el, ctx);
    case 'chart':
      return h('div', { class: 'c-chart', html: chartSvg(el.chart_spec) });
    case 'img':
      return image(str(el.img_key), text(el.alt) || text(el.title), ctx);
    case 'person': {
      const id = str(el.user_id);
      const name = ctx.personName(id) ?? id;
      return h('span', { class: 'c-person' }, h('span', { class: 'avatar small' }, name.slice(-2)), el.show_name === false ? null : name);
    }
    case 'collapsible_panel': {
      const head = isRecord(el.header) ? el.header : {};
      const details = h('details', { class: 'c-panel', open: el.expanded === true }, h('summary', {}, richText(head.title)));
      renderElements(details, list(el.elements), ctx, form);
      return details;
    }
    case 'form': {
      const scope: FormScope = { fields: [], name: str(el.name) };
      const box = h('form', { class: 'c-form', 'data-form': scope.name, onsubmit: (e: Event) => e.preventDefault() });
      renderElements(box, list(el.elements), ctx, scope);
      return box;
    }
    case 'input':
      return input(el, form);
    case 'select_static':
      return select(el, form, false);
    case 'multi_select_static':
      return select(el, form, true);
    case 'date_picker':
      return datePicker(el, form);
    case 'button':
      return button(el, ctx, form);
    default:
      return h('div', { class: 'c-unknown' }, `[不支持的组件 ${str(el.tag)}]`);
  }
}

function image(key: string, alt: string, ctx: CardContext): HTMLElement {
  const box = h('div', { class: 'c-img' });
  const img = h('img', { src: ctx.pictureUrl(key), alt: alt || key });
  // Pictures the bot uploaded exist in the tenant only as metadata: show where one stands.
  img.addEventListener('error', () => img.replaceWith(h('div', { class: 'c-img-missing' }, `🖼 ${alt || '图片'}`, h('small', {}, key))));
  box.append(img);
  return box;
}

function table(el: Record<string, unknown>, ctx: CardContext): HTMLElement {
  const columns = list(el.columns).filter(isRecord);
  const headerStyle = isRecord(el.header_style) ? el.header_style : {};
  const cell = (col: Record<string, unknown>, v: unknown): HTMLElement => {
    const td = h('td', {});
    const type = str(col.data_type);
    if (type === 'lark_md' || type === 'markdown') td.innerHTML = renderMarkdown(str(v));
    else if (type === 'options') td.append(...list(v).filter(isRecord).map((o) => h('span', { class: 'md-tag', style: `color:${colorOf(str(o.color))};border-color:${colorOf(str(o.color))}` }, str(o.text))));
    else if (type === 'number') {
      const fmt = isRecord(col.format) ? col.format : {};
      const n = typeof v === 'number' ? v : Number(v);
      const fixed = Number.isFinite(n) ? (typeof fmt.precision === 'number' ? n.toFixed(fmt.precision) : String(n)) : str(v);
      td.append(`${str(fmt.symbol)}${fmt.separator ? Number(fixed).toLocaleString('zh-CN', { minimumFractionDigits: Number(fmt.precision) || 0 }) : fixed}`);
      td.className = 'num';
    } else if (type === 'persons') td.append(list(v).map((id) => ctx.personName(str(id)) ?? str(id)).join('、'));
    else if (type === 'date' && typeof v === 'number') td.append(new Date(v).toLocaleDateString('zh-CN'));
    else td.append(str(v));
    return td;
  };
  const tbl = h('table', { class: 'c-table' },
    h('thead', {}, h('tr', { style: headerStyle.background_style === 'none' ? undefined : 'background:#f2f3f5' }, columns.map((c) => h('th', { style: c.width && c.width !== 'auto' ? `width:${str(c.width)}` : undefined }, str(c.display_name) || str(c.name))))),
    h('tbody', {}, list(el.rows).filter(isRecord).map((r) => h('tr', {}, columns.map((c) => cell(c, r[str(c.name)]))))),
  );
  return h('div', { class: 'c-table-wrap' }, tbl);
}

function fieldBox(el: Record<string, unknown>, control: HTMLElement, required: boolean): { box: HTMLElement; error: HTMLElement } {
  const error = h('div', { class: 'c-field-error' });
  const label = el.label ? h('label', { class: 'c-label' }, required ? h('span', { class: 'req' }, '*') : null, text(el.label)) : null;
  const left = el.label_position === 'left';
  const box = h('div', { class: `c-input${left ? ' left' : ''}`, style: el.width && el.width !== 'default' && el.width !== 'fill' ? `width:${str(el.width)}` : undefined }, label, control, error);
  return { box, error };
}

function register(form: FormScope | undefined, name: string, required: boolean, read: () => unknown, reset: () => void, control: HTMLElement, error: HTMLElement): void {
  form?.fields.push({
    name,
    required,
    read,
    reset,
    showError: (message) => {
      error.textContent = message ?? '';
      control.classList.toggle('invalid', Boolean(message));
    },
  });
}

function input(el: Record<string, unknown>, form: FormScope | undefined): HTMLElement {
  const multiline = el.input_type === 'multiline_text';
  const initial = str(el.default_value);
  const attrs = { name: str(el.name), placeholder: text(el.placeholder), maxlength: typeof el.max_length === 'number' ? el.max_length : undefined, disabled: el.disabled === true };
  const control = multiline
    ? h('textarea', { ...attrs, rows: typeof el.rows === 'number' ? el.rows : 3 })
    : h('input', { ...attrs, type: el.input_type === 'password' ? 'password' : 'text' });
  control.value = initial;
  const required = el.required === true;
  const { box, error } = fieldBox(el, control, required);
  register(form, str(el.name), required, () => control.value, () => (control.value = initial), control, error);
  return box;
}

function select(el: Record<string, unknown>, form: FormScope | undefined, multi: boolean): HTMLElement {
  const options = list(el.options).filter(isRecord);
  const control = h('select', { name: str(el.name), multiple: multi, size: multi ? Math.min(options.length, 6) : undefined, disabled: el.disabled === true });
  if (!multi) control.append(h('option', { value: '', disabled: true }, text(el.placeholder) || '请选择'));
  const initialIndex = typeof el.initial_index === 'number' ? el.initial_index : undefined;
  const initial = new Set<string>(multi ? list(el.selected_values).map(str) : [str(el.initial_option)]);
  let anyPicked = false;
  options.forEach((o, i) => {
    // initial_index counts from 1.
    const picked = initial.has(str(o.value)) || initialIndex === i + 1;
    anyPicked ||= picked;
    control.append(h('option', { value: str(o.value), selected: picked }, text(o.text)));
  });
  // Nothing chosen: the placeholder shows (a browser would otherwise pick the first option).
  if (!multi && !anyPicked) control.selectedIndex = 0;
  if (multi && !anyPicked) control.selectedIndex = -1;
  const defaults = [...control.options].map((o) => o.selected);
  const markEmpty = (): void => {
    control.classList.toggle('placeholder', !multi && control.value === '');
  };
  markEmpty();
  control.addEventListener('change', markEmpty);
  const required = el.required === true;
  const { box, error } = fieldBox(el, control, required);
  register(
    form,
    str(el.name),
    required,
    () => (multi ? [...control.selectedOptions].map((o) => o.value) : control.value),
    () => [...control.options].forEach((o, i) => (o.selected = defaults[i] ?? false)),
    control,
    error,
  );
  return box;
}

function datePicker(el: Record<string, unknown>, form: FormScope | undefined): HTMLElement {
  const initial = str(el.initial_date);
  const control = h('input', { type: 'date', name: str(el.name), value: initial, disabled: el.disabled === true });
  const required = el.required === true;
  const { box, error } = fieldBox(el, control, required);
  // Feishu sends a picked date as "YYYY-MM-DD +0800".
  register(form, str(el.name), required, () => (control.value ? `${control.value} +0800` : ''), () => (control.value = initial), control, error);
  return box;
}

function button(el: Record<string, unknown>, ctx: CardContext, form: FormScope | undefined): HTMLElement {
  const behaviors = list(el.behaviors).filter(isRecord);
  const callback = behaviors.find((b) => b.type === 'callback');
  const openUrl = behaviors.find((b) => b.type === 'open_url');
  const value = isRecord(callback?.value) ? callback.value : isRecord(el.value) ? el.value : {};
  const kind = str(el.type) || 'default';
  const btn = h('button', { type: 'button', class: `c-btn ${kind}`, name: str(el.name) || undefined, disabled: el.disabled === true }, text(el.text));
  btn.addEventListener('click', () => {
    void (async () => {
      if (openUrl) {
        window.open(str(openUrl.default_url), '_blank', 'noreferrer');
        if (!callback) return;
      }
      if (el.form_action_type === 'reset' && form) {
        form.fields.forEach((f) => {
          f.reset();
          f.showError(undefined);
        });
        return;
      }
      let formValue: Record<string, unknown> | undefined;
      if (el.form_action_type === 'submit' && form) {
        formValue = {};
        let missing = false;
        for (const f of form.fields) {
          const v = f.read();
          const empty = v === '' || (Array.isArray(v) && v.length === 0);
          // The Feishu client itself refuses to submit with a required field empty.
          f.showError(f.required && empty ? '此项为必填项' : undefined);
          if (f.required && empty) missing = true;
          if (!empty && f.name) formValue[f.name] = v;
        }
        if (missing) return;
      }
      if (isRecord(el.confirm)) {
        const ok = await ctx.confirm(text(el.confirm.title), text(el.confirm.text));
        if (!ok) return;
      }
      btn.disabled = true;
      btn.classList.add('loading');
      try {
        await ctx.act({ value, formValue, name: str(el.name) || undefined, tag: 'button' });
      } finally {
        btn.disabled = false;
        btn.classList.remove('loading');
      }
    })();
  });
  return btn;
}
