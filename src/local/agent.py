# The agent inside every sandbox of `sandform local` (see sandbox.c).
#
# It is started by bubblewrap as `python3 -c <this file> <config JSON>` with
# a socket to the server on fd 0. Requests and replies are JSON lines:
#   -> {"id": 7, "tool": "executeCommand", "args": {...}}
#   <- {"id": 7, "result": {content, structuredContent, isError}}
#   <- {"id": 7, "error": {"code": "invalid"|"notfound"|"internal",
#                           "message": "..."}}
# The first line it writes is {"ready": true, ...}.
#
# One thread, one event loop: commands and background tasks are child
# processes whose pipes the loop drains, Python code runs in a forked
# "kernel" process that keeps its globals between calls, JavaScript in a
# node process running the kernel of agent_kernel.js. A kernel that dies
# (out of memory, os._exit) is started afresh on the next call.
# clearContext replaces the kernel of that language.
import json
import os
import selectors
import sys
import time

CFG = json.loads(sys.argv[1])
CAP = int(CFG.get("cap", 1 << 20))
WS = CFG.get("ws", "/workspace")
NODE = CFG.get("node") or None
JS_KERNEL = CFG.get("js") or ""
READ_CAP = int(CFG.get("read_cap", 100 << 20))
GRACE = 0.1  # seconds to keep reading a finished command's pipes


# ---------------------------------------------------------------- loop


class Loop:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.timers = []
        self.seq = 0

    def add_reader(self, fd, cb):
        self.sel.register(fd, selectors.EVENT_READ, cb)

    def remove_reader(self, fd):
        try:
            self.sel.unregister(fd)
        except (KeyError, ValueError):
            pass

    def call_later(self, delay, cb):
        import heapq

        self.seq += 1
        entry = [time.monotonic() + delay, self.seq, cb]
        heapq.heappush(self.timers, entry)
        return entry

    @staticmethod
    def cancel(entry):
        entry[2] = None

    def run(self):
        import heapq

        while True:
            timeout = None
            while self.timers and self.timers[0][2] is None:
                heapq.heappop(self.timers)
            if self.timers:
                timeout = max(0.0, self.timers[0][0] - time.monotonic())
            for key, _ in self.sel.select(timeout):
                key.data(key.fd)
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, cb = heapq.heappop(self.timers)
                if cb is not None:
                    cb()


LOOP = Loop()


# ---------------------------------------------------------------- output


class Capture:
    """The first CAP bytes of a stream, and how many there were."""

    def __init__(self):
        self.buf = bytearray()
        self.total = 0

    def add(self, data):
        self.total += len(data)
        room = CAP - len(self.buf)
        if room > 0:
            self.buf += data[:room]

    def text(self):
        return self.buf.decode("utf-8", "replace")

    def note(self, name):
        if self.total <= len(self.buf):
            return ""
        return "[%s truncated: %d bytes, the first %d kept]" % (
            name, self.total, len(self.buf))


def join_text(*parts):
    text = ""
    for p in parts:
        if not p:
            continue
        if text and not text.endswith("\n"):
            text += "\n"
        text += p
    return text


def run_result(out, err, code, ms, strip=False, extra=None):
    so, se = out.text(), err.text()
    if strip:
        so = so[:-1] if so.endswith("\n") else so
        se = se[:-1] if se.endswith("\n") else se
    text = join_text(so, se, out.note("stdout"), err.note("stderr"))
    sc = {"stdout": so, "stderr": se, "exitCode": code,
          "executionTime": float(ms)}
    if extra:
        sc.update(extra)
    return {"content": [{"type": "text", "text": text}],
            "structuredContent": sc, "isError": code != 0}


def ms_since(t0):
    return (time.monotonic() - t0) * 1000.0


def nonblock_reader(fd, sink, on_eof):
    """Drain fd into sink(data) as the loop sees it readable."""
    os.set_blocking(fd, False)

    def cb(_fd):
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                LOOP.remove_reader(fd)
                on_eof(fd)
                return
            sink(data)

    LOOP.add_reader(fd, cb)


def drain_now(fd, sink):
    """Read what fd holds right now, without waiting."""
    while True:
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        sink(data)


# ---------------------------------------------------------------- replies


class ToolError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


def invalid(msg):
    return ToolError("invalid", msg)


SOCK = None


def send(obj):
    data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            + "\n").encode("utf-8", "replace")  # names of undecodable bytes
    try:
        SOCK.sendall(data)
    except OSError:
        os._exit(0)  # the server is gone


def reply(rid, result):
    send({"id": rid, "result": result})


def reply_error(rid, code, message):
    send({"id": rid, "error": {"code": code, "message": message}})


# ---------------------------------------------------------------- commands


class Command:
    """sh -c in the workspace; done(self) once it exited and its pipes
    are drained (or GRACE after it exited, if something kept them open)."""

    def __init__(self, command, done):
        import subprocess

        self.out, self.err = Capture(), Capture()
        self.done_cb = done
        self.code = None
        self.finished = False
        self.t0 = time.monotonic()
        self.grace = None
        try:
            self.proc = subprocess.Popen(
                ["/bin/sh", "-c", command], cwd=WS,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True,
                close_fds=True)
        except OSError as e:
            # out of processes, most likely: a failure of the command
            self.proc = None
            self.err.add(("cannot start the command: %s\n" % e).encode())
            self.code = 126
            self.ms = ms_since(self.t0)
            LOOP.call_later(0, self._finish)
            return
        self.open = 2
        self.fds = [self.proc.stdout.fileno(), self.proc.stderr.fileno()]
        nonblock_reader(self.fds[0], self.out.add, self._eof)
        nonblock_reader(self.fds[1], self.err.add, self._eof)
        self.pidfd = os.pidfd_open(self.proc.pid)
        LOOP.add_reader(self.pidfd, self._exited)

    def _eof(self, _fd):
        self.open -= 1
        if self.open == 0 and self.code is not None:
            self._finish()

    def _exited(self, _fd):
        LOOP.remove_reader(self.pidfd)
        os.close(self.pidfd)
        rc = self.proc.wait()
        self.code = rc if rc >= 0 else 128 - rc
        self.ms = ms_since(self.t0)
        if self.open == 0:
            self._finish()
        else:
            self.grace = LOOP.call_later(GRACE, self._finish)

    def _finish(self):
        if self.finished:
            return
        self.finished = True
        if self.grace:
            Loop.cancel(self.grace)
        if self.proc is None:
            return self.done_cb(self)
        for fd in self.fds:
            LOOP.remove_reader(fd)
            drain_now(fd, self.out.add if fd == self.fds[0] else self.err.add)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.done_cb(self)

    def kill(self):
        import signal

        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass


def tool_execute_command(rid, args):
    cmd = args.get("command")
    if not isinstance(cmd, str) or not cmd.strip():
        raise invalid("executeCommand needs a command")
    Command(cmd, lambda c: reply(
        rid, run_result(c.out, c.err, c.code, c.ms)))


# ---------------------------------------------------------------- tasks

TASKS = {}


class Task:
    def __init__(self, tid, command):
        self.tid = tid
        self.status = "working"
        self.cmd = Command(command, self._done)

    def _done(self, c):
        if self.status == "working":
            self.status = "completed" if c.code == 0 else "failed"

    def result(self):
        c = self.cmd
        code = c.code if c.code is not None else 0
        ms = c.ms if c.code is not None else ms_since(c.t0)
        extra = {"taskId": self.tid, "taskStatus": self.status}
        r = run_result(c.out, c.err, code, ms, extra=extra)
        if c.code is None:
            del r["structuredContent"]["exitCode"]
        r["isError"] = self.status == "failed"
        if not r["content"][0]["text"]:
            r["content"][0]["text"] = "task %s: %s" % (self.tid, self.status)
        return r


def tool_start_command(rid, args):
    import uuid

    cmd = args.get("command")
    if not isinstance(cmd, str) or not cmd.strip():
        raise invalid("startCommandExecution needs a command")
    tid = str(uuid.uuid4())
    t = Task(tid, cmd)
    TASKS[tid] = t
    reply(rid, {"content": [{"type": "text",
                             "text": "task %s started" % tid}],
                "structuredContent": {"taskId": tid,
                                      "taskStatus": "working"},
                "isError": False})


def find_task(args):
    tid = args.get("taskId")
    if not isinstance(tid, str) or not tid:
        raise invalid("the tool needs a taskId")
    t = TASKS.get(tid)
    if t is None:
        raise ToolError("notfound", "no task %s in this session" % tid)
    return t


def tool_get_task(rid, args):
    reply(rid, find_task(args).result())


def tool_stop_task(rid, args):
    t = find_task(args)
    if t.status == "working":
        t.status = "canceled"
        t.cmd.kill()
    reply(rid, t.result())


# ---------------------------------------------------------------- kernels


class Kernel:
    """A process that keeps the state of one language; calls are queued."""

    lang = ""

    def __init__(self):
        self.queue = []
        self.current = None
        self.pid = None

    def run(self, rid, code, clear):
        self.queue.append((rid, code, clear))
        self._next()

    def _next(self):
        if self.current is not None or not self.queue:
            return
        rid, code, clear = self.queue.pop(0)
        if clear:
            self.reset()
        if self.pid is None:
            try:
                self.start()
            except OSError as e:
                # out of processes or memory: a failure of the code
                err = Capture()
                err.add(("cannot start the %s context: %s"
                         % (self.lang, e)).encode())
                reply(rid, run_result(Capture(), err, 126, 0.0))
                return self._next()
        self.current = (rid, Capture(), Capture(), time.monotonic())
        line = json.dumps({"code": code}) + "\n"
        try:
            data = line.encode("utf-8", "surrogatepass")
            view = memoryview(data)
            while view:
                n = os.write(self.req_w, view)
                view = view[n:]
        except OSError:
            pass  # the death of the kernel answers the call

    # the kernel's own pipes: stdout, stderr, replies
    def _out(self, data):
        if self.current:
            self.current[1].add(data)

    def _err(self, data):
        if self.current:
            self.current[2].add(data)

    def _attach(self, pid, req_w, rep_r, out_r, err_r):
        self.pid = pid
        self.req_w = req_w
        self.rep_r = rep_r
        self.out_r, self.err_r = out_r, err_r
        self.rep_buf = b""
        os.set_blocking(out_r, False)
        os.set_blocking(err_r, False)
        LOOP.add_reader(out_r, lambda fd: drain_now(fd, self._out))
        LOOP.add_reader(err_r, lambda fd: drain_now(fd, self._err))
        LOOP.add_reader(rep_r, self._reply)
        self.pidfd = os.pidfd_open(pid)
        LOOP.add_reader(self.pidfd, self._died)

    def _reply(self, fd):
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            LOOP.remove_reader(fd)
            return
        self.rep_buf += data
        while b"\n" in self.rep_buf:
            line, self.rep_buf = self.rep_buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue  # not the kernel's: user code wrote on the pipe
            if isinstance(msg, dict):
                self._complete(msg)

    def _complete(self, msg):
        if self.current is None:
            return
        rid, out, err, t0 = self.current
        drain_now(self.out_r, out.add)
        drain_now(self.err_r, err.add)
        self.current = None
        reply(rid, run_result(out, err, int(msg.get("exitCode", 1)),
                              msg.get("ms", ms_since(t0)), strip=True))
        self._next()

    def _died(self, _fd):
        _, status = os.waitpid(self.pid, 0)
        self._close()
        if self.current is None:
            return
        rid, out, err, t0 = self.current
        drain_now(self.out_r, out.add)
        drain_now(self.err_r, err.add)
        self.current = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            code = 128 + sig
            why = "was killed by signal %d%s" % (
                sig, " (the memory limit?)" if sig == 9 else "")
        else:
            code = os.WEXITSTATUS(status)
            why = "exited with status %d" % code
        msg = "the %s context %s; its state is lost" % (self.lang, why)
        r = run_result(out, err, code if code else 1, ms_since(t0), strip=True)
        r["content"][0]["text"] = join_text(r["content"][0]["text"], msg)
        r["structuredContent"]["stderr"] = join_text(
            r["structuredContent"]["stderr"], msg)
        reply(rid, r)
        self._next()

    def _close(self):
        for fd in (self.pidfd, self.rep_r, self.out_r, self.err_r):
            LOOP.remove_reader(fd)
        for fd in (self.pidfd, self.req_w, self.rep_r, self.out_r, self.err_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.pid = None

    def reset(self):
        """clearContext: end this kernel; the next call starts afresh."""
        if self.pid is None:
            return
        import signal

        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        self._close()


class PythonKernel(Kernel):
    lang = "Python"

    def start(self):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds = (req_r, req_w, rep_r, rep_w, out_r, out_w, err_r, err_w)
        try:
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        if pid == 0:
            try:
                keep = {req_r, rep_w}
                null = os.open("/dev/null", os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                for name in os.listdir("/proc/self/fd"):
                    fd = int(name)
                    if fd > 2 and fd not in keep:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                os.setsid()
                python_kernel(req_r, rep_w)
            finally:
                os._exit(70)
        for fd in (req_r, rep_w, out_w, err_w):
            os.close(fd)
        self._attach(pid, req_w, rep_r, out_r, err_r)


class NodeKernel(Kernel):
    lang = "JavaScript"

    def start(self):
        import subprocess

        rep_r, rep_w = os.pipe()
        try:
            p = subprocess.Popen(
                [NODE, "-e", JS_KERNEL, "--", str(rep_w)], cwd=WS,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, pass_fds=(rep_w,),
                start_new_session=True)
        except OSError:
            os.close(rep_r)
            raise
        finally:
            os.close(rep_w)
        # Keep the raw descriptors; the file objects must not close them.
        req_w = os.dup(p.stdin.fileno())
        out_r = os.dup(p.stdout.fileno())
        err_r = os.dup(p.stderr.fileno())
        p.stdin.close()
        p.stdout.close()
        p.stderr.close()
        p.returncode = 0  # reaped through the pidfd, not by Popen
        self._attach(p.pid, req_w, rep_r, out_r, err_r)


def python_kernel(req_r, rep_w):
    """The forked Python context: run cells, keep their globals."""
    import ast
    import builtins
    import io
    import linecache
    import traceback

    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("500")  # rather this than the agent
    except OSError:
        pass
    out = io.TextIOWrapper(io.FileIO(1, "w", closefd=False),
                           encoding="utf-8", errors="backslashreplace",
                           line_buffering=True)
    err = io.TextIOWrapper(io.FileIO(2, "w", closefd=False),
                           encoding="utf-8", errors="backslashreplace",
                           line_buffering=True)
    sys.stdin = open(os.devnull)
    import importlib
    import site

    g = {"__name__": "__main__", "__builtins__": builtins}
    user_site = site.getusersitepackages()
    n = 0
    req = os.fdopen(req_r, "rb")
    for line in req:
        msg = json.loads(line)
        code = msg.get("code", "")
        n += 1
        name = "<cell-%d>" % n
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        sys.stdout, sys.stderr = out, err
        # what `pip install` put in ~/.local since the context started
        if user_site not in sys.path and os.path.isdir(user_site):
            site.addsitedir(user_site)
        importlib.invalidate_caches()
        t0 = time.monotonic()
        rc = 0
        try:
            tree = ast.parse(code, name, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), g)
            if last is not None:
                v = eval(compile(last, name, "eval"), g)
                if v is not None:
                    print(repr(v))
        except SystemExit as e:
            if e.code is None:
                rc = 0
            elif isinstance(e.code, int):
                rc = e.code
            else:
                print(e.code, file=sys.stderr)
                rc = 1
        except BaseException as e:
            tb = e.__traceback__
            if not isinstance(e, SyntaxError) and tb is not None:
                tb = tb.tb_next  # our own frame
            te = traceback.TracebackException(type(e), e, tb)
            err.write("".join(te.format()))
            rc = 1
        for s in (sys.stdout, sys.stderr, out, err):
            try:
                s.flush()
            except Exception:
                pass
        data = json.dumps({"exitCode": rc, "ms": ms_since(t0)}) + "\n"
        os.write(rep_w, data.encode())
    os._exit(0)


KERNELS = {}


def tool_execute_code(rid, args):
    lang = args.get("language", "python")
    code = args.get("code", "")
    if not isinstance(code, str):
        raise invalid("executeCode needs code, a string")
    if lang == "python":
        cls = PythonKernel
    elif lang == "javascript":
        if not NODE:
            raise invalid("javascript needs node, which is not installed")
        cls = NodeKernel
    elif lang == "typescript":
        raise invalid("typescript is not supported by the embedded "
                      "control plane")
    else:
        raise invalid("unknown language %r" % (lang,))
    k = KERNELS.get(lang)
    if k is None:
        k = KERNELS[lang] = cls()
    clear = args.get("clearContext", False)
    if not isinstance(clear, bool):
        raise invalid("clearContext must be a boolean")
    k.run(rid, code, clear)


# ---------------------------------------------------------------- files


def ws_path(path, what="path"):
    """The absolute path of a workspace file; escapes are refused."""
    if not isinstance(path, str) or not path:
        raise invalid("%s must be a non-empty string" % what)
    if "\0" in path:
        raise invalid("%s %r holds a NUL byte" % (what, path))
    p = os.path.normpath(os.path.join(WS, path))
    if p != WS and not p.startswith(WS + "/"):
        raise invalid("%s %r is outside the workspace %s" % (what, path, WS))
    real = os.path.realpath(p)
    if real != WS and not real.startswith(WS + "/"):
        raise invalid("%s %r leads outside the workspace (to %s)"
                      % (what, path, real))
    return p


def file_uri(p):
    return "file://" + p


def mime_of(p, default):
    import mimetypes

    t, _ = mimetypes.guess_type(p, strict=False)
    return t or default


def files_result(blocks, errors):
    if errors:
        blocks = blocks + [{"type": "text", "text": "\n".join(errors)}]
    if not blocks:
        blocks = [{"type": "text", "text": ""}]
    return {"content": blocks, "isError": bool(errors)}


def list_arg(args, name, tool):
    v = args.get(name)
    if not isinstance(v, list) or not v:
        raise invalid("%s needs %s, a non-empty list" % (tool, name))
    return v


def tool_write_files(rid, args):
    import base64
    import binascii

    items = list_arg(args, "content", "writeFiles")
    plan = []
    for it in items:
        if not isinstance(it, dict):
            raise invalid("writeFiles: every content entry is an object")
        p = ws_path(it.get("path"), "path")
        if p == WS:
            raise invalid("writeFiles: %r is the workspace itself"
                          % it.get("path"))
        text, blob = it.get("text"), it.get("blob")
        if (text is None) == (blob is None):
            raise invalid("writeFiles: %r needs one of text or blob"
                          % it["path"])
        if text is not None:
            if not isinstance(text, str):
                raise invalid("writeFiles: text of %r is not a string"
                              % it["path"])
            data = text.encode("utf-8", "surrogatepass")
        else:
            if not isinstance(blob, str):
                raise invalid("writeFiles: blob of %r is not base64"
                              % it["path"])
            try:
                data = base64.b64decode(blob, validate=True)
            except (binascii.Error, ValueError):
                raise invalid("writeFiles: blob of %r is not valid base64"
                              % it["path"])
        plan.append((it["path"], p, data))
    lines, errors = [], []
    for name, p, data in plan:
        try:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
            lines.append("wrote %s (%d bytes)" % (name, len(data)))
        except OSError as e:
            errors.append("%s: %s" % (name, e.strerror or e))
    text = "\n".join(lines)
    blocks = [{"type": "text", "text": text}] if text else []
    reply(rid, files_result(blocks, errors))


def tool_read_files(rid, args):
    import base64

    paths = list_arg(args, "paths", "readFiles")
    resolved = [(q, ws_path(q)) for q in paths]
    blocks, errors, total = [], [], 0
    for name, p in resolved:
        try:
            size = os.path.getsize(p)
            if os.path.isdir(p):
                raise IsADirectoryError(21, "Is a directory")
            if total + size > READ_CAP:
                errors.append("%s: skipped, the files of one call are "
                              "limited to %d bytes" % (name, READ_CAP))
                continue
            with open(p, "rb") as f:
                data = f.read(READ_CAP - total + 1)
            total += len(data)
        except OSError as e:
            errors.append("%s: %s" % (name, e.strerror or e))
            continue
        try:
            text = data.decode("utf-8")
            res = {"type": "text", "uri": file_uri(p),
                   "mimeType": mime_of(p, "text/plain"), "text": text}
        except UnicodeDecodeError:
            res = {"type": "blob", "uri": file_uri(p),
                   "mimeType": mime_of(p, "application/octet-stream"),
                   "blob": base64.b64encode(data).decode("ascii")}
        blocks.append({"type": "resource", "resource": res})
    reply(rid, files_result(blocks, errors))


def tool_list_files(rid, args):
    d = args.get("directoryPath")
    p = WS if d is None or d == "" else ws_path(d, "directoryPath")
    try:
        names = sorted(os.listdir(p))
    except OSError as e:
        return reply(rid, files_result([], ["%s: %s" % (d or ".", e.strerror)]))
    import stat

    blocks = []
    for n in names:
        q = os.path.join(p, n)
        try:
            st = os.lstat(q)
        except OSError:
            continue
        b = {"type": "resource_link", "uri": file_uri(q), "name": n}
        if stat.S_ISDIR(st.st_mode):
            b["description"] = "directory"
        elif stat.S_ISLNK(st.st_mode):
            b["description"] = "symlink to " + os.readlink(q)
        else:
            b["description"] = "file"
            b["size"] = st.st_size
            b["mimeType"] = mime_of(q, "application/octet-stream")
        blocks.append(b)
    if not blocks:
        blocks = [{"type": "text", "text": "(empty directory)"}]
    reply(rid, {"content": blocks, "isError": False})


def tool_remove_files(rid, args):
    import shutil

    paths = list_arg(args, "paths", "removeFiles")
    resolved = []
    for q in paths:
        p = ws_path(q)
        if p == WS:
            raise invalid("removeFiles: %r is the workspace itself" % q)
        resolved.append((q, p))
    lines, errors = [], []
    for name, p in resolved:
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
            lines.append("removed " + name)
        except OSError as e:
            errors.append("%s: %s" % (name, e.strerror or e))
    text = "\n".join(lines)
    blocks = [{"type": "text", "text": text}] if text else []
    reply(rid, files_result(blocks, errors))


# ---------------------------------------------------------------- main

TOOLS = {
    "executeCommand": tool_execute_command,
    "executeCode": tool_execute_code,
    "startCommandExecution": tool_start_command,
    "getTask": tool_get_task,
    "stopTask": tool_stop_task,
    "writeFiles": tool_write_files,
    "readFiles": tool_read_files,
    "listFiles": tool_list_files,
    "removeFiles": tool_remove_files,
}


def handle(line):
    rid = None
    try:
        msg = json.loads(line)
        rid = msg.get("id")
        fn = TOOLS.get(msg.get("tool"))
        if fn is None:
            raise invalid("unknown tool %r" % (msg.get("tool"),))
        args = msg.get("args") or {}
        if not isinstance(args, dict):
            raise invalid("arguments must be an object")
        fn(rid, args)
    except ToolError as e:
        reply_error(rid, e.code, str(e))
    except Exception as e:  # a bug here must not end the session
        reply_error(rid, "internal", "%s: %s" % (type(e).__name__, e))


def set_rlimits():
    """Limits the server's cgroups do not give: on us and our children."""
    import resource

    names = {"core": resource.RLIMIT_CORE, "as": resource.RLIMIT_AS,
             "nproc": resource.RLIMIT_NPROC}
    for name, value in (CFG.get("rlimits") or {}).items():
        resource.setrlimit(names[name], (int(value), int(value)))


def main():
    global SOCK
    import socket

    set_rlimits()

    # The server's socket moves away from 0 and 1, where a stray print or
    # a child process could reach it.
    sock_fd = os.dup(0)
    SOCK = socket.socket(fileno=sock_fd)
    SOCK.setblocking(True)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    os.chdir(WS)
    buf = bytearray()

    def on_request(_fd):
        nonlocal buf
        try:
            data = SOCK.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            os._exit(0)  # the server closed the session
        start = len(buf)
        buf += data
        while True:
            i = buf.find(b"\n", start)
            if i < 0:
                return
            line = bytes(buf[:i])
            del buf[:i + 1]
            start = 0
            handle(line)

    LOOP.add_reader(sock_fd, on_request)
    send({"ready": True, "pid": os.getpid(),
          "python": "%d.%d.%d" % sys.version_info[:3]})
    LOOP.run()


if __name__ == "__main__":
    main()
