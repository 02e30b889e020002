// The peer side of benchmarks/run.py: renders a Carbone template with a JSON data file, timed.
//
// One process serves the whole benchmark (so Node's JIT is as warm as the engine's Python), reading one
// request per line on stdin: {"template": path, "data": path, "repeat": n, "out": path or null}.
// For each it renders the template n times with carbone.render, Carbone's documented call (it reads and
// unzips the template on every call; the community edition has no compile-once API), and answers one
// line: {"ms": [each render's milliseconds]} or {"error": message}. With "out", the last result is
// written there so that the benchmark can check that both engines printed the same table.
'use strict';

const fs = require('fs');
const readline = require('readline');
const carbone = require('carbone');

const data = new Map(); // parsed once per file: the engine's context is built once too

function render(template, values) {
  return new Promise((resolve, reject) => {
    carbone.render(template, values, {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function serve(request) {
  if (!data.has(request.data)) {
    data.set(request.data, JSON.parse(fs.readFileSync(request.data, 'utf8')));
  }
  const values = data.get(request.data);
  const ms = [];
  let result = null;
  for (let k = 0; k < request.repeat; k += 1) {
    const start = process.hrtime.bigint();
    result = await render(request.template, values);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (request.out && result) {
    fs.writeFileSync(request.out, result);
  }
  return { ms };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = await serve(JSON.parse(line));
    } catch (err) {
      answer = { error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main();
