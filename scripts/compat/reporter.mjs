// node:test reporter: one JSON line per test, {file, name, status, err}, for diff.cjs.
export default async function* reporter(source) {
  const names = [];
  for await (const ev of source) {
    const d = ev.data || {};
    if (ev.type === 'test:start') {
      names.length = d.nesting;
      names[d.nesting] = d.name;
    } else if (ev.type === 'test:pass' || ev.type === 'test:fail') {
      const name = names.slice(0, d.nesting).concat(d.name).join(' > ');
      const e = d.details && d.details.error;
      const cause = e && e.cause ? e.cause : e;
      const err = ev.type === 'test:fail' && cause ? String((cause.code ? `${cause.code} ` : '') + (cause.message || cause)).slice(0, 400) : '';
      const skipped = (d.skip !== undefined && d.skip !== false) || (d.todo !== undefined && d.todo !== false);
      const status = ev.type === 'test:fail' ? 'fail' : skipped ? 'skip' : 'pass';
      yield `${JSON.stringify({ file: d.file, name, status, err })}\n`;
    }
  }
}
