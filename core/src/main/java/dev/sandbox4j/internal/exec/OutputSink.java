package dev.sandbox4j.internal.exec;

/**
 * Where an {@link OutputPump} delivers the bytes it keeps (those under the cap). Implementations are
 * thread-safe; once {@link #finish()} was called further bytes are dropped.
 */
interface OutputSink {
    /** Takes {@code len} bytes of {@code buf}; may block for backpressure. The array is reused afterwards. */
    void accept(byte[] buf, int off, int len);

    /** No more bytes will come (EOF, or the pump was detached). Idempotent. */
    void finish();
}
