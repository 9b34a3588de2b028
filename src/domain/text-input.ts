// Free text typed into a card form. A lone UTF-16 surrogate (half of an emoji, left by a cut
// paste or a client's bug) has no UTF-8 form: the database driver would store U+FFFD in its
// place, so what is kept would silently differ from what was typed. Such input is refused
// instead, naming the field, and nothing is stored.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** The refusal for `field` (its label as the form shows it). */
export function loneSurrogateMessage(field: string): string {
  return `${field}含有无法识别的字符（可能是复制粘贴带入的残缺表情或符号），请删除后重新填写，本次未保存`;
}
