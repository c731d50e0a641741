package dev.sandbox4j.internal.exec;

import dev.sandbox4j.OutputListener;
import java.util.Arrays;

/**
 * Hands each chunk to an {@link OutputListener}, on the pump's thread (one call at a time per stream).
 * A listener that throws is logged and gets nothing more of this stream; the command goes on and its
 * output is still drained.
 */
final class ListenerSink implements OutputSink {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");

    private final OutputListener listener;
    private final OutputListener.Stream stream;
    private final String execName;
    private volatile boolean stopped;

    ListenerSink(OutputListener listener, OutputListener.Stream stream, String execName) {
        this.listener = listener;
        this.stream = stream;
        this.execName = execName;
    }

    @Override
    public void accept(byte[] buf, int off, int len) {
        if (stopped) {
            return;
        }
        try {
            listener.onOutput(stream, Arrays.copyOfRange(buf, off, off + len));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            stopped = true;
            LOG.log(System.Logger.Level.WARNING, "output listener of " + execName + " threw on " + stream
                    + "; it gets no more of that stream, the command goes on", e);
        }
    }

    @Override
    public void finish() {
        stopped = true;
    }
}
