// The JavaScript context of a sandbox (see agent.py): `node -e <this> --
// <fd>`. Cells arrive as JSON lines on stdin, run in this process's global
// context (so var, let, const and functions persist between calls), and
// each one is answered on fd <fd> with {"exitCode", "ms"} once its output
// (console.log goes to stdout, a pipe, written synchronously on Linux) is
// out. A cell whose value is a promise is awaited; a value other than
// undefined is printed as the REPL would.
(function () {
	'use strict';
	const vm = require('vm');
	const util = require('util');
	const fs = require('fs');
	const replyFd = Number(process.argv[process.argv.length - 1]);
	let buf = '';
	let queue = Promise.resolve();
	let n = 0;

	// The stack without the frames of this kernel and of node itself.
	function report(e) {
		const text = e && e.stack ? e.stack : String(e);
		const lines = text.split('\n').filter((l) =>
		    !/^\s+at .*(node:|\[eval\])/.test(l));
		process.stderr.write(lines.join('\n') + '\n');
	}

	async function run(msg) {
		const t0 = process.hrtime.bigint();
		let exitCode = 0;
		try {
			n += 1;
			let v = vm.runInThisContext(String(msg.code || ''),
			    { filename: '<cell-' + n + '>' });
			if (v && typeof v.then === 'function')
				v = await v;
			if (v !== undefined)
				process.stdout.write(util.inspect(v) + '\n');
		} catch (e) {
			report(e);
			exitCode = 1;
		}
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		fs.writeSync(replyFd, JSON.stringify({ exitCode, ms }) + '\n');
	}

	process.on('uncaughtException', report);
	process.on('unhandledRejection', report);
	process.stdin.setEncoding('utf8');
	process.stdin.on('data', (chunk) => {
		buf += chunk;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const line = buf.slice(0, i);
			buf = buf.slice(i + 1);
			const msg = JSON.parse(line);
			queue = queue.then(() => run(msg));
		}
	});
	process.stdin.on('end', () => process.exit(0));
})();
