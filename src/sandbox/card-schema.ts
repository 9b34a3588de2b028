// The card JSON 2.0 component reference as data: which tags exist, which
// properties each accepts and which values its enums allow. "2.0 is strict:
// 传入不支持的属性将报错" (feishu-facts, "Card errors and limits"), so anything
// not listed here is refused by the validator (card-validator.ts).
//
// Sources (open.feishu.cn, card-json-v2-components/*, read through the
// larksuite/cli card reference that mirrors them): form-container, input,
// single-select-dropdown-menu, multi-select-dropdown-menu, button, rich-text
// (markdown), plain-text (div), divider (hr), column-set, table, chart,
// collapsible-panel, image (img), user-profile (person); card-json-v2-structure
// for the root, header and body.

export type PropSpec =
  | 'string'
  | 'boolean'
  | 'number'
  | 'integer'
  | 'object'
  | 'array'
  /** A plain_text / lark_md text object. */
  | 'text'
  /** An array of child components. */
  | 'elements'
  /** Any JSON value (callback values, VChart specs, rows). */
  | 'any'
  | { enum: readonly string[] }
  | { integer: [number, number] }
  | { object: Record<string, PropSpec>; required?: readonly string[] }
  | { arrayOf: PropSpec };

export interface ComponentSpec {
  props: Record<string, PropSpec>;
  required?: readonly string[];
  /** Sends a value with a form submit: needs a card-unique `name` inside a form. */
  formField?: boolean;
}

const ALIGN = { enum: ['left', 'center', 'right'] } as const;
const V_ALIGN = { enum: ['top', 'center', 'bottom'] } as const;
const DIRECTION = { enum: ['vertical', 'horizontal'] } as const;

/** Text sizes of the 2.0 reference; custom ones come from config.style.text_size. */
export const TEXT_SIZES = [
  'heading-0',
  'heading-1',
  'heading-2',
  'heading-3',
  'heading-4',
  'heading',
  'normal',
  'notation',
  'xxxx-large',
  'xxx-large',
  'xx-large',
  'x-large',
  'large',
  'medium',
  'small',
  'x-small',
] as const;

/** Header colour themes (card-json-v2-structure, header.template). */
export const HEADER_TEMPLATES = [
  'blue',
  'wathet',
  'turquoise',
  'green',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
  'default',
] as const;

const ICON: PropSpec = {
  object: { tag: { enum: ['standard_icon', 'custom_icon'] }, token: 'string', color: 'string', img_key: 'string', size: 'string' },
};

/** Properties every 2.0 component accepts. */
const COMMON: Record<string, PropSpec> = { tag: 'string', element_id: 'string', margin: 'string' };

export const TEXT_OBJECT: ComponentSpec = {
  props: {
    tag: { enum: ['plain_text', 'lark_md'] },
    content: 'string',
    text_size: 'string',
    text_color: 'string',
    text_align: ALIGN,
    lines: 'integer',
    i18n_content: 'object',
    element_id: 'string',
  },
  required: ['tag', 'content'],
};

const BEHAVIOR: PropSpec = {
  object: {
    type: { enum: ['callback', 'open_url', 'form_action'] },
    value: 'any',
    default_url: 'string',
    pc_url: 'string',
    ios_url: 'string',
    android_url: 'string',
    behavior: { enum: ['submit', 'reset'] },
  },
  required: ['type'],
};

const CONFIRM: PropSpec = { object: { title: 'text', text: 'text' }, required: ['title', 'text'] };

const OPTION: PropSpec = { object: { text: 'text', value: 'string', icon: ICON }, required: ['text', 'value'] };

const INTERACTIVE_COMMON: Record<string, PropSpec> = {
  name: 'string',
  required: 'boolean',
  disabled: 'boolean',
  width: 'string',
  behaviors: { arrayOf: BEHAVIOR },
  confirm: CONFIRM,
};

const CONTAINER_LAYOUT: Record<string, PropSpec> = {
  direction: DIRECTION,
  horizontal_spacing: 'string',
  vertical_spacing: 'string',
  horizontal_align: ALIGN,
  vertical_align: V_ALIGN,
  padding: 'string',
};

/** The components the validator knows property by property. */
export const COMPONENTS: Record<string, ComponentSpec> = {
  markdown: {
    props: { ...COMMON, content: 'string', text_align: ALIGN, text_size: 'string', icon: ICON },
    required: ['content'],
  },
  div: {
    props: {
      ...COMMON,
      text: 'text',
      icon: ICON,
      width: 'string',
      fields: { arrayOf: { object: { is_short: 'boolean', text: 'text' }, required: ['text'] } },
    },
  },
  hr: { props: { ...COMMON } },
  button: {
    props: {
      ...COMMON,
      ...INTERACTIVE_COMMON,
      type: { enum: ['default', 'primary', 'danger', 'text', 'primary_text', 'danger_text', 'primary_filled', 'danger_filled', 'laser'] },
      size: { enum: ['tiny', 'small', 'medium', 'large'] },
      text: 'text',
      icon: ICON,
      hover_tips: 'text',
      disabled_tips: 'text',
      form_action_type: { enum: ['submit', 'reset'] },
    },
    formField: true,
  },
  input: {
    props: {
      ...COMMON,
      ...INTERACTIVE_COMMON,
      placeholder: 'text',
      default_value: 'string',
      max_length: { integer: [1, 1000] },
      input_type: { enum: ['text', 'multiline_text', 'password'] },
      show_icon: 'boolean',
      rows: 'integer',
      auto_resize: 'boolean',
      max_rows: 'integer',
      label: 'text',
      label_position: { enum: ['top', 'left'] },
      value: 'any',
      fallback: 'object',
    },
    formField: true,
  },
  select_static: {
    props: {
      ...COMMON,
      ...INTERACTIVE_COMMON,
      type: { enum: ['default', 'text'] },
      placeholder: 'text',
      initial_option: 'string',
      initial_index: 'integer',
      options: { arrayOf: OPTION },
    },
    formField: true,
  },
  multi_select_static: {
    props: {
      ...COMMON,
      ...INTERACTIVE_COMMON,
      type: { enum: ['default', 'text'] },
      placeholder: 'text',
      selected_values: { arrayOf: 'string' },
      options: { arrayOf: OPTION },
    },
    formField: true,
  },
  form: {
    props: { ...COMMON, ...CONTAINER_LAYOUT, name: 'string', elements: 'elements' },
    required: ['name', 'elements'],
  },
  column_set: {
    props: {
      ...COMMON,
      columns: 'elements',
      flex_mode: { enum: ['none', 'stretch', 'flow', 'bisect', 'trisect'] },
      horizontal_spacing: 'string',
      horizontal_align: ALIGN,
      background_style: 'string',
      action: 'object',
    },
    required: ['columns'],
  },
  column: {
    props: {
      ...COMMON,
      ...CONTAINER_LAYOUT,
      elements: 'elements',
      width: 'string',
      weight: { integer: [1, 5] },
      background_style: 'string',
      action: 'object',
    },
  },
  table: {
    props: {
      ...COMMON,
      page_size: { integer: [1, 10] },
      row_height: 'string',
      freeze_first_column: 'boolean',
      header_style: {
        object: { text_align: ALIGN, text_size: 'string', background_style: 'string', text_color: 'string', bold: 'boolean', lines: 'integer' },
      },
      columns: {
        arrayOf: {
          object: {
            name: 'string',
            display_name: 'string',
            width: 'string',
            data_type: { enum: ['text', 'lark_md', 'options', 'number', 'persons', 'date', 'markdown'] },
            format: { object: { symbol: 'string', precision: 'integer', separator: 'boolean' } },
            date_format: 'string',
            vertical_align: V_ALIGN,
            horizontal_align: ALIGN,
          },
          required: ['name', 'data_type'],
        },
      },
      rows: { arrayOf: 'object' },
    },
    required: ['columns'],
  },
  chart: {
    props: {
      ...COMMON,
      chart_spec: 'object',
      aspect_ratio: { enum: ['1:1', '2:1', '4:3', '16:9'] },
      color_theme: { enum: ['brand', 'rainbow', 'complementary', 'converse', 'primary'] },
      height: 'string',
      preview: 'boolean',
    },
    required: ['chart_spec'],
  },
  collapsible_panel: {
    props: {
      ...COMMON,
      ...CONTAINER_LAYOUT,
      elements: 'elements',
      expanded: 'boolean',
      background_color: 'string',
      border: { object: { color: 'string', corner_radius: 'string' } },
      header: {
        object: {
          title: 'text',
          background_color: 'string',
          width: { enum: ['fill', 'auto', 'auto_when_fold'] },
          vertical_align: V_ALIGN,
          padding: 'string',
          icon: ICON,
          icon_position: { enum: ['left', 'right', 'follow_text'] },
          icon_expanded_angle: 'number',
        },
      },
    },
    required: ['header'],
  },
  img: {
    props: {
      ...COMMON,
      img_key: 'string',
      alt: 'text',
      title: 'text',
      scale_type: { enum: ['crop_center', 'crop_top', 'fit_horizontal'] },
      size: 'string',
      corner_radius: 'string',
      transparent: 'boolean',
      preview: 'boolean',
    },
    required: ['img_key'],
  },
  person: {
    props: {
      ...COMMON,
      user_id: 'string',
      size: { enum: ['extra_small', 'small', 'medium', 'large'] },
      show_avatar: 'boolean',
      show_name: 'boolean',
      style: { enum: ['normal', 'capsule'] },
    },
    required: ['user_id'],
  },
};

/**
 * Other 2.0 components. They exist, so they are not "unknown tags", but their
 * properties are not checked here (the product does not use them yet). The
 * interactive ones still need a name inside a form.
 */
export const OTHER_V2_TAGS: Record<string, { formField: boolean }> = {
  date_picker: { formField: true },
  picker_time: { formField: true },
  picker_datetime: { formField: true },
  select_person: { formField: true },
  multi_select_person: { formField: true },
  select_img: { formField: true },
  checker: { formField: true },
  overflow: { formField: false },
  interactive_container: { formField: false },
  img_combination: { formField: false },
  person_list: { formField: false },
  audio: { formField: false },
  text_tag: { formField: false },
};

/** Tags of JSON 1.0 that 2.0 no longer accepts (card-json-v2-breaking-changes-release-notes). */
export const V1_ONLY_TAGS = new Set(['action', 'note']);

/** Containers a component may not sit in (form, column and panel nesting rules). */
export const NOT_INSIDE: Record<string, readonly string[]> = {
  form: ['form', 'table', 'chart'],
  column: ['form', 'table'],
  collapsible_panel: ['form'],
};

export const CARD_ROOT: Record<string, PropSpec> = {
  schema: 'string',
  config: {
    object: {
      update_multi: 'boolean',
      streaming_mode: 'boolean',
      streaming_config: 'object',
      summary: 'object',
      locales: { arrayOf: 'string' },
      enable_forward: 'boolean',
      enable_forward_interaction: 'boolean',
      width_mode: { enum: ['compact', 'fill', 'default'] },
      use_custom_translation: 'boolean',
      style: 'object',
    },
  },
  card_link: 'object',
  header: {
    object: {
      title: 'text',
      subtitle: 'text',
      template: { enum: HEADER_TEMPLATES },
      icon: ICON,
      text_tag_list: { arrayOf: 'object' },
      i18n_text_tag_list: 'object',
      i18n_title: 'object',
      i18n_subtitle: 'object',
      padding: 'string',
    },
  },
  body: {
    object: { ...CONTAINER_LAYOUT, elements: 'elements' },
    required: ['elements'],
  },
};
