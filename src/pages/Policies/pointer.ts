/**
 * Reading and writing inside a policy by JSON pointer (`/steps/1/weight`),
 * the same pointers the backend names in its validation errors. Writes are
 * immutable; writing `undefined` removes the field, and an object left empty
 * by that is removed too.
 */

type Json = unknown;

export function parsePointer(pointer: string): string[] {
  if (pointer === '') {
    return [];
  }
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function getAt(root: Json, pointer: string): Json {
  let node = root;
  for (const key of parsePointer(pointer)) {
    if (node === null || typeof node !== 'object') {
      return undefined;
    }
    node = (node as Record<string, Json>)[key];
  }
  return node;
}

export function setAt<T>(root: T, pointer: string, value: Json): T {
  return setPath(root, parsePointer(pointer), value) as T;
}

function setPath(node: Json, path: string[], value: Json): Json {
  if (path.length === 0) {
    return value;
  }
  const [key, ...rest] = path as [string, ...string[]];
  if (Array.isArray(node)) {
    const copy = [...node];
    copy[Number(key)] = setPath(copy[Number(key)], rest, value);
    return copy;
  }
  const object = node !== null && typeof node === 'object' ? (node as Record<string, Json>) : {};
  const child = setPath(object[key], rest, value);
  const { [key]: _old, ...others } = object;
  if (child === undefined || isEmptyObject(child)) {
    return others;
  }
  return { ...others, [key]: child };
}

function isEmptyObject(value: Json): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

export function removeItem<T>(root: T, arrayPointer: string, index: number): T {
  const list = getAt(root, arrayPointer);
  if (!Array.isArray(list)) {
    return root;
  }
  return setAt(
    root,
    arrayPointer,
    list.filter((_, i) => i !== index)
  );
}

export function appendItem<T>(root: T, arrayPointer: string, item: Json): T {
  const list = getAt(root, arrayPointer);
  return setAt(root, arrayPointer, [...(Array.isArray(list) ? list : []), item]);
}

/** A number field's text as the value to send: a number when it reads as one, else the text itself (so the backend can name it). */
export function numberFromText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}
