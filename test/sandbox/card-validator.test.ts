// The card JSON 2.0 validator over valid and invalid cards for each component
// the product uses or may use next, with the codes Feishu answers. Pure.
import { describe, expect, it } from 'vitest';
import { cardRefusal, validateCard, CARD_CODES } from '../../src/sandbox/card-validator.js';

const txt = (content: string) => ({ tag: 'plain_text', content });
const card = (...elements: unknown[]) => ({ schema: '2.0', config: { update_multi: true }, header: { title: txt('t'), template: 'blue' }, body: { elements } });
const submit = { tag: 'button', name: 'go', text: txt('提交'), type: 'primary_filled', form_action_type: 'submit', behaviors: [{ type: 'callback', value: { a: 1 } }] };
const form = (...elements: unknown[]) => ({ tag: 'form', name: 'f', elements: [...elements, submit] });
const opts = [{ text: txt('一'), value: '1' }, { text: txt('二'), value: '2' }];

type Case = [name: string, card: unknown, code: number | null, path?: RegExp];

const cases: Record<string, Case[]> = {
  root: [
    ['a minimal card', card({ tag: 'markdown', content: 'x' }), null],
    ['a 1.0 card (no schema)', { elements: [] }, CARD_CODES.badCard, /\$\.schema/],
    ['an unknown root property', { ...card(), elements: [] }, CARD_CODES.badCard, /\$\.elements/],
    ['a header template outside the enum', { ...card(), header: { title: txt('t'), template: 'pink' } }, CARD_CODES.badCard, /header\.template/],
    ['an unknown config key', { ...card(), config: { update_multi: true, wide_screen_mode: true } }, CARD_CODES.badCard, /config\.wide_screen_mode/],
    ['not an object', 'card', CARD_CODES.badCard],
  ],
  tags: [
    ['the 1.0 action module', card({ tag: 'action', actions: [] }), CARD_CODES.v1Component, /elements\[0\]\.tag/],
    ['the 1.0 note', card({ tag: 'note', elements: [] }), CARD_CODES.v1Component],
    ['an unknown tag', card({ tag: 'spinner' }), CARD_CODES.badCard],
    ['a known 2.0 component not checked in detail', card({ tag: 'date_picker' }), null],
    ['a tag named like an object method', card({ tag: 'constructor' }), CARD_CODES.badCard, /elements\[0\]\.tag/],
    ['a property named like an object method', card({ tag: 'markdown', content: 'x', toString: 'x' }), CARD_CODES.badCard, /elements\[0\]\.toString/],
  ],
  markdown: [
    ['with align and size', card({ tag: 'markdown', content: '**x**', text_align: 'center', text_size: 'notation' }), null],
    ['without content', card({ tag: 'markdown' }), CARD_CODES.badCard, /content/],
    ['with the 1.0 href', card({ tag: 'markdown', content: 'x', href: { urlVal: { url: 'u' } } }), CARD_CODES.badCard, /href/],
    ['with a text size outside the list', card({ tag: 'markdown', content: 'x', text_size: 'huge' }), CARD_CODES.badCard, /text_size/],
    ['with a custom text size from config.style', { ...card({ tag: 'markdown', content: 'x', text_size: 'cus' }), config: { update_multi: true, style: { text_size: { cus: { default: 'normal' } } } } }, null],
    ['with text_align outside the enum', card({ tag: 'markdown', content: 'x', text_align: 'justify' }), CARD_CODES.badCard],
  ],
  div_and_plain_text: [
    ['a div with plain_text', card({ tag: 'div', text: { tag: 'plain_text', content: 'x', text_color: 'grey', lines: 2 } }), null],
    ['a text object with an unknown tag', card({ tag: 'div', text: { tag: 'rich', content: 'x' } }), CARD_CODES.badCard, /text\.tag/],
    ['a text object without content', card({ tag: 'div', text: { tag: 'plain_text' } }), CARD_CODES.badCard, /content/],
    ['a text object with an unknown property', card({ tag: 'div', text: { tag: 'plain_text', content: 'x', colour: 'red' } }), CARD_CODES.badCard, /colour/],
  ],
  hr: [
    ['a divider', card({ tag: 'hr' }), null],
    ['a divider with a property it does not have', card({ tag: 'hr', color: 'red' }), CARD_CODES.badCard],
    ['a bad element_id', card({ tag: 'hr', element_id: '9lives' }), CARD_CODES.badCard, /element_id/],
    ['an element_id used twice', card({ tag: 'hr', element_id: 'a' }, { tag: 'hr', element_id: 'a' }), CARD_CODES.badCard],
  ],
  button: [
    ['a callback button', card({ tag: 'button', text: txt('好'), type: 'primary', size: 'small', behaviors: [{ type: 'callback', value: { a: 'x' } }] }), null],
    ['a button type outside the enum', card({ tag: 'button', text: txt('好'), type: 'blue' }), CARD_CODES.badCard, /type/],
    ['the 1.0 value property', card({ tag: 'button', text: txt('好'), value: { a: 1 } }), CARD_CODES.badCard, /value/],
    ['a behavior type outside the enum', card({ tag: 'button', text: txt('好'), behaviors: [{ type: 'submit' }] }), CARD_CODES.badCard, /behaviors\[0\]\.type/],
    ['a confirm without text', card({ tag: 'button', text: txt('好'), confirm: { title: txt('t') } }), CARD_CODES.badCard, /confirm\.text/],
    ['form_action_type outside the enum', card(form({ tag: 'button', name: 'b', text: txt('x'), form_action_type: 'cancel' })), CARD_CODES.badCard],
  ],
  input: [
    ['a multiline input in a form', card(form({ tag: 'input', name: 'i', input_type: 'multiline_text', rows: 3, max_length: 500, label: txt('l'), label_position: 'top' })), null],
    ['an input type outside the enum', card(form({ tag: 'input', name: 'i', input_type: 'number' })), CARD_CODES.badCard, /input_type/],
    ['max_length above 1000', card(form({ tag: 'input', name: 'i', max_length: 2000 })), CARD_CODES.badCard, /max_length/],
    ['an input in a form without a name', card(form({ tag: 'input' })), CARD_CODES.fieldWithoutName],
    ['a placeholder given as a string', card(form({ tag: 'input', name: 'i', placeholder: '请输入' })), CARD_CODES.badCard, /placeholder/],
  ],
  select_static: [
    ['pre-filled with initial_index', card(form({ tag: 'select_static', name: 's', options: opts, initial_index: 2 })), null],
    ['initial_index past the options', card(form({ tag: 'select_static', name: 's', options: opts, initial_index: 3 })), CARD_CODES.badCard, /initial_index/],
    ['a repeated option value', card(form({ tag: 'select_static', name: 's', options: [opts[0], opts[0]] })), CARD_CODES.badCard, /options\[1\]/],
    ['an option text given as a string', card(form({ tag: 'select_static', name: 's', options: [{ text: '一', value: '1' }] })), CARD_CODES.badCard],
    ['a type outside the enum', card(form({ tag: 'select_static', name: 's', options: opts, type: 'dropdown' })), CARD_CODES.badCard],
  ],
  multi_select_static: [
    ['with selected values', card(form({ tag: 'multi_select_static', name: 'm', options: opts, selected_values: ['1'] })), null],
    ['a selected value that is not an option', card(form({ tag: 'multi_select_static', name: 'm', options: opts, selected_values: ['9'] })), CARD_CODES.badCard],
    ['the single-select initial_index', card(form({ tag: 'multi_select_static', name: 'm', options: opts, initial_index: 1 })), CARD_CODES.badCard, /initial_index/],
  ],
  form: [
    ['a form with fields and a submit button', card(form({ tag: 'input', name: 'a' }, { tag: 'select_static', name: 'b', options: opts })), null],
    ['a form without a submit button', card({ tag: 'form', name: 'f', elements: [{ tag: 'input', name: 'a' }] }), CARD_CODES.badCard, /elements\[0\]$/],
    ['a form without a name', card({ tag: 'form', elements: [submit] }), CARD_CODES.badCard],
    ['a field name used twice', card(form({ tag: 'input', name: 'a' }, { tag: 'input', name: 'a' })), CARD_CODES.badCard, /elements\[1\]\.name/],
    ['a form in a column', card({ tag: 'column_set', columns: [{ tag: 'column', elements: [form()] }] }), CARD_CODES.badCard],
    ['a table in a form', card(form({ tag: 'table', columns: [{ name: 'a', data_type: 'text' }], rows: [] })), CARD_CODES.badCard],
    ['a chart in a form', card(form({ tag: 'chart', chart_spec: { type: 'bar' } })), CARD_CODES.badCard],
    ['a submit button nested in a column of the form', card({ tag: 'form', name: 'f', elements: [{ tag: 'column_set', columns: [{ tag: 'column', elements: [submit] }] }] }), null],
  ],
  column_set: [
    ['two weighted columns', card({ tag: 'column_set', flex_mode: 'bisect', columns: [{ tag: 'column', width: 'weighted', weight: 2, elements: [{ tag: 'markdown', content: 'a' }] }, { tag: 'column', vertical_align: 'center', elements: [] }] }), null],
    ['flex_mode outside the enum', card({ tag: 'column_set', flex_mode: 'wrap', columns: [] }), CARD_CODES.badCard],
    ['a markdown directly in column_set', card({ tag: 'column_set', columns: [{ tag: 'markdown', content: 'x' }] }), CARD_CODES.badCard],
    ['a column outside a column_set', card({ tag: 'column', elements: [] }), CARD_CODES.badCard],
    ['a weight above 5', card({ tag: 'column_set', columns: [{ tag: 'column', width: 'weighted', weight: 6 }] }), CARD_CODES.badCard, /weight/],
    ['a table in a column', card({ tag: 'column_set', columns: [{ tag: 'column', elements: [{ tag: 'table', columns: [] }] }] }), CARD_CODES.badCard],
  ],
  table: [
    ['a table with typed columns', card({ tag: 'table', page_size: 5, columns: [{ name: 'n', display_name: '名称', data_type: 'text' }, { name: 'v', data_type: 'number', format: { precision: 2 } }], rows: [{ n: 'a', v: 1 }] }), null],
    ['page_size above 10', card({ tag: 'table', page_size: 20, columns: [] }), CARD_CODES.badCard, /page_size/],
    ['a column data_type outside the enum', card({ tag: 'table', columns: [{ name: 'n', data_type: 'money' }] }), CARD_CODES.badCard, /data_type/],
    ['six tables in one card', card(...Array.from({ length: 6 }, () => ({ tag: 'table', columns: [] }))), CARD_CODES.badCard],
  ],
  chart: [
    ['a VChart spec', card({ tag: 'chart', aspect_ratio: '16:9', color_theme: 'brand', chart_spec: { type: 'bar', data: { values: [] } } }), null],
    ['no chart_spec', card({ tag: 'chart' }), CARD_CODES.badCard],
    ['aspect_ratio outside the enum', card({ tag: 'chart', chart_spec: {}, aspect_ratio: '3:2' }), CARD_CODES.badCard, /aspect_ratio/],
  ],
  collapsible_panel: [
    ['a folded panel', card({ tag: 'collapsible_panel', expanded: false, header: { title: txt('更多'), icon_position: 'right' }, elements: [{ tag: 'markdown', content: 'x' }] }), null],
    ['no header', card({ tag: 'collapsible_panel', elements: [] }), CARD_CODES.badCard],
    ['a form inside', card({ tag: 'collapsible_panel', header: { title: txt('x') }, elements: [form()] }), CARD_CODES.badCard],
  ],
  img: [
    ['an image', card({ tag: 'img', img_key: 'img_v3_x', alt: txt(''), scale_type: 'crop_center', preview: true }), null],
    ['no img_key', card({ tag: 'img', alt: txt('') }), CARD_CODES.badCard],
    ['the 1.0 mode property', card({ tag: 'img', img_key: 'k', mode: 'large' }), CARD_CODES.badCard, /mode/],
  ],
  person: [
    ['a person', card({ tag: 'person', user_id: 'ou_x', size: 'small', show_name: true, style: 'capsule' }), null],
    ['size outside the enum', card({ tag: 'person', user_id: 'ou_x', size: 'huge' }), CARD_CODES.badCard],
    ['no user_id', card({ tag: 'person' }), CARD_CODES.badCard],
  ],
  limits: [
    ['200 components', card(...Array.from({ length: 200 }, () => ({ tag: 'hr' }))), null],
    ['201 components', card(...Array.from({ length: 201 }, () => ({ tag: 'hr' }))), CARD_CODES.tooManyElements],
    ['more than 30 KB', card({ tag: 'markdown', content: 'x'.repeat(31 * 1024) }), CARD_CODES.tooLarge],
  ],
};

describe('card JSON 2.0 validator', () => {
  for (const [component, rows] of Object.entries(cases)) {
    describe(component, () => {
      it.each(rows)('%s', (_name, input, code, path) => {
        const violations = validateCard(input);
        if (code === null) {
          expect(violations).toEqual([]);
        } else {
          expect(violations.length).toBeGreaterThan(0);
          expect(violations[0].code).toBe(code);
          if (path) expect(violations[0].path).toMatch(path);
        }
      });
    });
  }

  it('measures a card by its source when given one, and compact JSON when the source cannot bound it', () => {
    const small = card({ tag: 'markdown', content: 'x' });
    expect(validateCard(small, JSON.stringify(small, null, 2))).toEqual([]);
    // Under 30 KB as written, over it compact: an exponent in the source grows when printed in full.
    const grows = `{"schema":"2.0","body":{"elements":[{"tag":"chart","chart_spec":{"data":[${Array.from({ length: 1800 }, () => '1e20').join(',')}]}}]}}`;
    expect(Buffer.byteLength(grows)).toBeLessThan(30 * 1024);
    expect(validateCard(JSON.parse(grows), grows).map((v) => v.code)).toContain(CARD_CODES.tooLarge);
    // A source over the limit is measured compact, as without a source.
    const padded = JSON.stringify(small) + ' '.repeat(40_000);
    expect(validateCard(small, padded)).toEqual([]);
  });

  it('wraps card codes in 230099 the way the message APIs answer, and size as 230025', () => {
    const [unknown] = validateCard(card({ tag: 'spinner' }));
    expect(cardRefusal(unknown)).toMatchObject({ code: 230099, msg: expect.stringContaining('ErrCode: 200621') });
    const [big] = validateCard(card({ tag: 'markdown', content: 'x'.repeat(31 * 1024) }));
    expect(cardRefusal(big).code).toBe(230025);
    const [many] = validateCard(card(...Array.from({ length: 201 }, () => ({ tag: 'hr' }))));
    expect(cardRefusal(many).msg).toContain('ErrCode: 11310; ErrMsg: element exceeds the limit');
  });
});
