// Small DOM helpers shared by both pages: element building, formatting, focus.

type AttrValue = string | number | boolean | null | undefined;
type Listeners = { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void };

/** Attributes of an element; `testid` becomes `data-testid`, `on` holds listeners. */
export interface Props {
  on?: Listeners;
  [name: string]: AttrValue | Listeners;
}

export type Child = Node | string | number | null | undefined | false;

/**
 * Builds an element. `true` sets an empty attribute, `false`, `null` and `undefined` leave it
 * out; text children are inserted as text, never as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Listeners)) {
        el.addEventListener(event, listener as EventListener);
      }
    } else {
      setAttr(el, name === 'testid' ? 'data-testid' : name, value as AttrValue);
    }
  }
  append(el, ...children);
  return el;
}

/** Sets or removes one attribute following the rules of [`h`]. */
export function setAttr(el: Element, name: string, value: AttrValue): void {
  if (value === false || value === null || value === undefined) {
    el.removeAttribute(name);
  } else {
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled form field: the label, the control and an optional hint below it. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLDivElement {
  const id = control.id || uniqueId('field');
  control.id = id;
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label));
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    append(wrap, control, h('p', { class: 'hint', id: hintId }, hint));
  } else {
    append(wrap, control);
  }
  return wrap;
}

let counter = 0;

/** An id unique within the page. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** `mm:ss` of a number of seconds (minutes are not wrapped into hours). */
export function mmss(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A date and time in the reader's locale; the input itself when it does not parse. */
export function dateTime(rfc3339: string | null | undefined): string {
  if (!rfc3339) return '';
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Moves focus to a page's heading so screen readers announce the new step. */
export function focusHeading(root: ParentNode): void {
  const heading = root.querySelector<HTMLElement>('h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: false });
}

/** Marks a button busy while `work` runs and restores it afterwards. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Text split into paragraphs on blank lines. */
export function paragraphs(text: string): HTMLParagraphElement[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => h('p', {}, p));
}
