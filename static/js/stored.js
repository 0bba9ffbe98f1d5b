// JSON values kept in localStorage or sessionStorage. Storage that is full, disabled or damaged
// reads as null and writes as nothing: what it held is a convenience, never needed to play.

/** The value stored under `key`, or null when there is none or it cannot be read. */
export function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

/** Store `value` under `key`; when storage refuses, it lasts for this page only. */
export function writeJson(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // storage disabled or full
  }
}

export function removeKey(storage, key) {
  try {
    storage.removeItem(key);
  } catch {
    // nothing to forget
  }
}
