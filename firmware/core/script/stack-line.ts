// Where in a script an error happened, read off the engine's stack text. V8 writes frames as
// "name.js:12:5", XS as "(name.js:12)" (from the //# sourceURL the Compartment host adds);
// both have "<file>:<line>". Hosts name the script with scriptFileName so all agree.

/** The file name a script is evaluated under: its name without whitespace (XS's sourceURL stops at a space). */
export function scriptFileName(name: string): string {
  return name.replace(/\s/g, '_');
}

/** The line of the first "<file>:<digits>" in `stack`, or undefined. */
export function lineInStack(stack: string, file: string): number | undefined {
  const key = `${file}:`;
  for (let at = stack.indexOf(key); at >= 0; at = stack.indexOf(key, at + 1)) {
    const digits = /^\d+/.exec(stack.slice(at + key.length));
    if (digits) return Number(digits[0]);
  }
  return undefined;
}
