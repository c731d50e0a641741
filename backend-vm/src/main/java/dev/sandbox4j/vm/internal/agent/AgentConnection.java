package dev.sandbox4j.vm.internal.agent;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.vm.internal.protocol.AgentError;
import dev.sandbox4j.vm.internal.protocol.AgentProtocolException;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import dev.sandbox4j.vm.internal.protocol.ExitReport;
import dev.sandbox4j.vm.internal.protocol.Frame;
import dev.sandbox4j.vm.internal.protocol.FrameCodec;
import dev.sandbox4j.vm.internal.protocol.FrameType;
import dev.sandbox4j.vm.internal.protocol.InitRequest;
import dev.sandbox4j.vm.internal.protocol.ListDecoder;
import dev.sandbox4j.vm.internal.protocol.PayloadWriter;
import dev.sandbox4j.vm.internal.protocol.ReadyReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The host's end of the agent protocol over one byte stream. One reader thread dispatches the agent's
 * frames by id to the exec or request that owns it; writers from any thread are serialised. A malformed
 * frame from the agent breaks the connection: every pending call fails with the reason and the owner's
 * {@code onBroken} stops the VM. Thread-safe.
 */
public final class AgentConnection implements AutoCloseable {
    private static final int ESRCH = 3;
    /**
     * How long a killed exec may take to report its end (EXIT and both ends of output) before the guest is
     * declared saturated or hung and the VM is stopped: short enough that a timeout returns within 2 s of
     * its deadline however busy the guest is (the agent itself answers a KILL in milliseconds).
     */
    public static final Duration KILL_GRACE = Duration.ofMillis(1500);
    private static final ScheduledExecutorService WATCHDOG =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sandbox4j-vm-kill-watchdog");
                t.setDaemon(true);
                return t;
            });

    private final String name;
    private final InputStream in;
    private final OutputStream out;
    private final Consumer<String> onBroken;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, AgentExec> execs = new ConcurrentHashMap<>();
    private final Map<Integer, Request> requests = new ConcurrentHashMap<>();
    private final CompletableFuture<ReadyReport> ready = new CompletableFuture<>();
    private final Object writeLock = new Object();
    private volatile String brokenReason;
    private Thread reader;

    /**
     * @param name     for thread names and messages ("sandbox 3f2a...")
     * @param onBroken told once, with the reason, when the connection ends or breaks
     */
    public AgentConnection(String name, InputStream in, OutputStream out, Consumer<String> onBroken) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.onBroken = onBroken;
    }

    public synchronized void start() {
        if (reader == null) {
            reader = new Thread(this::readLoop, "sandbox4j-vm-agent-" + name);
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** Waits for READY; the agent's version must be this host's. */
    public ReadyReport awaitReady(Duration timeout) throws TimeoutException {
        ReadyReport r = await(ready, timeout, "waiting for the guest agent's READY");
        if (!ReadyReport.VERSION.equals(r.agentVersion())) {
            throw new AgentProtocolException("the guest agent speaks protocol " + r.agentVersion() + ", this host "
                    + ReadyReport.VERSION + "; rebuild the guest image");
        }
        return r;
    }

    /** Sends INIT and waits for its OK. */
    public void init(InitRequest init, Duration timeout) throws TimeoutException {
        request(new Frame(FrameType.INIT, nextId(), init.encode()), timeout, "INIT");
    }

    /** Round trip, for tests and health checks. */
    public byte[] ping(byte[] data, Duration timeout) throws TimeoutException {
        return request(new Frame(FrameType.PING, nextId(), data), timeout, "PING").get(0).payload();
    }

    /**
     * Starts a process and waits until the agent says it runs.
     *
     * @param onReport told the agent's EXIT report (for violation events)
     */
    public AgentExec exec(ExecRequest request, Duration startTimeout, Consumer<ExitReport> onReport) throws TimeoutException {
        byte[] payload = request.encode();
        if (payload.length > FrameCodec.MAX_PAYLOAD) {
            throw new ExecException("exec: the command line and environment take " + payload.length
                    + " bytes, over the guest protocol's limit of " + FrameCodec.MAX_PAYLOAD + "; pass large data through stdin or a file");
        }
        return startExec(new Frame(FrameType.EXEC, nextId(), payload), startTimeout, onReport);
    }

    /** A tar stream of a guest directory on the exec's stdout (busybox tar in the guest, under {@code seccomp}). */
    public AgentExec tarOut(String dir, byte[] seccomp, Duration startTimeout) throws TimeoutException {
        return startExec(new Frame(FrameType.TAROUT, nextId(), new PayloadWriter().str(dir)
                .blob(ExecRequest.checkProgram(seccomp)).toByteArray()), startTimeout, r -> { });
    }

    /** Unpacks the tar stream written to the exec's stdin into a guest directory (under {@code seccomp}). */
    public AgentExec tarIn(String dir, byte[] seccomp, Duration startTimeout) throws TimeoutException {
        return startExec(new Frame(FrameType.TARIN, nextId(), new PayloadWriter().str(dir)
                .blob(ExecRequest.checkProgram(seccomp)).toByteArray()), startTimeout, r -> { });
    }

    public byte[] readFile(String path, DataSize limit, Duration timeout) throws TimeoutException {
        List<Frame> frames = request(new Frame(FrameType.FREAD, nextId(),
                new PayloadWriter().str(path).u64(limit.bytes()).toByteArray()), limit.bytes(), timeout, "FREAD " + path);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Frame f : frames) {
            if (f.type() == FrameType.DATA) {
                if (b.size() + (long) f.payload().length > limit.bytes()) {
                    throw new AgentProtocolException("the agent sent more of " + path + " than the limit of " + limit);
                }
                b.writeBytes(f.payload());
            }
        }
        return b.toByteArray();
    }

    public void writeFile(String path, byte[] content, int mode, boolean createParents, Duration timeout) throws TimeoutException {
        int chunk = FrameCodec.MAX_PAYLOAD - 4096;
        int at = 0;
        do {
            int n = Math.min(chunk, content.length - at);
            byte[] payload = new PayloadWriter().str(path).u32((at > 0 ? 1 : 0) | (createParents ? 2 : 0)).u32(mode)
                    .bytes(Arrays.copyOfRange(content, at, at + n)).toByteArray();
            request(new Frame(FrameType.FWRITE, nextId(), payload), timeout, "FWRITE " + path);
            at += n;
        } while (at < content.length);
    }

    /** The entries of a guest directory, sorted by name. */
    public List<FileEntry> list(String path, Duration timeout) throws TimeoutException {
        List<FileEntry> out = new ArrayList<>();
        for (Frame f : request(new Frame(FrameType.FLIST, nextId(), new PayloadWriter().str(path).u32(ListDecoder.WITH_MTIME).toByteArray()), 64L << 20, timeout, "FLIST " + path)) {
            if (f.type() == FrameType.LIST) {
                out.addAll(ListDecoder.decode(f));
            }
        }
        out.sort(Comparator.comparing(FileEntry::name));
        return out;
    }

    /** Deletes a file, a symlink or a whole tree. */
    public void delete(String path, Duration timeout) throws TimeoutException {
        request(new Frame(FrameType.FDELETE, nextId(), new PayloadWriter().str(path).toByteArray()), timeout, "FDELETE " + path);
    }

    /** Deletes a file, a symlink or an empty directory; a directory with entries fails with NOT_EMPTY. */
    public void deleteEmpty(String path, Duration timeout) throws TimeoutException {
        request(new Frame(FrameType.FDELETE, nextId(), new PayloadWriter().str(path).u32(1).toByteArray()), timeout,
                "FDELETE " + path);
    }

    /** Writes raw bytes, bypassing the codec: for tests of the agent's handling of malformed input. */
    public void sendRaw(byte[] bytes) {
        synchronized (writeLock) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                throw broken("writing to the guest agent failed: " + e);
            }
        }
    }

    /**
     * Before a KILL: a guest that does not report the exec's end within {@link #KILL_GRACE} is saturated or
     * hung. The exec then ends as killed by SIGKILL (so a timed-out command's result comes back in time), and
     * the connection breaks, which fails every other caller and stops the VM: the command cannot outlive its
     * VM, and the session refuses later requests with the reason.
     */
    void expectEnd(AgentExec x) {
        WATCHDOG.schedule(() -> {
            if (!x.finished() && brokenReason == null) {
                String reason = "the guest did not confirm the kill of a command within " + KILL_GRACE.toMillis()
                        + " ms (saturated, e.g. by a fork bomb or a memory hog, or hung): the VM was stopped so that the"
                        + " kill and the timeout hold";
                x.forceKilled(reason);
                breakWith(reason);
            }
        }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Why the connection is unusable, if it is. */
    public Optional<String> brokenReason() {
        return Optional.ofNullable(brokenReason);
    }

    void send(Frame f) {
        if (brokenReason != null) {
            throw new ExecException("the guest agent connection of " + name + " is closed: " + brokenReason);
        }
        sendRaw(FrameCodec.encode(f));
    }

    void sendQuietly(Frame f) {
        try {
            send(f);
        } catch (ExecException ignored) {
            // the connection is gone, and with it what the frame was for
        }
    }

    @Override
    public void close() {
        breakWith("the sandbox was closed");
        try {
            out.close();
        } catch (IOException ignored) {
            // closing only
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // closing only
        }
    }

    private int nextId() {
        int id;
        do {
            id = ids.incrementAndGet();
        } while (id == 0 || execs.containsKey(id) || requests.containsKey(id));
        return id;
    }

    private AgentExec startExec(Frame f, Duration timeout, Consumer<ExitReport> onReport) throws TimeoutException {
        AgentExec x = new AgentExec(this, f.id(), onReport);
        execs.put(f.id(), x);
        if (brokenReason != null) {
            x.fail(new ExecException("the guest agent connection of " + name + " is closed: " + brokenReason));
        }
        send(f);
        await(x.started(), timeout, "starting " + f.type() + " in the guest");
        return x;
    }

    private List<Frame> request(Frame f, Duration timeout, String what) throws TimeoutException {
        return request(f, FrameCodec.MAX_PAYLOAD, timeout, what);
    }

    private List<Frame> request(Frame f, long maxBytes, Duration timeout, String what) throws TimeoutException {
        Request r = new Request(maxBytes);
        requests.put(f.id(), r);
        try {
            send(f);
            return await(r.done, timeout, what);
        } finally {
            requests.remove(f.id());
        }
    }

    private <T> T await(CompletableFuture<T> f, Duration timeout, String what) throws TimeoutException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new ExecException(what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException(what + ": no answer from the guest agent of " + name + " within " + timeout);
        }
    }

    private void readLoop() {
        try {
            while (true) {
                Optional<Frame> f = FrameCodec.read(in);
                if (f.isEmpty()) {
                    breakWith("the guest agent's channel ended");
                    return;
                }
                dispatch(f.get());
            }
        } catch (AgentProtocolException e) {
            breakWith("the guest agent sent a malformed frame: " + e.getMessage());
        } catch (IOException e) {
            breakWith(brokenReason != null ? brokenReason : "reading from the guest agent failed: " + e);
        } catch (InterruptedException e) {
            breakWith("the agent reader was interrupted");
        } catch (RuntimeException e) {
            breakWith("the guest agent sent a frame the host cannot handle: " + e);
        }
    }

    private void dispatch(Frame f) throws InterruptedException {
        if (!f.type().fromAgent()) {
            throw new AgentProtocolException("the agent sent " + f + ", a host-to-agent type");
        }
        if (f.type() == FrameType.READY) {
            if (!ready.complete(ReadyReport.decode(f))) {
                throw new AgentProtocolException("the agent sent READY twice");
            }
            return;
        }
        if (f.id() == 0) {
            if (f.type() == FrameType.ERROR) {
                // the agent rejected a frame it could not parse; the caller of that frame times out or
                // fails on its own, and the session stays usable
                System.getLogger("dev.sandbox4j.vm").log(System.Logger.Level.WARNING,
                        "guest agent of " + name + " reported: " + AgentError.decode(f).message());
                return;
            }
            throw new AgentProtocolException("the agent sent " + f + " with id 0");
        }
        AgentExec x = execs.get(f.id());
        if (x != null) {
            if (x.accept(f)) {
                execs.remove(f.id());
            }
            return;
        }
        Request r = requests.get(f.id());
        if (r != null) {
            r.accept(f);
            return;
        }
        if (f.type() == FrameType.ERROR) {
            AgentError e = AgentError.decode(f);
            if (e.errno() != ESRCH) { // ESRCH: a KILL or STDIN that crossed the exec's end
                System.getLogger("dev.sandbox4j.vm").log(System.Logger.Level.WARNING,
                        "guest agent of " + name + " rejected frame #" + Integer.toUnsignedString(f.id()) + ": " + e.message());
            }
            return;
        }
        throw new AgentProtocolException("the agent sent " + f + " for an id the host never used or already finished");
    }

    private ExecException broken(String reason) {
        breakWith(reason);
        return new ExecException("the guest agent connection of " + name + " failed: " + reason);
    }

    private void breakWith(String reason) {
        synchronized (this) {
            if (brokenReason != null) {
                return;
            }
            brokenReason = reason;
        }
        ExecException e = new ExecException("the guest agent of " + name + " is gone: " + reason);
        ready.completeExceptionally(e);
        execs.values().forEach(x -> x.fail(e));
        requests.values().forEach(r -> r.done.completeExceptionally(e));
        onBroken.accept(reason);
    }

    /** One file request's answers, until OK, END or ERROR. */
    private static final class Request {
        private final List<Frame> frames = new ArrayList<>();
        private final CompletableFuture<List<Frame>> done = new CompletableFuture<>();
        private final long maxBytes;
        private long bytes;

        Request(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        void accept(Frame f) {
            switch (f.type()) {
                case OK, END -> {
                    frames.add(f);
                    done.complete(List.copyOf(frames));
                }
                case DATA, LIST -> {
                    bytes += f.payload().length;
                    if (bytes > maxBytes) {
                        throw new AgentProtocolException("the agent sent more than " + maxBytes + " bytes in answer to one request");
                    }
                    frames.add(f);
                }
                case ERROR -> {
                    AgentError e = AgentError.decode(f);
                    done.completeExceptionally(e.fileReason()
                            .<RuntimeException>map(reason -> new FileAccessException(reason, "guest: " + e.message()))
                            .orElseGet(() -> new ExecException("guest agent: " + e.message())));
                }
                default -> throw new AgentProtocolException("the agent answered a request with " + f);
            }
        }
    }
}
