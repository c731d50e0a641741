# The driver of SandboxCodeInterpreter: one long-lived Python process that runs cells in one namespace.
# Standard library only. Started as `python3 -c <this file> <outputs dir>` inside the sandbox.
#
# Protocol: frames of a 4-byte big-endian length and a UTF-8 JSON object, on the process's original
# stdin (requests) and stdout (replies). The driver moves those two descriptors aside at start and points
# fds 0, 1, 2 elsewhere, so nothing a cell (or a subprocess of it) prints can be taken for a frame.
#   requests: {"type": "run", "id": N, "code": "...", "maxOutput": BYTES, "maxValue": CHARS}
#             {"type": "interrupt", "id": N}   (handled at once by the reader thread)
#   replies:  {"type": "ready", "pid": P, "python": "3.x"}
#             {"type": "result", "id": N, "stdout": ..., "stderr": ..., "stdoutTruncated": b,
#              "stderrTruncated": b, "value": str|null, "error": {type, message, traceback}|null,
#              "interrupted": b, "outputs": [absolute paths]}
# EOF on stdin ends the process.
import ast
import builtins
import linecache
import os
import queue
import signal
import struct
import sys
import threading
import traceback

PROTO_IN = os.dup(0)
PROTO_OUT = os.dup(1)
# os.dup makes non-inheritable copies (PEP 446): subprocesses of a cell never get the protocol fds
DEVNULL = os.open(os.devnull, os.O_RDWR)
os.dup2(DEVNULL, 0)
os.dup2(DEVNULL, 1)
# fd 2 stays the driver's own stderr between cells (its diagnostics); cells get a pipe of their own
DIAG = os.dup(2)

OUTPUTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.getcwd(), "outputs")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_REQUEST = 64 * 1024 * 1024

write_lock = threading.Lock()
state_lock = threading.Lock()
running = {"id": None}
requests = queue.Queue()


def send(obj):
    import json
    body = json.dumps(obj, ensure_ascii=True).encode("ascii")
    with write_lock:
        data = struct.pack(">I", len(body)) + body
        while data:
            n = os.write(PROTO_OUT, data)
            data = data[n:]


def read_exact(n):
    chunks = []
    while n > 0:
        b = os.read(PROTO_IN, n)
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def reader():
    import json
    while True:
        head = read_exact(4)
        if head is None:
            os._exit(0)
        (length,) = struct.unpack(">I", head)
        if length > MAX_REQUEST:
            os.write(DIAG, b"sandbox4j interpreter driver: request frame too large\n")
            os._exit(70)
        body = read_exact(length)
        if body is None:
            os._exit(0)
        msg = json.loads(body.decode("utf-8"))
        if msg.get("type") == "interrupt":
            with state_lock:
                # only the cell that timed out: a late interrupt must not hit the next cell
                if running["id"] is not None and running["id"] == msg.get("id"):
                    os.kill(os.getpid(), signal.SIGINT)
        else:
            requests.put(msg)


def on_sigint(signum, frame):
    # between cells a late SIGINT is ignored; during one it is the KeyboardInterrupt a notebook raises
    if running["id"] is not None:
        raise KeyboardInterrupt()


class Capture:
    """A pipe put on fd 1 or 2 for one cell; a thread drains it, keeping at most cap bytes."""

    def __init__(self, cap):
        self.cap = cap
        self.buf = bytearray()
        self.total = 0
        self.lock = threading.Lock()
        self.r, self.w = os.pipe()
        self.thread = threading.Thread(target=self.pump, daemon=True)
        self.thread.start()

    def pump(self):
        while True:
            try:
                b = os.read(self.r, 65536)
            except OSError:
                break
            if not b:
                break
            with self.lock:
                self.total += len(b)
                room = self.cap - len(self.buf)
                if room > 0:
                    self.buf += b[:room]
        os.close(self.r)

    def result(self):
        # a background process the cell started may hold the pipe open: wait a little, then keep what came
        # (the thread goes on draining so that process never blocks on a full pipe)
        self.thread.join(0.5)
        with self.lock:
            return bytes(self.buf).decode("utf-8", "replace"), self.total > len(self.buf)


def snapshot():
    seen = {}
    try:
        for name in os.listdir(OUTPUTS):
            if name.lower().endswith(IMAGE_SUFFIXES):
                p = os.path.join(OUTPUTS, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                seen[p] = (st.st_mtime_ns, st.st_size)
    except OSError:
        pass
    return seen


def save_figures(cell_id):
    # matplotlib is optional: only when the cell imported pyplot are its open figures saved and closed
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for k, num in enumerate(plt.get_fignums()):
            fig = plt.figure(num)
            fig.savefig(os.path.join(OUTPUTS, "figure-%d-%d.png" % (cell_id, k + 1)), format="png")
            plt.close(fig)
    except Exception as e:
        sys.stderr.write("could not save the matplotlib figures: %r\n" % (e,))


def run_code(code, filename, namespace):
    tree = ast.parse(code, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        return eval(compile(last, filename, "eval"), namespace)
    return None


def describe(e, max_chars):
    # drop the driver's own frames (run_cell, run_code): the traceback starts in the cell
    tb = e.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell "):
        tb = tb.tb_next
    if tb is None:
        # a SyntaxError (raised by the parser, no cell frame) or an exception from the driver itself
        text = "".join(traceback.format_exception_only(type(e), e))
    else:
        # and no frame of the driver after it either (on_sigint raises the KeyboardInterrupt)
        frames = [f for f in traceback.extract_tb(tb) if f.filename != DRIVER_FILE]
        text = ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
                + "".join(traceback.format_exception_only(type(e), e)))
    return {"type": type(e).__name__, "message": str(e)[:max_chars], "traceback": text[-max_chars:]}


DRIVER_FILE = describe.__code__.co_filename
NAMESPACE = {"__name__": "__main__", "__builtins__": builtins}


def run_cell(msg):
    cell_id = msg["id"]
    cap = int(msg.get("maxOutput", 32768))
    max_value = int(msg.get("maxValue", 32768))
    filename = "<cell %d>" % cell_id
    code = msg["code"]
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    before = snapshot()
    out, err = Capture(cap), Capture(cap)
    saved = (sys.stdout, sys.stderr)
    os.dup2(out.w, 1)
    os.dup2(err.w, 2)
    os.close(out.w)
    os.close(err.w)
    value, error, interrupted = None, None, False
    signal.signal(signal.SIGINT, on_sigint)
    try:
        try:
            with state_lock:
                running["id"] = cell_id
            result = run_code(code, filename, NAMESPACE)
            if result is not None:
                NAMESPACE["_"] = result
                value = repr(result)[:max_value]
        finally:
            with state_lock:
                running["id"] = None
    except KeyboardInterrupt as e:
        interrupted = True
        error = describe(e, max_value)
    except BaseException as e:  # SystemExit too: a cell that calls exit() keeps the interpreter
        error = describe(e, max_value)
    save_figures(cell_id)
    for stream in (sys.stdout, sys.stderr, saved[0], saved[1]):
        try:
            stream.flush()
        except Exception:
            pass
    sys.stdout, sys.stderr = saved
    os.dup2(DEVNULL, 1)
    os.dup2(DIAG, 2)
    stdout, stdout_cut = out.result()
    stderr, stderr_cut = err.result()
    after = snapshot()
    outputs = sorted(p for p, v in after.items() if before.get(p) != v)
    send({"type": "result", "id": cell_id, "stdout": stdout, "stderr": stderr, "stdoutTruncated": stdout_cut,
          "stderrTruncated": stderr_cut, "value": value, "error": error, "interrupted": interrupted,
          "outputs": outputs})


def prepare_matplotlib():
    # Debian's matplotlib reads its defaults only from /etc/matplotlibrc (its patch drops the mpl-data
    # fallback), and a sandbox's /etc need not carry that file; Debian ships the same file in mpl-data
    debian_rc = "/usr/share/matplotlib/mpl-data/matplotlibrc"
    if "MATPLOTLIBRC" not in os.environ and not os.path.exists("/etc/matplotlibrc") and os.path.isfile(debian_rc):
        os.environ["MATPLOTLIBRC"] = debian_rc
    # its font cache goes to a writable directory rather than a warning about an unwritable home
    if "MPLCONFIGDIR" not in os.environ:
        import tempfile
        os.environ["MPLCONFIGDIR"] = os.path.join(tempfile.gettempdir(), "sandbox4j-matplotlib")


def main():
    prepare_matplotlib()
    try:
        os.makedirs(OUTPUTS, exist_ok=True)
    except OSError as e:
        os.write(DIAG, ("sandbox4j interpreter driver: cannot create %s: %s\n" % (OUTPUTS, e)).encode())
    signal.signal(signal.SIGINT, on_sigint)
    threading.Thread(target=reader, daemon=True).start()
    send({"type": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
    while True:
        msg = None
        try:
            msg = requests.get()
            run_cell(msg)
        except KeyboardInterrupt:
            # a SIGINT that landed in the driver's own code right around the cell: still one reply
            if msg is not None:
                os.dup2(DEVNULL, 1)
                os.dup2(DIAG, 2)
                send({"type": "result", "id": msg["id"], "stdout": "", "stderr": "", "stdoutTruncated": False,
                      "stderrTruncated": False, "value": None, "interrupted": True, "outputs": [],
                      "error": {"type": "KeyboardInterrupt", "message": "", "traceback": "KeyboardInterrupt\n"}})


main()
